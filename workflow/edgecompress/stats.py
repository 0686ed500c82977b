"""Small statistics for repeated seeds: mean ± std and an exact paired sign-flip test."""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def paired_sign_flip_p(differences: Sequence[float]) -> float:
    """Two-sided exact p-value that the mean paired difference is 0 (all 2^n sign flips).

    With n seeds the smallest attainable p is 2 / 2^n: one seed can never show significance,
    which is the point when a single 3-epoch run claims a +2.3-point gain.
    """
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        raise ValueError("no paired differences")
    if len(d) > 20:
        raise ValueError("more than 20 pairs: use a sampled permutation test")
    observed = abs(d.mean())
    flips = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
    means = np.abs((flips * d).mean(axis=1))
    return float(np.mean(means >= observed - 1e-12))
