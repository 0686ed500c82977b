"""Checksummed, atomic, retrying downloads from http(s), file:// or a local path.

The file is streamed to a temporary name beside the target, verified against
the pinned checksums, and only then renamed into place: a reader never sees a
partial or unverified file.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Mapping

from ..checksums import ChecksumError, file_digests, mismatches, verify
from ..logs import Progress
from ..results import atomic_path
from ..sources import checksums, file_name, locate, sources

log = logging.getLogger(__name__)

CHUNK = 1 << 16
REMOTE_SCHEMES = ("http", "https")


class DownloadError(RuntimeError):
    """A source could not be fetched; the message says why and what to do."""


class _Retryable(Exception):
    pass


def resolve_source(url: str, mirror: str | None = None) -> str:
    """Where to fetch ``url`` from: the URL itself, or the same file name under ``mirror``.

    A mirror is a folder (plain path or ``file://``) or a URL prefix holding
    every file under its official file name.
    """
    if not mirror:
        return url
    name = Path(urllib.parse.urlparse(url).path).name
    if not name:
        raise DownloadError(f"cannot derive a file name from URL {url!r} to look it up in mirror {mirror!r}")
    return mirror.rstrip("/") + "/" + name


def _local_path(source: str) -> Path | None:
    parsed = urllib.parse.urlparse(source)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme in REMOTE_SCHEMES:
        return None
    if parsed.scheme and len(parsed.scheme) > 1:  # not a Windows drive letter
        raise DownloadError(f"unsupported URL scheme {parsed.scheme!r} in {source!r}; use http, https, file or a path")
    return Path(source)


class Cap:
    """The most bytes a download may have, and where that limit comes from (for the message)."""

    def __init__(self, limit: int | None, why: str = "") -> None:
        self.limit, self.why = limit, why

    def refuse(self, source: str, size: int, what: str) -> None:
        if self.limit is not None and size > self.limit:
            raise DownloadError(
                f"{source} {what} {size:,} bytes, more than the {self.limit:,} allowed ({self.why}): "
                "refused, nothing kept"
            )


def _copy_stream(read: Callable[[int], bytes], out, total: int | None, desc: str, cap: Cap, source: str) -> int:
    written = 0
    with Progress(total, desc, unit="B", every=25.0, interval=30.0) as bar:
        while True:
            chunk = read(CHUNK)
            if not chunk:
                break
            written += len(chunk)
            cap.refuse(source, written, "sent at least")  # a server that never ends is cut off here
            out.write(chunk)
            bar.update(len(chunk))
    return written


def _fetch_once(source: str, tmp: Path, timeout: float, cap: Cap) -> None:
    local = _local_path(source)
    if local is not None:
        if not local.is_file():
            raise DownloadError(f"source file not found: {local} (from {source!r})")
        cap.refuse(source, local.stat().st_size, "holds")
        with open(local, "rb") as src, open(tmp, "wb") as out:
            _copy_stream(src.read, out, local.stat().st_size, f"copy {local.name}", cap, source)
        return
    request = urllib.request.Request(source, headers={"User-Agent": "edgecompress-workflow"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp, open(tmp, "wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None:
                cap.refuse(source, total, "announces")
            written = _copy_stream(resp.read, out, total, f"download {Path(source).name}", cap, source)
            if total is not None and written != total:
                raise _Retryable(f"truncated body: got {written} of {total} bytes from {source}")
    except urllib.error.HTTPError as err:
        if err.code >= 500 or err.code in (408, 429):
            raise _Retryable(f"HTTP {err.code} {err.reason} from {source}") from err
        raise DownloadError(f"HTTP {err.code} {err.reason} for {source}: check the URL in the config") from err
    except urllib.error.URLError as err:
        raise _Retryable(f"cannot reach {source}: {err.reason}") from err
    except (ConnectionError, socket.timeout, TimeoutError) as err:
        raise _Retryable(f"connection error from {source}: {err}") from err
    except Exception as err:  # http.client.IncompleteRead and friends
        if err.__class__.__module__ == "http.client":
            raise _Retryable(f"broken transfer from {source}: {err!r}") from err
        raise


def fetch(
    url: str,
    dest: str | os.PathLike,
    checksums: Mapping[str, str],
    mirror: str | None = None,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    cap: Cap | None = None,
) -> dict[str, str]:
    """Fetch ``url`` (or its copy under ``mirror``) to ``dest`` and verify it.

    ``timeout`` bounds each wait for the server (a stalled transfer is retried, then given up);
    ``cap`` the bytes accepted (more is refused at once, not retried). Returns the file's digests. A ``dest``
    that already exists and verifies is
    kept as it is. Raises :class:`DownloadError` or :class:`ChecksumError`,
    leaving nothing at ``dest``.
    """
    dest = Path(dest)
    if not checksums:
        raise DownloadError(f"no checksum pinned for {url}: refusing to fetch an unverifiable file")
    if dest.exists():
        try:
            digests = verify(dest, checksums)
            log.info("%s already present and verified; not downloading again", dest)
            return digests
        except ChecksumError as err:
            log.warning("%s; fetching it again", err)
            dest.unlink()

    source = resolve_source(url, mirror)
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        try:
            with atomic_path(dest) as tmp:
                log.info("fetching %s (attempt %d of %d)", source, attempt, attempts)
                _fetch_once(source, tmp, timeout, cap or Cap(None))
                digests = file_digests(tmp)
                problems = mismatches(digests, checksums)
                if problems:
                    raise ChecksumError(
                        f"checksum mismatch for {source} (to {dest}): "
                        + "; ".join(problems)
                        + "; the file was removed: check the source (URL or mirror) "
                        "or the pinned checksum in the config"
                    )
            log.info("verified %s: %s", dest, ", ".join(f"{k} {v}" for k, v in sorted(digests.items())))
            return digests
        except _Retryable as err:
            if attempt == attempts:
                hint = ""
                if _local_path(source) is None and "cannot reach" in str(err):
                    hint = (
                        f"; mirror {mirror} is unreachable: check data.mirror or clear it to use the official URLs"
                        if mirror
                        else "; the network looks unreachable: set data.mirror in the config to a local folder "
                        "or file:// URL holding the files under their official names (see config/README.md)"
                    )
                raise DownloadError(f"giving up after {attempts} attempts: {err}{hint}") from err
            wait = backoff * 2 ** (attempt - 1)
            log.warning("%s; retrying in %.1f s", err, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def download(
    filename: str,
    dest: str | os.PathLike,
    checksums: Mapping[str, str],
    official_url: str,
    data: Mapping,
    official: Mapping | None = None,
) -> dict[str, str]:
    """Rule download: the source of ``data`` (the config's data section) whose file is ``filename``.

    Its location (the URL set explicitly, or the mirror) is read from ``data`` here, so that only
    the checksums are parameters of the rule: see :mod:`edgecompress.sources`. The bytes accepted:
    the source's pinned ``bytes``, except the official file's size beside other checksums (``official``:
    the publisher's source as the schema pins it), which describes another file; else
    ``data.max_download_mib``.
    """

    key, source = next((k, s) for k, s in sources(data).items() if file_name(s["url"]) == filename)
    where = locate(key, source["url"], data["mirror"], official_url)
    log.info("%s: fetching from %s (%s)", key, where.source, where.why)
    return fetch(
        source["url"],
        dest,
        checksums,
        mirror=where.mirror,
        retries=data["retries"],
        backoff=data["backoff_seconds"],
        timeout=data["timeout_seconds"],
        cap=cap_of(key, source, data, official),
    )


def cap_of(key: str, source: Mapping, data: Mapping, official: Mapping | None) -> Cap:
    """The most bytes the download of ``source`` (config key ``key``) may have; see :func:`download`."""
    pinned = source.get("bytes")
    other_file = official is not None and pinned == official.get("bytes") and checksums(source) != checksums(official)
    if pinned and not other_file:
        return Cap(int(pinned), f"its size, data.{key}.bytes")
    return Cap(int(data["max_download_mib"]) * 2**20, "data.max_download_mib")
