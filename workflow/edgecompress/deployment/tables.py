"""The deployment table: every model as it runs on the edge runtime, one row each.

Sizes, parameters, MACs and accuracies come from the deploy_model metrics (and Experiment 1's
variant metrics); every latency and every speed-up comes from ``latency.csv``, the one timing
job, so a speed-up is always a ratio of two numbers measured in the same process, interleaved.
A speed-up is flagged as suspect when it exceeds 1.2 x the MACs reduction (compute cannot
explain it), and an unstructured model's ratio to its dense baseline when it leaves 0.8-1.25x
(its masked weights are stored and computed densely, so it should run like the baseline). Both
latencies of a flagged ratio are then suspect, and so is every other ratio that divides by one of
them (the int8-vs-float32 speed-up of a model whose float32 latency is suspect, say): the columns
``litert_<precision>_suspect`` carry this to the recommendations.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .. import modelkey
from ..tables import read_csv, write_csv

COLUMNS = ("model", "family", "seed", "parameters", "macs", "macs_reduction", "bytes_float32", "mib_float32",
           "bytes_int8", "mib_int8", "accuracy_torch", "accuracy_float32", "accuracy_int8",
           "litert_float32_ms", "litert_int8_ms", "int8_speedup", "pytorch_batch1_ms", "pytorch_batchN_ms_per_image",
           "batch", "speedup_litert_float32", "speedup_litert_int8", "speedup_pytorch_batch1", "speedup_pytorch_batchN",
           "litert_float32_suspect", "litert_int8_suspect", "suspect", "suspect_columns",
           "arena_bytes_float32", "arena_bytes_int8", "peak_live_bytes_float32", "peak_live_bytes_int8",
           "process_rss_bytes_float32", "process_rss_bytes_int8", "tflm_float32", "tflm_int8", "note")
MEMORY = {"arena_bytes": "arena_bytes", "peak_live_bytes": "peak_live_bytes", "process_rss_bytes": "process_rss_bytes"}
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


# why a ratio is suspect, by kind (the report groups flagged ratios by model family, column and kind)
KINDS = {"macs": f"above {SUSPECT_OVER_MACS} x the MACs reduction",
         "unstructured": f"an unstructured model outside {UNSTRUCTURED_RANGE[0]}-{UNSTRUCTURED_RANGE[1]}x of its dense model",
         "operand": "divides by a latency that a flagged ratio also uses"}


def suspect_kinds(row: Mapping) -> list[tuple[str, str]]:
    """(column, kind) of each speed-up of ``row`` that compute cannot explain."""
    found = []
    reduction = row["macs_reduction"]
    for col in SPEEDUPS:
        s = row.get(col)
        if s is None or reduction is None:
            continue
        if s > SUSPECT_OVER_MACS * reduction:
            found.append((col, "macs"))
        if row["family"] == "unstructured" and not UNSTRUCTURED_RANGE[0] <= s <= UNSTRUCTURED_RANGE[1]:
            found.append((col, "unstructured"))
    return found


def operands(row: Mapping) -> dict[str, list[tuple]]:
    """The two latencies (model, runtime, precision, batch) each ratio column of ``row`` divides."""
    base_key = modelkey.parse(row["model"]).baseline
    out = {"int8_speedup": [(row["model"], "litert", "float32", 1), (row["model"], "litert", "int8", 1)]}
    for col, spec in SPEEDUPS.items():
        out[col] = [(base_key, *spec), (row["model"], *spec)]
    return out


def flag_suspects(rows: list[dict]) -> None:
    """Flag every ratio compute cannot explain, then every ratio that shares a latency with one (in place)."""
    first = {id(r): suspect_kinds(r) for r in rows}
    suspect_latencies = {lat for r in rows for col, _ in first[id(r)] for lat in operands(r)[col]}
    for r in rows:
        kinds = list(first[id(r)])
        flagged = {col for col, _ in kinds}
        for col, ops in operands(r).items():
            if col not in flagged and r.get(col) is not None and any(op in suspect_latencies for op in ops):
                kinds.append((col, "operand"))
        r["suspect"] = "; ".join(f"{col} {r[col]:.2f}x: {KINDS[kind]}" for col, kind in kinds)
        r["suspect_columns"] = ";".join(f"{col}:{kind}" for col, kind in kinds)
        for precision in ("float32", "int8"):
            r[f"litert_{precision}_suspect"] = (r["model"], "litert", precision, 1) in suspect_latencies


def cifar_rows(deployed: Mapping[str, Mapping], latency: Mapping, batch: int,
               pruning: Mapping[str, Mapping] | None = None) -> list[dict]:
    """One row per deployed PyTorch model; speed-ups against the dense ResNet-18 baseline of its seed."""
    pruning = pruning or {}
    rows = []
    for key, m in deployed.items():
        seed = modelkey.parse(key).seed
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
        base_key = modelkey.parse(key).baseline
        base = deployed.get(base_key)
        r["macs_reduction"] = base["macs"] / m["macs"] if base and key != base_key else None
        for col, spec in SPEEDUPS.items():
            r[col] = _ratio(latency.get((base_key, *spec)), latency.get((key, *spec))) if r["macs_reduction"] else None
        if m["family"] == "unstructured" and key in pruning:
            sizes = pruning[key]["sizes"]
            r["note"] = DENSE_NOTE.format(gzip=sizes["gzip_state_dict_bytes"] / 2**20,
                                          sparse=sizes["sparse_state_dict_bytes"] / 2**20)
        rows.append(r)
    flag_suspects(rows)
    return rows


def cnn_row(variants: Mapping[str, Mapping], latency: Mapping) -> dict:
    """Experiment 1's CNN: its float32 and int8 .tflite (from the Keras converter) as one row."""
    f32, i8 = variants.get("float32"), variants.get("int8")
    r = {"model": "cnn", "family": "cnn", "seed": None, "note": "Experiment 1 (Fashion-MNIST, Keras -> TFLite)",
         "suspect": "", "suspect_columns": "", "litert_float32_suspect": False, "litert_int8_suspect": False}
    if f32:
        r.update(bytes_float32=f32["size"]["bytes"], mib_float32=f32["size"]["mib"], accuracy_float32=f32["accuracy"],
                 litert_float32_ms=latency.get(("cnn", "litert", "float32", 1)))
    if i8:
        r.update(bytes_int8=i8["size"]["bytes"], mib_int8=i8["size"]["mib"], accuracy_int8=i8["accuracy"],
                 litert_int8_ms=latency.get(("cnn", "litert", "int8", 1)))
    r["int8_speedup"] = _ratio(r.get("litert_float32_ms"), r.get("litert_int8_ms"))
    return r


def add_memory(rows: list[dict], memory: Iterable[Mapping]) -> None:
    """The memory job's numbers per precision beside each row (in place); "not measured" where it has none."""
    index = {(m["model"], m["precision"]): m for m in memory}
    for r in rows:
        for precision in ("float32", "int8"):
            m = index.get((r["model"], precision))
            for column in MEMORY:
                r[f"{column}_{precision}"] = (float(m[column]) if m and m[column] not in (None, "") else None)
            r[f"tflm_{precision}"] = ("not measured" if m is None else "runs" if str(m["tflm_runnable"]) == "True"
                                      else m["tflm_reason"] or "not runnable on TFLM")


def _ratio(a, b):
    return a / b if a is not None and b else None


def write_table_file(deployed_keys, deployed_metrics, pruning_keys, pruning_metrics, variants, variant_metrics,
                     latency_csv: str, memory_csv: str, batch: int, out: str) -> None:
    """Rule deployment_table: the table above, from the metrics files and ``latency.csv``."""
    from ..atomic import read_jsons

    latency = latency_index(read_csv(latency_csv))
    rows = cifar_rows(dict(zip(deployed_keys, read_jsons(deployed_metrics))), latency, batch,
                      dict(zip(pruning_keys, read_jsons(pruning_metrics))))
    rows.append(cnn_row(dict(zip(variants, read_jsons(variant_metrics))), latency))
    add_memory(rows, read_csv(memory_csv))
    write_csv(out, rows, COLUMNS)
