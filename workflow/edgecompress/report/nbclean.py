"""Strip what changes on every run from an executed notebook: papermill's and Jupyter's clock times,
and where the workflow was checked out.

    python -m edgecompress.report.nbclean results/report/x/x.ipynb

Papermill records start and end times and durations for the notebook and each cell, and gives
the parameters cell it injects a random id; the kernel records ``execution`` timestamps per cell. Without them,
the same inputs give the same
executed notebook, byte for byte. Papermill also records the notebook it executed by its absolute path,
which names the user's checkout: kept as ``notebooks/<name>``, the path inside the workflow. The
outputs (tables, figures) are kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..results import atomic_path

CLOCK_KEYS = ("start_time", "end_time", "duration")


def strip_clock(notebook: dict) -> dict:
    """``notebook`` (nbformat JSON) without clock times, in place; returned for convenience."""
    papermill = notebook.get("metadata", {}).get("papermill", {})
    for key in CLOCK_KEYS:
        papermill.pop(key, None)
    if papermill.get("input_path"):
        papermill["input_path"] = f"notebooks/{Path(papermill['input_path']).name}"
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        if "injected-parameters" in meta.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives the cell it adds a random id
        for key in CLOCK_KEYS:
            meta.get("papermill", {}).pop(key, None)
    return notebook


def strip_file(path: str | Path) -> None:
    path = Path(path)
    notebook = strip_clock(json.loads(path.read_text(encoding="utf-8")))
    with atomic_path(path, suffix=".ipynb") as tmp:
        tmp.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        strip_file(arg)
