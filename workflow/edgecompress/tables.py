"""The tables of the experiments, one module each (quantization, pruning, distillation), and the one
way every CSV table is written: fixed columns, 6 significant digits, empty for missing."""

from __future__ import annotations

import csv
import io
import os
from typing import Mapping, Sequence

from .atomic import atomic_path


def write_csv(path: str | os.PathLike, rows: Sequence[Mapping], columns: Sequence[str] | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def read_csv(path: str | os.PathLike) -> list[dict]:
    """The rows of a CSV the workflow wrote, as dicts of strings."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value
