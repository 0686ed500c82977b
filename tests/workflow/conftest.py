"""Fixtures of the tests that run Snakemake: the finished demos.

The demos themselves are started by the root conftest's ``background_demos`` before the first test, and
the SLURM cluster the second demo may go through is the root conftest's too (a unit test can be the
first test of the session, and the demos start from its setup).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import WORKFLOW_MARKERS

HERE = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after the root conftest has added the markers of the fixtures used
def pytest_collection_modifyitems(items):
    """A test here needs Snakemake, a demo, the shared data or a cluster, and says so by a marker; one that
    needs none of them belongs in tests/unit (the tiers would run it with the slow ones otherwise)."""
    misplaced = [
        item.nodeid
        for item in items
        if Path(item.path).is_relative_to(HERE) and not any(item.get_closest_marker(m) for m in WORKFLOW_MARKERS)
    ]
    if misplaced:
        raise pytest.UsageError("tests/workflow holds tests that need no Snakemake: " + "; ".join(misplaced))


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
def second_demo(background_demos):
    """The same demo once more from clean (``start_demo``), for the reproducibility test (two clean runs
    differ only in measured values) and the SLURM test (the DAG through sbatch equals the local run)."""
    demo = background_demos["second_demo"]
    result = demo["process"].result()
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return {"dir": demo["dir"], "slurm": demo["slurm"]}
