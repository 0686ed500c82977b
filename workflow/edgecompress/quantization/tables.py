"""Experiment 1's result table: the paper's numbers beside ours, in the paper's row order.

Sizes are in MiB (2^20 bytes): the paper's "0.43 MB" and "0.04 MB" match the .keras file with
Adam's state and the int8 .tflite in MiB. "float32" in the paper's table is the Keras model
(its size is the .keras file, its accuracy the Keras model's). Latency is not here: every model
of the run is timed in the deployment stage's one job (``results/deployment/latency.csv``), and
the report takes Table 1's latency rows from there.
"""

from __future__ import annotations

import os
from statistics import fmean, stdev
from typing import Mapping

from .. import paper
from ..results import read_jsons, write_csv

COLUMNS = ("metric", "model", "paper", "ours", "difference", "unit", "note")


def _row(metric, model, ours, unit, note="", paper_value=None):
    diff = None if paper_value is None or ours is None else ours - paper_value
    return {
        "metric": metric,
        "model": model,
        "paper": paper_value,
        "ours": ours,
        "difference": diff,
        "unit": unit,
        "note": note,
    }


def table_rows(keras: Mapping, variants: Mapping[str, Mapping]) -> list[dict]:
    """Rows: size, compression ratio, accuracy; then every extra variant."""
    p = paper.QUANTIZATION
    int8 = variants.get("int8")
    f32 = variants.get("float32")
    rows = [
        _row(
            "size",
            "float32 (.keras with optimizer state)",
            keras["size"]["with_optimizer"]["mib"],
            "MiB",
            paper_value=p["size_mb"]["float32"],
        ),
        _row(
            "size",
            "float32 (.keras without optimizer state)",
            keras["size"]["without_optimizer"]["mib"],
            "MiB",
            "not in the paper",
        ),
    ]
    if f32:
        rows.append(_row("size", "float32 (.tflite)", f32["size"]["mib"], "MiB", "not in the paper"))
    if int8:
        rows.append(_row("size", "int8 (.tflite)", int8["size"]["mib"], "MiB", paper_value=p["size_mb"]["int8"]))
        rows.append(
            _row(
                "compression ratio",
                "int8 vs .keras with optimizer state",
                keras["size"]["with_optimizer"]["bytes"] / int8["size"]["bytes"],
                "x",
                "the paper's ratio: .keras file (weights + Adam state) vs int8 .tflite",
                paper_value=p["compression_ratio"]["int8"],
            )
        )
        if f32:
            rows.append(
                _row(
                    "compression ratio",
                    "int8 vs float32 .tflite",
                    f32["size"]["bytes"] / int8["size"]["bytes"],
                    "x",
                    "weights alone: the paper's 'theoretical ~4x'",
                )
            )
    rows.append(
        _row("accuracy", "float32 (Keras)", keras["accuracy"], "fraction", paper_value=p["accuracy"]["float32"])
    )
    if f32:
        rows.append(_row("accuracy", "float32 (.tflite)", f32["accuracy"], "fraction", "not in the paper"))
    if int8:
        rows.append(_row("accuracy", "int8 (.tflite)", int8["accuracy"], "fraction", paper_value=p["accuracy"]["int8"]))
    for name, m in variants.items():
        if name in ("float32", "int8"):
            continue
        rows += [
            _row("size", f"{name} (.tflite)", m["size"]["mib"], "MiB", "beyond the paper"),
            _row("accuracy", f"{name} (.tflite)", m["accuracy"], "fraction", "beyond the paper"),
        ]
    return rows


SEED_COLUMNS = ("seed", "variant", "accuracy", "bytes")


def over_seeds(per_seed: list[list[dict]]) -> list[dict]:
    """One table from each seed's rows (the same rows in the same order): ``ours`` the mean over seeds,
    ``ours_std`` their sample standard deviation, ``seeds`` how many, the difference from the mean."""
    if not per_seed:
        raise ValueError("no seed's metrics: nothing to tabulate")
    out = []
    for rows in zip(*per_seed, strict=True):
        first = rows[0]
        if any((r["metric"], r["model"]) != (first["metric"], first["model"]) for r in rows):
            raise ValueError(f"the seeds' tables differ in their rows at {first['metric']} {first['model']}")
        values = [r["ours"] for r in rows if r["ours"] is not None]
        mean = fmean(values) if values else None
        std = (stdev(values) if len(values) > 1 else 0.0) if values else None
        row = _row(first["metric"], first["model"], mean, first["unit"], first["note"], first["paper"])
        out.append({**row, "ours_std": std, "seeds": len(values)})
    return out


def write_table(path: str | os.PathLike, rows: list[dict]) -> None:
    write_csv(path, rows, (*COLUMNS, "ours_std", "seeds"))


def quantization_table(keras_metrics, variant_metrics, variants, seeds, out: str, out_seeds: str) -> None:
    """Rule quantization_table: the paper's table of experiment 1 beside ours (the mean over the CNN's seeds),
    and every seed's variants (accuracy and bytes), from the metrics files.

    ``keras_metrics``: one file per seed, in the order of ``seeds``; ``variant_metrics``: per seed, one per
    variant (seed-major, as ``expand(..., seed=seeds, variant=variants)`` lists them).
    """
    keras, metrics = read_jsons(keras_metrics), read_jsons(variant_metrics)
    if len(keras) != len(seeds) or len(metrics) != len(seeds) * len(variants):
        raise ValueError(
            f"{len(keras)} Keras and {len(metrics)} variant metrics files for {len(seeds)} seeds and "
            f"{len(variants)} variants"
        )
    per_seed, seed_rows = [], []
    for i, seed in enumerate(seeds):
        of_seed = dict(zip(variants, metrics[i * len(variants) : (i + 1) * len(variants)], strict=True))
        per_seed.append(table_rows(keras[i], of_seed))
        seed_rows.append({"seed": seed, "variant": "keras", "accuracy": keras[i]["accuracy"], "bytes": None})
        seed_rows += [
            {"seed": seed, "variant": v, "accuracy": m["accuracy"], "bytes": m["size"]["bytes"]}
            for v, m in of_seed.items()
        ]
    write_table(out, over_seeds(per_seed))
    write_csv(out_seeds, seed_rows, SEED_COLUMNS)
