"""The report's context: every number the template prints, read from the files the workflow wrote.

``build_context`` reads the tables and metrics files and returns plain values for the Jinja2
template (``report/paper.typ.j2``), which holds the prose. Formatting lives in
:mod:`edgecompress.report.format`, the choice per device class in :mod:`edgecompress.report.recommend`, the
tests and gates in :mod:`edgecompress.report.evidence`, and every verdict (claims, choices, gates) in
:mod:`edgecompress.report.verdicts`; this module only reads and assembles.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from .. import compare, paper
from ..checksums import file_digests
from ..config import sweep_label, training_seeds
from ..deployment.flags import SUSPECT_KINDS
from ..deployment.levels import ROOF_MISFIT, SUSPECT, UNCONFIRMED, WITHIN, levels_of, roof_fit
from ..deployment.machine import isa_text
from ..modelkey import CNN, PRUNING, config_of, parse
from ..results import read_csv, read_json
from ..stats import mean_std
from . import conclusions, parity, verdicts
from .format import budget_fields, code_string, count, failed_gates, gate_reason, measured, num, signed, spread
from .recommend import RAM_MEASURE

TITLE_EN = (
    "Analysis of convolutional neural network compression methods for effective deployment in Edge AI environments"
)
TITLE_UK = "Аналіз методів стиснення згорткових нейронних мереж для ефективного розгортання у середовищі Edge AI"
CITATION = "D. Marchuk, Information Technology and Society, 2025, no. 4, DOI 10.32689/maup.it.2025.4.17 (CC BY 4.0)"


# ---------------------------------------------------------------- sections
def cnn_seed_accuracies(seeds_csv) -> dict[str, dict[int, float]]:
    """Precision -> seed -> accuracy of Experiment 1's CNN files, one training per seed
    (``results/quantization/seeds.csv``; empty without it)."""
    out: dict[str, dict[int, float]] = {}
    for r in read_csv(seeds_csv) if seeds_csv else []:
        if r["variant"] in ("float32", "int8"):
            out.setdefault(r["variant"], {})[int(r["seed"])] = float(r["accuracy"])
    return out


def quantization_section(table_csv, keras_json, int8_json, cnn: Mapping, cnn_latency: Mapping) -> dict:
    """Table 1 beside ours; latency from the one timing job (``cnn``: the deployment table's CNN row)."""
    rows = read_csv(table_csv)
    digits = {"MiB": 4, "x": 2, "fraction": 4}
    table = [
        {
            "metric": r["metric"],
            "model": r["model"],
            "unit": r["unit"],
            "paper": num(r["paper"], digits.get(r["unit"], 4)) if r["paper"] else "–",
            "ours": num(r["ours"], digits.get(r["unit"], 4))
            + (
                f" ± {num(r['ours_std'], digits.get(r['unit'], 4))}"
                if r.get("ours_std") not in (None, "") and float(r["ours_std"]) > 0
                else ""
            ),
            "difference": signed(r["difference"], digits.get(r["unit"], 4)) if r["difference"] else "–",
            "note": r["note"],
        }
        for r in rows
    ]
    by = {(r["metric"], r["model"]): r for r in rows}
    keras, int8 = read_json(keras_json), read_json(int8_json)
    p = paper.QUANTIZATION
    with_opt = keras["size"]["with_optimizer"]
    int8_bytes = by[("size", "int8 (.tflite)")]
    return {
        "table": table,
        "parameters": count(keras["parameters"]),
        "epochs": str(len(keras["history"])),
        "seeds": str(max((int(r["seeds"]) for r in rows if r.get("seeds")), default=1)),
        "seed": str(keras.get("provenance", {}).get("config", {}).get("seed", "")),
        "ratio_keras": num(by[("compression ratio", "int8 vs .keras with optimizer state")]["ours"], 2),
        "ratio_tflite": num(by[("compression ratio", "int8 vs float32 .tflite")]["ours"], 2)
        if ("compression ratio", "int8 vs float32 .tflite") in by
        else "–",
        "float_acc": num(by[("accuracy", "float32 (Keras)")]["ours"]),
        "int8_acc": num(by[("accuracy", "int8 (.tflite)")]["ours"]),
        "change": signed(
            float(by[("accuracy", "int8 (.tflite)")]["ours"]) - float(by[("accuracy", "float32 (Keras)")]["ours"]), 4
        ),
        "keras_mib": num(with_opt["mib"], 4),
        "keras_mb": num(with_opt["bytes"] / 1e6, 4),
        "int8_mib": num(int8_bytes["ours"], 4),
        "bare_mib": num(by[("size", "float32 (.keras without optimizer state)")]["ours"], 4),
        "weight_check": [
            {
                "layer": c["layer"],
                "tensor": c["tensor"],
                "dtype": c["tflite_dtype"],
                "error": f"{c['max_abs_error']:.3g}",
                "steps": num(c["max_error_in_steps"], 3),
            }
            for c in int8["weight_check"]
        ],
        "worst_steps": num(max(c["max_error_in_steps"] for c in int8["weight_check"]), 3),
        "test_images": count(int8["test_images"]),
        "float_latency": num(cnn.get("litert_float32_ms"), 4),
        "int8_latency": num(cnn.get("litert_int8_ms"), 4),
        "int8_mean_latency": num(cnn_latency.get("mean_ms"), 4),
        "int8_speedup": num(cnn.get("int8_speedup"), 2),
        "paper": {
            "ratio": num(p["compression_ratio"]["int8"], 2),
            "keras_mb": num(p["size_mb"]["float32"], 2),
            "int8_mb": num(p["size_mb"]["int8"], 2),
            "float_acc": num(p["accuracy"]["float32"]),
            "int8_acc": num(p["accuracy"]["int8"]),
            "change": signed(p["accuracy"]["int8"] - p["accuracy"]["float32"], 4),
            "printed": paper.SLIPS["int8_change_printed"],
            "latency": num(p["latency_ms"]["int8"], 3),
        },
    }


def epoch_table(rows: list[dict], match: Mapping[str, str]) -> list[dict]:
    out = []
    for r in rows:
        if all(r.get(k) == v for k, v in match.items()):
            has_paper = r["paper_loss"] not in (None, "")
            out.append(
                {
                    "epoch": r["epoch"],
                    "loss": num(r["loss"]),
                    "paper_loss": num(r["paper_loss"]),
                    "acc": num(r["test_accuracy_pct"], 2),
                    "paper_acc": num(r["paper_test_accuracy_pct"], 2),
                    "loss_diff": signed(float(r["loss"]) - float(r["paper_loss"]), 4) if has_paper else "–",
                    "acc_diff": signed(float(r["test_accuracy_pct"]) - float(r["paper_test_accuracy_pct"]), 2)
                    if has_paper
                    else "–",
                }
            )
    return out


def pruning_section(epochs_csv, summary_csv, layers_json, seed: int, amounts: Mapping[str, float]) -> dict:
    epochs, summary, layers = read_csv(epochs_csv), read_csv(summary_csv), read_json(layers_json)
    s = str(seed)
    tables = {
        "baseline": epoch_table(epochs, {"method": "baseline", "seed": s}),
        "unstructured": epoch_table(
            epochs, {"method": "unstructured", "seed": s, "amount": f"{amounts['unstructured']:g}"}
        ),
        "structured": epoch_table(epochs, {"method": "structured", "seed": s, "amount": f"{amounts['structured']:g}"}),
    }
    rows = []
    for r in summary:
        structured = r["method"] == "structured"
        rows.append(
            {
                "method": r["method"],
                "amount": num(r["amount"], 2),
                "seeds": r["seeds"],
                # structured pruning masks no weight: it removes filters, so it shows the share of parameters gone
                "removed": num(r["parameters_removed_pct"] if structured else r["model_sparsity_pct"], 2),
                "removed_kind": "parameters removed" if structured else "weights masked",
                "paper_sparsity": num(r["paper_sparsity_pct"], 2),
                "before": num(r["accuracy_before_finetune_pct"], 2),
                "paper_before": num(r["paper_before_finetune_pct"], 2),
                "acc": num(r["accuracy_pct"], 2),
                "std": spread(r["accuracy_std"], r["seeds"]),
                "paper_acc": num(r["paper_accuracy_pct"], 2),
                "params": count(r["parameters"]),
                "macs": f"{float(r['macs']) / 1e6:.1f}",
                "macs_reduction": num(r["macs_reduction"], 2),
                "macs_removed": num(r["macs_removed_pct"], 1),
                "params_removed": num(r["parameters_removed_pct"], 1),
                "dense_mib": num(float(r["dense_state_dict_bytes"]) / 2**20, 2) if r["dense_state_dict_bytes"] else "–",
                "gzip_mib": num(float(r["gzip_state_dict_bytes"]) / 2**20, 2) if r["gzip_state_dict_bytes"] else "–",
                "sparse_mib": num(float(r["sparse_state_dict_bytes"]) / 2**20, 2)
                if r["sparse_state_dict_bytes"]
                else "–",
            }
        )
    by = {(r["method"], float(r["amount"])): r for r in summary}
    u = by.get(("unstructured", amounts["unstructured"]))
    st = by.get(("structured", amounts["structured"]))
    p = paper.PRUNING
    return {
        "epochs": tables,
        "summary": rows,
        "layers": {
            "list": ", ".join(layers["layers"]),
            "count": str(len(layers["layers"])),
            "of": str(layers["candidate_layers"]),
            "k": str(layers["lists_giving_paper_pct"]),
            "ours_pct": num(layers["ours_pct"], 3),
            "paper_pct": num(layers["paper_pct"], 2),
            "amount": f"{100 * layers['amount']:g}",
        },
        "unstructured": {
            "sparsity": num(u["model_sparsity_pct"], 3),
            "before": num(u["accuracy_before_finetune_pct"], 2),
        }
        if u
        else None,
        "structured": {
            "params_removed": num(st["parameters_removed_pct"], 1),
            "macs_removed": num(st["macs_removed_pct"], 1),
            "before": num(st["accuracy_before_finetune_pct"], 2),
            # within 5 points of chance (10 classes): what the paper's 11.6 % also is
            "near_chance": float(st["accuracy_before_finetune_pct"]) <= 100 / paper.CLASSES + 5,
        }
        if st
        else None,
        "paper": {
            "u_sparsity": num(p["unstructured"]["sparsity_pct"], 2),
            "s_sparsity": num(p["structured"]["sparsity_pct"], 2),
            "u_before": num(p["unstructured"]["before_finetune_pct"], 2),
            "s_before": num(p["structured"]["before_finetune_pct"], 2),
        },
    }


def distillation_section(table2_csv, grid_csv, epochs_csv, seed: int) -> dict:
    table2, grid, epochs = read_csv(table2_csv), read_csv(grid_csv), read_csv(epochs_csv)
    s = str(seed)
    rows = [
        {
            "model": r["model"],
            "seeds": r["seeds"],
            "acc": num(r["accuracy_pct"], 2),
            "std": spread(r["accuracy_std"], r["seeds"]),
            "paper_acc": num(r["paper_accuracy_pct"], 2),
            "diff": signed(r["difference_pct"], 2),
            "params": count(r["parameters"]),
            "params_1000": count(r["parameters_1000_class_head"]),
            "paper_params": f"≈ {float(r['paper_parameters_m']):g} M",
            "mib": num(float(r["state_dict_bytes"]) / 2**20, 2),
        }
        for r in table2
    ]
    grid_rows = [
        {
            "T": f"{float(r['temperature']):g}",
            "alpha": f"{float(r['alpha']):g}",
            "seeds": r["seeds"],
            "kd": num(r["kd_accuracy_pct"], 2),
            "kd_std": spread(r["kd_accuracy_std"], r["seeds"]),
            "no_kd": num(r["no_kd_accuracy_pct"], 2),
            "gain": signed(r["gain_pct"], 2),
            "gain_std": spread(r["gain_std"], r["seeds"]),
            "p": num(r["gain_p_value"], 3),
            "p_holm": num(r["gain_p_holm"], 3),
            "wins": f"{r['seeds_with_gain']}/{r['seeds']}",
        }
        for r in grid
    ]
    role = {r["role"]: r for r in table2}
    student, teacher = role["student"], role["teacher"]
    gap = float(student["accuracy_pct"]) - float(teacher["accuracy_pct"])
    p = paper.DISTILLATION
    return {
        "table2": rows,
        "grid": grid_rows,
        "cells": len(grid_rows),
        "epochs": {
            "teacher": epoch_table(epochs, {"run": "teacher", "seed": s}),
            "student": epoch_table(epochs, {"run": "student", "seed": s}),
        },
        "student": {
            "params": count(student["parameters"]),
            "params_1000": count(student["parameters_1000_class_head"]),
            "acc": num(student["accuracy_pct"], 2),
        },
        "teacher": {"acc": num(teacher["accuracy_pct"], 2)},
        "gap": signed(gap, 2),
        "student_beats_teacher": gap > 0,
        "paper": {
            "student": num(p["student"]["accuracy_pct"], 1),
            "teacher": num(p["teacher"]["accuracy_pct"], 1),
            "kd": num(p["student_kd"]["accuracy_pct"], 1),
            "params_m": f"{p['student']['parameters_m']:g}",
            "gap": num(p["student"]["accuracy_pct"] - p["teacher"]["accuracy_pct"], 1),
            "teacher_called": paper.SLIPS["teacher_called"],
            "alpha": paper.SLIPS["kd_alpha"],
        },
    }


def sweep_section(sweep_csv) -> dict:
    """The fine-tuning sweep over seeds: each method's accuracy after each length, the dense control's
    after as many epochs, and the gap to each (the control is the fair comparison; the baseline
    trained none of the fine-tuning epochs)."""
    rows = read_csv(sweep_csv)
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["method"], float(r["amount"]), int(r["epochs"])), []).append(r)
    out = []
    for (method, amount, epochs), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] != "control", kv[0])):
        acc = mean_std([100 * float(r["accuracy"]) for r in rs])
        gap_c = [float(r["gap_control_points"]) for r in rs if r["gap_control_points"] not in ("", None)]
        gap_b = [float(r["gap_baseline_points"]) for r in rs if r["gap_baseline_points"] not in ("", None)]
        out.append(
            {
                "method": method,
                "amount": "–" if method == "control" else f"{amount:g}",
                "epochs": str(epochs),
                "deployed": rs[0]["deployed"] == "True",
                "seeds": str(len(rs)),
                "acc": num(acc[0], 2),
                "std": spread(acc[1], len(rs)),
                "gap_control": "–" if method == "control" or not gap_c else signed(mean_std(gap_c)[0], 2),
                "gap_baseline": signed(mean_std(gap_b)[0], 2) if gap_b else "–",
            }
        )
    control = {
        int(r["seed"]): float(r["accuracy"]) for r in rows if r["method"] == "control" and r["deployed"] == "True"
    }
    return {"rows": out, "raw": rows, "control": control}


def _bytes(n) -> str:
    """A size as a reader reads it: ``1.6 MiB``, ``48 KiB`` (at most one decimal)."""
    value, unit = (n / 2**20, "MiB") if n >= 2**20 else (n / 2**10, "KiB")
    return f"{round(value, 1):g} {unit}"


def roofline_section(machine: Mapping, roofline_csv=None, speedups_csv=None) -> dict:
    """The measured roofs, every model of the first seed on them (LiteRT, batch 1), every speed-up of
    that seed beside the roofline's prediction; every measured value marked (``measured``).

    The memory levels are the sweep's plateaus (or a record's reported levels that its bandwidths tell
    apart), listed from the core outward; whether the roof model fits this CPU is said once."""
    roofs = machine.get("roofline") or {"status": "not measured", "reason": "no roofs recorded"}
    rows = read_csv(roofline_csv) if roofline_csv else []
    speedups = read_csv(speedups_csv) if speedups_csv else []
    seeds = sorted({parse(r["model"]).seed for r in rows if r["model"] != CNN})
    first = [
        r
        for r in rows
        if r["runtime"] == "litert"
        and int(r["batch"]) == 1
        and (r["model"] == CNN or parse(r["model"]).seed == seeds[0])
    ]
    out = {
        "measured": roofs.get("status") == "measured",
        "reason": roofs.get("reason", ""),
        "seed": str(seeds[0]) if seeds else "–",
        "files": str(len(rows)),
    }
    if out["measured"]:
        levels = levels_of(roofs)
        checks = [r["roof_check"] for r in rows if r.get("roof_check")]
        fitted = roof_fit(rows)
        sweep = roofs.get("sweep") or []
        out.update(
            peaks=", ".join(
                f"{p} {measured(num(v / 1e9, 1))} GMAC/s" for p, v in sorted(roofs["peak_macs_per_s"].items())
            ),
            # from the core outward (the sweep's order), never sorted by a bandwidth that two runs may swap
            bandwidth=measured(
                ", ".join(
                    f"{lv['name']} {num(lv['bandwidth_bytes_per_s'] / 1e9, 1)} GB/s"
                    + (f" (up to {_bytes(lv['holds_bytes'])})" if lv.get("holds_bytes") else "")
                    for lv in levels
                )
            ),
            caches=", ".join(f"{k} {_bytes(v)}" for k, v in sorted(roofs["cache_bytes"].items()))
            or roofs.get("cache_hint")
            or "none",
            swept=bool(sweep),
            sweep_range=(
                f"{_bytes(sweep[0]['bytes'])} to {_bytes(sweep[-1]['bytes'])}, {len(sweep)} sizes" if sweep else ""
            ),
            seconds=num(roofs["seconds"], 1),
            faster=str(sum(c != WITHIN for c in checks)),
            counts={k: measured(str(checks.count(k))) for k in (WITHIN, ROOF_MISFIT, SUSPECT, UNCONFIRMED)},
            fits=fitted["fits"],
            bounded=str(fitted["bounded"]),
            no_roof=", ".join(
                sorted(
                    {
                        r["precision"]
                        for r in rows
                        if not r.get("roof_check") and r.get("roof_status", "").startswith("no roof")
                    }
                )
            ),
        )
    marks = {SUSPECT: " ‡", ROOF_MISFIT: " ◦", UNCONFIRMED: " ?"}
    out["rows"] = [
        {
            "model": r["model"],
            "precision": r["precision"],
            "mmacs": num(float(r["macs"]) / 1e6, 1),
            "weights_mib": num(float(r["weight_bytes"]) / 2**20, 2),
            "act_kib": num(float(r["activation_bytes"]) / 2**10, 0),
            "level": measured(r.get("roof_level") or "–"),
            "bound": measured(r.get("roof_bound") or "–"),
            "attainable": measured(num(r.get("roof_attainable_ms"), 3)),
            "measured_ms": measured(num(r["measured_ms"], 3)),
            "fraction": measured(num(r.get("roof_fraction"), 2) + marks.get(r.get("roof_check", ""), "")),
        }
        for r in first
    ]
    keep = {r["model"] for r in first}
    out["speedups"] = [
        {
            "model": r["model"],
            "column": r["column"],
            "measured": measured(
                num(r["speedup"], 2)
                + (
                    f" [{num(r['speedup_ci_low'], 2)}, {num(r['speedup_ci_high'], 2)}]"
                    if r["speedup_ci_low"] not in ("", None)
                    else ""
                )
                + ("" if r["speedup_certain"] != "False" else " (uncertain)")
            ),
            "predicted": measured(num(r.get("speedup_predicted"), 2)),
            "ratio": measured(num(r.get("speedup_measured_over_predicted"), 2)),
            "why": measured(r.get("speedup_explained") or "–"),
        }
        for r in speedups
        if r["model"] in keep
    ]
    return out


def deployment_section(
    table_csv, machine_json, latency_csv, memory_csv=None, roofline_csv=None, speedups_csv=None
) -> dict:
    """The deployment table (every model on LiteRT and in PyTorch), what the timing ran on, its roofline."""
    table, machine, latency = read_csv(table_csv), read_json(machine_json), read_csv(latency_csv)
    on_tflm = [
        {
            "model": r["model"],
            "precision": r["precision"],
            "images": r["tflm_images"],
            "tflm": num(_pct(r["tflm_accuracy"]), 2),
            "litert": num(_pct(r["litert_accuracy"]), 2),
            "agreement": num(_pct(r["tflm_litert_agreement"]), 2),
        }
        for r in (read_csv(memory_csv) if memory_csv else [])
        if r["tflm_accuracy"] not in ("", None)
    ]
    rows = [
        {
            "model": r["model"],
            "mib_float32": num(r["mib_float32"], 2),
            "mib_int8": num(r["mib_int8"], 2),
            "params": count(r["parameters"]),
            "mmacs": f"{float(r['macs']) / 1e6:.1f}" if r["macs"] else "–",
            "acc_float32": num(_pct(r["accuracy_float32"]), 1),
            "acc_int8": num(_pct(r["accuracy_int8"]), 1),
            "litert_float32": num(r["litert_float32_ms"], 3),
            "litert_int8": num(r["litert_int8_ms"], 3),
            "int8_speedup": num(r["int8_speedup"], 2) + _flag(r, "int8_speedup"),
            "pytorch_b1": num(r["pytorch_batch1_ms"], 3),
            "pytorch_bn": num(r["pytorch_batchN_ms_per_image"], 3),
            "speedup_bn": num(r["speedup_pytorch_batchN"], 2) + _flag(r, "speedup_pytorch_batchN"),
            "speedup_litert": num(r["speedup_litert_float32"], 2) + _flag(r, "speedup_litert_float32"),
            "macs_reduction": num(r["macs_reduction"], 2),
            "suspect": r["suspect"],
            "note": r["note"],
        }
        for r in table
    ]
    memory = [
        {
            "model": r["model"],
            "precision": p,
            "mib": num(r[f"mib_{p}"], 3),
            "arena_kib": num(_kib(r.get(f"arena_bytes_{p}")), 1),
            "peak_kib": num(_kib(r.get(f"peak_live_bytes_{p}")), 1),
            "process_mib": num(_mib(r.get(f"process_rss_bytes_{p}")), 1),
            "tflm": r.get(f"tflm_{p}") or "–",
        }
        for r in table
        for p in ("float32", "int8")
        if r.get(f"mib_{p}") not in (None, "")
    ]
    litert = [r for r in latency if r["runtime"] == "litert"]
    verdicts = [r.get("benchmark_verdict", "") for r in litert]
    tool_run = machine.get("benchmark_runs", 1) > 0 and any(r["benchmark_tool_ms"] not in ("", None) for r in litert)
    return {
        "table": rows,
        "models": per_model(table),
        "raw": table,
        "latency": latency,
        "memory": memory,
        "on_tflm": on_tflm,
        "suspects": suspect_lines(table),
        "roofline": roofline_section(machine, roofline_csv, speedups_csv),
        "rounds_run": str(machine.get("rounds_run", machine["rounds"])),
        "max_rounds": str(machine.get("max_rounds", "–")),
        "ratio_ci": f"{100 * machine['ratio_ci']:g}" if "ratio_ci" in machine else "–",
        "cpu": machine["cpu_model"],
        "isa": isa_text(machine["isa"]),
        "threads": str(machine["threads"]),
        "kernels": machine["kernels"],
        "rounds": str(machine["rounds"]),
        "runs": str(machine["runs"]),
        "load_before": ", ".join(f"{v:.2f}" for v in machine["load_average_before"]) or "–",
        "load_after": ", ".join(f"{v:.2f}" for v in machine["load_average_after"]) or "–",
        "batch": table[0]["batch"] if table and table[0]["batch"] else "–",
        "max_spread": num(max(float(r["spread"]) for r in latency), 2) if latency else "–",
        # the timing job records the comparison's rules beside its results
        "tool": {
            "run": tool_run,
            "comparable": machine["kernels"] in machine["benchmark_kernels"],
            "checked": str(sum(v in ("agrees", "disagrees") for v in verdicts)),
            "agrees": str(verdicts.count("agrees")),
            "unresolved": str(sum(v.startswith("unresolved") for v in verdicts)),
            "files": str(len(litert)),
            "agreement_pct": f"{100 * machine['benchmark_agreement']:g}",
            "resolvable_ms": f"{machine['benchmark_resolvable_ms']:g}",
        },
    }


def over_seeds(values: Sequence, digits: int) -> str:
    """Mean ± std over seeds ("–" for none; the value alone for one seed)."""
    found = [float(v) for v in values if v not in (None, "")]
    if not found:
        return "–"
    mean, std = mean_std(found)
    return num(mean, digits) if len(found) == 1 else f"{num(mean, digits)} ± {num(std, digits)}"


# the deployment table's columns summarised over seeds: (column of the per-seed row, digits, a flagged ratio)
PER_MODEL = {
    "mib_float32": ("mib_float32", 2, False),
    "mib_int8": ("mib_int8", 2, False),
    "acc_float32": ("accuracy_float32", 1, False),
    "acc_int8": ("accuracy_int8", 1, False),
    "litert_float32": ("litert_float32_ms", 3, False),
    "litert_int8": ("litert_int8_ms", 3, False),
    "int8_speedup": ("int8_speedup", 2, True),
    "pytorch_b1": ("pytorch_batch1_ms", 3, False),
    "pytorch_bn": ("pytorch_batchN_ms_per_image", 3, False),
    "speedup_litert": ("speedup_litert_float32", 2, True),
    "speedup_bn": ("speedup_pytorch_batchN", 2, True),
    "macs_reduction": ("macs_reduction", 2, False),
}


def per_model(table: Sequence[Mapping]) -> list[dict]:
    """One row per model (its seeds pooled: mean ± std), in the per-seed table's order; a ratio gets † when
    any seed's is flagged, and each model's note is printed once (the per-seed rows are the appendix's)."""
    groups: dict[str, list] = {}
    for r in table:
        groups.setdefault(config_of(r["model"])[0], []).append(r)
    out = []
    for config, rows in groups.items():
        row = {"model": config, "seeds": str(len(rows)), "note": rows[0]["note"]}
        for name, (column, digits, flagged) in PER_MODEL.items():
            scale = 100 if column.startswith("accuracy") else 1
            values = [float(r[column]) * scale for r in rows if r.get(column) not in (None, "")]
            flag = " †" if flagged and any(_flag(r, column) for r in rows) else ""
            row[name] = over_seeds(values, digits) + flag
        row["params"] = count(rows[0]["parameters"]) if rows[0].get("parameters") not in (None, "") else "–"
        macs = [float(r["macs"]) / 1e6 for r in rows if r.get("macs") not in (None, "")]
        row["mmacs"] = over_seeds(macs, 1) if macs and max(macs) != min(macs) else (f"{macs[0]:.1f}" if macs else "–")
        out.append(row)
    return out


def _flag(row: Mapping, column: str) -> str:
    """A dagger beside a ratio the table flags (the list under the table says why)."""
    return " †" if any(c.split(":")[0] == column for c in row.get("suspect_columns", "").split(";") if c) else ""


def suspect_lines(table: list[dict]) -> list[dict]:
    """The flagged speed-ups, one line per model family and method, column and reason, with the range over seeds."""
    groups: dict[tuple, list] = {}
    for r in table:
        for item in filter(None, r.get("suspect_columns", "").split(";")):
            column, kind = item.split(":")
            groups.setdefault((config_of(r["model"])[0], column, kind), []).append(r)
    lines = []
    for (config, column, kind), rows in groups.items():
        values = sorted(float(r[column]) for r in rows)
        seeds = len({r["seed"] for r in rows})
        total = len({r["seed"] for r in table if config_of(r["model"])[0] == config})
        span = f"{values[0]:.2f}x" if values[0] == values[-1] else f"{values[0]:.2f}–{values[-1]:.2f}x"
        lines.append(
            {
                "model": config,
                "column": column,
                "range": span,
                "seeds": f"{seeds} of {total}",
                "reason": SUSPECT_KINDS[kind],
            }
        )
    return lines


def _kib(value):
    return None if value in (None, "") else float(value) / 1024


def _mib(value):
    return None if value in (None, "") else float(value) / 2**20


def _pct(value):
    return None if value in (None, "") else 100 * float(value)


# ---------------------------------------------------------------- conditions
def conditions(
    fashion_official: bool,
    cifar_official: bool,
    pretrained: Mapping[str, bool],
    pretrained_asked: bool,
    description: str,
) -> dict:
    """What the run stands on, and the mark every page and figure carries when it is not the paper's setting.

    ``pretrained``: every trained PyTorch model (teachers, students, pruned and control models) and
    whether it started from torchvision's ImageNet file; with none the weights are not official.
    """
    weights_official = bool(pretrained) and all(pretrained.values())
    marks = []
    if not (fashion_official and cifar_official):
        marks.append("NON-OFFICIAL DATA")
    if not weights_official:
        marks.append("NO IMAGENET WEIGHTS")
    return {
        "fashion_official": fashion_official,
        "cifar_official": cifar_official,
        "weights_official": weights_official,
        "pretrained": dict(pretrained),
        "pretrained_asked": pretrained_asked,
        "description": description,
        "mark": " · ".join(marks),
        "training": "fine-tuning from ImageNet weights"
        if weights_official
        else "training from non-ImageNet weight files"
        if pretrained_asked
        else "training from scratch",
    }


def vela_section(rows: Sequence[Mapping]) -> dict:
    """Vela's table as printed: one row per (model, accelerator), estimates said to be estimates."""
    shown = []
    for r in rows:
        ok = r["status"] == "compiled"
        shown.append(
            {
                "model": r["model"],
                "accelerator": r["accelerator"],
                "status": r["status"],
                "npu": f"{r['npu_operators']}/{int(r['npu_operators']) + int(r['cpu_operators'])}" if ok else "–",
                "fallback": r["cpu_fallback"] or "–" if ok else "–",
                "ms": num(r["inference_ms"], 3) if ok else "–",
                "mhz": num(r["clock_mhz"], 0) if ok else "–",
                "sram": num(_kib(r["sram_bytes"]), 1) if ok else "–",
                "weights": f"{num(_mib(r['weights_bytes']), 2)} ({r['weights_in']})" if ok else "–",
            }
        )
    return {
        "rows": shown,
        "version": rows[0]["vela_version"] if rows else "–",
        "compiled": sum(r["status"] == "compiled" for r in rows),
        "files": len(rows),
    }


def limits(gates_by_task: Mapping, reached: Sequence[Mapping], cpu: str, arm_rows: Sequence[Mapping] = ()) -> list[str]:
    """What limits this run, for the report's opening: every failed gate, every family its seeds cannot
    decide (``verdicts.reach``), the one CPU timed, ARM parity not run or disagreeing."""
    out = [f"{task}: {reason}" for task, gs in gates_by_task.items() for reason in failed_gates(gs)]
    out += [
        f"{r['family']}: {r['status']} (smallest p {r['smallest_p']}, Holm's threshold {r['threshold']} "
        f"over {r['tests']} tests)"
        for r in reached
        if not r["decidable"]
    ]
    out.append(f"latencies measured on one CPU ({cpu}); other devices are not measured")
    not_run = next((r["status"] for r in arm_rows if r["status"] != "ran"), None)
    if not_run:
        out.append(f"ARM parity: {not_run}")
    flagged = [f"{r['model']} {r['precision']}" for r in arm_rows if str(r["flagged"]) == "True"]
    if flagged:
        out.append(
            f"ARM parity: {len(flagged)} file(s) disagree between aarch64 and x86 beyond rounding (e.g. {flagged[0]})"
        )
    return out


# ---------------------------------------------------------------- provenance
def provenance(metrics_files: Mapping[str, str], config: Mapping, data_summaries: Mapping[str, str]) -> dict:
    """Every metrics file's commit and device; a warning when they differ (results of different code)."""
    runs, packages = [], {}
    for name, path in metrics_files.items():
        prov = read_json(path)["provenance"]
        runs.append({"file": name, "commit": prov["git_commit"][:12], "device": str(prov.get("device") or "cpu")})
        packages.update({k: v for k, v in prov["packages"].items() if v != "not installed"})
    first = read_json(next(iter(metrics_files.values())))["provenance"]
    inputs = []
    for name, path in data_summaries.items():
        for item in read_json(path)["provenance"]["inputs"].values():
            inputs.append({"dataset": name, "file": Path(item["path"]).name, "sha256": item["sha256"]})
    commits = sorted({r["commit"] for r in runs})
    devices = sorted({r["device"] for r in runs})
    return {
        "commit": first["git_commit"],
        "python": first["python"],
        "platform": first["platform"],
        "cpu": first["cpu"],
        "cpu_count": str(first["cpu_count"]),
        "runs": runs,
        "commits": ", ".join(commits),
        "devices": ", ".join(devices),
        "mixed": len(commits) > 1 or len(devices) > 1,
        "packages": [{"name": k, "version": v} for k, v in sorted(packages.items())],
        "inputs": inputs,
        # leading spaces as no-break spaces, so the YAML indentation survives typesetting
        "config_lines": [
            line.replace(" ", "\u00a0") for line in yaml.safe_dump(dict(config), sort_keys=True, width=100).splitlines()
        ],
    }


def draws_section(config: Mapping, summaries: Sequence[str]) -> dict:
    """Which CIFAR-10 draw each training seed trained and was tested on (the data stage's summaries say
    which draw each is), as the methods section prints it."""
    fixed = config["data"]["cifar10"]["subset_seed"]
    drawn = {int(read_json(p).get("draw", -1)) for p in summaries}
    seeds = training_seeds(config)
    per_seed = fixed == "per_seed"
    by_seed = {s: (s if per_seed else int(fixed)) for s in seeds}
    missing = sorted(set(by_seed.values()) - drawn)
    if missing:
        raise ValueError(f"no data summary for CIFAR-10 draw(s) {missing} (the summaries hold draws {sorted(drawn)})")
    return {
        "per_seed": per_seed,
        "fixed": None if per_seed else str(fixed),
        "by_seed": ", ".join(f"seed {s}: draw {d}" for s, d in by_seed.items()),
        "n": str(len(set(by_seed.values()))),
        "train": str(config["data"]["cifar10"]["train_size"]),
        "test": str(config["data"]["cifar10"]["test_size"]),
    }


def reference_section(folder: str | None, run: str | os.PathLike = ".", shown: int = 5) -> dict | None:
    """This run's metrics and tables against ``report.reference`` (``make compare``), as the appendix prints it.

    The report's own tables (``results/report/``, written by the notebooks beside this rule) are
    left out; every other JSON and CSV of either folder is compared.
    """
    if not folder:
        return None
    files = {
        f for f in compare.run_files(Path(folder)) | compare.run_files(Path(run)) if not f.startswith("results/report/")
    }
    result = compare.compare(folder, run, files=files)
    fixed = result.counts([k.name for k in compare.KINDS if k.name not in compare.MEASURED_KINDS])
    timed = result.counts(compare.MEASURED_KINDS)
    bad = [r for r in result.failing if r.kind not in compare.MEASURED_KINDS]
    return {
        "path": str(folder),
        "files": str(len(files)),
        "fields": str(len(result.rows)),
        "platform": (
            "the same CPU: deterministic values must be equal"
            if result.same_platform
            else "another CPU or a GPU: trained values differ as another seed's would and are held to the "
            "stated tolerances without failing; the structure must be equal"
        ),
        "equal": str(fixed.get("equal", 0)),
        "within": str(fixed.get("within tolerance", 0)),
        "beyond": str(fixed.get("beyond tolerance", 0)),
        "differ": str(len(bad)),
        "listed": str(fixed.get("listed", 0) + fixed.get("not comparable", 0)),
        "config": ", ".join(sorted({r.field for r in result.config})),
        "measured": ", ".join(f"{n} {v}" for v, n in timed.items()) or "none",
        "worst": [
            f"{r.file} {r.key} {r.field}: {r.a or '(none)'} -> {r.b or '(none)'} ({r.verdict})".replace("  ", " ")
            for r in bad[:shown]
        ],
        "more": str(max(0, len(bad) - shown)),
    }


def official(config_sources: Mapping[str, Mapping], summary_json: str) -> bool:
    """Whether the data summary's input files carry the publishers' checksums (from the schema's defaults)."""
    got = {Path(v["path"]).name: v["sha256"] for v in read_json(summary_json)["provenance"]["inputs"].values()}
    return bool(got) and all(got.get(name) == digest for name, digest in config_sources.items())


def _md5_matches(path: str | os.PathLike, md5: str) -> bool:

    return file_digests(path, ("md5",))["md5"] == md5


def build_context(
    inputs: Mapping[str, Any],
    config: Mapping,
    figures: Mapping[str, Mapping],
    official_checksums: Mapping[str, Mapping[str, str]],
    official_md5: Mapping[str, str],
) -> dict:
    dep = deployment_section(
        inputs["deployment_table"],
        inputs["deployment_machine"],
        inputs["deployment_latency"],
        inputs["deployment_memory"],
        inputs.get("deployment_roofline"),
        inputs.get("deployment_speedups"),
    )
    cnn = next((r for r in dep["raw"] if r["model"] == "cnn"), {})
    cnn_latency = next((r for r in dep["latency"] if r["model"] == "cnn" and r["precision"] == "int8"), {})
    q = quantization_section(inputs["quant_table"], inputs["quant_keras"], inputs["quant_int8"], cnn, cnn_latency)
    seed = config["pruning"]["seeds"][0]
    amounts = {m: config["pruning"][m]["amounts"][0] for m in PRUNING}
    pr = pruning_section(inputs["pruning_epochs"], inputs["pruning_summary"], inputs["pruning_layers"], seed, amounts)
    kd = distillation_section(
        inputs["kd_table2"], inputs["kd_grid"], inputs["kd_epochs"], config["distillation"]["seeds"][0]
    )
    metrics = {
        Path(p).relative_to("results").as_posix() if Path(p).is_relative_to("results") else p: p
        for p in inputs["metrics"]
    }
    # every trained PyTorch model's starting weights, the distillation teachers' too (a file that does not
    # record them counts as not pretrained)
    pretrained = {
        name: bool(read_json(p).get("pretrained"))
        for name, p in metrics.items()
        if name.startswith(("pruning/", "distillation/"))
    }
    cond = conditions(
        official(official_checksums["fashion_mnist"], inputs["fashion_summary"]),
        _md5_matches(inputs["cifar_archive"], official_md5["cifar10"]),
        pretrained,
        bool(config["torch"]["pretrained"]),
        config["data"]["description"],
    )
    gate = verdicts.gates(cond, dep["raw"], config["evidence"])
    sweep = sweep_section(inputs["pruning_sweep"])
    d = config["distillation"]
    kd_config = f"kd/T{sweep_label(d['table_temperature'])}_alpha{sweep_label(d['table_alpha'])}"
    found = conclusions.conclusions(
        dep["raw"],
        read_csv(inputs["deployment_speedups"]) if inputs.get("deployment_speedups") else [],
        read_csv(inputs["pruning_summary"]),
        sweep["raw"],
        gate,
        config["evidence"],
        config["pruning"]["finetune_epochs"],
        kd_config,
        cnn_seed_accuracies(inputs.get("quant_seeds")),
        read_csv(inputs["deployment_ratios"]) if inputs.get("deployment_ratios") else [],
    )
    cifar_summaries = inputs["cifar_summaries"]
    cifar_summaries = [cifar_summaries] if isinstance(cifar_summaries, str) else list(cifar_summaries)
    # every draw reads the same archive: its checksum is listed once
    prov = provenance(
        metrics, config, {"Fashion-MNIST": inputs["fashion_summary"], "CIFAR-10 subset": cifar_summaries[0]}
    )
    prov["draws"] = draws_section(config, cifar_summaries)
    # the deployed seed's CNN files, paired image by image in its device choices
    # (metrics written before they were recorded have none: those choices stay paired over the one seed)
    cnn_outcomes = {
        (CNN, precision): bits
        for name, path in metrics.items()
        for precision in ("float32", "int8")
        if path == str(Path(inputs["quant_int8"]).with_name(f"{precision}.json"))
        and (bits := read_json(path).get("correct_by_image"))
    }
    lengths = {len(bits) for bits in cnn_outcomes.values()}
    if len(lengths) == 1 and len(cnn_outcomes) == 2:  # the images on which float32 and int8 disagree
        f32, i8 = (cnn_outcomes[(CNN, p)] for p in ("float32", "int8"))
        reached = verdicts.reach(config, len(f32), sum(x != y for x, y in zip(f32, i8)))
    else:
        reached = verdicts.reach(config, *lengths) if len(lengths) == 1 else verdicts.reach(config)
    arm_rows = read_csv(inputs["deployment_arm"])
    vela_rows = read_csv(inputs["deployment_vela"])
    prov["reference"] = reference_section((config.get("report") or {}).get("reference"))
    return {
        "title_en": TITLE_EN,
        "title_uk": TITLE_UK,
        "citation": CITATION,
        "hardware": f"{prov['cpu']}, {prov['cpu_count']} CPUs; training device(s): {prov['devices']}",
        "cond": cond,
        "gates": {
            task: [{"name": g.name, "passed": g.passed, "reason": gate_reason(g)} for g in gs]
            for task, gs in gate.items()
        },
        "q": q,
        "pr": pr,
        "kd": kd,
        "dep": {k: v for k, v in dep.items() if k not in ("raw", "latency")},
        "seed": str(seed),
        "amounts": {k: f"{v:g}" for k, v in amounts.items()},
        "seeds": {
            "pruning": str(len(config["pruning"]["seeds"])),
            "distillation": str(len(config["distillation"]["seeds"])),
        },
        "claims": verdicts.claims(dep["raw"], config["evidence"], gate, sweep["control"]),
        "conclusions": found,
        "sweep": {"rows": sweep["rows"], "deployed": str(config["pruning"]["finetune_epochs"])},
        "limits": limits(gate, reached, dep["cpu"], arm_rows),
        "reach": reached,
        "choices": verdicts.choices(
            dep["raw"],
            config["devices"],
            gate,
            config["evidence"],
            dep["cpu"],
            parity.summaries(arm_rows),
            vela_rows,
            cnn_outcomes,
        ),
        "vela": vela_section(vela_rows),
        "arm": {
            "rows": parity.table(arm_rows),
            "core": config["deployment"]["arm"]["core"],
            "images": str(config["deployment"]["arm"]["images"]),
            "ran": sum(r["status"] == "ran" for r in arm_rows),
            "files": len(arm_rows),
            "flagged": sum(str(r["flagged"]) == "True" for r in arm_rows),
            "status": next((r["status"] for r in arm_rows if r["status"] != "ran"), "ran"),
        },
        "devices": [
            {
                "name": d["name"],
                "hardware": d["hardware"],
                "ram_against": RAM_MEASURE[d["hardware"]],
                **budget_fields(d),
            }
            for d in config["devices"]
        ],
        "chance": f"{100 / paper.CLASSES:g}",
        "tie_points": f"{config['evidence']['tie_points']:g}",
        "speed_noise": f"{100 * config['evidence']['speedup_noise']:g}",
        "figures": {name: {**f, "image_code": code_string(f["image"])} for name, f in figures.items()},
        "prov": prov,
    }
