"""File checksums: compute, and compare against what the config pins."""

from __future__ import annotations

import hashlib
import os
from typing import Mapping

CHUNK = 1 << 20
ALGORITHMS = ("md5", "sha256")


class ChecksumError(ValueError):
    """A file's digest differs from the pinned one."""


def file_digests(path: str | os.PathLike, algorithms=ALGORITHMS) -> dict[str, str]:
    """Hex digests of a file, read once."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            for h in hashes.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashes.items()}


def sha256(path: str | os.PathLike) -> str:
    return file_digests(path, ("sha256",))["sha256"]


def mismatches(digests: Mapping[str, str], expected: Mapping[str, str]) -> list[str]:
    """Describe every pinned checksum that ``digests`` does not match.

    ``expected`` may hold ``md5``, ``sha256`` and ``sha256_prefix`` (the leading
    hex digits, as in torchvision's weight file names).
    """
    problems = []
    for key, want in expected.items():
        want = want.lower()
        if key == "sha256_prefix":
            got = digests["sha256"]
            if not got.startswith(want):
                problems.append(f"sha256 prefix: expected {want}, actual {got[: len(want)]} (full {got})")
        elif key in ALGORITHMS:
            got = digests[key]
            if got != want:
                problems.append(f"{key}: expected {want}, actual {got}")
        else:
            raise ValueError(f"unknown checksum kind {key!r}; allowed: md5, sha256, sha256_prefix")
    return problems


def verify(path: str | os.PathLike, expected: Mapping[str, str]) -> dict[str, str]:
    """Return the file's digests, or raise :class:`ChecksumError` naming the file."""
    if not expected:
        raise ValueError(f"no checksum pinned for {path}: every input must have md5, sha256 or sha256_prefix")
    digests = file_digests(path)
    problems = mismatches(digests, expected)
    if problems:
        raise ChecksumError(f"checksum mismatch for {path}: " + "; ".join(problems))
    return digests
