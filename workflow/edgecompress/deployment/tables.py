"""The deployment table: every model as it runs on the edge runtime, one row each.

Sizes, parameters, MACs and accuracies come from the deploy_model metrics (and Experiment 1's
variant metrics); every latency and every speed-up comes from ``latency.csv``, the one timing
job, so a speed-up is always a ratio of two numbers measured in the same process, interleaved.
A speed-up is flagged as suspect when it exceeds 1.2 x the MACs reduction (compute cannot
explain it), and an unstructured model's ratio to its dense baseline when it leaves 0.8-1.25x
(its masked weights are stored and computed densely, so it should run like the baseline).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..tables import read_csv, write_csv

COLUMNS = ("model", "family", "seed", "parameters", "macs", "macs_reduction", "bytes_float32", "mib_float32",
           "bytes_int8", "mib_int8", "accuracy_torch", "accuracy_float32", "accuracy_int8",
           "litert_float32_ms", "litert_int8_ms", "int8_speedup", "pytorch_batch1_ms", "pytorch_batchN_ms_per_image",
           "batch", "speedup_litert_float32", "speedup_litert_int8", "speedup_pytorch_batch1", "speedup_pytorch_batchN",
           "suspect", "note")
SPEEDUPS = {"speedup_litert_float32": ("litert", "float32", 1), "speedup_litert_int8": ("litert", "int8", 1),
            "speedup_pytorch_batch1": ("pytorch", "float32", 1), "speedup_pytorch_batchN": ("pytorch", "float32", "N")}
SUSPECT_OVER_MACS = 1.2
UNSTRUCTURED_RANGE = (0.8, 1.25)
DENSE_NOTE = ("masks stored as dense zeros: LiteRT and PyTorch run dense kernels, so size and speed are the "
              "dense model's; gzip {gzip:.1f} MiB, sparse {sparse:.1f} MiB")


def latency_index(rows: Iterable[Mapping]) -> dict:
    """(model, runtime, precision, 1 | "N") -> median ms of one call."""
    index = {}
    for r in rows:
        batch = 1 if int(r["batch"]) == 1 else "N"
        index[(r["model"], r["runtime"], r["precision"], batch)] = float(r["median_ms"])
    return index


def seed_of(key: str) -> int | None:
    last = key.rsplit("/", 1)[-1]
    return int(last[4:]) if last.startswith("seed") else None


def suspect_reasons(row: Mapping) -> list[str]:
    reasons = []
    reduction = row["macs_reduction"]
    for col in SPEEDUPS:
        s = row.get(col)
        if s is None or reduction is None:
            continue
        if s > SUSPECT_OVER_MACS * reduction:
            reasons.append(f"{col} {s:.2f}x > {SUSPECT_OVER_MACS} x MACs reduction {reduction:.2f}x")
        if row["family"] == "unstructured" and not UNSTRUCTURED_RANGE[0] <= s <= UNSTRUCTURED_RANGE[1]:
            reasons.append(f"{col} {s:.2f}x outside {UNSTRUCTURED_RANGE[0]}-{UNSTRUCTURED_RANGE[1]}x of the dense model")
    return reasons


def cifar_rows(deployed: Mapping[str, Mapping], latency: Mapping, batch: int,
               pruning: Mapping[str, Mapping] | None = None) -> list[dict]:
    """One row per deployed PyTorch model; speed-ups against the dense ResNet-18 baseline of its seed."""
    pruning = pruning or {}
    rows = []
    for key, m in deployed.items():
        seed = seed_of(key)
        lat = {spec: latency.get((key, *spec)) for spec in SPEEDUPS.values()}
        r = {"model": key, "family": m["family"], "seed": seed, "parameters": m["parameters"], "macs": m["macs"],
             "bytes_float32": m["float32"]["size"]["bytes"], "mib_float32": m["float32"]["size"]["mib"],
             "bytes_int8": m["int8"]["size"]["bytes"], "mib_int8": m["int8"]["size"]["mib"],
             "accuracy_torch": m["accuracy_torch"], "accuracy_float32": m["float32"]["accuracy"],
             "accuracy_int8": m["int8"]["accuracy"], "litert_float32_ms": lat[("litert", "float32", 1)],
             "litert_int8_ms": lat[("litert", "int8", 1)], "pytorch_batch1_ms": lat[("pytorch", "float32", 1)],
             "batch": batch, "note": ""}
        bn = lat[("pytorch", "float32", "N")]
        r["pytorch_batchN_ms_per_image"] = bn / batch if bn is not None else None
        r["int8_speedup"] = _ratio(r["litert_float32_ms"], r["litert_int8_ms"])
        base_key = f"baseline/seed{seed}"
        base = deployed.get(base_key)
        r["macs_reduction"] = base["macs"] / m["macs"] if base and key != base_key else None
        for col, spec in SPEEDUPS.items():
            r[col] = _ratio(latency.get((base_key, *spec)), latency.get((key, *spec))) if r["macs_reduction"] else None
        if m["family"] == "unstructured" and key in pruning:
            sizes = pruning[key]["sizes"]
            r["note"] = DENSE_NOTE.format(gzip=sizes["gzip_state_dict_bytes"] / 2**20,
                                          sparse=sizes["sparse_state_dict_bytes"] / 2**20)
        r["suspect"] = "; ".join(suspect_reasons(r))
        rows.append(r)
    return rows


def cnn_row(variants: Mapping[str, Mapping], latency: Mapping) -> dict:
    """Experiment 1's CNN: its float32 and int8 .tflite (from the Keras converter) as one row."""
    f32, i8 = variants.get("float32"), variants.get("int8")
    r = {"model": "cnn", "family": "cnn", "seed": None, "note": "Experiment 1 (Fashion-MNIST, Keras -> TFLite)",
         "suspect": ""}
    if f32:
        r.update(bytes_float32=f32["size"]["bytes"], mib_float32=f32["size"]["mib"], accuracy_float32=f32["accuracy"],
                 litert_float32_ms=latency.get(("cnn", "litert", "float32", 1)))
    if i8:
        r.update(bytes_int8=i8["size"]["bytes"], mib_int8=i8["size"]["mib"], accuracy_int8=i8["accuracy"],
                 litert_int8_ms=latency.get(("cnn", "litert", "int8", 1)))
    r["int8_speedup"] = _ratio(r.get("litert_float32_ms"), r.get("litert_int8_ms"))
    return r


def _ratio(a, b):
    return a / b if a is not None and b else None


def write_table_file(deployed_keys, deployed_metrics, pruning_keys, pruning_metrics, variants, variant_metrics,
                     latency_csv: str, batch: int, out: str) -> None:
    """Rule deployment_table: the table above, from the metrics files and ``latency.csv``."""
    from ..atomic import read_jsons

    latency = latency_index(read_csv(latency_csv))
    rows = cifar_rows(dict(zip(deployed_keys, read_jsons(deployed_metrics))), latency, batch,
                      dict(zip(pruning_keys, read_jsons(pruning_metrics))))
    rows.append(cnn_row(dict(zip(variants, read_jsons(variant_metrics))), latency))
    write_csv(out, rows, COLUMNS)
