"""Safe reading of CIFAR-10's python archive (``cifar-10-python.tar.gz``).

The batches are Python pickles. Downloaded bytes are never given to
``pickle.load``: :class:`RestrictedUnpickler` only builds the builtin types and
the NumPy array those files hold, and refuses every other global. Tar members
are read in memory after :func:`tarfile.data_filter` and our own checks refuse
absolute paths, ``..``, links and devices.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
FOLDER = "cifar-10-batches-py"
# A batch of 10,000 images is about 31 MB pickled; no member of the real archive is larger.
# Members are read in memory, so the cap keeps a pinned but hostile archive from exhausting it.
MAX_MEMBER_BYTES = 200 * 1024 * 1024

# (module, name) pairs a CIFAR-10 batch may reference: the ndarray machinery of
# NumPy 1 and 2, and ``_codecs.encode``, with which protocol-2 pickles written by
# Python 3 spell a bytes object (a pure function: text in, bytes out). Nothing
# else; builtin containers need no global.
ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class UnsafeArchiveError(ValueError):
    """The archive holds something that must not be unpacked or unpickled."""


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refused global {module}.{name}: CIFAR-10 batches hold only arrays, lists and dicts"
        )


def safe_unpickle(raw: bytes, name: str) -> Any:
    try:
        return RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except pickle.UnpicklingError as err:
        raise UnsafeArchiveError(f"{name}: {err}") from err
    except Exception as err:  # garbled bytes
        raise UnsafeArchiveError(f"{name}: not a readable CIFAR-10 pickle ({err!r})") from err


def _key(d: dict, key: str) -> Any:
    for k in (key, key.encode()):
        if k in d:
            return d[k]
    raise KeyError(key)


def check_member(member: tarfile.TarInfo, archive: str) -> None:
    """Refuse members that could write outside the extraction folder or aren't plain data."""
    parts = Path(member.name).parts
    if member.name.startswith(("/", "\\")) or ".." in parts:
        raise UnsafeArchiveError(f"{archive}: member {member.name!r} refused: absolute path or '..'")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a link or device; refusing the archive")
    try:
        tarfile.data_filter(member, "/nonexistent-destination")
    except tarfile.FilterError as err:
        raise UnsafeArchiveError(f"{archive}: member {member.name!r} refused: {err}") from err


def read_members(archive: str | os.PathLike, wanted: tuple[str, ...]) -> dict[str, bytes]:
    """Bytes of the ``wanted`` members (by base name) of a gzipped tar, after checking every member."""
    archive = str(archive)
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                check_member(member, archive)
                base = Path(member.name).name
                if member.isfile() and base in wanted:
                    if base in found:
                        raise UnsafeArchiveError(f"{archive}: member {base!r} appears twice")
                    if member.size > MAX_MEMBER_BYTES:
                        raise UnsafeArchiveError(
                            f"{archive}: member {member.name!r} claims {member.size:,} bytes, "
                            f"over the {MAX_MEMBER_BYTES:,} a CIFAR-10 batch can need"
                        )
                    data = tar.extractfile(member).read(MAX_MEMBER_BYTES + 1)
                    if len(data) != member.size:
                        raise UnsafeArchiveError(
                            f"{archive}: member {member.name!r} holds {len(data):,} bytes, "
                            f"its header says {member.size:,}"
                        )
                    found[base] = data
    except (tarfile.TarError, EOFError, OSError) as err:
        raise UnsafeArchiveError(f"{archive}: not a readable tar.gz archive ({err})") from err
    missing = [w for w in wanted if w not in found]
    if missing:
        raise UnsafeArchiveError(f"{archive}: missing members {missing}")
    return found


def _batch_arrays(obj: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.asarray(_key(obj, "data"))
        labels = np.asarray(_key(obj, "labels"), dtype=np.int64)
    except (KeyError, TypeError) as err:
        raise UnsafeArchiveError(f"{name}: not a CIFAR-10 batch (missing {err})") from err
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise UnsafeArchiveError(f"{name}: data must be uint8 of shape (N, 3072), got {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],) or labels.min() < 0 or labels.max() > 9:
        raise UnsafeArchiveError(f"{name}: labels must be {data.shape[0]} values in 0..9")
    # rows are 1024 red, 1024 green, 1024 blue values: to (N, 32, 32, 3)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels.astype(np.uint8)


def load_cifar10(archive: str | os.PathLike) -> dict[str, np.ndarray]:
    """Train and test images (N, 32, 32, 3) uint8, labels uint8 and class names."""
    raw = read_members(archive, TRAIN_BATCHES + (TEST_BATCH, META))
    parts = [_batch_arrays(safe_unpickle(raw[b], f"{archive}:{b}"), f"{archive}:{b}") for b in TRAIN_BATCHES]
    x_test, y_test = _batch_arrays(safe_unpickle(raw[TEST_BATCH], f"{archive}:{TEST_BATCH}"), f"{archive}:{TEST_BATCH}")
    meta = safe_unpickle(raw[META], f"{archive}:{META}")
    try:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in _key(meta, "label_names")]
    except (KeyError, TypeError) as err:
        raise UnsafeArchiveError(
            f"{archive}:{META}: not CIFAR-10's batches.meta (no list 'label_names': {err!r})"
        ) from None
    if len(names) != 10:
        raise UnsafeArchiveError(f"{archive}:{META}: expected 10 label names, got {len(names)}")
    return {
        "x_train": np.concatenate([p[0] for p in parts]),
        "y_train": np.concatenate([p[1] for p in parts]),
        "x_test": x_test,
        "y_test": y_test,
        "class_names": np.array(names),
    }
