"""When a claim of the report counts as supported: the evidence gates.

A claim is printed only with its gates: the data are the official files (checksums equal the
published ones), the weights are torchvision's ImageNet file, the baseline is well above chance,
and a difference between two methods is supported over seeds by a test valid for that many seeds
(the exact paired sign-flip test, whose smallest attainable p is 2 / 2^n), with Holm's correction
across the family of comparisons it belongs to. A claim that fails a gate is "not supported by
this run", with the reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..stats import mean_std, paired_sign_flip_p

TEST = "exact paired sign-flip test over seeds"


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


def min_seeds(alpha: float, comparisons: int = 1) -> int:
    """Fewest paired seeds with which the sign-flip test can reach p < alpha / comparisons (Holm's strictest)."""
    return max(1, math.floor(math.log2(2 * comparisons / alpha)) + 1)


def holm(pvalues: Mapping, alpha: float) -> dict:
    """Holm's step-down: which hypotheses are rejected at family-wise level ``alpha``."""
    order = sorted(pvalues, key=lambda k: pvalues[k])
    rejected, m = {}, len(order)
    going = True
    for i, key in enumerate(order):
        going = going and pvalues[key] < alpha / (m - i)
        rejected[key] = going
    return rejected


@dataclass
class Comparison:
    """``a`` against ``b`` paired over the seeds both have (accuracies as fractions)."""

    key: str
    a: Mapping[int, float]
    b: Mapping[int, float]

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
        return paired_sign_flip_p(self.differences) if self.seeds else None


def judge(comparisons: Sequence[Comparison], alpha: float) -> dict[str, dict]:
    """Each comparison's verdict within its family: supported only if Holm rejects "no difference"."""
    testable = {c.key: c.p for c in comparisons if c.p is not None}
    rejected = holm(testable, alpha) if testable else {}
    out = {}
    for c in comparisons:
        n = len(c.seeds)
        need = min_seeds(alpha, len(comparisons))
        if n < need:
            why = (f"{n} seed allows no test" if n == 1 else
                   f"{n} seeds cannot reach p < {alpha / len(comparisons):.3g} ({TEST}: smallest p is 2/2^{n}); "
                   f"{need} are needed")
            out[c.key] = {"supported": False, "reason": why, "p": c.p, "seeds": n, "points": c.mean_points}
        elif rejected.get(c.key):
            out[c.key] = {"supported": True, "reason": f"p = {c.p:.3g} ({TEST}, Holm over {len(comparisons)})",
                          "p": c.p, "seeds": n, "points": c.mean_points}
        else:
            out[c.key] = {"supported": False, "reason": f"p = {c.p:.3g}: not below Holm's threshold ({TEST}, "
                          f"{len(comparisons)} comparisons, alpha {alpha:g})", "p": c.p, "seeds": n,
                          "points": c.mean_points}
    return out
