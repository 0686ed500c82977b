"""Fixtures of the tests that run Snakemake: the finished demos and a single-node SLURM cluster.

The demos themselves are started by the root conftest's ``background_demos`` before the first test.
"""

from __future__ import annotations

import pytest
from slurm_cluster import Cluster, ensure_installed

from helpers import ROOT_ONLY, slurm_possible


@pytest.fixture(scope="session")
def run(background_demos):
    """The whole demo DAG on the fixtures, ending in the PDF (``start_demo``), finished.

    Shared by the report, reproducibility, SLURM and rerun tests: each leaves it finished, up to date and
    equal to a clean run in every deterministic value.
    """
    demo = background_demos["run"]
    result = demo["process"].result()
    assert result.returncode == 0, result.stderr[-4000:]
    return {k: demo[k] for k in ("dir", "config", "repo")}


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A single-node SLURM on this machine (root only), stopped by PID at the end of the session."""
    if not slurm_possible():
        pytest.skip(ROOT_ONLY)
    conf = Cluster.SYSTEM_CONF
    before = (conf.exists() or conf.is_symlink(), conf.parent.exists())
    ensure_installed()
    c = Cluster(tmp_path_factory.mktemp("slurm"))
    c.start()
    yield c
    c.stop()
    assert all(p.returncode is not None for p in c.procs)
    after = (conf.exists() or conf.is_symlink(), conf.parent.exists())
    # what the package install created under /etc stays; what the test itself linked is gone
    assert after[0] == before[0], f"{conf} left behind by the test"


@pytest.fixture(scope="session")
def second_demo(background_demos):
    """The same demo once more from clean (``start_demo``), for the reproducibility test (two clean runs
    differ only in measured values) and the SLURM test (the DAG through sbatch equals the local run)."""
    demo = background_demos["second_demo"]
    result = demo["process"].result()
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return {"dir": demo["dir"], "slurm": demo["slurm"]}
