"""Rule-based recommendations: per device class, the most accurate deployed model that
meets the class's budgets (from the config), its runner-up, the margin and the binding constraint.

Inputs are rows of the deployment table (one per trained model and seed; float32 and int8 each
make a candidate) and the device classes of the config. Nothing here reads files or formats
text, so a reader can recompute every choice from the two tables the report prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..modelkey import CNN, PRECISIONS, config_of
from ..stats import mean_std


@dataclass
class Candidate:
    config: str  # the model key without its seed ("structured/amount0.5"), or "cnn"
    precision: str
    task: str
    accuracy_by_seed: dict = field(default_factory=dict)
    mib: float = 0.0
    latency_ms: float | None = None
    latency_suspect: bool = False  # some seed's latency is an operand of a speed-up the table flags
    arena_mib: float | None = None  # TFLM tensor arena (largest over seeds); None: not measured
    process_mib: float | None = None  # LiteRT process memory (largest over seeds); None: not measured
    tflm: str = "not measured"  # "runs", or why TFLM cannot run it
    npu: dict = field(default_factory=dict)  # accelerator -> Vela's estimate (worst over seeds; int8 only)
    # a model trained once (the CNN): its 0/1 outcome per test image, "0110...", whose mean is its accuracy
    correct_by_image: str = ""

    @property
    def label(self) -> str:
        return f"{self.config} {self.precision}"

    @property
    def accuracy(self) -> float:
        return mean_std(list(self.accuracy_by_seed.values()))[0]


def candidates(
    rows: Sequence[Mapping], vela: Sequence[Mapping] = (), per_image: Mapping[tuple[str, str], str] | None = None
) -> list[Candidate]:
    """One candidate per (model config, precision), accuracy per seed, size and latency averaged over seeds.

    A latency is the mean over seeds of measured medians; it is None when any seed has none (a budget
    cannot be checked against a partial measurement). ``vela`` (rows of ``vela.csv``) gives each int8
    candidate its NPU estimates per accelerator (``npu_estimates``). ``per_image``: (config, precision)
    -> 0/1 outcomes per test image of a model trained once (the CNN's variants); they must give the
    table's accuracy (one accuracy per model), else ValueError.
    """
    per_image = per_image or {}
    groups: dict[tuple, list] = {}
    for r in rows:
        config, seed = config_of(r["model"])
        for precision in PRECISIONS:
            if r.get(f"accuracy_{precision}") in (None, ""):
                continue
            groups.setdefault((config, precision), []).append((seed, r))
    out = []
    for (config, precision), members in groups.items():
        lat = [
            float(r[f"litert_{precision}_ms"]) for _, r in members if r.get(f"litert_{precision}_ms") not in (None, "")
        ]
        suspect = any(str(r.get(f"litert_{precision}_suspect", "")) == "True" for _, r in members)
        tflm = [str(r.get(f"tflm_{precision}") or "not measured") for _, r in members]
        out.append(
            Candidate(
                config,
                precision,
                "Fashion-MNIST" if config == CNN else "CIFAR-10",
                {seed: float(r[f"accuracy_{precision}"]) for seed, r in members},
                mean_std([float(r[f"mib_{precision}"]) for _, r in members])[0],
                mean_std(lat)[0] if len(lat) == len(members) else None,
                suspect,
                _largest_mib(members, f"arena_bytes_{precision}"),
                _largest_mib(members, f"process_rss_bytes_{precision}"),
                next((t for t in tflm if t != "runs"), "runs"),
                npu_estimates(vela, config) if precision == "int8" else {},
                per_image.get((config, precision), ""),
            )
        )
    for c in out:
        if c.correct_by_image and abs(c.correct_by_image.count("1") / len(c.correct_by_image) - c.accuracy) > 1e-6:
            raise ValueError(
                f"{c.label}: its per-image outcomes give accuracy "
                f"{c.correct_by_image.count('1') / len(c.correct_by_image):.4f}, the table {c.accuracy:.4f}"
            )
    return out


def npu_estimates(vela: Sequence[Mapping], config: str) -> dict:
    """accelerator -> Vela's estimate for ``config``'s int8 files: the worst over seeds (a budget must hold
    for each), or the status of a seed Vela did not compile."""
    out: dict[str, dict] = {}
    for r in vela:
        if config_of(r["model"])[0] != config:
            continue
        acc = out.setdefault(
            r["accelerator"],
            {
                "status": "compiled",
                "ms": 0.0,
                "sram_bytes": 0,
                "weights_bytes": 0,
                "clock_mhz": r.get("clock_mhz"),
                "version": r.get("vela_version"),
            },
        )
        if r["status"] != "compiled":
            acc["status"] = r["status"]
            continue
        acc["ms"] = max(acc["ms"], float(r["inference_ms"]))
        acc["sram_bytes"] = max(acc["sram_bytes"], int(r["sram_bytes"]))
        acc["weights_bytes"] = max(acc["weights_bytes"], int(r["weights_bytes"]))
    return out


def _largest_mib(members, column: str) -> float | None:
    """The largest value over seeds, in MiB (a budget must hold for every seed's model); None if any is missing."""
    values = [r.get(column) for _, r in members]
    if any(v in (None, "") for v in values):
        return None
    return max(float(v) for v in values) / 2**20


# what each class's RAM budget is checked against (the report prints it beside the budgets)
RAM_MEASURE = {
    "mcu": "TFLM tensor arena",
    "npu": "Vela's SRAM estimate",
    "cpu": "LiteRT process memory",
    "gpu": "LiteRT process memory (CPU)",
}


def violations(device: Mapping, c: Candidate) -> list[tuple[str, dict]]:
    """The budgets of ``device`` that ``c`` breaks, as ``(kind, values)`` (empty: it fits;
    ``format.violation_text`` says each in words).

    Flash holds the file. RAM holds, on a microcontroller, the TFLM tensor arena (the weights stay
    in flash) and the model must run on TFLM at all; on a CPU or GPU class, the process memory of
    LiteRT loading the file and running one inference. A missing measurement fails its budget.
    """
    found = []
    if c.precision not in device["precisions"]:
        found.append(("precision", {"precision": c.precision, "allowed": device["precisions"]}))
    if device["hardware"] == "npu":
        return found + npu_violations(device, c)
    if c.mib > device["flash_mib"]:
        found.append(("flash", {"mib": c.mib, "budget": device["flash_mib"]}))
    mcu = device["hardware"] == "mcu"
    if mcu and c.tflm != "runs":
        found.append(("runtime", {"tflm": c.tflm}))
    ram, what = (c.arena_mib, "TFLM arena") if mcu else (c.process_mib, "process memory")
    if ram is None:
        found.append(("RAM not measured", {"what": what}))
    elif ram > device["ram_mib"]:
        found.append(("RAM", {"what": what, "mib": ram, "budget": device["ram_mib"]}))
    budget = device.get("latency_ms")
    if device["hardware"] == "cpu" and budget is not None:
        if c.latency_ms is None:
            found.append(("latency not measured", {}))
        elif c.latency_ms > budget:
            found.append(("latency", {"ms": c.latency_ms, "budget": budget, "suspect": c.latency_suspect}))
    return found


def npu_violations(device: Mapping, c: Candidate) -> list[tuple[str, dict]]:
    """An NPU class's budgets against Vela's estimates for its accelerator (flash: the weights Vela stores)."""
    est = c.npu.get(device["npu"])
    if est is None:
        return [("NPU not compiled", {"npu": device["npu"]})] if c.precision == "int8" else []
    if est["status"] != "compiled":
        return [("NPU", {"status": est["status"]})]
    found = []
    if est["weights_bytes"] / 2**20 > device["flash_mib"]:
        found.append(("Vela flash", {"mib": est["weights_bytes"] / 2**20, "budget": device["flash_mib"]}))
    if est["sram_bytes"] / 2**20 > device["ram_mib"]:
        found.append(("Vela RAM", {"mib": est["sram_bytes"] / 2**20, "budget": device["ram_mib"]}))
    budget = device.get("latency_ms")
    if budget is not None and est["ms"] > budget:
        found.append(("Vela latency", {"ms": est["ms"], "budget": budget}))
    return found


# the budgets a latency breaks (a suspect latency there makes the binding constraint suspect)
LATENCY_VIOLATIONS = ("latency", "latency not measured", "Vela latency")


def fits(device: Mapping, cands: Sequence[Candidate]) -> list[Candidate]:
    """The candidates within every budget, most accurate first (then smaller; never by a latency, which is noisy)."""
    return sorted((c for c in cands if not violations(device, c)), key=lambda c: (-c.accuracy, c.mib, c.label))


# What breaks a tie on each class of hardware (a class without one: size, since nothing is measured there).
TIE_MEASURES = {
    "npu": "Vela's estimate",  # the accelerator's cycles at its clock: a compiler's estimate, not a noisy time
    "mcu": "arena",  # TFLM's tensor arena, then the flash the file takes
    "cpu": "speed",  # the x86 LiteRT median (extrapolated for an aarch64 class)
}


def _smallest(tied: Sequence[Candidate]) -> Candidate:
    return min(tied, key=lambda c: (c.mib, c.label))


def break_tie(tied: Sequence[Candidate], speed_noise: float, device: Mapping | None = None) -> tuple[Candidate, str]:
    """The tied model the class's own measure prefers, and what decided it (a value of ``TIE_MEASURES``
    or "size").

    - an NPU class: the lowest Vela estimate for its accelerator (any difference counts);
    - a microcontroller: the smallest TFLM arena, then the smallest file;
    - a CPU class (``device`` None: a CPU): the faster x86 LiteRT median when it is faster beyond
      ``speed_noise`` (a fraction) than every other: two latencies within the timing noise are not a
      difference, and a choice between them would flip from run to run;
    - else, or where the measure leaves them level: the smaller file.

    A model without the measure never wins by it: then size decides among all of them.
    """
    measure = TIE_MEASURES.get("cpu" if device is None else device.get("hardware", ""), "size")
    if measure == "Vela's estimate":
        ests = [c.npu.get(device.get("npu"), {}) for c in tied]
        if all(e.get("status") == "compiled" for e in ests):
            best = min(e["ms"] for e in ests)
            close = [c for c, e in zip(tied, ests) if e["ms"] <= best]
            if len(close) == 1:
                return close[0], measure
            tied = close
    elif measure == "arena" and all(c.arena_mib is not None for c in tied):
        return min(tied, key=lambda c: (c.arena_mib, c.mib, c.label)), measure
    elif measure == "speed" and all(c.latency_ms is not None for c in tied):
        fastest = min(tied, key=lambda c: c.latency_ms)
        close = [c for c in tied if c.latency_ms <= fastest.latency_ms * (1 + speed_noise)]
        if len(close) == 1:
            return fastest, measure
        tied = close
    return _smallest(tied), "size"


def behind(leader: Candidate, c: Candidate) -> float:
    """How many points ``c`` is below ``leader`` (mean accuracies), rounded to 1e-9: accuracies on a test
    set are multiples of one image, so a gap of exactly the tolerance is common and must not fall on
    either side of it by floating-point rounding."""
    return round(100 * (leader.accuracy - c.accuracy), 9)


def choose(device: Mapping, cands: Sequence[Candidate], tie_points: float = 0.0, speed_noise: float = 0.15) -> dict:
    """The candidate with the highest mean accuracy within the budgets, and why.

    A choice is made by expectation: the most accurate fitting model on average over seeds, whether
    or not the seeds can show its lead (the test decides how sure the report is, never which model
    it names). Every fitting model less than ``tie_points`` (the practical tolerance) below the
    leader ties with it, whatever the runner-up's gap, and the class's own measure breaks the tie
    (``break_tie``: Vela's estimate on an NPU, the arena on a microcontroller, the x86 time beyond
    ``speed_noise`` on a CPU, else size).
    """
    ok = fits(device, cands)
    best = max(cands, key=lambda c: c.accuracy) if cands else None
    leader = ok[0] if ok else None
    second = ok[1] if len(ok) > 1 else None
    lead = behind(leader, second) if second else None
    tie = second is not None and lead < tie_points
    tied: list[Candidate] = []
    chosen, decided_by = leader, "accuracy"
    if tie:
        tied = [c for c in ok if behind(leader, c) < tie_points]
        chosen, decided_by = break_tie(tied, speed_noise, device)
    runner = (leader if chosen is not leader else second) if second else None
    # the budgets the most accurate model breaks, when it is not the choice (read twice below)
    best_broken = violations(device, best) if chosen is not None and best is not chosen else []
    # what keeps the most accurate model from being the choice, as values (format.binding_text says it)
    if chosen is None:
        binding = (
            {"kind": "nothing fits", "broken": violations(device, min(cands, key=lambda c: c.mib))}
            if cands
            else {"kind": "no candidate"}
        )
    elif best is chosen or best.accuracy <= chosen.accuracy:
        binding = {"kind": "fits"}
    elif best is leader:
        binding = {"kind": "ties", "model": best.label, "decided_by": decided_by}
    else:
        binding = {"kind": "breaks", "model": best.label, "broken": best_broken}
    return {
        "device": device,
        "chosen": chosen,
        "fitting": ok,
        "runner_up": runner,
        "leader": leader,
        "second": second,
        "lead_points": lead,
        "tie": tie,
        "tied": tied,
        "decided_by": decided_by,
        "margin_points": 100 * (chosen.accuracy - runner.accuracy) if chosen and runner else None,
        "binding": binding,
        "binding_suspect": bool(
            best_broken and best.latency_suspect and any(kind in LATENCY_VIOLATIONS for kind, _ in best_broken)
        ),
    }
