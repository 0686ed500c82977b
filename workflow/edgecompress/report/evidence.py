"""When a claim of the report counts as supported: the evidence gates and the tests over seeds.

A claim is printed only with its gates: the data are the official files (checksums equal the
published ones), every trained model started from torchvision's ImageNet file, the baseline is well
above chance. A difference between two methods is then read from its interval over seeds: the
t-interval of the mean paired difference at Holm's level for its rank in its family (the family-wise
error rate ``evidence.alpha`` over the tests the report prints together). Every claim states its
direction and margin ("KD beats the student alone", "pruning costs at most 1 point"): the interval
clearing the margin on the claim's side is "supported", on the other side "refuted", lying inside
the practical tolerance (where one is given) "equivalent", anything else "open", with the seeds it
would need. The t-interval assumes a roughly normal mean over a few seeds (the interval estimates of
rliable, Agarwal et al. 2021; Bouthillier et al. 2021 on seed variance); the exact paired sign-flip
test, which assumes nothing of the kind, is kept beside it as the check: where the two disagree the
report says so and the weaker verdict (open) stands. With n seeds the sign-flip test's smallest p is
2 / 2^n, so a family can be undecidable by design: each test prints what its seeds can reach beside
the threshold it must meet. A claim whose task fails a gate is "not supported by this run", with
every reason, whatever the numbers say.

Everything here returns values (a verdict, the numbers, what each test found); the words the report
prints for them are :mod:`edgecompress.report.format`'s (``test_text``, ``gate_reason``, ``verdict_text``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..stats import (
    holm_adjusted,
    mean_std,
    paired_power,
    paired_sign_flip_p,
    smallest_sign_flip_p,
    t_interval,
    t_test_p,
)

SUPPORTED, REFUTED, EQUIVALENT, OPEN = "supported", "refuted", "equivalent", "open"
UNDECIDED = "not supported by this run"  # a gate failed: the data or weights cannot carry the claim
ONLY_MODEL = "the only model within the budgets"  # a device choice with no rival: no accuracy verdict
DECIDED = (SUPPORTED, REFUTED, EQUIVALENT)


# What keeps a device choice from being supported besides a failed gate (format.CONCERN_WORDS says each)
TIE_SUSPECT, TIE_UNMEASURED, ARM_DISAGREES, BUDGET_SUSPECT = (
    "tie broken by a suspect latency",
    "tie broken without a measured latency",
    "files disagree on aarch64",
    "latency budget checked against a suspect latency",
)
CONCERNS = (TIE_SUSPECT, TIE_UNMEASURED, ARM_DISAGREES, BUDGET_SUSPECT)

# The gates, by name
DATA, WEIGHTS, CHANCE = "data official", "weights pretrained", "baseline above chance"


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    found: Mapping  # what was found, as values (``format.gate_reason`` prints it beside the claim either way)


def data_gate(dataset: str, official: bool, description: str = "") -> Gate:
    return Gate(DATA, official, {"dataset": dataset, "official": official, "description": description})


def weights_gate(pretrained: Mapping[str, bool], pretrained_asked: bool) -> Gate:
    """Every trained model (``name -> whether its starting weights were torchvision's ImageNet file``)
    must have started from them; with nothing to check the gate fails (it cannot pass on no evidence)."""
    not_ok = sorted(name for name, ok in pretrained.items() if not ok)
    return Gate(
        WEIGHTS,
        bool(pretrained) and not not_ok,
        {"trained": len(pretrained), "not_pretrained": not_ok, "asked": pretrained_asked},
    )


def chance_gate(what: str, accuracy: float, chance: float, min_points: float) -> Gate:
    margin = 100 * (accuracy - chance)
    found = {"what": what, "margin_points": margin, "chance": chance, "min_points": min_points}
    return Gate(CHANCE, margin >= min_points, found)


def min_seeds(alpha: float, comparisons: int = 1) -> int:
    """Fewest paired seeds with which the sign-flip test can reach p < alpha / comparisons (Holm's strictest)."""
    return max(2, math.floor(math.log2(2 * comparisons / alpha)) + 1)


def holm_levels(pvalues: Mapping, alpha: float, m: int | None = None) -> dict:
    """The level each hypothesis is tested at by Holm's step-down: alpha / (m - i) for the i-th smallest p,
    frozen at the first one not rejected (none after it is rejected either).

    An interval at confidence 1 - level excludes the hypothesis' value exactly when Holm rejects it,
    so the interval a claim prints and the verdict it reads always agree.
    """
    order = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(order) if m is None else m
    levels, stop = {}, None
    for i, key in enumerate(order):
        level = alpha / (m - (i if stop is None else stop))
        levels[key] = level
        if stop is None and not pvalues[key] < level:
            stop = i
    return levels


# What a comparison pairs, where the number of magnitudes its shifted differences take is known by design:
# 0/1 outcomes per test image, shifted by a margin, take three (the sign-flip test stays exact for any number).
IMAGE = "test image"
MAGNITUDES = {IMAGE: 3}


@dataclass
class Comparison:
    """``a`` against ``b`` paired over the seeds both have (accuracies as fractions).

    The claim is ``mean(a - b) > -margin_points`` (margin 0: "a beats b"; margin 1: "a costs at most
    1 point"); both tests run on the differences shifted by the margin. ``unit`` names what is paired:
    "seed" (accuracies of repeated trainings) or "test image" (0/1 outcomes of two files of one
    trained model on the same images, where the sign-flip test is the exact McNemar test).
    """

    key: str
    a: Mapping[int, float]
    b: Mapping[int, float]
    margin_points: float = 0.0
    unit: str = "seed"

    def units(self, n: int) -> str:
        return f"{n} {self.unit}{'s' if n != 1 else ''}"

    @property
    def magnitudes(self) -> int | None:
        """How many magnitudes the shifted differences take where that is known by design."""
        return MAGNITUDES.get(self.unit)

    @property
    def seeds(self) -> list:
        return sorted(set(self.a) & set(self.b), key=str)

    @property
    def differences(self) -> list[float]:
        return [100 * (self.a[s] - self.b[s]) for s in self.seeds]

    @property
    def shifted(self) -> list[float]:
        return [d + self.margin_points for d in self.differences]

    @property
    def informative(self) -> int:
        """The pairs that can move the sign-flip test: a zero shifted difference flips to itself, so it (like a
        missing seed) lowers what the test can reach. Per-image outcomes: the images on which the two
        files disagree (those on which they agree carry no information about which is better)."""
        values = self.differences if self.unit == IMAGE else self.shifted
        return sum(abs(x) > 1e-12 for x in values)

    @property
    def mean_points(self) -> float:
        return mean_std(self.differences)[0] if self.seeds else float("nan")

    @property
    def spread_points(self) -> float:
        return mean_std(self.differences)[1] if self.seeds else float("nan")

    @property
    def p(self) -> float | None:
        """The sign-flip test's p (the check)."""
        return paired_sign_flip_p(self.shifted) if self.seeds else None

    @property
    def p_t(self) -> float | None:
        """The t-test's p, whose Holm levels set the intervals (None with fewer than two seeds)."""
        return t_test_p(self.shifted) if len(self.seeds) > 1 else None

    def interval(self, confidence: float) -> tuple[float, float]:
        return t_interval(self.differences, confidence)

    @property
    def direction(self) -> int:
        """+1 when the shifted mean is on the claim's side, -1 when against it, 0 when exactly on the bound."""
        shifted = self.mean_points + self.margin_points if self.seeds else 0.0
        return (shifted > 0) - (shifted < 0)


def _interval_verdict(lo: float, hi: float, bound: float, tolerance: float | None) -> str:
    if lo > bound:
        return SUPPORTED
    if hi < bound:
        return REFUTED
    if tolerance is not None and -tolerance < lo and hi < tolerance:
        return EQUIVALENT
    return OPEN


def _check_agrees(
    c: Comparison, by_interval: str, sign_flip_significant: bool, level: float, tolerance: float | None
) -> bool:
    """Whether the sign-flip test reaches the interval's verdict (an open interval needs nothing)."""
    if by_interval == SUPPORTED:
        return sign_flip_significant and c.direction > 0
    if by_interval == REFUTED:
        return sign_flip_significant and c.direction < 0
    if by_interval == EQUIVALENT:  # both one-sided bounds of the tolerance, each at the claim's level
        d = c.differences
        return (
            paired_sign_flip_p([x + tolerance for x in d]) < level
            and c.mean_points > -tolerance
            and paired_sign_flip_p([x - tolerance for x in d]) < level
            and c.mean_points < tolerance
        )
    return True


# The differences (points) the report gives a run's power to detect, at the paired spread it measured.
POWER_EFFECTS = (1.0, 2.0)


def run_power(n: int, spread_points: float, level: float, reachable: bool) -> dict[float, float]:
    """The power this run had (``stats.paired_power``) to detect each of ``POWER_EFFECTS`` points at the paired
    spread it measured and its claim's level; 0 where the sign-flip check cannot reach the threshold."""
    return {e: (paired_power(n, spread_points, e, level) if reachable else 0.0) for e in POWER_EFFECTS}


def judge(
    comparisons: Sequence[Comparison],
    alpha: float,
    family: str = "",
    gates: Sequence[Gate] = (),
    tolerance: float | None = None,
) -> dict[str, dict]:
    """Each claim's verdict within its family of ``len(comparisons)`` tests.

    The interval of each mean difference is a t-interval at Holm's level for its rank
    (``holm_levels``); its verdict (``_interval_verdict``; "equivalent" only with a ``tolerance``)
    stands when the sign-flip test, Holm-corrected in the same family, reaches it too, else the
    claim is open (``check_agrees`` False, ``interval_verdict`` what the interval said). Failed gates
    make every claim "not supported by this run" (``by_tests``: the verdict the tests alone reached).
    Each result also says what the seeds can reach: the sign-flip test's smallest p beside Holm's
    strictest threshold, the power the run had to detect 1 and 2 points at the paired spread it measured
    (``power``), and ``seeds_for_check``: the fewest with which the sign-flip test can reach the
    threshold at all (a property of the design).
    """
    m = len(comparisons)
    t_ps = {c.key: c.p_t for c in comparisons if len(c.seeds) > 1}
    levels = holm_levels(t_ps, alpha, m) if t_ps else {}
    # each test once: the sign-flip test enumerates 2^n sign patterns, and Comparison's properties recompute
    sf_ps = {c.key: c.p for c in comparisons if c.seeds}
    sf_adjusted = holm_adjusted(sf_ps, m) if sf_ps else {}
    gates_failed = [g for g in gates if not g.passed]
    threshold = alpha / max(m, 1)
    out = {}
    for c in comparisons:
        n = len(c.seeds)
        level = levels.get(c.key, threshold)
        informative = c.informative
        smallest = smallest_sign_flip_p(informative, c.magnitudes)
        lo, hi = c.interval(1 - level)
        bound = -c.margin_points
        significant = sf_adjusted.get(c.key, 1.0) < alpha
        if n < 2:
            by_interval, check_ok = OPEN, True
        else:
            by_interval = _interval_verdict(lo, hi, bound, tolerance)
            check_ok = _check_agrees(c, by_interval, significant, level, tolerance)
        by_tests = by_interval if check_ok else OPEN
        power = run_power(n, c.spread_points, level, smallest < threshold)
        verdict = UNDECIDED if gates_failed else by_tests
        out[c.key] = {
            "key": c.key,
            "verdict": verdict,
            "by_tests": by_tests,
            "supported": verdict == SUPPORTED,
            "significant": verdict in DECIDED,
            "interval_verdict": by_interval,
            "check_agrees": check_ok,
            # the sign-flip test alone would call it significant where the interval does not
            "sign_flip_alone": n > 1 and check_ok and by_interval == OPEN and significant and c.direction != 0,
            "gates_failed": gates_failed,
            "p": sf_ps.get(c.key),
            "p_holm": sf_adjusted.get(c.key),
            "p_t": c.p_t,
            "level": level,
            "interval": (lo, hi),
            "seeds": n,
            "informative": informative,
            "unit": c.unit,
            "points": c.mean_points,
            "spread_points": c.spread_points,
            "family": family,
            "tests_in_family": m,
            "smallest_p": smallest,
            "threshold": threshold,
            "reachable": smallest < threshold,
            "power": power,
            "seeds_for_check": min_seeds(alpha, m),
        }
    return out


def intersection_union(
    claims: Mapping[str, Sequence[Comparison]], alpha: float, family: str = "", gates: Sequence[Gate] = ()
) -> dict[str, dict]:
    """Claims that each need every one of their comparisons to hold ("better than every rival", "at most
    1 point below for every pair"), Holm over the claims of the family; per claim, a test as
    :func:`judge` reports one (a claim without comparisons is left out).

    An intersection-union test: a claim's p is the largest of its comparisons' (t-test and sign-flip
    each), and Holm's step-down over those p's gives each claim its level (``level``; no correction over
    a claim's own comparisons, since all must hold). A claim is supported when every comparison's
    interval at that level clears its margin and the sign-flip check, Holm-adjusted over the claims,
    agrees; refuted when some comparison's interval clears the other way (Holm over the claim's
    comparisons at its level: any one breaks it); else open. The test returned is the comparison that
    decides (the refuting one, else the weakest), with ``compared``: the claim's number of comparisons.
    """
    claims = {name: list(comps) for name, comps in claims.items() if comps}
    m = len(claims)
    if not m:
        return {}
    worst = lambda ps: max(1.0 if p is None else p for p in ps)  # noqa: E731
    levels = holm_levels({n: worst(c.p_t for c in cs) for n, cs in claims.items()}, alpha, m)
    sf_adjusted = holm_adjusted({n: worst(c.p for c in cs) for n, cs in claims.items()}, m)
    failed = [g for g in gates if not g.passed]
    out = {}
    for name, comps in claims.items():
        level = levels[name]
        alone = [judge([c], level, family, gates)[c.key] for c in comps]
        holm = judge(comps, level, family, gates)
        refuting = [holm[c.key] for c in comps if holm[c.key]["by_tests"] == REFUTED]
        significant = sf_adjusted[name] < alpha
        if refuting:
            test, by_interval, check_ok = refuting[0], REFUTED, True
        else:
            test = max(alone, key=lambda v: (v["interval_verdict"] != SUPPORTED, v["p_t"] or 1.0, v["p"] or 1.0))
            by_interval = SUPPORTED if all(v["interval_verdict"] == SUPPORTED for v in alone) else OPEN
            if by_interval == OPEN and test["interval_verdict"] == EQUIVALENT:
                by_interval = EQUIVALENT
            check_ok = by_interval != SUPPORTED or significant
        by_tests = by_interval if check_ok else OPEN
        out[name] = {
            **test,
            "power": run_power(test["seeds"], test["spread_points"], level, test["smallest_p"] < alpha / m),
            "by_tests": by_tests,
            "verdict": UNDECIDED if failed else by_tests,
            "supported": not failed and by_tests == SUPPORTED,
            "significant": not failed and by_tests in DECIDED,
            "interval_verdict": by_interval,
            "check_agrees": check_ok,
            "sign_flip_alone": test["seeds"] > 1 and check_ok and by_interval == OPEN and significant,
            "p_holm": sf_adjusted[name],
            "level": level,
            "family": family,
            "tests_in_family": m,
            "threshold": alpha / m,
            "reachable": test["smallest_p"] < alpha / m,
            "seeds_for_check": min_seeds(alpha, m),
            "compared": len(comps),
        }
    return out
