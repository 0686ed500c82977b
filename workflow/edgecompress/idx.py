"""Reader and writer of the IDX format of (Fashion-)MNIST, with strict checks.

Layout: two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then one big-endian uint32 per dimension, then the data.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

UBYTE = 0x08


class IdxError(ValueError):
    """The file is not a valid IDX file of the expected shape."""


def parse_idx(raw: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Parse the uncompressed bytes of an IDX file of unsigned bytes."""
    if len(raw) < 4:
        raise IdxError(f"{name}: {len(raw)} bytes is too short for an IDX header")
    zero, dtype, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise IdxError(f"{name}: bad magic number 0x{raw[:4].hex()} (expected 0x0000080N): not an IDX file")
    if dtype != UBYTE:
        raise IdxError(f"{name}: IDX type code 0x{dtype:02x} is not 0x08 (unsigned byte)")
    if ndim is not None and dims != ndim:
        raise IdxError(f"{name}: expected {ndim} dimensions, the header says {dims}")
    header = 4 + 4 * dims
    if len(raw) < header:
        raise IdxError(f"{name}: truncated header ({len(raw)} bytes, need {header})")
    shape = struct.unpack(f">{dims}I", raw[4:header])
    if dims and min(shape) == 0:
        raise IdxError(f"{name}: empty dimension in shape {shape}")
    expected = int(np.prod(shape, dtype=np.int64))
    actual = len(raw) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IdxError(f"{name}: {what}: shape {shape} needs {expected} data bytes, found {actual}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read a gzipped (``.gz``) or plain IDX file; errors name the file."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise IdxError(f"{path}: not a valid gzip file or truncated ({err})") from err
    return parse_idx(raw, str(path), ndim)


def idx_bytes(array: np.ndarray) -> bytes:
    """Serialise a uint8 array in the IDX format (the inverse of :func:`parse_idx`)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
