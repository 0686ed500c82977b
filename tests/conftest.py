"""pytest fixtures shared by the test modules; the helpers themselves are in helpers.py."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Hypothesis keeps its example database and constants under .hypothesis/ in the current folder: a test
# session writes nothing into the checkout, so they go to a temporary folder.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="hypothesis-"))

# Importing torchvision after TensorFlow segfaults (triton, pulled in by torch._dynamo); the other
# order works. Tests use both in one process, so load torchvision first. Rules never mix them.
import torchvision  # noqa: F401,E402  isort: skip

from helpers import CORES, REPO, LoopbackServer, copy_workflow, demo_config, slurm_run, snakemake  # noqa: E402
from slurm_cluster import Cluster, ensure_installed  # noqa: E402


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    """Fixture datasets and weights in the official formats, generated once per session."""
    out = tmp_path_factory.mktemp("fixtures")
    subprocess.run([sys.executable, "-m", "edgecompress.data.fixtures", str(out)], check=True, capture_output=True,
                   env=dict(os.environ, PYTHONPATH=str(REPO / "workflow")))
    return out


@pytest.fixture(scope="session")
def run(tmp_path_factory, fixture_dir):
    """The whole demo DAG on the fixtures, ending in the PDF, from a copy of the workflow (one test edits it).

    Shared by the report, reproducibility, SLURM and rerun tests: each leaves it finished, up to date and
    equal to a clean run in every deterministic value. The copy and the run folder have a space, a
    quote and non-ASCII letters in their names: a user's checkout may, and every path the rules hand
    to a shell must survive it. Its config (``demo_config``) names the committed reference, so the
    report's provenance appendix compares the demo with it.
    """
    repo = copy_workflow(tmp_path_factory.mktemp("work flow 'Ärger'"))
    workdir = tmp_path_factory.mktemp("run dir 'ü'")
    config = demo_config(workdir, fixture_dir)
    result = snakemake(workdir, configs=(config,), repo=repo)
    assert result.returncode == 0, result.stderr[-4000:]
    return {"dir": workdir, "config": config, "repo": repo}


ROOT_ONLY = ("the SLURM test installs Debian packages (apt-get), starts daemons and links /etc/slurm/slurm.conf "
             "for its lifetime: it runs as root only (CI runs as root and fails rather than skip it)")


def slurm_possible() -> bool:
    """Whether this session can start the test cluster: as root. Under CI=true it must (a failure, not a skip)."""
    if os.geteuid() == 0:
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(ROOT_ONLY)
    return False


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
def second_demo(request, tmp_path_factory, run, fixture_dir):
    """The same demo once more from clean, for the reproducibility test (two clean runs differ only in
    measured values) and the SLURM test (the DAG through sbatch equals the local run).

    It runs through ``profiles/slurm`` on the test cluster wherever one can be started (as root, and
    always under CI), else locally like ``run``: one whole demo serves both tests. Same workflow copy and
    config as ``run``, another run folder.
    """
    workdir = tmp_path_factory.mktemp("second")
    config = demo_config(workdir, fixture_dir)
    through_slurm = slurm_possible()
    if through_slurm:
        # The profile gives the timing job one core (its node is exclusive); the local run gives it all of
        # --cores, and machine.json records what it reserved. The same count here, so that the two demos
        # differ only in their executor, not in an environment value the report prints.
        result = slurm_run(request.getfixturevalue("cluster"), workdir, config, repo=run["repo"],
                           args=("--set-threads", f"time_models={CORES}"))
    else:
        result = snakemake(workdir, configs=(config,), repo=run["repo"])
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return {"dir": workdir, "slurm": through_slurm}


@pytest.fixture
def server():
    srv = LoopbackServer()
    yield srv
    srv.close()


# Written by the interpreter and by pytest itself, never by a test: left out of the guard.
CACHES = ("__pycache__", ".pytest_cache")


def _checkout_state() -> tuple[list[str], dict[str, tuple[int, int]]] | None:
    """The checkout as the guard sees it: ``git status --porcelain --ignored`` (tracked, untracked and
    ignored paths) and every file outside .git and .venv with its size and modification time (a file
    written inside an ignored folder that already existed changes no status line). None outside git."""
    result = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    status = [line for line in result.stdout.splitlines() if not any(c in line for c in CACHES)]
    files = {}
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", ".reference-run", *CACHES)]  # make reference's scratch run
        for name in names:
            path = Path(root) / name
            st = path.lstat()
            files[str(path.relative_to(REPO))] = (st.st_size, st.st_mtime_ns)
    return status, files


def _changes(before, after) -> str:
    (status_a, files_a), (status_b, files_b) = before, after
    lines = [f"status: {line}" for line in sorted(set(status_a) ^ set(status_b))]
    lines += [f"{'added' if p not in files_a else 'removed' if p not in files_b else 'changed'}: {p}"
              for p in sorted(set(files_a) | set(files_b)) if files_a.get(p) != files_b.get(p)]
    return "\n".join(lines[:40])


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_untouched():
    """No test writes into the checkout, tracked, untracked or ignored (a test that must edit a file
    works on a copy; runs happen in temporary folders)."""
    before = _checkout_state()
    yield
    after = _checkout_state()
    if before is not None and after is not None:
        assert before == after, f"the test session wrote into the checkout:\n{_changes(before, after)}"
