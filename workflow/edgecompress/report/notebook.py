"""What every report notebook does first: an output folder, and JSON loading."""

from __future__ import annotations

from pathlib import Path

from ..results import read_json


def setup(out_dir: str) -> Path:
    """The notebook's output folder (made if missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


load = read_json  # the notebooks' name for reading a metrics file
