"""The paper's conclusions, each put to the test: one verdict per claim, with the numbers it rests on.

The five claims (``paper.CONCLUSIONS``) are decided from the run's tables only: the deployment
table (accuracies per seed in PyTorch and on LiteRT, sizes, latencies and their suspect flags),
the timing job's spreads, the pruning summary (sizes of the masked model, zero MACs) and the
fine-tuning sweep against the dense control. Each verdict is "supported", "refuted" or "not
supported by this run"; a refutation needs the same evidence as a support (the gates, and a test
over seeds where accuracy decides it), and every undecided claim says what is missing.
Nothing here reads files or writes words: :mod:`edgecompress.report.context` reads the files, and each
conclusion comes back as values (its verdict, the numbers it rests on, its reasons as ``(kind, values)``
pairs) that ``format.conclusion_words`` writes out.
"""

from __future__ import annotations

from statistics import geometric_mean
from typing import Mapping, Sequence

from .. import paper
from ..modelkey import CNN, config_of, family_of
from ..stats import mean_std
from .evidence import OPEN, REFUTED, SUPPORTED, UNDECIDED, Comparison, intersection_union, judge
from .format import conclusion_words, join_reasons
from .recommend import candidates


def _verdict(gates: Sequence, supported: bool, refuted: bool, missing: Sequence[tuple]) -> tuple[str, list[tuple]]:
    """The claim's verdict and its reasons: a failed gate leaves it undecided whatever the numbers say."""
    names = [g.name for g in gates if not g.passed]
    if names:  # what each gate found is printed once, in the gates table
        return UNDECIDED, [("gates failed", {"names": list(dict.fromkeys(names))})] + list(missing)
    if refuted:
        return REFUTED, list(missing)
    if supported:
        return SUPPORTED, []
    return UNDECIDED, list(missing) or [("no difference", {})]


def _by_config(rows: Sequence[Mapping]) -> dict:
    return {(c.config, c.precision): c for c in candidates(rows)}


def _of(cands: Mapping, family: str, precision: str) -> list:
    return sorted(
        (c for (cfg, p), c in cands.items() if p == precision and cfg.split("/")[0] == family), key=lambda c: c.config
    )


def _column(rows: Sequence[Mapping], config: str, column: str) -> list[float]:
    return [float(r[column]) for r in rows if config_of(r["model"])[0] == config and r.get(column) not in (None, "")]


def _mean(values: Sequence[float]) -> float | None:
    return mean_std(list(values))[0] if values else None


def every_pair(
    key: str, pairs: Sequence[tuple[str, Mapping, Mapping]], margin_points: float, alpha: float, family: str, gates
) -> dict | None:
    """ "a is at most ``margin`` below b, for every pair", judged pair by pair (None with no pair):
    :func:`evidence.intersection_union` over one comparison per pair (``(name, a, b)``).

    The mean of each seed's worst pair is not the statistic: it is biased low (a mean of minima lies
    below the minimum of means), so it could refute a claim that no single pair breaks.
    """
    comps = [Comparison(f"{key}: {name}", a, b, margin_points) for name, a, b in pairs]
    return intersection_union({key: comps}, alpha, family, gates).get(key)


def _rival_status(cands, rival, base, ev, gates) -> str:
    """Whether ``rival`` costs at most ``max_cost_points`` against the dense baseline (Holm within its method)."""
    family = [c for (cfg, p), c in cands.items() if p == "float32" and cfg.split("/")[0] == rival.config.split("/")[0]]
    tests = judge(
        [Comparison(c.config, c.accuracy_by_seed, base.accuracy_by_seed, ev["max_cost_points"]) for c in family],
        ev["alpha"],
        rival.config.split("/")[0],
        gates,
    )
    return tests[rival.config]["verdict"]


def int8_first(rows, gates_by_task, ev, cnn_by_seed: Mapping[str, Mapping] | None = None) -> dict:
    """Claim 1: int8 costs at most ``int8_max_cost_points`` on every deployed model (every pair must hold),
    and no other method gains more size and speed at equal or better accuracy (against the dense
    ResNet-18). ``cnn_by_seed`` (precision -> seed -> accuracy of Experiment 1's CNN, trained per seed)
    adds the CNN's int8 cost over its trainings, under both tasks' gates."""
    cands = _by_config(rows)
    tol = ev["int8_max_cost_points"]
    configs = sorted({cfg for cfg, _ in cands if cfg != CNN and (cfg, "int8") in cands and (cfg, "float32") in cands})
    pairs = [(cfg, cands[(cfg, "int8")].accuracy_by_seed, cands[(cfg, "float32")].accuracy_by_seed) for cfg in configs]
    gates = list(gates_by_task["CIFAR-10"])
    cnn_seeds = cnn_by_seed if cnn_by_seed and cnn_by_seed.get("int8") and cnn_by_seed.get("float32") else None
    if cnn_seeds:
        pairs.append((CNN, cnn_seeds["int8"], cnn_seeds["float32"]))
        gates += [g for g in gates_by_task["Fashion-MNIST"] if g not in gates]
    test = every_pair("int8 on every model", pairs, tol, ev["alpha"], "int8 against float32", gates)
    # int8's gain on the dense ResNet-18 against each other method's gain over it in float32
    base32, base8 = cands.get(("baseline", "float32")), cands.get(("baseline", "int8"))
    rivals = [
        c
        for c in cands.values()
        if c.precision == "float32"
        and c.task == "CIFAR-10"
        and c.config.split("/")[0] in ("unstructured", "structured", "kd")
    ]
    # a speed-up is the deployment table's (the geometric mean over timing rounds, the statistic its interval
    # is of), averaged over seeds: int8 over float32 on the baseline, each rival over the baseline in float32
    speed = lambda c: "int8_speedup" if c.config == "baseline" else "speedup_litert_float32"  # noqa: E731
    gain = lambda c: (base32.mib / c.mib, _mean(_column(rows, c.config, speed(c))))  # noqa: E731
    int8_gain = gain(base8) if base8 and base32 else (None, None)
    missing, refuted, open_rivals = [], False, []
    if test is None:
        missing.append(("no model in both precisions", {}))
    elif test["verdict"] == REFUTED:
        refuted = True
        missing.append(("int8 costs more", {"tolerance": tol, "test": test}))
    elif test["verdict"] != SUPPORTED:
        missing.append(("int8 cost open", {"test": test}))
    suspect = bool(base8 and (base8.latency_suspect or base32.latency_suspect))
    if suspect:
        missing.append(("int8 speed-up suspect", {}))
    for c in rivals if base32 and base8 else []:
        g = gain(c)
        known = g[1] is not None and int8_gain[1] is not None
        more = g[0] > int8_gain[0] and known and g[1] > int8_gain[1]
        at_least = g[0] >= int8_gain[0] or (known and g[1] >= int8_gain[1])
        status = _rival_status(cands, c, base32, ev, gates_by_task["CIFAR-10"])
        if more and status == SUPPORTED and not (suspect or c.latency_suspect):
            refuted = True
            missing.append(("rival gains more", {"model": c.config, "size": g[0], "speed": g[1]}))
        elif at_least and status != REFUTED:
            open_rivals.append(
                (
                    "rival open",
                    {"model": c.config, "size": g[0], "speed": g[1], "margin": ev["max_cost_points"], "status": status},
                )
            )
    missing += open_rivals
    supported = (
        bool(test) and test["verdict"] == SUPPORTED and not open_rivals and not suspect and int8_gain[1] is not None
    )
    verdict, reasons = _verdict(gates, supported, refuted, missing)
    # the CNN's deployed files are shown beside the tested pairs when it was not trained per seed
    shown = list(pairs)
    if not cnn_seeds and (CNN, "int8") in cands and (CNN, "float32") in cands:
        shown.append((CNN, cands[(CNN, "int8")].accuracy_by_seed, cands[(CNN, "float32")].accuracy_by_seed))
    costs = [(cfg, -Comparison(cfg, a8, a32).mean_points) for cfg, a8, a32 in shown]
    return {
        "claim": "int8 first",
        "verdict": verdict,
        "reasons": reasons,
        "costs": costs,
        "int8_gain": int8_gain,
        "rival_gains": [(c.config, *gain(c)) for c in rivals] if base32 else [],
        "tolerance": tol,
        "models": len(pairs),
        "cnn_tested": bool(cnn_seeds),
        "margin": ev["max_cost_points"],
    }


def sparse_kernels(rows, speedup_rows, summary_rows, gates, ev) -> dict:
    """Claim 2: masked models are no faster on the dense runtime while their compressed or sparse file
    is smaller; with the MACs a sparse kernel could skip.

    "No faster" is an equivalence with a margin declared in advance (``evidence.speedup_noise``): the
    speed-up's 95 % interval over the timing rounds (``speedups.csv``, the unstructured model against
    its dense baseline, per seed's pair of files) must lie inside 1 ± that margin for every pair
    (intersection-union: each pair at its own level). Noisier timing widens the interval and makes
    support harder, never easier. An interval wholly above 1 + margin refutes the claim; one wholly
    below 1 - margin (slower) or across a bound leaves it open.
    """
    band = ev["speedup_noise"]
    interval = {
        (r["model"], r["column"]): (float(r["speedup"]), float(r["speedup_ci_low"]), float(r["speedup_ci_high"]))
        for r in speedup_rows
        if r.get("speedup_ci_low") not in (None, "") and r.get("speedup_ci_high") not in (None, "")
    }
    found, faster, slower, open_, suspect = [], [], [], [], []
    for r in rows:
        if family_of(r["model"]) != "unstructured":
            continue
        for p in ("float32", "int8"):
            if r.get(f"speedup_litert_{p}") in (None, ""):
                continue
            got = interval.get((r["model"], f"speedup_litert_{p}"))
            if got is None:
                open_.append(("no interval", {"model": r["model"], "precision": p}))
                continue
            s, low, high = got
            found.append((r["model"], p, s, low, high))
            x = {"model": r["model"], "precision": p, "speedup": s, "low": low, "high": high, "band": band}
            if low > 1 + band:
                faster.append(("runs faster", x))
            elif high < 1 - band:
                slower.append(("runs slower", x))
            elif low < 1 - band or high > 1 + band:
                open_.append(("interval wider than the band", x))
            if str(r.get(f"litert_{p}_suspect")) == "True":
                suspect.append(f"{r['model']} {p}")
    sizes = [s for s in summary_rows if s["method"] == "unstructured"]
    smallest = {
        s["amount"]: min(float(s["gzip_state_dict_bytes"] or "inf"), float(s["sparse_state_dict_bytes"] or "inf"))
        / float(s["dense_state_dict_bytes"])
        for s in sizes
    }
    zero = [float(s["zero_macs_pct"]) for s in sizes if s.get("zero_macs_pct") not in (None, "")]
    missing = [("nothing timed", {})] if not found and not open_ else []
    if suspect:
        missing.append(("suspect latencies", {"which": suspect}))
    if any(v >= 1 for v in smallest.values()) or not sizes:
        missing.append(("no smaller file", {}))
    refuted = bool(faster) and not suspect
    supported = (
        bool(found)
        and not faster
        and not slower
        and not open_
        and not suspect
        and bool(sizes)
        and all(v < 1 for v in smallest.values())
    )
    # the speed is the runtime's, but the masks (which weights, how many zero MACs) and the compressed
    # sizes come from the trained weights: the paper's models need the paper's data and weights
    verdict, reasons = _verdict(gates, supported, refuted, faster + slower + open_ + missing)
    return {
        "claim": "sparse kernels",
        "verdict": verdict,
        "reasons": reasons,
        "speedups": found,
        "smallest": smallest,
        "zero_macs_pct": zero,
        "band": band,
    }


def longer_finetuning(sweep_rows, gates_by_task, ev, deployed: int) -> dict:
    """Claim 3: the structured models' gap to the dense control shrinks with longer fine-tuning
    (paired over seeds: the longest length of the sweep against the deployed one)."""
    rows = [r for r in sweep_rows if r["method"] == "structured" and r.get("gap_control_points") not in (None, "")]
    lengths = sorted({int(r["epochs"]) for r in rows})
    comps = []
    if lengths and max(lengths) > deployed:
        longest = max(lengths)
        for amount in sorted({r["amount"] for r in rows}):
            gap = {
                e: {
                    int(r["seed"]): float(r["gap_control_points"]) / 100
                    for r in rows
                    if r["amount"] == amount and int(r["epochs"]) == e
                }
                for e in (longest, deployed)
            }
            comps.append(Comparison(f"structured/amount{float(amount):g}", gap[longest], gap[deployed]))
    family = "fine-tuning length"
    tests = judge(comps, ev["alpha"], family, gates_by_task["CIFAR-10"])
    missing = [] if comps else [("one length", {"deployed": deployed})]
    missing += (
        [("tests", {"tests": {k: v for k, v in tests.items() if v["verdict"] != SUPPORTED}})]
        if any(v["verdict"] != SUPPORTED for v in tests.values())
        else []
    )
    verdict, reasons = _verdict(
        gates_by_task["CIFAR-10"],
        bool(comps) and all(v["verdict"] == SUPPORTED for v in tests.values()),
        any(v["verdict"] == REFUTED for v in tests.values()),
        missing,
    )
    gaps = [(e, mean_std([float(r["gap_control_points"]) for r in rows if int(r["epochs"]) == e])[0]) for e in lengths]
    return {
        "claim": "longer fine-tuning",
        "verdict": verdict,
        "reasons": reasons,
        "family": family,
        "gaps": gaps,
        "tests": tests,
        "deployed": deployed,
        "longest": max(lengths) if lengths else None,
        "compared": len(comps),
    }


def kd_small(rows, gates_by_task, ev, kd_config: str) -> dict:
    """Claim 4: the distilled student beats the student alone (the report's T and alpha, Holm over the
    T x alpha grid); beside it, the student against the structured ResNet-18 of the nearest size."""
    cands = _by_config(rows)
    student = cands.get(("student", "float32"))
    grid = _of(cands, "kd", "float32")
    kd = cands.get((kd_config, "float32"))
    structured = _of(cands, "structured", "float32")
    params = lambda cfg: _mean(_column(rows, cfg, "parameters"))  # noqa: E731
    near = min(structured, key=lambda c: abs((params(c.config) or 0) - (params(kd_config) or 0)), default=None)
    main = (
        judge(
            [Comparison(c.config, c.accuracy_by_seed, student.accuracy_by_seed) for c in grid],
            ev["alpha"],
            "distillation",
            gates_by_task["CIFAR-10"],
        ).get(kd_config)
        if kd and student
        else None
    )
    side = (
        judge(
            [Comparison(near.config, kd.accuracy_by_seed, near.accuracy_by_seed)],
            ev["alpha"],
            "distillation against structured pruning",
            gates_by_task["CIFAR-10"],
        )[near.config]
        if kd and near
        else None
    )
    missing = [] if main else [("no distilled student", {})]
    if main and main["verdict"] != SUPPORTED:
        missing.append(("test", {"test": main}))
    verdict, reasons = _verdict(
        gates_by_task["CIFAR-10"],
        bool(main) and main["verdict"] == SUPPORTED,
        bool(main) and main["verdict"] == REFUTED,
        missing,
    )
    return {
        "claim": "KD for small models",
        "verdict": verdict,
        "reasons": reasons,
        "kd": kd_config,
        "main": main,
        "side": side,
        "near": near.config if near else None,
        "parameters": (params(near.config) if near else None, params(kd_config)),
        "cells": len(grid),
    }


def chain_faster(chain, other, ratio: Mapping) -> tuple[bool | str | None, float | None]:
    """Whether the chain's files run faster than ``other``'s, by the timing job's interval over rounds of
    each seed's ratio (``ratios.csv``, column "over <config> <precision>"): True when every seed's interval
    lies above 1, False when some seed's lies below, ``OPEN`` when an interval includes 1, None when a
    seed's ratio was not timed; and the geometric mean of the seeds' ratios (None when not timed)."""
    column = f"over {other.config} {other.precision}"
    found = [ratio.get((f"{chain.config}/seed{s}", column)) for s in sorted(chain.accuracy_by_seed)]
    if not found or any(r is None for r in found):
        return None, None
    lows = [float(r["speedup_ci_low"]) for r in found]
    highs = [float(r["speedup_ci_high"]) for r in found]
    speed = geometric_mean([float(r["speedup"]) for r in found])
    if all(lo > 1 for lo in lows):
        return True, speed
    if any(hi < 1 for hi in highs):
        return False, speed
    return OPEN, speed


def combining(rows, gates_by_task, ev, ratio_rows: Sequence[Mapping] = ()) -> dict:
    """Claim 5: the full chain (structured + KD fine-tuning + int8) beats each method alone on both
    frontiers: smaller and faster than each (faster by the interval over timing rounds of each seed's
    ratio, ``chain_faster``; never by point latencies), at an accuracy at most ``max_cost_points`` below
    each (every pair, ``every_pair``; Holm over the chain's amounts)."""
    cands = _by_config(rows)
    ratio = {(r["model"], r["column"]): r for r in ratio_rows}
    chains = _of(cands, "chain", "int8")
    alone = [
        c
        for c in (cands.get(("baseline", "int8")), *_of(cands, "structured", "float32"), *_of(cands, "kd", "float32"))
        if c
    ]
    # each chain amount is one claim over its pairs (intersection-union); Holm runs over the amounts
    found = intersection_union(
        {
            ch.label: [
                Comparison(f"{ch.label}: {o.label}", ch.accuracy_by_seed, o.accuracy_by_seed, ev["max_cost_points"])
                for o in alone
            ]
            for ch in chains
        },
        ev["alpha"],
        "combined against each method alone",
        gates_by_task["CIFAR-10"],
    )
    tests = [found.get(ch.label) for ch in chains]
    missing, refuted, all_beat, pairs = [], False, bool(chains and alone), []
    for ch, v in zip(chains, tests):
        if v is None:
            all_beat = False
            continue
        if v["verdict"] == REFUTED:
            refuted = True
            missing.append(("chain costs more", {"chain": ch.label, "margin": ev["max_cost_points"]}))
        elif v["verdict"] != SUPPORTED:
            missing.append(("chain test", {"chain": ch.label, "test": v}))
        all_beat = all_beat and v["verdict"] == SUPPORTED
        for other in alone:
            diff = Comparison("", ch.accuracy_by_seed, other.accuracy_by_seed).mean_points
            faster, speed = chain_faster(ch, other, ratio)
            suspect = ch.latency_suspect or other.latency_suspect
            smaller = ch.mib < other.mib
            pairs.append(
                {"chain": ch.label, "other": other.label, "points": diff, "size": other.mib / ch.mib, "speed": speed}
            )
            if not smaller and faster is False and not suspect:
                refuted = True
                missing.append(("neither smaller nor faster", {"chain": ch.label, "other": other.label}))
            problems = [
                w
                for w, bad in (
                    ("not smaller", not smaller),
                    ("not faster", faster is False),
                    ("latency not measured", faster is None),
                    ("speed-up interval includes 1", faster == OPEN),
                    ("suspect latency", suspect),
                )
                if bad
            ]
            if problems and (smaller or faster is not False or suspect):
                missing.append(
                    (
                        "chain problems",
                        {
                            "chain": ch.label,
                            "other": other.label,
                            "problems": problems,
                            "timed": faster is not None or suspect,
                        },
                    )
                )
            all_beat = all_beat and not problems
    if not chains:
        missing.append(("no chain", {}))
    verdict, reasons = _verdict(gates_by_task["CIFAR-10"], all_beat, refuted, missing)
    return {
        "claim": "combining",
        "verdict": verdict,
        "reasons": reasons,
        "pairs": pairs,
        "margin": ev["max_cost_points"],
        "compared": len(chains),
    }


def conclusions(
    rows,
    speedup_rows,
    summary_rows,
    sweep_rows,
    gates_by_task,
    ev,
    deployed: int,
    kd_config: str,
    cnn_by_seed: Mapping[str, Mapping] | None = None,
    ratio_rows: Sequence[Mapping] = (),
) -> dict:
    """Every conclusion of the paper with our verdict; ``k of n supported`` for the report's opening."""
    decided = [
        int8_first(rows, gates_by_task, ev, cnn_by_seed),
        sparse_kernels(rows, speedup_rows, summary_rows, gates_by_task["CIFAR-10"], ev),
        longer_finetuning(sweep_rows, gates_by_task, ev, deployed),
        kd_small(rows, gates_by_task, ev, kd_config),
        combining(rows, gates_by_task, ev, ratio_rows),
    ]
    out = [
        {
            "n": str(i + 1),
            "paper": words,
            **(said := conclusion_words(d)),
            "reasons": join_reasons(said["reasons"]) or "–",
        }
        for i, (words, d) in enumerate(zip(paper.CONCLUSIONS, decided, strict=True))
    ]
    return {
        "rows": out,
        "n": str(len(out)),
        "supported": str(sum(r["verdict"] == SUPPORTED for r in out)),
        "refuted": str(sum(r["verdict"] == REFUTED for r in out)),
        "undecided": str(sum(r["verdict"] == UNDECIDED for r in out)),
    }
