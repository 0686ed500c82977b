"""The files the workflow writes, one way: atomically (a reader never sees a half-written file), JSON,
arrays, CSV tables (fixed columns, 6 significant digits, empty for missing) and the per-epoch history.

Everything is written to a temporary file in the target's folder and moved into place with
:func:`os.replace` (atomic on POSIX) only once complete.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it there on success.

    On any exception the temporary file is removed and ``target`` is untouched. A temporary file of
    ``target`` left by a writer that was killed (SIGKILL runs no cleanup) is removed first: a job is
    the only writer of its outputs, so it can only be a leftover.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.{'?' * 8}.part{glob.escape(suffix)}"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part" + suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as sorted, indented JSON (byte-identical for equal data)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def read_jsons(paths) -> list:
    return [read_json(p) for p in paths]


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Save arrays uncompressed (they load in milliseconds) without partial files."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


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


HISTORY_FIELDS = ("epoch", "loss", "test_accuracy", "seconds")


def write_history(path: str | os.PathLike, rows: Iterable[Mapping[str, float]]) -> None:
    """The per-epoch training log every experiment writes: epoch, loss, test accuracy, seconds."""
    write_csv(path, list(rows), HISTORY_FIELDS)
