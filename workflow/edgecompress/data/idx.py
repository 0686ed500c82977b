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
        raise IdxError(
            f"{name}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with two zero bytes "
            "(0x0000, then type and dimensions): not an IDX file"
        )
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


MAX_DIMS = 4  # images are 3, labels 1
MAX_DATA_BYTES = 256 * 1024 * 1024  # the largest real file, 60,000 x 28 x 28, is 47 MB


def _read_bounded(fh) -> bytes:
    """An IDX stream read no further than its header declares, plus one byte to detect trailing data.

    A pinned but hostile file (a gzip "bomb") is thus never decompressed beyond what its header
    promises; the size check of :func:`parse_idx` then refuses it.
    """
    head = fh.read(4)
    if len(head) < 4 or head[:2] != b"\0\0" or not 1 <= head[3] <= MAX_DIMS:
        return head  # parse_idx names what is wrong
    dims_raw = fh.read(4 * head[3])
    shape = struct.unpack(f">{len(dims_raw) // 4}I", dims_raw[: len(dims_raw) // 4 * 4])
    need = int(np.prod(shape, dtype=np.int64)) if shape else 0
    if need > MAX_DATA_BYTES:
        raise IdxError(
            f"{getattr(fh, 'name', '<stream>')}: the header's shape {shape} claims {need:,} bytes, "
            f"over the {MAX_DATA_BYTES:,} any (Fashion-)MNIST file needs"
        )
    return head + dims_raw + fh.read(need + 1)


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read a gzipped (``.gz``) or plain IDX file, bounded by its header's size; errors name the file."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = _read_bounded(fh)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise IdxError(f"{path}: not a valid gzip file or truncated ({err})") from err
    return parse_idx(raw, str(path), ndim)


def idx_bytes(array: np.ndarray) -> bytes:
    """Serialise a uint8 array in the IDX format (the inverse of :func:`parse_idx`)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return struct.pack(">HBB", 0, UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
