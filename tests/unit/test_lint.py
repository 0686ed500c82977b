"""Lint is a check, not a wish: ruff (pycodestyle, pyflakes, import order, formatting) and snakefmt pass on
the checkout, as `make lint` runs them (Snakemake's own linter runs in tests/workflow/test_workflow.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--no-cache", "--check", "."],
        ["snakefmt", "--check", "Snakefile", "workflow"],
    ],
    ids=["ruff-check", "ruff-format", "snakefmt"],
)
def test_the_checkout_is_lint_clean(command):
    result = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_ruff_fails_on_an_unused_import(tmp_path):
    (tmp_path / "bad.py").write_text("import os\n")
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(REPO / "pyproject.toml"), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "F401" in result.stdout
