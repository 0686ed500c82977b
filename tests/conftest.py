"""pytest fixtures shared by the test modules; the helpers themselves are in helpers.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Importing torchvision after TensorFlow segfaults (triton, pulled in by torch._dynamo); the other
# order works. Tests use both in one process, so load torchvision first. Rules never mix them.
import torchvision  # noqa: F401,E402  isort: skip

from helpers import REPO, LoopbackServer, copy_workflow, mirror_config, snakemake  # noqa: E402


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

    Shared by the report tests and the rerun test (each leaves it finished and up to date).
    """
    repo = copy_workflow(tmp_path_factory.mktemp("workflow"))
    workdir = tmp_path_factory.mktemp("report")
    mirror = mirror_config(workdir, fixture_dir)
    result = snakemake(workdir, configs=(mirror,), repo=repo)
    assert result.returncode == 0, result.stderr[-4000:]
    return {"dir": workdir, "mirror": mirror, "repo": repo}


@pytest.fixture
def server():
    srv = LoopbackServer()
    yield srv
    srv.close()


def _tracked_changes() -> str | None:
    """``git status`` of the checkout's tracked files, or None outside a git checkout."""
    result = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                            capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_untouched():
    """No test writes into the checkout's tracked files (a test that must edit one works on a copy)."""
    before = _tracked_changes()
    yield
    after = _tracked_changes()
    assert before == after, f"the test session changed tracked files of the checkout:\n{after}"
