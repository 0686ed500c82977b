"""How the report prints a value: numbers, budgets, the mark of a measured value, and the words of the
tests over seeds and of the gates.

Every module of the report formats through these (the context, the verdicts, the conclusions, the
recommendations); :mod:`edgecompress.report.render` turns the marks into Typst. The tests and gates of
:mod:`edgecompress.report.evidence` return values only; what the report says of them is written here.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from .evidence import (
    ARM_DISAGREES,
    BUDGET_SUSPECT,
    CHANCE,
    DATA,
    OPEN,
    TIE_SUSPECT,
    TIE_UNMEASURED,
    UNDECIDED,
    WEIGHTS,
)


def num(value, digits: int = 4) -> str:
    """A number with ``digits`` decimals; "–" for a missing one."""
    if value in (None, ""):
        return "–"
    return f"{float(value):.{digits}f}"


def signed(value, digits: int = 2) -> str:
    if value in (None, ""):
        return "–"
    return f"{float(value):+.{digits}f}"


def count(value) -> str:
    return "–" if value in (None, "") else f"{int(float(value)):,}"


def spread(std, seeds, digits: int = 2) -> str:
    """± std over seeds, or "–" for one seed (one run has no spread to show)."""
    return "–" if int(seeds) < 2 else num(std, digits)


def budget_fields(device: Mapping) -> dict[str, str]:
    """A device class's budgets as printed, field by field (the budget table of the report)."""
    return {
        "flash": f"{device['flash_mib']:g}",
        "ram": f"{device['ram_mib']:g}",
        "latency": "–" if device.get("latency_ms") is None else f"{device['latency_ms']:g}",
        "precisions": "/".join(device["precisions"]),
    }


def budgets_text(device: Mapping) -> str:
    """A device class's budgets in one line (the rule table and the budget table say the same)."""
    f = budget_fields(device)
    latency = f"latency {f['latency']} ms" if f["latency"] != "–" and device["hardware"] == "cpu" else "latency –"
    return f"flash {f['flash']} MiB, RAM {f['ram']} MiB, {latency}, {f['precisions']}"


# A measured value (a time, a ratio of times, a flag or a verdict that follows from times) inside
# any printed string is wrapped in these two characters (never in real text); the template prints
# it as ``#measured("...")``, so two runs of the same inputs differ only inside those calls
# (tests/workflow/test_reproducible.py compares everything else, numbers included).
MEASURED = ("\x1e", "\x1f")


def measured(value) -> str:
    """``value`` marked as measured (also a Jinja filter: ``<< r.latency | measured >>``)."""
    text = "" if value is None else str(value).replace(MEASURED[0], "").replace(MEASURED[1], "")
    return text if not text or text == "–" else f"{MEASURED[0]}{text}{MEASURED[1]}"


def plain(value):
    """``value`` (a string, or dicts and lists of them) without the measured marks: what a reader sees."""
    if isinstance(value, str):
        return value.replace(MEASURED[0], "").replace(MEASURED[1], "")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def join_reasons(reasons, sep: str = "; ") -> str:
    """``sep``.join(reasons), with the separator before a measured reason inside its mark: a reason
    that follows from times may be there in one run and not in the next, and nothing else differs."""
    out = ""
    for i, r in enumerate(reasons):
        if i and r.startswith(MEASURED[0]):
            out += measured(sep + plain(r))
        else:
            out += (sep if i else "") + r
    return out


class Code(str):
    """Typst code the template prints as it is (a string literal in code mode, e.g. an image path)."""


def code_string(text: str) -> Code:
    """``text`` as a Typst string literal for code mode: ``image(<< path >>)``."""
    return Code('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


# The words of evidence.judge's results and evidence.Gate (which return values only)

INTERVAL = "t-interval over seeds at Holm's level"
CHECK = "exact paired sign-flip test"


def _units(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if n != 1 else ''}"


def _bound(x: float) -> str:
    return f"{x:+.2f}" if math.isfinite(x) else ("+inf" if x > 0 else "-inf")


def test_text(v: Mapping) -> str:
    """What one test over seeds (or images) found, in words: the mean difference, its interval at Holm's
    level, the sign-flip check, what the units can reach, and the power an open claim's run had."""
    n, unit, m = v["seeds"], v["unit"], v["tests_in_family"]
    where = f"{v['family']}, Holm over {m} test{'s' if m != 1 else ''}" if v["family"] else f"Holm over {m}"
    if n < 2:
        text = (
            f"cannot decide with {_units(n, unit)}: no interval or test over {unit}s "
            f"({where}; {v['seeds_for_check']} {unit}s are needed)"
        )
    else:
        lo, hi = v["interval"]
        text = (
            f"{_bound(v['points'])} points, {100 * (1 - v['level']):.4g} % {INTERVAL} [{_bound(lo)}, {_bound(hi)}] "
            f"({where}); {CHECK} p = {v['p']:.3g}, Holm-adjusted {v['p_holm']:.3g}"
        )
        if unit != "seed":
            text += f"; paired over {_units(n, unit)}"
        if not v["reachable"]:
            k = v.get("informative", n)
            which = f"{k} informative of {_units(n, unit)}" if k != n else _units(n, unit)
            reach = (
                f"smallest sign-flip p with {which} {v['smallest_p']:.3g} against Holm's strictest "
                f"threshold {v['threshold']:.3g}"
            )
            needed = v["seeds_for_check"]
            text += f"; the sign-flip test cannot decide with {_units(n, unit)} ({reach}; {needed} are needed)"
        if not v["check_agrees"]:
            text += (
                f"; the interval says {v['interval_verdict']} but the sign-flip test does not reach it, "
                f"so the weaker verdict, open, stands"
            )
        elif v["sign_flip_alone"]:
            text += "; the sign-flip test alone would call it significant, the interval does not: open"
        if v["by_tests"] == OPEN and v.get("power"):
            text += "; " + power_text(v["power"], v.get("spread_points"))
    return text


def power_text(power: Mapping[float, float], spread: float | None = None) -> str:
    """The power a run had, in words; more seeds would be a new experiment, planned before it starts."""
    at = f" (paired spread {spread:.2f} points)" if spread is not None and math.isfinite(spread) else ""
    parts = ", ".join(f"{100 * p:.0f} % for {e:g} point{'s' if e != 1 else ''}" for e, p in power.items())
    return f"this run's power at its measured spread{at}: {parts}; a run with more seeds is a new experiment"


def reason_text(v: Mapping) -> str:
    """A judged claim's reasons: each failed gate with what it found, then the test."""
    return "; ".join(failed_gates(v["gates_failed"]) + [test_text(v)])


def verdict_text(v: Mapping) -> str:
    """The verdict as a choice prints it: "open: power x % for 1 point" says what the run could have seen."""
    if v["verdict"] != OPEN:
        return v["verdict"]
    unit = v.get("unit", "seed")
    if v["seeds"] < 2 or not v["reachable"]:
        return f"open: cannot decide with {_units(v['seeds'], unit)}"
    power = v.get("power") or {}
    return f"open: power {100 * power[1.0]:.0f} % for 1 point" if 1.0 in power else "open"


def gate_reason(gate) -> str:
    """What a gate (``evidence.Gate``) found, in words, passed or not."""
    f = gate.found
    if gate.name == DATA:
        if f["official"]:
            return f"{f['dataset']}: the published checksums"
        where = f" ({f['description']})" if f["description"] else ""
        return f"{f['dataset']} is not the official data{where}"
    if gate.name == WEIGHTS:
        n, not_ok = f["trained"], f["not_pretrained"]
        if not n:
            return "no trained model records its starting weights: nothing to check"
        if not not_ok:
            return f"torchvision's ImageNet files (checksums), all {n} trained models"
        which = f"{len(not_ok)} of {n} trained models (e.g. {not_ok[0]})"
        if f["asked"]:
            return f"{which} did not start from torchvision's ImageNet files (checksums differ)"
        return f"no pretrained weights (random initialisation): {which}"
    if gate.name == CHANCE:
        return f"{f['what']} is {f['margin_points']:+.1f} points from chance ({100 * f['chance']:.0f} %)" + (
            "" if gate.passed else f", less than the {f['min_points']:g} points required"
        )
    raise ValueError(f"no words for the gate {gate.name!r}")


def failed_gates(gates: Sequence) -> list[str]:
    """Every failed gate, named, with what was found."""
    return [f"{g.name}: {gate_reason(g)}" for g in gates if not g.passed]


def parity_line(s: Mapping | None) -> str:
    """The sentence beside a choice for an aarch64 class (``s``: one entry of ``parity.summaries``)."""
    if s is None:
        return "ARM parity: this model was not run on aarch64"
    if not s["ran"]:
        return f"ARM parity: {s['status']}"
    what = (
        f"int8 outputs identical on {s['identical']} of {s['images']}"
        if s["integer"]
        else f"logits within {s['max_abs']:.2g} of x86's (largest difference), identical on {s['identical']} of "
        f"{s['images']}"
    )
    where = f"{s['core']}, {s['images']} images over {s['files']} file(s)"
    if s["flagged"]:
        return (
            f"DISAGREES on aarch64 ({where}; {what}, the same class on {s['agree']} of {s['images']}"
            + (f", up to {s['max_steps']} steps" if s["integer"] else "")
            + "): beyond rounding, see the ARM parity table"
        )
    return f"runs the same on aarch64 ({where}; {what}, the same class on {s['agree']} of {s['images']})"


# The words of a device choice (verdicts.decide_choices)

CONCERN_WORDS = {
    TIE_SUSPECT: measured("the tie is broken by a suspect latency"),
    TIE_UNMEASURED: "the tie is broken without a measured latency",
    ARM_DISAGREES: "its file disagrees between aarch64 and x86 beyond rounding (ARM parity)",
    BUDGET_SUSPECT: measured("its latency budget is checked against a suspect latency"),
}
# the fields of a choice that follow from times when measured latencies broke its tie
# what a choice prints that follows from the task's family of tests (Holm over its classes)
FAMILY_FROM_TIMES = ("interval", "test", "verdict", "tests")
TIE_BROKEN_BY_TIMES = (
    "chosen",
    "accuracy",
    "mib",
    "runner_up",
    "margin",
    "interval",
    "binding",
    "basis",
    "test",
    "verdict",
    "reasons",
    "arm",
)


def at_budget(ms: float, budget: float | None, evidence_cfg: Mapping) -> bool:
    """A measured latency within the timing noise (``evidence.speedup_noise``) of a latency budget."""
    return budget is not None and abs(ms / budget - 1) <= evidence_cfg["speedup_noise"]


# the tied model a class's measure prefers (recommend.break_tie's "decided_by"), in a word
TIE_WINNER = {"speed": "faster", "Vela's estimate": "faster on Vela's estimate", "arena": "leaner", "size": "smaller"}


def tie_break_text(decided_by: str, device: Mapping, speed_noise: float) -> str:
    """How a tie was broken on ``device`` (``recommend.break_tie``), in words."""
    if decided_by == "speed":
        where = ", x86 time extrapolated to aarch64" if device.get("arch") == "aarch64" else ""
        return f"the faster wins, by more than the timing noise{where}"
    if decided_by == "Vela's estimate":
        return f"the lower Vela estimate for {device.get('npu')} wins"
    if decided_by == "arena":
        return "the smaller TFLM arena wins (then the smaller file)"
    why = {
        "cpu": f"their latencies are within {speed_noise:.0%} of each other (the timing noise) or not all "
        "measured, so the smaller wins",
        "npu": "Vela estimated them equal or not all of them, so the smaller wins",
        "mcu": "not every arena was measured, so the smaller wins",
    }
    return why.get(device.get("hardware", ""), "nothing measured here tells them apart, so the smaller wins")


def choice_row(x: Mapping, evidence_cfg: Mapping, cpu: str) -> dict:
    """One row of the rule table: a decision of ``verdicts.decide_choices`` in words (``cpu``: the timing
    job's CPU, which a CPU class's latency is extrapolated from)."""
    d, ch, test = x["device"], x["choice"], x["test"]
    tie_points = evidence_cfg["tie_points"]
    c, r = ch["chosen"], ch["runner_up"]
    if c is None:
        basis = "no model meets the budgets"
    elif r is None:
        basis = "the only model within the budgets"
    elif ch["tie"]:
        rival = ch["leader"] if c is not ch["leader"] else ch["second"]
        basis = (
            f"ties with {rival.label} (lead {signed(ch['lead_points'], 2)} points, below the "
            f"{tie_points:g}-point tolerance); "
            # which one breaks the tie follows from the class's own measure: a measured clause
            + measured(tie_break_text(ch["decided_by"], d, evidence_cfg["speedup_noise"]))
            + f"; claim: at most {tie_points:g} points below it"
        )
    else:
        basis = f"highest mean accuracy: leads {r.label} by {signed(ch['lead_points'], 2)} points"
    reasons = [CONCERN_WORDS[k] for k in x["concerns"]]
    binding = binding_text(ch["binding"]) + (
        measured("; this rests on a suspect latency") if ch["binding_suspect"] else ""
    )
    where = "not measured here" if d["hardware"] != "cpu" else f"extrapolated from {cpu}"
    if d["hardware"] == "npu":
        est = c.npu.get(d["npu"]) if c else None
        where = (
            f"{num(est['ms'], 3)} ms, estimated by Vela {est['version']} for {d['npu']} at "
            f"{num(est['clock_mhz'], 0)} MHz"
            if est and est["status"] == "compiled"
            else "not estimated"
        )
    latency = "–" if c is None or c.latency_ms is None else measured(num(c.latency_ms, 3)) + " ms"
    if c is not None and c.latency_ms is not None and at_budget(c.latency_ms, d.get("latency_ms"), evidence_cfg):
        # within the timing noise of the budget: whether it fits or breaks it may flip from run to run
        latency += measured(" (at the budget)")
    flag = measured(" †") if c and c.latency_suspect and d["hardware"] == "cpu" else ""
    if x["verdict"] is None:
        verdict = "no model meets the budgets"
    elif x["verdict"] == UNDECIDED:
        # what keeps the choice from being supported whatever the accuracies say: a failed gate, or a
        # latency that cannot be trusted where a latency decides (named; the reasons say what was found)
        names = [g.name for g in x["failed_gates"]]
        blocking = ([f"failed gates: {', '.join(names)}"] if names else []) + [plain(w) for w in reasons]
        verdict = f"{UNDECIDED} ({'; '.join(blocking)})"
    elif test is None:  # the only model within the budgets: no accuracy verdict
        verdict = x["verdict"]
    else:
        verdict = verdict_text(test)
    lo, hi = test["interval"] if test else (None, None)
    row = {
        "task": x["task"],
        "device": d["name"],
        "budgets": budgets_text(d),
        "chosen": c.label if c else "none",
        "accuracy": num(100 * c.accuracy, 1) if c else "–",
        "mib": num(c.mib, 2) if c else "–",
        "latency": f"{latency}, {where}{flag}" if d["hardware"] == "cpu" else where,
        "latency_suspect": bool(c and c.latency_suspect and d["hardware"] == "cpu"),
        "runner_up": r.label if r else "–",
        "margin": signed(ch["margin_points"], 1) if ch["margin_points"] is not None else "–",
        "interval": (
            f"[{signed(lo, 2)}, {signed(hi, 2)}] at {100 * (1 - test['level']):.4g} %"
            if test and test["seeds"] > 1
            else "–"
        ),
        "binding": binding,
        "basis": basis,
        "test": test_text(test) if test else "–",
        "arm": parity_line(x["arm"]) if x["on_arm"] else "",
        "family": x["family"],
        "tests": str(x["tests"]),
        "verdict": verdict,
        "reasons": join_reasons(failed_gates(x["failed_gates"]) + reasons) if c else "no model meets the budgets",
    }
    if x.get("on_times"):
        # a tie broken by measured latencies, or a latency budget (verdicts.rests_on_times):
        # which model is chosen, and all that follows from it, follows from times
        for key in TIE_BROKEN_BY_TIMES:
            row[key] = measured(row[key])
    elif x.get("family_on_times"):
        # another class of the task rests on times: its claim changes Holm's levels over the task's classes
        for key in FAMILY_FROM_TIMES:
            row[key] = measured(row[key])
    return row


# The words of a method-vs-method claim (verdicts.claims)


def claim_words(key: str, against: str, margin_points: float) -> str:
    """The claim ``key`` makes against ``against`` (the dense baseline or control: costing at most the
    margin; the student alone: beating it)."""
    if against == "student alone":
        return f"{key} beats the student alone (same epochs, schedule and seed)"
    costs = f"costs at most {margin_points:g} point{'s' if margin_points != 1 else ''} of accuracy against the"
    if against == "dense control":
        return f"{key.removesuffix(' (control)')} {costs} dense control (fine-tuned as long, unpruned)"
    return f"{key} {costs} {against}"


def claim_row(family: str, c, against: str, v: Mapping) -> dict:
    """One row of the claims table: comparison ``c`` judged as ``v`` (``evidence.judge``), in words."""
    lo, hi = v["interval"]
    return {
        "family": family,
        "tests": str(v["tests_in_family"]),
        "model": c.key,
        "claim": claim_words(c.key, against, c.margin_points),
        "seeds": str(v["seeds"]),
        "points": signed(v["points"], 2),
        "interval": f"[{signed(lo, 2)}, {signed(hi, 2)}]" if v["seeds"] > 1 else "–",
        "level": f"{100 * (1 - v['level']):.4g} %",
        "p": num(v["p"], 3),
        "p_holm": num(v["p_holm"], 3),
        "reach": f"{num(v['smallest_p'], 3)} / {num(v['threshold'], 3)}",
        "verdict": verdict_text(v) if v["verdict"] != UNDECIDED else v["verdict"],
        "reason": reason_text(v),
    }


# The words of the paper's conclusions (conclusions.*: values, reasons as (kind, values) pairs)


def _interval(v: Mapping) -> str:
    """A judged difference's interval over seeds, as the conclusions print it ("no interval" with one seed)."""
    lo, hi = v["interval"]
    if v["seeds"] < 2:
        return "no interval with one seed"
    return f"{100 * (1 - v['level']):.4g} % interval [{signed(lo, 2)}, {signed(hi, 2)}]"


def _points(value: float) -> str:
    """Signed points with two decimals; a difference that rounds to zero prints "+0.00", never "-0.00"."""
    return signed(round(value, 2) + 0.0, 2)


def _grouped(found: Mapping[str, str]) -> list[str]:
    """``{key: what the test found}`` as one line per distinct finding, naming the keys it holds for."""
    by: dict[str, list[str]] = {}
    for key, text in found.items():
        by.setdefault(text, []).append(key)
    return [f"{', '.join(keys)}: {text}" for text, keys in by.items()]


def conclusion_reason(kind: str, x: Mapping) -> list[str]:
    """One reason of a conclusion (``conclusions._verdict``'s ``(kind, values)``) in words (a list: the tests
    of one family print one line per distinct finding)."""
    words = {
        "gates failed": lambda: f"gates failed: {', '.join(x.get('names', ()))}",
        "no difference": lambda: "the tests find no significant difference",
        # claim 1
        "no model in both precisions": lambda: "no model deployed in both precisions",
        "int8 costs more": lambda: (
            f"int8 costs more than {x['tolerance']:g} point(s) on at least one model (its difference: "
            f"{signed(x['test']['points'], 2)} points; {test_text(x['test'])})"
        ),
        "int8 cost open": lambda: f"the cost of int8: {test_text(x['test'])}",
        "int8 speed-up suspect": lambda: measured("int8's speed-up on the dense ResNet-18 rests on a suspect latency"),
        "rival gains more": lambda: measured(
            f"{x['model']} gains {num(x['size'], 2)}x size and {num(x['speed'], 2)}x speed at equal accuracy"
        ),
        # whether a rival is open weighs its speed: the phrase follows from times
        "rival open": lambda: measured(
            f"{x['model']} gains {num(x['size'], 2)}x size, {num(x['speed'], 2)}x speed, and "
            f"whether it costs at most {x['margin']:g} point(s) is {x['status']}"
        ),
        # claim 2
        "runs faster": lambda: measured(
            f"{x['model']} {x['precision']} runs {num(x['speedup'], 2)}x faster (interval "
            f"[{num(x['low'], 2)}, {num(x['high'], 2)}]), above 1 + {x['band']:g}"
        ),
        "runs slower": lambda: measured(
            f"{x['model']} {x['precision']} runs at {num(x['speedup'], 2)}x (interval "
            f"[{num(x['low'], 2)}, {num(x['high'], 2)}]), below 1 - {x['band']:g}"
        ),
        "interval wider than the band": lambda: measured(
            f"{x['model']} {x['precision']}: the interval [{num(x['low'], 2)}, {num(x['high'], 2)}] of its "
            f"{num(x['speedup'], 2)}x is not inside 1 ± {x['band']:g} (more timing rounds would narrow it)"
        ),
        "no interval": lambda: f"{x['model']} {x['precision']}: no interval over timing rounds in speedups.csv",
        "nothing timed": lambda: "no unstructured model was timed",
        "suspect latencies": lambda: measured("suspect latencies: " + ", ".join(x["which"])),
        "no smaller file": lambda: "no compressed or sparse file smaller than the dense one",
        # claim 3
        "one length": lambda: (
            f"this run fine-tunes one length only ({x['deployed']} epochs; pruning.structured.finetune_sweep "
            "sets the lengths compared)"
        ),
        # claim 4
        "no distilled student": lambda: "no distilled student or no student alone in this run",
        "test": lambda: test_text(x["test"]),
        # claim 5
        "chain costs more": lambda: f"{x['chain']} costs more than {x['margin']:g} point(s) against some method alone",
        "chain test": lambda: f"{x['chain']}: {test_text(x['test'])}",
        "neither smaller nor faster": lambda: measured(f"{x['chain']} is neither smaller nor faster than {x['other']}"),
        "no chain": lambda: "no model of the full chain in this run (pruning.chain)",
    }
    if kind == "tests":
        return _grouped({k: test_text(v) for k, v in x["tests"].items()})
    if kind == "chain problems":
        reason = f"{x['chain']} vs {x['other']}: {', '.join(x['problems'])}"
        # once a latency is measured, whether this reason is there at all follows from times
        return [measured(reason) if x["timed"] else reason]
    return [words[kind]()]


def conclusion_words(found: Mapping) -> dict:
    """A conclusion of :mod:`edgecompress.report.conclusions` in words: ``numbers``, ``test``, ``verdict``,
    ``reasons`` (a list)."""
    claim = found["claim"]
    if claim == "int8 first":
        size, speed = found["int8_gain"]
        numbers = (
            "accuracy cost of int8 (points, float32 minus int8, mean over seeds): "
            f"{'; '.join(f'{cfg} {_points(cost)}' for cfg, cost in found['costs'])}. "
            f"Dense ResNet-18 in int8: {num(size, 2)}x smaller, {measured(num(speed, 2))}x faster"
            + "".join(
                f"; {model} in float32: {num(s, 2)}x smaller, {measured(num(v, 2))}x faster"
                for model, s, v in found["rival_gains"]
            )
        )
        test = (
            f"int8 against float32: every model's int8 costs at most {found['tolerance']:g} point(s), each model at "
            f"the claim's level (intersection-union: all must hold), refuted when one model's cost clears it (Holm "
            f"over the {found['models']} models; "
            + (
                "the CNN over its trainings, one per seed"
                if found.get("cnn_tested")
                else "the CNN's deployed files are shown, not tested"
            )
            + f"); a rival counts at equal "
            f"accuracy when it costs at most {found['margin']:g} point(s) against the baseline"
        )
    elif claim == "sparse kernels":
        zero = found["zero_macs_pct"]
        ideal = [100 / (100 - z) for z in zero]
        numbers = (
            "speed-ups on the dense runtime: "
            + "; ".join(
                f"{m} {p} {measured(num(x, 2))}x [{measured(num(lo, 2))}, {measured(num(hi, 2))}]"
                for m, p, x, lo, hi in found["speedups"]
            )
            + "".join(
                f"; smallest file (gzip or sparse) at amount {a}: {num(v, 3)} of the dense one"
                for a, v in found["smallest"].items()
            )
            + (
                f"; zero MACs {', '.join(num(z, 2) for z in zero)} %: a sparse kernel that skipped them "
                f"all would gain at most {', '.join(num(i, 3) for i in ideal)}x"
                if zero
                else ""
            )
        )
        test = (
            f"equivalence: the 95 % interval over timing rounds of every unstructured model's speed-up against "
            f"its dense baseline, each precision, inside 1 ± {found['band']:g} (declared in advance: "
            "evidence.speedup_noise; noise widens the interval and makes support harder), and a gzip or sparse "
            "file smaller than the dense one"
        )
    elif claim == "longer fine-tuning":
        numbers = (
            "structured minus the dense control, same epochs (points): "
            + ("; ".join(f"{e} epoch(s) {_points(g)}" for e, g in found["gaps"]) or "–")
            + "".join(
                f"; {k}: the gap changes by {signed(v['points'], 2)} points from {found['deployed']} to "
                f"{found['longest']} epochs ({_interval(v)})"
                for k, v in found["tests"].items()
            )
        )
        test = f"{found['family']}: the gap at the longest length against the deployed one, {found['compared']} test(s)"
    elif claim == "KD for small models":
        main, side = found["main"], found["side"]
        near_params, kd_params = found["parameters"]
        numbers = []
        if main:
            numbers.append(
                f"{found['kd']} against the student alone: {signed(main['points'], 2)} points ({_interval(main)}, "
                f"sign-flip p {num(main['p'], 3)})"
            )
        if side:
            numbers.append(
                f"against {found['near']} (parameters {num(near_params, 0)}, the student "
                f"{num(kd_params, 0)}): {signed(side['points'], 2)} points ({_interval(side)}), {side['verdict']} "
                f"({test_text(side)})"
            )
        numbers = "; ".join(numbers) or "–"
        test = (
            "distillation: KD beats the student alone (same epochs, schedule and seed), Holm over the "
            f"{found['cells']} cell(s) of the T x alpha grid; the comparison with structured pruning is shown, "
            "not counted"
        )
    elif claim == "combining":
        numbers = (
            "; ".join(
                f"{p['chain']} vs {p['other']}: {_points(p['points'])} points, {num(p['size'], 2)}x smaller, "
                + (f"{measured(num(p['speed'], 2))}x faster" if p["speed"] is not None else "latency not measured")
                for p in found["pairs"]
            )
            or "–"
        )
        test = (
            "combined against each method alone (int8 alone, structured pruning alone, KD alone): smaller "
            f"and faster than each, and at most {found['margin']:g} point(s) below each, every pair at the "
            f"claim's level (intersection-union), refuted when one pair clears it the other way (Holm over the "
            f"pairs); {found['compared']} chain amount(s) sharing alpha"
        )
    else:
        raise ValueError(f"no words for the conclusion {claim!r}")
    reasons = [w for kind, x in found["reasons"] for w in conclusion_reason(kind, x)]
    return {"numbers": numbers, "test": test, "verdict": found["verdict"], "reasons": reasons}


# The words of a broken budget and of the binding constraint (recommend.violations, recommend.choose)


def violation_text(violation: tuple[str, Mapping]) -> str:
    """A budget a model breaks (``recommend.violations``' ``(kind, values)``) in words."""
    kind, x = violation
    if kind == "latency":  # a measured time against the budget: which side it falls follows from times
        return measured(
            f"latency: {x['ms']:.3f} ms > {x['budget']:g} ms" + (" (a suspect latency)" if x["suspect"] else "")
        )
    words = {
        "precision": lambda: f"precision: {x['precision']} not in {'/'.join(x['allowed'])}",
        "flash": lambda: f"flash: {x['mib']:.2f} MiB > {x['budget']:g} MiB",
        "runtime": lambda: f"runtime: {x['tflm']}",
        "RAM not measured": lambda: f"RAM: {x['what']} not measured",
        "RAM": lambda: f"RAM: {x['what']} {x['mib']:.3g} MiB > {x['budget']:g} MiB",
        "latency not measured": lambda: "latency: not measured",
        "NPU not compiled": lambda: f"NPU: not compiled by Vela for {x['npu']}",
        "NPU": lambda: f"NPU: {x['status']}",
        "Vela flash": lambda: f"flash: Vela stores {x['mib']:.2f} MiB of weights > {x['budget']:g} MiB",
        "Vela RAM": lambda: f"RAM: Vela's SRAM {x['mib']:.3g} MiB > {x['budget']:g} MiB",
        "Vela latency": lambda: f"latency: {x['ms']:.3g} ms estimated by Vela > {x['budget']:g} ms",
    }
    return words[kind]()


def binding_text(binding: Mapping) -> str:
    """What keeps the most accurate model from being the choice (``recommend.choose``'s ``binding``)."""
    kind = binding["kind"]
    broken = "; ".join(violation_text(v) for v in binding.get("broken", ()))
    if kind == "nothing fits":
        return f"nothing fits: {broken}"
    if kind == "no candidate":
        return "no candidate"
    if kind == "fits":
        return "none: the most accurate model fits"
    if kind == "ties":
        return (
            f"none: the most accurate model ({binding['model']}) fits and ties with the chosen, "
            f"{TIE_WINNER.get(binding['decided_by'], 'smaller')} one"
        )
    return f"{binding['model']} is more accurate but breaks {broken}"
