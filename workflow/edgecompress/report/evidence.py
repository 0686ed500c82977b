"""When a claim of the report counts as supported: the evidence gates and the tests over seeds.

A claim is printed only with its gates: the data are the official files (checksums equal the
published ones), the weights are torchvision's ImageNet file, the baseline is well above chance,
and a difference between two methods is decided over seeds by a test valid for that many seeds
(the exact paired sign-flip test, whose smallest attainable p is 2 / 2^n), with Holm's correction
across the family of tests it belongs to. Every claim states its direction ("KD beats the student
alone", "pruning costs at most 1 point"): a significant difference that way is "supported", one
the other way "refuted", anything else, and any claim whose task fails a gate, "not supported by
this run", with every reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..stats import mean_std, paired_sign_flip_p

TEST = "exact paired sign-flip test over seeds"
SUPPORTED, REFUTED, UNDECIDED = "supported", "refuted", "not supported by this run"


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    reason: str  # what was found, shown beside the claim either way


def data_gate(dataset: str, official: bool, description: str = "") -> Gate:
    if official:
        return Gate("data official", True, f"{dataset}: the published checksums")
    where = f" ({description})" if description else ""
    return Gate("data official", False, f"{dataset} is not the official data{where}")


def weights_gate(official: bool, pretrained_asked: bool) -> Gate:
    if official:
        return Gate("weights pretrained", True, "torchvision's ImageNet files (checksums)")
    if pretrained_asked:
        return Gate("weights pretrained", False, "the weight files are not torchvision's ImageNet files (checksums differ)")
    return Gate("weights pretrained", False, "no pretrained weights (random initialisation)")


def chance_gate(what: str, accuracy: float, chance: float, min_points: float) -> Gate:
    margin = 100 * (accuracy - chance)
    ok = margin >= min_points
    return Gate("baseline above chance", ok, f"{what} is {margin:+.1f} points from chance ({100 * chance:.0f} %)"
                + ("" if ok else f", less than the {min_points:g} points required"))


def failed(gates: Sequence[Gate]) -> list[str]:
    """Every failed gate, named, with what was found."""
    return [f"{g.name}: {g.reason}" for g in gates if not g.passed]


def min_seeds(alpha: float, comparisons: int = 1) -> int:
    """Fewest paired seeds with which the sign-flip test can reach p < alpha / comparisons (Holm's strictest)."""
    return max(1, math.floor(math.log2(2 * comparisons / alpha)) + 1)


def holm(pvalues: Mapping, alpha: float, m: int | None = None) -> dict:
    """Holm's step-down: which hypotheses are rejected at family-wise level ``alpha``.

    ``m`` is the size of the family (default: the number of p-values); a member that could not be
    tested still counts, so the correction is the same whatever the seeds allowed.
    """
    order = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(order) if m is None else m
    rejected, going = {}, True
    for i, key in enumerate(order):
        going = going and pvalues[key] < alpha / (m - i)
        rejected[key] = going
    return rejected


@dataclass
class Comparison:
    """``a`` against ``b`` paired over the seeds both have (accuracies as fractions).

    The claim is ``mean(a - b) > -margin_points`` (margin 0: "a beats b"; margin 1: "a costs at most
    1 point"); the test is the sign-flip test of the differences shifted by the margin.
    """

    key: str
    a: Mapping[int, float]
    b: Mapping[int, float]
    margin_points: float = 0.0

    @property
    def seeds(self) -> list:
        return sorted(set(self.a) & set(self.b), key=str)

    @property
    def differences(self) -> list[float]:
        return [100 * (self.a[s] - self.b[s]) for s in self.seeds]

    @property
    def mean_points(self) -> float:
        return mean_std(self.differences)[0] if self.seeds else float("nan")

    @property
    def p(self) -> float | None:
        return paired_sign_flip_p([d + self.margin_points for d in self.differences]) if self.seeds else None

    @property
    def direction(self) -> int:
        """+1 when the shifted mean is on the claim's side, -1 when against it, 0 when exactly on the bound."""
        shifted = self.mean_points + self.margin_points if self.seeds else 0.0
        return (shifted > 0) - (shifted < 0)


def judge(comparisons: Sequence[Comparison], alpha: float, family: str = "",
          gates: Sequence[Gate] = ()) -> dict[str, dict]:
    """Each claim's verdict within its family of ``len(comparisons)`` tests (Holm).

    Supported: the gates pass and Holm rejects "no difference" with the mean on the claim's side;
    refuted: the same evidence with the mean on the other side; otherwise not supported by this
    run, naming every failed gate and what the test found.
    """
    m = len(comparisons)
    testable = {c.key: c.p for c in comparisons if c.p is not None}
    rejected = holm(testable, alpha, m) if testable else {}
    gate_reasons = failed(gates)
    where = f"{family}, Holm over {m} test{'s' if m != 1 else ''}" if family else f"Holm over {m}"
    out = {}
    for c in comparisons:
        n = len(c.seeds)
        need = min_seeds(alpha, m)
        if n < need:
            test = (f"{n} seed allows no test" if n == 1 else "no paired seeds" if n == 0 else
                    f"{n} seeds cannot reach p < {alpha / m:.3g} ({TEST}: smallest p is 2/2^{n}; {where}); "
                    f"{need} are needed")
            significant = False
        elif rejected.get(c.key):
            test, significant = f"p = {c.p:.3g} ({TEST}; {where})", True
        else:
            test = f"p = {c.p:.3g}: not below Holm's threshold ({TEST}; {where}, alpha {alpha:g})"
            significant = False
        if gate_reasons:
            verdict = UNDECIDED
        elif significant and c.direction > 0:
            verdict = SUPPORTED
        elif significant and c.direction < 0:
            verdict = REFUTED
        else:
            verdict = UNDECIDED
        reasons = gate_reasons + [test]
        out[c.key] = {"verdict": verdict, "supported": verdict == SUPPORTED, "significant": significant,
                      "reason": "; ".join(reasons), "test": test, "p": c.p, "seeds": n, "points": c.mean_points,
                      "family": family, "tests_in_family": m}
    return out
