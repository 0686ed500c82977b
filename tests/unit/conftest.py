"""The unit tests: no Snakemake, no demo, seconds each. A test here that needs more fails collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import WORKFLOW_MARKERS

HERE = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after the root conftest has added the markers of the fixtures used
def pytest_collection_modifyitems(items):
    misplaced = [
        f"{item.nodeid} ({', '.join(m for m in WORKFLOW_MARKERS if item.get_closest_marker(m))})"
        for item in items
        if Path(item.path).is_relative_to(HERE) and any(item.get_closest_marker(m) for m in WORKFLOW_MARKERS)
    ]
    if misplaced:
        raise pytest.UsageError("tests/unit holds tests that need Snakemake or a demo: " + "; ".join(misplaced))
