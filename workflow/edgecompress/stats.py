"""Small statistics for repeated seeds and timing rounds.

Paired differences over seeds get two tests that answer the same question in two ways: a
t-interval of the mean difference (its width says how sure; it assumes the mean is roughly
normal over seeds) and the exact paired sign-flip test (no normality, but with n seeds its smallest
p is 2 / 2^n). Holm's correction runs within a family of tests. Differences that take at most three
magnitudes (per-image outcomes: -1, 0 or +1, shifted by a margin) get the sign-flip test exactly for
any number of pairs, by summing binomials. Quantiles come from
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
# Beyond EXACT_PAIRS the test stays exact when the differences take at most this many magnitudes.
GROUPED_MAGNITUDES = 3


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def paired_sign_flip_p(differences: Sequence[float]) -> float:
    """Two-sided p-value that the mean paired difference is 0, by flipping the signs of the differences.

    Exact (all 2^n sign flips) up to ``EXACT_PAIRS`` pairs: with n seeds the smallest attainable p is
    2 / 2^n, so one seed can never show significance, which is the point when a single 3-epoch run
    claims a +2.3-point gain. Beyond, exact again when the differences take at most
    ``GROUPED_MAGNITUDES`` magnitudes (``_grouped_sign_flip_p``: per-image outcomes), else a seeded
    Monte-Carlo sample of ``SAMPLED_FLIPS`` sign patterns with the (k + 1) / (B + 1) estimate, which
    never reports 0.
    """
    d = np.asarray(differences, dtype=float)
    if len(d) == 0:
        raise ValueError("no paired differences")
    if len(d) > EXACT_PAIRS and len(np.unique(np.abs(d))) <= GROUPED_MAGNITUDES:
        return _grouped_sign_flip_p(d)
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


def _grouped_sign_flip_p(d: np.ndarray) -> float:
    """The exact sign-flip p when the differences take few magnitudes.

    Flipping signs at random makes the sum ``sum_g w_g (2 B_g - n_g)``, with ``B_g`` binomial
    (n_g, 1/2) for the n_g differences of magnitude w_g: the two smaller groups are enumerated, the
    largest summed by its binomial tails, so 10,000 pairs of per-image outcomes take milliseconds.
    """
    weights, counts = np.unique(np.abs(d), return_counts=True)
    groups = [(w, n) for w, n in zip(weights, counts) if w > 0]
    if not groups:
        return 1.0
    observed = abs(d.sum()) - 1e-9 * max(1.0, float(np.abs(d).sum()))  # the same tolerance as the mean's
    groups.sort(key=lambda g: g[1])
    big_w, big_n = groups[-1]
    partial, prob = np.zeros(1), np.ones(1)
    for w, n in groups[:-1]:
        k = np.arange(n + 1)
        partial = (partial[:, None] + w * (2 * k - n)[None, :]).ravel()
        prob = (prob[:, None] * st.binom.pmf(k, n, 0.5)[None, :]).ravel()
    # |partial + big_w (2 B - big_n)| >= observed: B at or above the upper cut, or at or below the lower
    upper = np.ceil((observed - partial + big_w * big_n) / (2 * big_w))
    lower = np.floor((-observed - partial + big_w * big_n) / (2 * big_w))
    tail = st.binom.sf(upper - 1, big_n, 0.5) + st.binom.cdf(lower, big_n, 0.5)
    tail = np.where(upper <= lower, 1.0, tail)  # the cuts cross: every outcome is at least as extreme
    return float(min(1.0, np.sum(prob * tail)))


def smallest_sign_flip_p(n: int, magnitudes: int | None = None) -> float:
    """The smallest p the sign-flip test can return with ``n`` pairs (1 with none or one).

    ``magnitudes``: how many magnitudes the differences take, where known (per-image outcomes: at
    most three); with few, the test stays exact beyond ``EXACT_PAIRS`` (2 / 2^n, 0 when it underflows).
    """
    if n <= 1:
        return 1.0
    exact = n <= EXACT_PAIRS or (magnitudes is not None and magnitudes <= GROUPED_MAGNITUDES)
    return 2.0 ** (1 - n) if exact else 1 / (SAMPLED_FLIPS + 1)


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


def paired_power(n: int, sd: float, effect: float, level: float) -> float:
    """Power of the two-sided paired t-test at ``level`` with ``n`` pairs to detect a true mean difference of
    ``effect`` when the paired differences spread with standard deviation ``sd`` (noncentral t).

    0 with fewer than two pairs (no test); 1 for a nonzero effect with no spread. What a run could see, said
    after it: not an invitation to add seeds at the same level (a run with more seeds is a new experiment).
    """
    if n < 2 or not math.isfinite(sd):
        return 0.0
    if sd == 0:
        return 1.0 if effect else level
    df = n - 1
    crit = st.t.ppf(1 - level / 2, df)
    nc = effect / (sd / math.sqrt(n))
    return float(st.nct.sf(crit, df, nc) + st.nct.cdf(-crit, df, nc))


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
    return {
        "ratio": center,
        "low": low,
        "high": high,
        "halfwidth": (high - low) / 2 / center if math.isfinite(high) else math.inf,
        "n": len(logs),
    }
