"""Everything the report says, computed from the files the workflow wrote (nothing typed by hand).

``build_context`` reads the tables and metrics files and returns plain strings and lists for the
Jinja2 template: tables with the paper's value beside ours, the "where we differ" items, the
recommendations per device class (rules over our measured numbers) and the provenance appendix.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Mapping

import yaml

from . import paper
from .atomic import read_json
from .config import sweep_label

TITLE_EN = ("Analysis of convolutional neural network compression methods for effective deployment "
            "in Edge AI environments")
TITLE_UK = ("Аналіз методів стиснення згорткових нейронних мереж для ефективного розгортання "
            "у середовищі Edge AI")
CITATION = ("D. Marchuk, Information Technology and Society, 2025, no. 4, DOI 10.32689/maup.it.2025.4.17 "
            "(CC BY 4.0)")
MCU_FLASH_MIB = 1.0  # a typical microcontroller's flash budget for the model


# ---------------------------------------------------------------- formatting
def num(value, digits: int = 4) -> str:
    if value in (None, ""):
        return "–"
    return f"{float(value):.{digits}f}"


def signed(value, digits: int = 2) -> str:
    if value in (None, ""):
        return "–"
    return f"{float(value):+.{digits}f}"


def count(value) -> str:
    return f"{int(float(value)):,}"


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _f(row: Mapping, key: str):
    v = row.get(key)
    return None if v in (None, "") else float(v)


# ---------------------------------------------------------------- sections
def quantization_section(table_csv, keras_json, int8_json, dep: Mapping) -> dict:
    rows = read_csv(table_csv)
    digits = {"MiB": 4, "x": 2, "fraction": 4, "ms/image": 4}
    table = [{"metric": r["metric"], "model": r["model"], "unit": r["unit"],
              "paper": num(r["paper"], digits.get(r["unit"], 4)) if r["paper"] else "–",
              "ours": num(r["ours"], digits.get(r["unit"], 4)),
              "difference": signed(r["difference"], digits.get(r["unit"], 4)) if r["difference"] else "–",
              "note": r["note"]} for r in rows]
    by = {(r["metric"], r["model"]): r for r in rows}
    keras, int8 = read_json(keras_json), read_json(int8_json)
    worst = max(c["max_error_in_steps"] for c in int8["weight_check"])
    return {
        "table": table,
        "parameters": count(keras["parameters"]),
        "epochs": str(len(keras["history"])),
        "ratio_keras": num(by[("compression ratio", "int8 vs .keras with optimizer state")]["ours"], 2),
        "ratio_tflite": num(by[("compression ratio", "int8 vs float32 .tflite")]["ours"], 2)
        if ("compression ratio", "int8 vs float32 .tflite") in by else "–",
        "float_acc": float(by[("accuracy", "float32 (Keras)")]["ours"]),
        "int8_acc": float(by[("accuracy", "int8 (.tflite)")]["ours"]),
        "int8_mib": float(by[("size", "int8 (.tflite)")]["ours"]),
        "keras_mib": num(by[("size", "float32 (.keras with optimizer state)")]["ours"], 4),
        "bare_mib": num(by[("size", "float32 (.keras without optimizer state)")]["ours"], 4),
        "float_latency": _f(dep["cnn"], "litert_float32_ms"),
        "int8_latency": _f(dep["cnn"], "litert_int8_ms"),
        "int8_speedup": _f(dep["cnn"], "int8_speedup"),
        "float_latency_text": num(dep["cnn"]["litert_float32_ms"], 4),
        "int8_latency_text": num(dep["cnn"]["litert_int8_ms"], 4),
        "int8_speedup_text": num(dep["cnn"]["int8_speedup"], 2),
        "float16_acc": _f(by.get(("accuracy", "float16 (.tflite)"), {}), "ours"),
        "float32_tflite_acc": _f(by.get(("accuracy", "float32 (.tflite)"), {}), "ours"),
        "weight_check": [{"layer": c["layer"], "tensor": c["tensor"], "dtype": c["tflite_dtype"],
                          "error": f"{c['max_abs_error']:.3g}", "steps": num(c["max_error_in_steps"], 3)}
                         for c in int8["weight_check"]],
        "worst_steps": num(worst, 3),
        "test_images": count(int8["test_images"]),
    }


def epoch_table(rows: list[dict], match: Mapping[str, str]) -> list[dict]:
    out = []
    for r in rows:
        if all(r.get(k) == v for k, v in match.items()):
            has_paper = r["paper_loss"] not in (None, "")
            out.append({"epoch": r["epoch"], "loss": num(r["loss"]), "paper_loss": num(r["paper_loss"]),
                        "acc": num(r["test_accuracy_pct"], 2), "paper_acc": num(r["paper_test_accuracy_pct"], 2),
                        "loss_diff": signed(float(r["loss"]) - float(r["paper_loss"]), 4) if has_paper else "–",
                        "acc_diff": signed(float(r["test_accuracy_pct"]) - float(r["paper_test_accuracy_pct"]), 2)
                        if has_paper else "–"})
    return out


def pruning_section(epochs_csv, summary_csv, seed: int, amounts: Mapping[str, float]) -> dict:
    epochs, summary = read_csv(epochs_csv), read_csv(summary_csv)
    s = str(seed)
    tables = {
        "baseline": epoch_table(epochs, {"method": "baseline", "seed": s}),
        "unstructured": epoch_table(epochs, {"method": "unstructured", "seed": s,
                                             "amount": f"{amounts['unstructured']:g}"}),
        "structured": epoch_table(epochs, {"method": "structured", "seed": s, "amount": f"{amounts['structured']:g}"}),
    }
    rows = []
    for r in summary:
        rows.append({
            "method": r["method"], "amount": num(r["amount"], 2), "seeds": r["seeds"],
            "sparsity": num(r["model_sparsity_pct"], 2), "paper_sparsity": num(r["paper_sparsity_pct"], 2),
            "before": num(r["accuracy_before_finetune_pct"], 2), "paper_before": num(r["paper_before_finetune_pct"], 2),
            "acc": num(r["accuracy_pct"], 2), "std": num(r["accuracy_std"], 2),
            "paper_acc": num(r["paper_accuracy_pct"], 2),
            "params": count(r["parameters"]), "macs": f"{float(r['macs']) / 1e6:.1f}",
            "macs_reduction": num(r["macs_reduction"], 2),
            "dense_mib": num(float(r["dense_state_dict_bytes"]) / 2**20, 2) if r["dense_state_dict_bytes"] else "–",
            "gzip_mib": num(float(r["gzip_state_dict_bytes"]) / 2**20, 2) if r["gzip_state_dict_bytes"] else "–",
            "sparse_mib": num(float(r["sparse_state_dict_bytes"]) / 2**20, 2) if r["sparse_state_dict_bytes"] else "–",
        })
    by = {(r["method"], float(r["amount"])): r for r in summary}
    return {"epochs": tables, "summary": rows, "raw": by,
            "unstructured": by.get(("unstructured", amounts["unstructured"])),
            "structured": by.get(("structured", amounts["structured"])), "baseline": by[("baseline", 0.0)]}


def distillation_section(table2_csv, grid_csv, epochs_csv, seed: int) -> dict:
    table2, grid, epochs = read_csv(table2_csv), read_csv(grid_csv), read_csv(epochs_csv)
    s = str(seed)
    rows = [{"model": r["model"], "seeds": r["seeds"], "acc": num(r["accuracy_pct"], 2), "std": num(r["accuracy_std"], 2),
             "paper_acc": num(r["paper_accuracy_pct"], 2), "diff": signed(r["difference_pct"], 2),
             "params": count(r["parameters"]), "params_1000": count(r["parameters_1000_class_head"]),
             "paper_params": f"≈ {float(r['paper_parameters_m']):g} M",
             "mib": num(float(r["state_dict_bytes"]) / 2**20, 2)} for r in table2]
    grid_rows = [{"T": f"{float(r['temperature']):g}", "alpha": f"{float(r['alpha']):g}", "seeds": r["seeds"],
                  "kd": num(r["kd_accuracy_pct"], 2), "kd_std": num(r["kd_accuracy_std"], 2),
                  "no_kd": num(r["no_kd_accuracy_pct"], 2), "gain": signed(r["gain_pct"], 2),
                  "gain_std": num(r["gain_std"], 2), "p": num(r["gain_p_value"], 3),
                  "wins": f"{r['seeds_with_gain']}/{r['seeds']}"} for r in grid]
    return {
        "table2": rows, "grid": grid_rows, "raw_table2": table2, "raw_grid": grid,
        "epochs": {"teacher": epoch_table(epochs, {"run": "teacher", "seed": s}),
                   "student": epoch_table(epochs, {"run": "student", "seed": s})},
    }


def deployment_section(table_csv, machine_json, latency_csv) -> dict:
    """The deployment table (every model on LiteRT and in PyTorch) and what the timing ran on."""
    from .deployment.machine import isa_text

    table, machine, latency = read_csv(table_csv), read_json(machine_json), read_csv(latency_csv)
    rows = [{"model": r["model"], "mib_float32": num(r["mib_float32"], 2), "mib_int8": num(r["mib_int8"], 2),
             "bytes_float32": count(r["bytes_float32"]) if r["bytes_float32"] else "–",
             "params": count(r["parameters"]) if r["parameters"] else "–",
             "mmacs": f"{float(r['macs']) / 1e6:.1f}" if r["macs"] else "–",
             "acc_float32": num(_pct(r["accuracy_float32"]), 1), "acc_int8": num(_pct(r["accuracy_int8"]), 1),
             "litert_float32": num(r["litert_float32_ms"], 3), "litert_int8": num(r["litert_int8_ms"], 3),
             "int8_speedup": num(r["int8_speedup"], 2), "pytorch_b1": num(r["pytorch_batch1_ms"], 3),
             "pytorch_bn": num(r["pytorch_batchN_ms_per_image"], 3),
             "speedup_b1": num(r["speedup_pytorch_batch1"], 2), "speedup_bn": num(r["speedup_pytorch_batchN"], 2),
             "speedup_litert": num(r["speedup_litert_float32"], 2), "macs_reduction": num(r["macs_reduction"], 2),
             "suspect": r["suspect"], "note": r["note"]} for r in table]
    litert = [r for r in latency if r["runtime"] == "litert"]
    checked = [r for r in litert if r["benchmark_agrees"] in ("True", "False")]
    return {
        "table": rows, "raw": {r["model"]: r for r in table},
        "suspects": [r for r in rows if r["suspect"]],
        "cpu": machine["cpu_model"], "isa": isa_text(machine["isa"]), "threads": str(machine["threads"]),
        "kernels": machine["kernels"], "rounds": str(machine["rounds"]), "runs": str(machine["runs"]),
        "load_before": ", ".join(f"{v:.2f}" for v in machine["load_average_before"]) or "–",
        "load_after": ", ".join(f"{v:.2f}" for v in machine["load_average_after"]) or "–",
        "batch": table[0]["batch"] if table and table[0]["batch"] else "–",
        "max_spread": num(max(float(r["spread"]) for r in latency), 2) if latency else "–",
        "tool_checked": str(len(checked)), "tool_agrees": str(sum(r["benchmark_agrees"] == "True" for r in checked)),
        "tool_unresolved": str(len(litert) - len(checked)),
    }


def _pct(value):
    return None if value in (None, "") else 100 * float(value)


# ---------------------------------------------------------------- reasoning over our numbers
def differences(q: dict, pr: dict, kd: dict, pretrained: bool, official_weights: bool, fashion_official: bool,
                cifar_official: bool) -> list[dict]:
    items = []
    items.append({"title": "The 11.06x compression ratio",
                  "text": f"Ours is {q['ratio_keras']}x between the .keras file ({q['keras_mib']} MiB: weights plus "
                          f"Adam's two moment copies) and the int8 .tflite; the same weights without optimizer state "
                          f"take {q['bare_mib']} MiB, and float32 .tflite against int8 .tflite is {q['ratio_tflite']}x, "
                          "the 'theoretical ~4x' of 32 versus 8 bits less the file overhead. The paper's 11.06x thus "
                          "compares a training checkpoint with a deployable file, not float with int8 weights."})
    change = q["int8_acc"] - q["float_acc"]
    items.append({"title": "The sign of the int8 accuracy change",
                  "text": f"The paper reports int8 0.0030 above float32; ours is {signed(change, 4)} "
                          f"({num(q['int8_acc'])} against {num(q['float_acc'])} on {q['test_images']} test images). "
                          "Post-training quantization adds rounding noise; a change of a few tenths of a point either "
                          "way is within what a different calibration draw or training seed gives, so neither sign "
                          "means int8 is more accurate."})
    u = pr["unstructured"]
    if u:
        items.append({"title": "The 2.04 % sparsity",
                      "text": f"Masking 50 % of the weights of our default layer list (conv1, layer1.0.conv1, "
                              f"layer1.0.conv2, layer2.0.conv1, layer3.0.conv1, fc) removes "
                              f"{num(u['model_sparsity_pct'], 3)} % of all parameters, the paper's 2.04 %: its "
                              "'only part of the layers' must have been a list like this one. Whole-model 50 % "
                              "(mode: global) is a config switch away."})
    student = next(r for r in kd["raw_table2"] if r["role"] == "student")
    items.append({"title": "≈ 3.5 M parameters of MobileNetV2",
                  "text": f"MobileNetV2 with a 10-class head has {count(student['parameters'])} parameters; "
                          f"{count(student['parameters_1000_class_head'])} is the ImageNet model with its 1000-class "
                          "head, the paper's '≈ 3.5 M'. The paper counted the student before replacing its head."})
    teacher = next(r for r in kd["raw_table2"] if r["role"] == "teacher")
    gap = float(student["accuracy_pct"]) - float(teacher["accuracy_pct"])
    items.append({"title": "The student beating its teacher",
                  "text": f"In the paper MobileNetV2 alone reaches 89.5 % and its ResNet-18 teacher 66.5 %. In our runs "
                          f"the student alone is {signed(gap, 2)} points from the teacher "
                          f"({num(student['accuracy_pct'], 2)} % against {num(teacher['accuracy_pct'], 2)} %). Here both "
                          f"start from {'ImageNet' if official_weights else 'the same kind of (non-ImageNet)'} weights "
                          "and see the same images at the same resolution, so a 23-point gap needs a cause "
                          "outside the method: a different input resolution per model (MobileNetV2 at 224 px against "
                          "ResNet-18 at 32 px changes ImageNet features' usefulness drastically), a different data "
                          "subset or test split, or a teacher run that did not converge. The paper does not give "
                          "resolution or subset, so we cannot tell which."})
    items.append({"title": "Data and weights",
                  "text": ("Weights: ImageNet-pretrained (torchvision IMAGENET1K_V1 files, checksum-verified)."
                           if official_weights else
                           "Weights: NOT the ImageNet weights — the files' SHA-256 do not start with torchvision's "
                           "published prefixes (fixture weights, random initialisation in torchvision's format), so "
                           "experiments 2 and 3 do not reproduce the paper's fine-tuning of pretrained models."
                           if pretrained else "Weights: random initialisation — pretrained weights unavailable "
                           "(torch.pretrained is false), so experiments 2 and 3 do not reproduce the paper's "
                           "fine-tuning setting.")
                          + (" Fashion-MNIST: the official archives (publisher checksums)." if fashion_official else
                             " Fashion-MNIST: NOT the official archives (fixture or other data; see the appendix).")
                          + (" CIFAR-10: the official archive (publisher MD5)." if cifar_official else
                             " CIFAR-10: NOT the official archive (fixture or other data; see the appendix).")})
    return items


def recommendations(q: dict, pr: dict, kd: dict, dep: dict, seed: int) -> list[dict]:
    """One recommendation per device class, chosen by rules over the measured numbers."""
    recs = []
    drop_pts = 100 * (q["int8_acc"] - q["float_acc"])
    fits = q["int8_mib"] <= MCU_FLASH_MIB
    if fits and drop_pts >= -1.0:
        mcu = (f"Full-integer int8 PTQ. The int8 model takes {num(q['int8_mib'])} MiB (≤ {MCU_FLASH_MIB:g} MiB flash) "
               f"and changes accuracy by {signed(drop_pts, 2)} points; integer-only kernels (TFLite Micro, "
               "CMSIS-NN) need exactly this format. Unstructured pruning does not shrink the file without sparse "
               "storage.")
    else:
        mcu = (f"Int8 alone is not enough: {num(q['int8_mib'])} MiB and {signed(drop_pts, 2)} points. Shrink the "
               "architecture first (structured pruning or a distilled student), then quantize.")
    recs.append({"device": "Microcontroller (≤ 1 MiB flash, no FPU or only int8 SIMD)", "text": mcu})

    s, b = pr["structured"], pr["baseline"]
    loss_s = float(b["accuracy_pct"]) - float(s["accuracy_pct"]) if s else None
    grid = kd["raw_grid"]
    best = max(grid, key=lambda r: float(r["gain_pct"])) if grid else None
    int8_ratio = q["int8_speedup"]
    ds = dep["raw"].get(f"structured/amount{sweep_label(float(s['amount']))}/seed{seed}") if s else None
    du = dep["raw"].get(f"unstructured/amount{sweep_label(float(pr['unstructured']['amount']))}/seed{seed}") \
        if pr["unstructured"] else None
    parts = []
    if int8_ratio is not None:
        parts.append(f"On our CPU ({dep['cpu']}; {dep['isa']}) the CNN's int8 .tflite ran {num(int8_ratio, 2)}x the "
                     "speed of its float32 .tflite in LiteRT (batch 1, the one timing job); "
                     + ("use int8 there." if int8_ratio >= 1.2 else
                        "measure on the phone's CPU before choosing int8, which pays off only where the CPU has "
                        "int8 dot-product instructions."))
    if best is not None:
        significant = float(best["gain_p_value"]) < 0.05
        parts.append(f"For accuracy, MobileNetV2 with distillation (T = {float(best['temperature']):g}, "
                     f"alpha = {float(best['alpha']):g}) gained {signed(best['gain_pct'], 2)} points over "
                     f"{best['seeds']} seed(s), p = {num(best['gain_p_value'], 3)}: "
                     + ("a real gain; distil." if significant and float(best["gain_pct"]) > 0 else
                        "not distinguishable from seed noise; train the student alone or run more seeds."))
    if s is not None and ds is not None:
        parts.append(f"Structured pruning at {float(s['amount']):g} ran {num(ds['speedup_litert_float32'], 2)}x faster "
                     "in LiteRT at "
                     f"batch 1, with test accuracy {signed(-loss_s, 2)} points against the dense baseline after "
                     "fine-tuning" + ("; worth it." if loss_s <= 2.0 else "; only with longer fine-tuning."))
    recs.append({"device": "Phone-class CPU (ARM, a few cores, float and int8)", "text": " ".join(parts)})

    gpu = []
    if q["float16_acc"] is not None and q["float32_tflite_acc"] is not None:
        d16 = 100 * (q["float16_acc"] - q["float32_tflite_acc"])
        gpu.append(f"Float16 weights changed accuracy by {signed(d16, 2)} points at half the float32 size"
                   + ("; use float16, which embedded GPUs run natively." if abs(d16) <= 0.5 else "; check per task."))
    if ds is not None:
        gpu.append(f"Structured pruning cut MACs {num(ds['macs_reduction'], 2)}x and gave "
                   f"{num(ds['speedup_pytorch_batchN'], 2)}x throughput at batch {ds['batch']} in PyTorch on our CPU "
                   "with dense kernels, the kind of speed-up a GPU keeps; unstructured masks gave "
                   f"{num(du['speedup_pytorch_batchN'], 2) if du else '–'}x, nothing without sparse kernels.")
    recs.append({"device": "Embedded GPU (Jetson-class, float16)", "text": " ".join(gpu) or "No float16 run configured."})
    return recs


def provenance(metrics_files: Mapping[str, str], config: Mapping, data_summaries: Mapping[str, str]) -> dict:
    first = read_json(next(iter(metrics_files.values())))["provenance"]
    packages: dict[str, str] = {}
    for path in metrics_files.values():
        packages.update({k: v for k, v in read_json(path)["provenance"]["packages"].items() if v != "not installed"})
    inputs = []
    for name, path in data_summaries.items():
        for key, item in read_json(path)["provenance"]["inputs"].items():
            inputs.append({"dataset": name, "file": Path(item["path"]).name, "sha256": item["sha256"]})
    return {
        "commit": first["git_commit"], "python": first["python"], "platform": first["platform"],
        "cpu": first["cpu"], "cpu_count": str(first["cpu_count"]), "device": first["device"],
        "packages": [{"name": k, "version": v} for k, v in sorted(packages.items())],
        "inputs": inputs,
        # leading spaces as no-break spaces, so the YAML indentation survives typesetting
        "config_lines": [line.replace(" ", "\u00a0") for line in
                         yaml.safe_dump(dict(config), sort_keys=True, width=100).splitlines()],
    }


def official(config_sources: Mapping[str, Mapping], summary_json: str) -> bool:
    """Whether the data summary's input files carry the publishers' checksums (from the schema's defaults)."""
    got = {Path(v["path"]).name: v["sha256"] for v in read_json(summary_json)["provenance"]["inputs"].values()}
    return bool(got) and all(got.get(name) == digest for name, digest in config_sources.items())


def build_context(inputs: Mapping[str, Any], config: Mapping, figures: Mapping[str, str],
                  official_checksums: Mapping[str, Mapping[str, str]], official_md5: Mapping[str, str]) -> dict:
    dep = deployment_section(inputs["deployment_table"], inputs["deployment_machine"], inputs["deployment_latency"])
    q = quantization_section(inputs["quant_table"], inputs["quant_keras"], inputs["quant_int8"], dep["raw"])
    seed = config["pruning"]["seeds"][0]
    amounts = {m: config["pruning"][m]["amounts"][0] for m in ("unstructured", "structured")}
    pr = pruning_section(inputs["pruning_epochs"], inputs["pruning_summary"], seed, amounts)
    kd = distillation_section(inputs["kd_table2"], inputs["kd_grid"], inputs["kd_epochs"],
                              config["distillation"]["seeds"][0])
    fashion_official = official(official_checksums["fashion_mnist"], inputs["fashion_summary"])
    cifar_md5 = official_md5.get("cifar10")
    cifar_official = _md5_matches(inputs["cifar_archive"], cifar_md5) if cifar_md5 else False
    pretrained = bool(config["torch"]["pretrained"])
    official_weights = pretrained and all(
        read_json(inputs[key])["provenance"]["inputs"]["weights"]["sha256"].startswith(official_checksums["weights"][arch])
        for key, arch in (("pruning_baseline", "resnet18"), ("kd_student", "mobilenet_v2")))
    prov = provenance({"quantization": inputs["quant_keras"], "litert": inputs["quant_int8"],
                       "pruning": inputs["pruning_baseline"]}, config,
                      {"Fashion-MNIST": inputs["fashion_summary"], "CIFAR-10 subset": inputs["cifar_summary"]})
    return {
        "title_en": TITLE_EN, "title_uk": TITLE_UK, "citation": CITATION,
        "hardware": f"{prov['cpu']}, {prov['cpu_count']} CPUs, device {prov['device']}",
        "pretrained": ("ImageNet weights (torchvision IMAGENET1K_V1, checksum-verified)" if official_weights else
                       "NOT ImageNet: weights from a non-official file (fixture data)" if pretrained else
                       "random initialisation — pretrained weights unavailable"),
        "data": ("official archives" if fashion_official and cifar_official else
                 "fixture or non-official data (see 'Where we differ')"),
        "q": q, "pr": {k: v for k, v in pr.items() if k != "raw"}, "kd": kd,
        "seed": str(seed), "amounts": {k: f"{v:g}" for k, v in amounts.items()},
        "differences": differences(q, pr, kd, pretrained, official_weights, fashion_official, cifar_official),
        "recommendations": recommendations(q, pr, kd, dep, seed),
        "dep": {k: v for k, v in dep.items() if k != "raw"},
        "figures": figures, "prov": prov,
        "paper": {"quant_latency": num(paper.QUANTIZATION["latency_ms"]["int8"], 3)},
    }


def _md5_matches(path: str | os.PathLike, md5: str) -> bool:
    from .checksums import file_digests

    return file_digests(path, ("md5",))["md5"] == md5


def render_report(inputs: Mapping[str, Any], template: str, schema: str, config: Mapping, out: str) -> None:
    """Rule render_report: the Typst source of the report, from the workflow's tables and metrics."""
    import logging

    from .render import render
    from .sources import official_checksums

    sha, md5 = official_checksums(schema)
    render(template, build_context(inputs, config, {}, sha, md5), out)
    logging.getLogger(__name__).info("rendered %s", out)
