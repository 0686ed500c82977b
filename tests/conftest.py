"""pytest fixtures and hooks shared by tests/unit and tests/workflow; the helpers themselves are in helpers.py.

The session's demos start here, before the first test, so that they run in the background while the unit
tests run; the fixtures that wait for them (``run``, ``second_demo``) are in tests/workflow/conftest.py; the SLURM
cluster the second demo may go through is here, since the demos start from the first test's setup.
"""

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

# The session's demos run in the background on the same cores as the tests (and as each other): an OpenMP
# thread that spins while it waits for a descheduled peer burns the core that peer needs. Passive waiting
# (set before torch loads its OpenMP runtime; every subprocess, demo and SLURM job inherits it) changes which
# thread waits how, never a computed value. A user's run, whose jobs Snakemake keeps within --cores, keeps
# the runtime's default.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Importing torchvision after TensorFlow segfaults (triton, pulled in by torch._dynamo); the other
# order works. Tests use both in one process, so load torchvision first. Rules never mix them.
import torchvision  # noqa: F401,E402  isort: skip

from slurm_cluster import Cluster, ensure_installed  # noqa: E402

from helpers import (
    CORES,
    REPO,
    ROOT_ONLY,
    LoopbackServer,
    Started,
    copy_workflow,
    demo_config,
    slurm_command,  # noqa: E402
    slurm_possible,
    snakemake_command,
)


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    """Fixture datasets and weights in the official formats, generated once per session."""
    out = tmp_path_factory.mktemp("fixtures")
    subprocess.run(
        [sys.executable, "-m", "edgecompress.data.fixtures", str(out)],
        check=True,
        capture_output=True,
    )
    return out


# What a test needs, from the session fixtures it uses: the marker the tiers select by (pyproject.toml).
NEEDS = {"run": "demo", "second_demo": "second_demo", "cluster": "slurm"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    """Marks each test with what it needs, and puts the tests that wait for a demo last (in their own
    order): the demos run in the background while the others run."""
    for item in items:
        for fixture, marker in NEEDS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
    items.sort(key=lambda item: sum(f in getattr(item, "fixturenames", ()) for f in ("run", "second_demo")))


DEMO_TIMEOUT = 2400  # a demo in the background shares the cores with the tests that run meanwhile


@pytest.fixture(scope="session", autouse=True)
def background_demos(request, tmp_path_factory):
    """The session's demos, started in the background before the first test when a selected test needs
    them: the unit tests (one core) run meanwhile, and the second demo, which mostly waits on SLURM's
    poll, beside the first. Each gets its own copy of the workflow (one test edits the first's template).
    The fixtures ``run`` and ``second_demo`` wait for them."""
    needed = {f for item in request.session.items for f in getattr(item, "fixturenames", ())}
    started = {}
    if "run" in needed or "second_demo" in needed:
        fixtures = request.getfixturevalue("fixture_dir")
        for name in ("run", "second_demo") if "second_demo" in needed else ("run",):
            started[name] = start_demo(name, request, tmp_path_factory, fixtures)
    yield started
    for demo in started.values():  # a session stopped early (-x, a failure) leaves no run behind
        if demo["process"].proc.poll() is None:
            demo["process"].proc.kill()
            demo["process"].proc.wait()


def start_demo(name: str, request, tmp_path_factory, fixtures: Path) -> dict:
    """The demo on the fixtures from nothing, ending in the PDF, started in the background.

    The copy of the workflow and the run folder have a space, a quote and non-ASCII letters in their
    names: a user's checkout may, and every path the rules hand to a shell must survive it. Its
    config (``demo_config``) names the committed reference, so the report's provenance appendix
    compares the demo with it. The second demo runs through ``profiles/slurm`` on the test cluster
    wherever one can be started (as root, and always under CI), else locally like the first.
    """
    repo = copy_workflow(tmp_path_factory.mktemp(f"work flow 'Ärger' {name}"))
    workdir = tmp_path_factory.mktemp("run dir 'ü'" if name == "run" else "second")
    config = demo_config(workdir, fixtures)
    through_slurm = name == "second_demo" and slurm_possible()
    if through_slurm:
        # The profile gives the timing job one core (its node is exclusive); the local run gives it all of
        # --cores, and machine.json records what it reserved. The same count here, so that the two demos
        # differ only in their executor, not in an environment value the report prints.
        cmd, env = slurm_command(
            request.getfixturevalue("cluster"),
            workdir,
            config,
            repo=repo,
            timeout=DEMO_TIMEOUT,
            args=("--set-threads", f"time_models={CORES}"),
        )
    else:
        cmd, env = snakemake_command(workdir, configs=(config,), repo=repo)
    return {
        "dir": workdir,
        "config": config,
        "repo": repo,
        "slurm": through_slurm,
        "process": Started(cmd, env, workdir, DEMO_TIMEOUT),
    }


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
        dirs[:] = [
            d for d in dirs if d not in (".git", ".venv", ".reference-run", *CACHES)
        ]  # make reference's scratch run
        for name in names:
            path = Path(root) / name
            st = path.lstat()
            files[str(path.relative_to(REPO))] = (st.st_size, st.st_mtime_ns)
    return status, files


def _changes(before, after) -> str:
    (status_a, files_a), (status_b, files_b) = before, after
    lines = [f"status: {line}" for line in sorted(set(status_a) ^ set(status_b))]
    lines += [
        f"{'added' if p not in files_a else 'removed' if p not in files_b else 'changed'}: {p}"
        for p in sorted(set(files_a) | set(files_b))
        if files_a.get(p) != files_b.get(p)
    ]
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
