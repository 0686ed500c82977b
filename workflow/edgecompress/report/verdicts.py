"""What the report decides: the gates of each task, the verdict of every claim and of every device choice.

Every test the report prints belongs to one family, and Holm's correction runs within it:

- ``unstructured pruning`` and ``structured pruning``: the amounts of one method, each claimed to
  cost at most ``evidence.max_cost_points`` against the dense baseline; ``... vs the dense
  control``: the same claims against the baseline fine-tuned as many epochs, without pruning;
- ``distillation``: the T x alpha grid, each cell claimed to beat the student alone;
- ``device choices, <task>``: per task, the lead of each class's most accurate fitting model over
  the next one (a lead the test does not support is a tie, broken by the faster model).

Every verdict also passes the task's gates (official data, ImageNet weights, a baseline above
chance); a choice also needs trusted latencies where a latency decides it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .. import paper
from .evidence import UNDECIDED, SUPPORTED, Comparison, chance_gate, data_gate, failed, judge, weights_gate
from .format import budgets_text, join_reasons, measured, num, signed
from ..modelkey import CNN, family_of, parse
from .recommend import candidates, choose, fits

TASKS = ("CIFAR-10", "Fashion-MNIST")


def gates(cond: Mapping, deployment_rows, evidence_cfg) -> dict:
    """Per task, the gates every claim on it must pass."""
    base = [float(r["accuracy_torch"]) for r in deployment_rows if family_of(r["model"]) == "baseline"]
    cnn = next((r for r in deployment_rows if r["model"] == CNN), None)
    chance = 1 / paper.CLASSES
    cifar = [data_gate("CIFAR-10", cond["cifar_official"], cond["description"]),
             weights_gate(cond["weights_official"], cond["pretrained_asked"]),
             chance_gate("the ResNet-18 baseline (mean over seeds)", sum(base) / len(base), chance,
                         evidence_cfg["min_points_over_chance"])]
    fashion = [data_gate("Fashion-MNIST", cond["fashion_official"], cond["description"])]
    if cnn:
        fashion.append(chance_gate("the float32 CNN", float(cnn["accuracy_float32"]), chance,
                                   evidence_cfg["min_points_over_chance"]))
    return {"CIFAR-10": cifar, "Fashion-MNIST": fashion}


def claim_families(deployment_rows, evidence_cfg, control: Mapping | None = None) -> dict[str, list]:
    """family -> [(the claim in words, its comparison)], accuracies per seed from ``accuracy_torch``.

    ``control`` (seed -> accuracy of the dense baseline fine-tuned as long as the pruned models)
    adds, for every pruned model, the same claim against it: the fair comparison at equal epochs.
    """
    acc: dict[str, dict] = {}
    families: dict[str, str] = {}
    for r in deployment_rows:
        if r["model"] != CNN:
            k = parse(r["model"])
            acc.setdefault(k.config, {})[k.seed] = float(r["accuracy_torch"])
            families[k.config] = k.family
    base, student = acc.get("baseline", {}), acc.get("student", {})
    of = lambda family: {c: a for c, a in acc.items() if families[c] == family}  # noqa: E731
    cost = evidence_cfg["max_cost_points"]
    costs = f"costs at most {cost:g} point{'s' if cost != 1 else ''} of accuracy against the"
    out = {}
    for method in ("unstructured", "structured"):
        out[f"{method} pruning"] = [(f"{c} {costs} dense baseline", Comparison(c, a, base, cost))
                                    for c, a in of(method).items()]
        if control:  # its own family: a second claim, not a second look at the first
            out[f"{method} pruning vs the dense control"] = [
                (f"{c} {costs} dense control (fine-tuned as long, unpruned)", Comparison(f"{c} (control)", a, control, cost))
                for c, a in of(method).items()]
    out["distillation"] = [(f"{c} beats the student alone (same epochs, schedule and seed)",
                            Comparison(c, a, student)) for c, a in of("kd").items()]
    return out


def claims(deployment_rows, evidence_cfg, gates_by_task: Mapping[str, Sequence], control: Mapping | None = None) -> dict:
    """Every method-vs-method claim with its direction, its family's correction and the CIFAR-10 gates."""
    out = []
    for family, pairs in claim_families(deployment_rows, evidence_cfg, control).items():
        comps = [c for _, c in pairs]
        verdicts = judge(comps, evidence_cfg["alpha"], family, gates_by_task["CIFAR-10"])
        for words, c in pairs:
            v = verdicts[c.key]
            out.append({"family": family, "tests": str(v["tests_in_family"]), "model": c.key,
                        "claim": words, "seeds": str(v["seeds"]), "points": signed(v["points"], 2),
                        "p": num(v["p"], 3), "verdict": v["verdict"], "reason": v["reason"]})
    return {"rows": out, "alpha": f"{evidence_cfg['alpha']:g}"}


def choices(deployment_rows, devices, gates_by_task, evidence_cfg, cpu: str) -> list[dict]:
    """The rule table: per task and device class, the choice, its numbers, the binding constraint, the verdict."""
    cands = candidates(deployment_rows)
    alpha, tie_points = evidence_cfg["alpha"], evidence_cfg["tie_points"]
    out = []
    for task in TASKS:
        pool = [c for c in cands if c.task == task]
        family = f"device choices, {task}"
        # one test per class that has a lead to test: the most accurate fitting model against the next one
        leads = {}
        for d in devices:
            ok = fits(d, pool)
            if len(ok) > 1:
                leads[d["name"]] = Comparison(d["name"], ok[0].accuracy_by_seed, ok[1].accuracy_by_seed)
        tests = judge(list(leads.values()), alpha, family)
        gate_reasons = failed(gates_by_task[task])
        for d in devices:
            test = tests.get(d["name"])
            holds = bool(test and test["significant"] and leads[d["name"]].direction > 0)
            ch = choose(d, pool, holds, tie_points, evidence_cfg["speedup_noise"])
            c, r = ch["chosen"], ch["runner_up"]
            reasons = list(gate_reasons)
            if c is None:
                basis = "no model meets the budgets"
            elif r is None:
                basis = "the only model within the budgets"
            elif ch["tie"]:
                small = ch["lead_points"] < tie_points
                why = f"below the {tie_points:g}-point tolerance" if small else test["test"]
                if not small and c is not ch["leader"]:
                    # a lead too large to call a tie that the seeds cannot test leaves the choice open
                    reasons.append(f"{ch['leader'].label} leads by {signed(ch['lead_points'], 2)} points and this "
                                   "run cannot tell whether that is real, so the choice between them is open")
                basis = (f"ties with {ch['leader'].label if c is not ch['leader'] else ch['second'].label} "
                         f"(lead {signed(ch['lead_points'], 2)} points: {why}); "
                         # which one breaks the tie follows from the measured latencies: a measured clause
                         + measured("the faster wins, by more than the timing noise" if ch["decided_by"] == "speed" else
                                    f"their latencies are within {evidence_cfg['speedup_noise']:.0%} of each other "
                                    "(the timing noise), so the smaller wins"))
                if any(t.latency_suspect for t in ch["tied"]):
                    reasons.append(measured("the tie is broken by a suspect latency"))
                if any(t.latency_ms is None for t in ch["tied"]):
                    reasons.append("the tie is broken without a measured latency")
            else:
                basis = f"leads {r.label} by {signed(ch['lead_points'], 2)} points: {test['test']}"
            cpu_budget = d["hardware"] == "cpu" and d.get("latency_ms") is not None
            if c is not None and cpu_budget and c.latency_suspect:
                reasons.append(measured("its latency budget is checked against a suspect latency"))
            binding = ch["binding"] + (measured("; this rests on a suspect latency") if ch["binding_suspect"] else "")
            where = "not measured here" if d["hardware"] != "cpu" else f"extrapolated from {cpu}"
            latency = "–" if c is None or c.latency_ms is None else measured(num(c.latency_ms, 3)) + " ms"
            flag = measured(" †") if c and c.latency_suspect and d["hardware"] == "cpu" else ""
            out.append({
                "task": task, "device": d["name"], "budgets": budgets_text(d),
                "chosen": c.label if c else "none",
                "accuracy": num(100 * c.accuracy, 1) if c else "–", "mib": num(c.mib, 2) if c else "–",
                "latency": f"{latency}, {where}{flag}" if d["hardware"] == "cpu" else where,
                "latency_suspect": bool(c and c.latency_suspect and d["hardware"] == "cpu"),
                "runner_up": r.label if r else "–",
                "margin": signed(ch["margin_points"], 1) if ch["margin_points"] is not None else "–",
                "binding": binding, "basis": basis,
                "family": family, "tests": str(len(leads)),
                "verdict": SUPPORTED if c and not reasons else UNDECIDED,
                "reasons": join_reasons(reasons) if c else "no model meets the budgets",
            })
    return out
