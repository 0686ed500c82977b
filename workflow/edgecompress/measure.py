"""Measurement shared by every experiment: latency statistics and file sizes.

One implementation, so that numbers of different branches are comparable.
"""

from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np

MIB = 1024 * 1024


def samples_ms(
    run: Callable[[], object], warmup: int, runs: int, prepare: Callable[[], object] | None = None
) -> np.ndarray:
    """Milliseconds of each of ``runs`` timed calls of ``run`` after ``warmup`` untimed ones.

    ``prepare`` (e.g. copying the input into place) runs before each call, outside the timer.
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got runs={runs}, warmup={warmup}")
    for _ in range(warmup):
        if prepare:
            prepare()
        run()
    samples = np.empty(runs, dtype=np.float64)
    for i in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter_ns()
        run()
        samples[i] = (time.perf_counter_ns() - start) / 1e6
    return samples


def summary_ms(samples: np.ndarray) -> dict:
    """Median, p90, mean and min of latency samples (ms)."""
    return {
        "median_ms": float(np.median(samples)),
        "p90_ms": float(np.percentile(samples, 90)),
        "mean_ms": float(np.mean(samples)),
        "min_ms": float(np.min(samples)),
    }


def file_size(path: str | os.PathLike) -> dict:
    size = os.path.getsize(path)
    return {"bytes": size, "mib": size / MIB}
