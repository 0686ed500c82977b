"""The per-epoch training log every experiment writes: epoch, loss, test accuracy, seconds."""

from __future__ import annotations

import csv
import io
import os
from typing import Iterable, Mapping

from .atomic import atomic_path

FIELDS = ("epoch", "loss", "test_accuracy", "seconds")


def write_history(path: str | os.PathLike, rows: Iterable[Mapping[str, float]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{row[k]:.6f}" if isinstance(row[k], float) else row[k]) for k in FIELDS})
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def read_history(path: str | os.PathLike) -> list[dict[str, float]]:
    with open(path, encoding="utf-8") as fh:
        return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()} for row in csv.DictReader(fh)]
