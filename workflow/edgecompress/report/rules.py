"""The rules behind the recommendations: per device class, the most accurate deployed model that
meets the class's budgets (from the config), its runner-up, the margin and the binding constraint.

Inputs are rows of the deployment table (one per trained model and seed; float32 and int8 each
make a candidate) and the device classes of the config. Nothing here reads files or formats
text, so a reader can recompute every choice from the two tables the report prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..stats import mean_std

PRECISIONS = ("float32", "int8")


@dataclass
class Candidate:
    config: str  # the model key without its seed ("structured/amount0.5"), or "cnn"
    precision: str
    task: str
    accuracy_by_seed: dict = field(default_factory=dict)
    mib: float = 0.0
    latency_ms: float | None = None

    @property
    def label(self) -> str:
        return f"{self.config} {self.precision}"

    @property
    def accuracy(self) -> float:
        return mean_std(list(self.accuracy_by_seed.values()))[0]


def config_of(model: str) -> tuple[str, int | None]:
    """``structured/amount0.5/seed42`` -> (``structured/amount0.5``, 42); ``cnn`` -> (``cnn``, None)."""
    head, _, last = model.rpartition("/")
    return (head, int(last[4:])) if last.startswith("seed") else (model, None)


def candidates(rows: Sequence[Mapping]) -> list[Candidate]:
    """One candidate per (model config, precision), accuracy per seed, size and latency averaged over seeds."""
    groups: dict[tuple, list] = {}
    for r in rows:
        config, seed = config_of(r["model"])
        for precision in PRECISIONS:
            if r.get(f"accuracy_{precision}") in (None, ""):
                continue
            groups.setdefault((config, precision), []).append((seed, r))
    out = []
    for (config, precision), members in groups.items():
        lat = [float(r[f"litert_{precision}_ms"]) for _, r in members if r.get(f"litert_{precision}_ms") not in (None, "")]
        out.append(Candidate(config, precision, "Fashion-MNIST" if config == "cnn" else "CIFAR-10",
                             {seed: float(r[f"accuracy_{precision}"]) for seed, r in members},
                             mean_std([float(r[f"mib_{precision}"]) for _, r in members])[0],
                             mean_std(lat)[0] if lat else None))
    return out


def violations(device: Mapping, c: Candidate) -> list[str]:
    """The budgets of ``device`` that ``c`` breaks (empty: it fits)."""
    found = []
    if c.precision not in device["precisions"]:
        found.append(f"precision: {c.precision} not in {'/'.join(device['precisions'])}")
    if c.mib > device["flash_mib"]:
        found.append(f"flash: {c.mib:.2f} MiB > {device['flash_mib']:g} MiB")
    if c.mib > device["ram_mib"]:
        found.append(f"RAM: {c.mib:.2f} MiB > {device['ram_mib']:g} MiB")
    budget = device.get("latency_ms")
    if device["hardware"] == "cpu" and budget is not None and c.latency_ms is not None and c.latency_ms > budget:
        found.append(f"latency: {c.latency_ms:.3f} ms > {budget:g} ms")
    return found


def choose(device: Mapping, cands: Sequence[Candidate]) -> dict:
    """The most accurate candidate within the budgets (ties: faster, then smaller), and why."""
    fits = sorted((c for c in cands if not violations(device, c)),
                  key=lambda c: (-c.accuracy, c.latency_ms if c.latency_ms is not None else float("inf"), c.mib))
    best = max(cands, key=lambda c: c.accuracy) if cands else None
    chosen = fits[0] if fits else None
    runner = fits[1] if len(fits) > 1 else None
    if chosen is None:
        binding = "nothing fits: " + "; ".join(violations(device, min(cands, key=lambda c: c.mib))) if cands else \
            "no candidate"
    elif best is chosen or best.accuracy <= chosen.accuracy:
        binding = "none: the most accurate model fits"
    else:
        binding = f"{best.label} is more accurate but breaks " + "; ".join(violations(device, best))
    return {"device": device, "chosen": chosen, "runner_up": runner,
            "margin_points": 100 * (chosen.accuracy - runner.accuracy) if chosen and runner else None,
            "binding": binding}
