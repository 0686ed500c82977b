"""Small statistics for repeated seeds and timing rounds.

Paired differences over seeds get two tests that answer the same question in two ways: a
t-interval of the mean difference (its width says how sure; it assumes the mean is roughly
normal over seeds) and the exact paired sign-flip test (no normality, but with n seeds its smallest
p is 2 / 2^n). Holm's correction runs within a family of tests. Quantiles come from
``scipy.stats``, for any number of degrees of freedom.
"""

from __future__ import annotations

import itertools
import math
from typing import Mapping, Sequence

import numpy as np
from scipy import stats as st

# The exact sign-flip test enumerates 2^n sign patterns up to this many pairs; beyond, it samples.
EXACT_PAIRS = 20
SAMPLED_FLIPS = 200_000
FLIP_SEED = 0  # the sampled test is seeded: the same differences give the same p


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def paired_sign_flip_p(differences: Sequence[float]) -> float:
    """Two-sided p-value that the mean paired difference is 0, by flipping the signs of the differences.

    Exact (all 2^n sign flips) up to ``EXACT_PAIRS`` pairs: with n seeds the smallest attainable p is
    2 / 2^n, so one seed can never show significance, which is the point when a single 3-epoch run
    claims a +2.3-point gain. Beyond, a seeded Monte-Carlo sample of ``SAMPLED_FLIPS`` sign patterns
    with the (k + 1) / (B + 1) estimate, which never reports 0.
    """
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        raise ValueError("no paired differences")
    observed = abs(d.mean())
    if len(d) <= EXACT_PAIRS:
        flips = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
        return float(np.mean(np.abs((flips * d).mean(axis=1)) >= observed - 1e-12))
    rng = np.random.default_rng(FLIP_SEED)
    hits = 0
    for start in range(0, SAMPLED_FLIPS, 10_000):
        flips = rng.choice((1.0, -1.0), size=(min(10_000, SAMPLED_FLIPS - start), len(d)))
        hits += int(np.sum(np.abs((flips * d).mean(axis=1)) >= observed - 1e-12))
    return (hits + 1) / (SAMPLED_FLIPS + 1)


def smallest_sign_flip_p(n: int) -> float:
    """The smallest p the sign-flip test can return with ``n`` pairs (1 with none or one)."""
    if n <= 1:
        return 1.0
    return 2 / 2**n if n <= EXACT_PAIRS else 1 / (SAMPLED_FLIPS + 1)


def t_quantile(q: float, df: int) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(st.t.ppf(q, df))


def t_interval(differences: Sequence[float], confidence: float) -> tuple[float, float]:
    """Two-sided t-interval of the mean at ``confidence``; unbounded with fewer than two values."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return -math.inf, math.inf
    mean, sd = mean_std(d)
    half = t_quantile(1 - (1 - confidence) / 2, len(d) - 1) * sd / math.sqrt(len(d))
    return mean - half, mean + half


def t_test_p(differences: Sequence[float]) -> float:
    """Two-sided one-sample t-test p that the mean is 0 (1 with fewer than two values; 0 or 1 with no spread)."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return 1.0
    mean, sd = mean_std(d)
    if sd == 0:
        return 0.0 if mean != 0 else 1.0
    return float(2 * st.t.sf(abs(mean) / (sd / math.sqrt(len(d))), len(d) - 1))


def seeds_for_interval(mean: float, sd: float, bound: float, confidence: float, most: int = 1000) -> int | None:
    """Fewest seeds whose t-interval at ``confidence`` would exclude ``bound`` if the mean and spread stayed
    as measured; None when even ``most`` would not (a mean on the bound needs infinitely many)."""
    gap = abs(mean - bound)
    if gap == 0:
        return None
    if sd == 0:
        return 2
    for n in range(2, most + 1):
        if t_quantile(1 - (1 - confidence) / 2, n - 1) * sd / math.sqrt(n) < gap:
            return n
    return None


def holm_adjusted(pvalues: Mapping, m: int | None = None) -> dict:
    """Holm's adjusted p-values: reject a hypothesis at family-wise level alpha when its adjusted p < alpha.

    ``m`` is the size of the family (default: the number of p-values): a member that could not be
    tested still counts.
    """
    order = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(order) if m is None else m
    out, running = {}, 0.0
    for i, key in enumerate(order):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out


def geometric_ratio(reference: Sequence[float], other: Sequence[float], confidence: float = 0.95) -> dict:
    """Paired ratios ``reference / other`` (per round): their geometric mean and its t-interval on the log scale.

    A ratio of times is judged on the log scale, where a speed-up of 2 and a slow-down of 2 are equally
    far from 1; the interval is of the same statistic the point estimate is.
    """
    logs = np.log(np.asarray(reference, dtype=float) / np.asarray(other, dtype=float))
    center = float(np.exp(logs.mean()))
    lo, hi = t_interval(logs, confidence)
    low, high = math.exp(lo) if math.isfinite(lo) else 0.0, math.exp(hi) if math.isfinite(hi) else math.inf
    return {"ratio": center, "low": low, "high": high,
            "halfwidth": (high - low) / 2 / center if math.isfinite(high) else math.inf, "n": len(logs)}
