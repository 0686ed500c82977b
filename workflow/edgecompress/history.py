"""The per-epoch training log every experiment writes: epoch, loss, test accuracy, seconds."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from .tables import write_csv

FIELDS = ("epoch", "loss", "test_accuracy", "seconds")


def write_history(path: str | os.PathLike, rows: Iterable[Mapping[str, float]]) -> None:
    write_csv(path, list(rows), FIELDS)


def beside_paper(history: Iterable[Mapping], reference, **labels) -> list[dict]:
    """Per-epoch rows of one run with the paper's (loss, accuracy %) of the same epoch, where it has one."""
    rows = []
    for row in history:
        e = row["epoch"]
        ref = reference[e - 1] if reference and e <= len(reference) else (None, None)
        rows.append({**labels, "epoch": e, "loss": row["loss"], "paper_loss": ref[0],
                     "test_accuracy_pct": 100 * row["test_accuracy"], "paper_test_accuracy_pct": ref[1]})
    return rows
