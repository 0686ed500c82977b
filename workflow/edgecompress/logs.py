"""Logging for rule scripts: stderr to the rule's log, and readable progress.

In a terminal, :class:`Progress` draws a live bar on one line; in a log file it
prints a plain line at most every ``every`` percent or ``interval`` seconds, so
logs never fill with carriage-return floods.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from typing import IO


def setup_logging(stream: IO[str] | None = None) -> logging.Logger:
    """Route the ``edgecompress`` logger to ``stream`` (default: stderr).

    Rule scripts first point ``sys.stderr`` at the rule's log, then call this,
    so messages and tracebacks both land in the log.
    """
    logging.basicConfig(
        stream=stream if stream is not None else sys.stderr,
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    return logging.getLogger("edgecompress")


# For a parse error after the download verified: the pinned checksum itself names a bad file.
PINNED_FILE_HINT = "; the file matched its pinned checksum, so check the data.* source and checksums in the config"


@contextmanager
def one_line_errors(*expected: type[BaseException], hint: str = ""):
    """Around a rule's work: an expected error becomes one ERROR line and exit status 1.

    Download, checksum and parse errors already say which file, what is wrong and what to do;
    a traceback (with the same message chained twice) would bury that line. Anything not in
    ``expected`` is a bug and keeps its traceback.
    """
    try:
        yield
    except expected as err:
        logging.getLogger("edgecompress").error("%s%s", err, hint)
        raise SystemExit(1) from None


class Progress:
    """Count work units (batches, bytes) and report rate and completion."""

    def __init__(
        self,
        total: int | None,
        desc: str,
        unit: str = "it",
        stream: IO[str] | None = None,
        every: float = 10.0,
        interval: float = 30.0,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.interval = interval
        self.count = 0
        self.start = time.perf_counter()
        self._last_time = self.start
        self._last_pct = 0.0
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def _fmt(self, n: float) -> str:
        if self.unit == "B":
            return f"{n / 1e6:,.1f} MB"
        return f"{n:,.0f} {self.unit}" if float(n).is_integer() else f"{n:,.1f} {self.unit}"

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        done = self._fmt(self.count)
        if self.total:
            pct = 100.0 * self.count / self.total
            if self.unit == "B":
                done = f"{done} of {self._fmt(self.total)} ({pct:5.1f} %)"
            else:
                done = f"{self.count:,}/{self.total:,} {self.unit} ({pct:5.1f} %)"
        return f"{self.desc}: {done}, {self._fmt(rate)}/s, {elapsed:.1f} s"

    def update(self, n: int = 1) -> None:
        self.count += n
        now = time.perf_counter()
        if self.live:
            if now - self._last_time >= 0.1:
                self._last_time = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
            return
        pct = 100.0 * self.count / self.total if self.total else 0.0
        if (self.total and pct - self._last_pct >= self.every) or now - self._last_time >= self.interval:
            self._last_pct = pct
            self._last_time = now
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Print the final line (always, so the log shows the totals)."""
        self.stream.write(("\r" if self.live else "") + self._line() + " done\n")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
