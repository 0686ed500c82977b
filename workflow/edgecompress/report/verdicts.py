"""What the report decides: the gates of each task, the verdict of every claim and of every device choice.

Every test the report prints belongs to one family, and Holm's correction runs within it:

- ``unstructured pruning`` and ``structured pruning``: the amounts of one method, each claimed to
  cost at most ``evidence.max_cost_points`` against the dense baseline; ``... vs the dense
  control``: the same claims against the baseline fine-tuned as many epochs, without pruning;
- ``distillation``: the T x alpha grid, each cell claimed to beat the student alone;
- ``device choices, <task>``: per task, one claim per class: the model with the highest mean accuracy
  within the budgets is more accurate than every fitting rival (at most ``evidence.tie_points`` below
  those it tied with), an intersection-union test, Holm over the task's classes.

The test never picks the model: it says how sure the report is (``evidence.judge``: an interval,
a sign-flip check, "supported", "open: power x % for 1 point" ...). Every verdict also passes the task's
gates (official data, ImageNet weights, a baseline above chance); a choice also needs trusted
latencies where a latency decides it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .. import paper
from ..modelkey import CNN, PRUNING, family_of, parse
from ..stats import smallest_sign_flip_p
from .evidence import (
    ARM_DISAGREES,
    BUDGET_SUSPECT,
    IMAGE,
    MAGNITUDES,
    ONLY_MODEL,
    TIE_SUSPECT,
    TIE_UNMEASURED,
    UNDECIDED,
    Comparison,
    chance_gate,
    data_gate,
    intersection_union,
    judge,
    min_seeds,
    weights_gate,
)
from .format import choice_row, claim_row, num
from .recommend import candidates, choose

TASKS = ("CIFAR-10", "Fashion-MNIST")


def gates(cond: Mapping, deployment_rows, evidence_cfg) -> dict:
    """Per task, the gates every claim on it must pass."""
    base = [float(r["accuracy_torch"]) for r in deployment_rows if family_of(r["model"]) == "baseline"]
    cnn = next((r for r in deployment_rows if r["model"] == CNN), None)
    chance = 1 / paper.CLASSES
    cifar = [
        data_gate("CIFAR-10", cond["cifar_official"], cond["description"]),
        weights_gate(cond["pretrained"], cond["pretrained_asked"]),
        chance_gate(
            "the ResNet-18 baseline (mean over seeds)",
            sum(base) / len(base),
            chance,
            evidence_cfg["min_points_over_chance"],
        ),
    ]
    fashion = [data_gate("Fashion-MNIST", cond["fashion_official"], cond["description"])]
    if cnn:
        fashion.append(
            chance_gate(
                "the float32 CNN", float(cnn["accuracy_float32"]), chance, evidence_cfg["min_points_over_chance"]
            )
        )
    return {"CIFAR-10": cifar, "Fashion-MNIST": fashion}


# What a claim is measured against (format.claim_words says each claim in words)
BASELINE, CONTROL, STUDENT = "dense baseline", "dense control", "student alone"


def claim_families(deployment_rows, evidence_cfg, control: Mapping | None = None) -> dict[str, list]:
    """family -> [(what the claim compares it with, its comparison)], accuracies per seed from ``accuracy_torch``:
    a pruned model costs at most ``max_cost_points`` against the :data:`BASELINE` (the comparison's margin),
    a distilled student beats the :data:`STUDENT`.

    ``control`` (seed -> accuracy of the dense baseline fine-tuned as long as the pruned models)
    adds, for every pruned model, the same claim against the :data:`CONTROL`: the fair comparison at equal
    epochs.
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
    out = {}
    for method in PRUNING:
        out[f"{method} pruning"] = [(BASELINE, Comparison(c, a, base, cost)) for c, a in of(method).items()]
        if control:  # its own family: a second claim, not a second look at the first
            out[f"{method} pruning vs the dense control"] = [
                (CONTROL, Comparison(f"{c} (control)", a, control, cost)) for c, a in of(method).items()
            ]
    out["distillation"] = [(STUDENT, Comparison(c, a, student)) for c, a in of("kd").items()]
    return out


def claims(
    deployment_rows, evidence_cfg, gates_by_task: Mapping[str, Sequence], control: Mapping | None = None
) -> dict:
    """Every method-vs-method claim with its direction, its family's correction and the CIFAR-10 gates."""
    out = []
    for family, pairs in claim_families(deployment_rows, evidence_cfg, control).items():
        comps = [c for _, c in pairs]
        # an interval inside the practical tolerance is "equivalent": the methods differ by less than matters
        verdicts = judge(comps, evidence_cfg["alpha"], family, gates_by_task["CIFAR-10"], evidence_cfg["tie_points"])
        for against, c in pairs:
            out.append(claim_row(family, c, against, verdicts[c.key]))
    return {"rows": out, "alpha": f"{evidence_cfg['alpha']:g}"}


def choice_comparisons(name: str, ch: Mapping, tie_points: float) -> list[Comparison]:
    """The claims a device choice makes, one per fitting rival, as comparisons over seeds (empty: no rival).

    Against a rival it tied with (less than ``tie_points`` below the leader), the chosen model claims
    to be at most ``tie_points`` below it; against any other fitting model, to be more accurate. Two
    files of a model trained once (the CNN's variants) are paired over the test images instead: the
    claim is then of these files, not of the training.
    """
    c = ch["chosen"]
    if c is None:
        return []
    tied = {id(t) for t in ch["tied"]}
    out = []
    for rival in ch["fitting"]:
        if rival is c:
            continue
        margin = tie_points if id(rival) in tied else 0.0
        key = f"{name}: {rival.label}"
        if c.correct_by_image and len(c.correct_by_image) == len(rival.correct_by_image):
            out.append(Comparison(key, _outcomes(c.correct_by_image), _outcomes(rival.correct_by_image), margin, IMAGE))
        else:
            out.append(Comparison(key, c.accuracy_by_seed, rival.accuracy_by_seed, margin))
    return out


def _outcomes(bits: str) -> dict[int, float]:
    return {i: float(b == "1") for i, b in enumerate(bits)}


def rests_on_times(device: Mapping, ch: Mapping, pool) -> bool:
    """Whether ``device``'s choice follows from measured times: a tie broken among timed models, or a
    latency budget checked against measured latencies. Which models meet a latency budget is a
    measurement of this machine in this run: between two clean runs on a shared machine one model's time
    was seen to double (5.78 against 3.06 ms), far beyond the noise within one timing job, so any such
    budget can change the choice and all that follows from it."""
    if ch["tie"] and any(t.latency_ms is not None for t in ch["tied"]):
        return True
    budget = device.get("latency_ms") if device["hardware"] == "cpu" else None
    return budget is not None and any(c.latency_ms is not None for c in pool)


def decide_choices(
    deployment_rows,
    devices,
    gates_by_task,
    evidence_cfg,
    arm: Mapping | None = None,
    vela: Sequence[Mapping] = (),
    per_image: Mapping[tuple[str, str], str] | None = None,
) -> list[dict]:
    """Per task and device class, the choice and what decides how sure it is, as values.

    The choice is the model with the highest mean accuracy within the budgets (``recommend.choose``);
    the test only says how sure that is: one comparison per fitting rival (``choice_comparisons``),
    all of which must hold (:func:`evidence.intersection_union`: each class at its Holm level among the
    task's classes), with the interval and the sign-flip check of :func:`evidence.judge`.
    ``arm`` (``parity.summaries``): an aarch64 class's choice gets its ARM parity summary, and a choice
    whose files disagree between aarch64 and x86 beyond rounding is not supported. ``vela`` (rows of
    ``vela.csv``): an npu class's budgets are checked against Vela's estimates for its accelerator.
    ``per_image`` (``recommend.candidates``): the CNN's outcomes per test image, which pair its choices.

    Each decision: ``task``, ``device`` (its config entry), ``choice`` (``recommend.choose``), ``test``
    (the judged comparison, None with nothing to compare), ``family`` and ``tests`` (its size), ``arm``
    (the parity summary of an aarch64 class, else None), ``concerns`` (of ``evidence.CONCERNS``), ``failed_gates``
    and ``verdict``: None without a choice, "not supported by this run" when a gate or a concern blocks
    it, "the only model within the budgets" (no accuracy verdict) without a rival, else the test's.
    """
    cands = candidates(deployment_rows, vela, per_image)
    alpha, tie_points = evidence_cfg["alpha"], evidence_cfg["tie_points"]
    out = []
    for task in TASKS:
        pool = [c for c in cands if c.task == task]
        family = f"device choices, {task}"
        picked = {d["name"]: choose(d, pool, tie_points, evidence_cfg["speedup_noise"]) for d in devices}
        comps = {name: cs for name, ch in picked.items() if (cs := choice_comparisons(name, ch, tie_points))}
        # each class's claim holds only against every fitting rival (intersection-union, no correction over
        # the rivals); Holm runs over the task's classes, each claim's p the largest of its rivals'
        tests = intersection_union(comps, alpha, family, gates_by_task[task])
        failed = [g for g in gates_by_task[task] if not g.passed]
        on_times = {d["name"]: rests_on_times(d, picked[d["name"]], pool) for d in devices}
        for d in devices:
            ch = picked[d["name"]]
            c = ch["chosen"]
            concerns = []
            if ch["tie"] and c is not None and ch["runner_up"] is not None:
                if any(t.latency_suspect for t in ch["tied"]):
                    concerns.append(TIE_SUSPECT)
                if any(t.latency_ms is None for t in ch["tied"]):
                    concerns.append(TIE_UNMEASURED)
            on_arm = c is not None and d.get("arch") == "aarch64" and arm is not None
            summary = arm.get((c.config, c.precision)) if on_arm else None
            if summary and summary["flagged"]:
                concerns.append(ARM_DISAGREES)
            cpu_budget = d["hardware"] == "cpu" and d.get("latency_ms") is not None
            if c is not None and cpu_budget and c.latency_suspect:
                concerns.append(BUDGET_SUSPECT)
            test = tests.get(d["name"])
            if c is None:
                verdict = None
            elif failed or concerns:
                verdict = UNDECIDED
            elif test is None:  # the only model within the budgets: nothing to compare, no accuracy verdict
                verdict = ONLY_MODEL
            else:
                verdict = test["verdict"]
            out.append(
                {
                    "task": task,
                    "device": d,
                    "choice": ch,
                    "test": test,
                    "family": family,
                    "tests": len(comps),
                    "arm": summary,
                    "on_arm": on_arm,
                    # the choice follows from measured times (a tie broken by them, or a latency budget), and
                    # so may the task's other tests
                    "on_times": on_times[d["name"]],
                    "family_on_times": any(on_times.values()),
                    "concerns": concerns,
                    "failed_gates": failed,
                    "verdict": verdict,
                }
            )
    return out


def choices(
    deployment_rows,
    devices,
    gates_by_task,
    evidence_cfg,
    cpu: str,
    arm: Mapping | None = None,
    vela: Sequence[Mapping] = (),
    per_image: Mapping[tuple[str, str], str] | None = None,
) -> list[dict]:
    """The rule table: :func:`decide_choices`, each decision in words (``format.choice_row``; ``cpu``: the
    timing job's CPU, which a CPU class's latency is extrapolated from)."""
    return [
        choice_row(x, evidence_cfg, cpu)
        for x in decide_choices(deployment_rows, devices, gates_by_task, evidence_cfg, arm, vela, per_image)
    ]


def reach(
    config: Mapping, cnn_test_images: int = paper.FASHION_MNIST_TEST_IMAGES, cnn_disagree: int | None = None
) -> list[dict]:
    """Per family of tests the report prints: its size, what it pairs, and whether that can decide it.

    What the seeds can reach is a property of the design, known before any training: the sign-flip
    test's smallest p with n seeds (2 / 2^n) against Holm's strictest threshold (alpha / tests).
    Experiment 1's CNN is trained once, as in the paper: its device choices pair two files of that one
    model over the ``cnn_test_images`` test images (the sign-flip test on 0/1 outcomes is the exact
    McNemar test), so they can decide whether these files differ, not whether another training would.
    Only the images on which the two files disagree (``cnn_disagree``, where known) can move that
    test: they, not the test set's size, set what it can reach.
    """
    alpha = config["evidence"]["alpha"]
    pruning, distillation = config["pruning"], config["distillation"]
    shared = len(set(pruning["seeds"]) & set(distillation["seeds"]))
    families = [(f"{m} pruning", len(pruning[m]["amounts"]), len(pruning["seeds"]), "seed") for m in PRUNING]
    families += [
        (f"{m} pruning vs the dense control", len(pruning[m]["amounts"]), len(pruning["seeds"]), "seed")
        for m in PRUNING
    ]
    families += [
        (
            "distillation",
            len(distillation["temperatures"]) * len(distillation["alphas"]),
            len(distillation["seeds"]),
            "seed",
        ),
        ("device choices, CIFAR-10", len(config["devices"]), shared, "seed"),
        (
            "device choices, Fashion-MNIST",
            len(config["devices"]),
            cnn_test_images if cnn_disagree is None else cnn_disagree,
            IMAGE,
        ),
    ]
    out = []
    for name, tests, n, unit in families:
        images = unit == IMAGE
        smallest, threshold = smallest_sign_flip_p(n, MAGNITUDES.get(unit)), alpha / tests
        units = f"{n} {unit}{'s' if n != 1 else ''}"
        if images and cnn_disagree is not None:
            units += f" on which the two files disagree (of {cnn_test_images:,})"
        status = (
            "can decide" if smallest < threshold else f"cannot decide with {units} ({min_seeds(alpha, tests)} needed)"
        )
        if images:
            status += (
                ": the deployed seed's CNN files are paired over the test images "
                "(exact McNemar test); this decides between these files, not between trainings"
            )
        out.append(
            {
                "family": name,
                "tests": str(tests),
                "seeds": units if images else str(n),
                "smallest_p": f"2/2^{n}" if images and smallest < 1e-3 else num(smallest, 3),
                "threshold": num(threshold, 3),
                "decidable": smallest < threshold,
                "status": status,
            }
        )
    return out
