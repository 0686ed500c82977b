"""The deployment stage's numbers to reach, on a finished run (run from the folder holding results/).

    .venv/bin/python benchmarks/deployment_timing.py [--config config/config.yaml ...]
        [--out benchmarks/results/deployment_timing.csv]

It runs the workflow's timing job (edgecompress.deployment.timing.time_models) twice more on the
run's own models, with the run's deployment settings, and writes one CSV (metric / value /
target / met):
- stability: every speed-up ratio of the two runs agrees within 15 %;
- unstructured vs its dense baseline: 0.8-1.25x (LiteRT float32, PyTorch batch 1 and batch N);
- structured: PyTorch speed-up at batch N >= 0.6 x its MACs reduction;
- ResNet-18 int8 vs float32 in LiteRT, with the CPU's ISA flags (stated, no target);
- the deployment stage's wall time (conversions + timing, from the rules' benchmark: files):
  at most 5 minutes;
- the roofline: every measured roof (peak MAC rate per precision and kernel kind, bandwidth per
  cache level and DRAM) within 10 % between the two jobs; the roofs' own time under 20 s; no
  latency faster than (1 - 0.15) x its bound; the speed-ups of the structured, chain and student
  models over their baseline in LiteRT float32 and int8 within a factor of 1.5 of the ratio of
  their bounds (both jobs).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from edgecompress import modelkey  # noqa: E402
from edgecompress.config import load_config  # noqa: E402
from edgecompress.deployment.machine import describe, isa_text  # noqa: E402
from edgecompress.deployment.tables import SPEEDUPS, latency_index, roofline_rows  # noqa: E402
from edgecompress.deployment.timing import time_models  # noqa: E402
from edgecompress.results import (  # noqa: E402
    read_csv,
    read_json,  # noqa: E402
    write_csv,
)

STABLE = 0.15
STAGE_SECONDS = 300
ROOF_STABLE = 0.10
ROOF_SECONDS = 20
PREDICTION_FACTOR = 1.5


def ratios(latency: dict) -> dict:
    """Every speed-up of a latency index: per model against its seed's baseline, and int8 vs float32."""
    out = {}
    models = {k[0] for k in latency}
    for m in models:
        base = modelkey.parse(m).baseline if m != modelkey.CNN else None
        for name, spec in SPEEDUPS.items():
            if base and m != base and (base, *spec) in latency and (m, *spec) in latency:
                out[(m, name)] = latency[(base, *spec)] / latency[(m, *spec)]
        if (m, "litert", "int8", 1) in latency:
            out[(m, "int8_vs_float32")] = latency[(m, "litert", "float32", 1)] / latency[(m, "litert", "int8", 1)]
    return out


def stage_seconds(root: Path, models) -> float:
    """The deployment stage of this run: the conversions of its models and its timing job (benchmark: files)."""
    files = [root / f"benchmarks/rules/deploy_model/{m}.tsv" for m in models if m != "cnn"]
    files.append(root / "benchmarks/rules/time_models.tsv")
    total = 0.0
    for f in files:
        with open(f, newline="") as fh:
            total += float(next(csv.DictReader(fh, delimiter="\t"))["s"])
    return total


def roofline_checks(roofs: list[dict], bounds: list[list[dict]], indexes: list[dict]) -> list[dict]:
    """The roofline's numbers to reach over the two timing jobs (``roofs``, their ``roofline_rows``, latencies)."""
    rows = []
    if any(r["status"] != "measured" for r in roofs):
        return [
            {
                "metric": "roofline",
                "value": "; ".join(r.get("reason", "") for r in roofs),
                "target": "measured",
                "met": False,
            }
        ]
    for group in ("peak_macs_per_s", "bandwidth_bytes_per_s"):
        for name in [n for n in roofs[0][group] if n in roofs[1][group]]:  # levels both sweeps found
            x, y = roofs[0][group][name], roofs[1][group][name]
            rows.append(
                {
                    "metric": f"roof {group} {name}: job 1 {x:.4g}, job 2 {y:.4g}, relative difference",
                    "value": abs(y / x - 1),
                    "target": f"<= {ROOF_STABLE}",
                    "met": abs(y / x - 1) <= ROOF_STABLE,
                }
            )
    slowest = max(r["seconds"] for r in roofs)
    rows.append(
        {
            "metric": "roof measurements' time in the timing job (s, the slower job)",
            "value": slowest,
            "target": f"< {ROOF_SECONDS}",
            "met": slowest < ROOF_SECONDS,
        }
    )
    faster = sum(bool(r.get("roof_faster_than_bound")) for job in bounds for r in job)
    rows.append(
        {
            "metric": f"latencies faster than their roofline bound (of {sum(len(j) for j in bounds)}, both jobs)",
            "value": faster,
            "target": "0",
            "met": faster == 0,
        }
    )
    for job, (latency, rows_of_job) in enumerate(zip(indexes, bounds), start=1):
        bound = {
            (r["model"], r["precision"]): r["roof_attainable_ms"]
            for r in rows_of_job
            if r["runtime"] == "litert" and "roof_attainable_ms" in r
        }
        for model in sorted({m for m, _ in bound}):
            if modelkey.family_of(model) not in ("structured", "chain", "student", "kd"):
                continue
            base = modelkey.parse(model).baseline
            for precision in ("float32", "int8"):
                spec = ("litert", precision, 1)
                if (base, *spec) not in latency or (model, *spec) not in latency:
                    continue
                measured = latency[(base, *spec)] / latency[(model, *spec)]
                predicted = bound[(base, precision)] / bound[(model, precision)]
                factor = max(measured / predicted, predicted / measured)
                rows.append(
                    {
                        "metric": f"job {job} {model} {precision}: measured speed-up {measured:.2f}, roofline "
                        f"{predicted:.2f}, factor",
                        "value": factor,
                        "target": f"<= {PREDICTION_FACTOR}",
                        "met": factor <= PREDICTION_FACTOR,
                    }
                )
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", nargs="*", type=Path, default=[Path("config/config.yaml")])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/deployment_timing.csv"))
    args = parser.parse_args(argv)
    cfg = load_config(
        args.config, Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml", args.root
    )
    run = read_csv(args.root / "results/deployment/latency.csv")
    litert: dict = {}
    pytorch: dict = {}
    for r in run:
        if r["runtime"] == "litert":
            litert.setdefault(r["model"], {})[r["precision"]] = str(args.root / r["file"])
        else:
            pytorch[r["model"]] = str(args.root / r["file"])
    indexes, roofs, bounds = [], [], []
    roof_files = {
        f"{p}_{k}": str(args.root / f"results/deployment/roofs/{p}_{k}.tflite")
        for p in ("float32", "int8")
        for k in ("dense", "depthwise")
    }
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(2):
            out = Path(tmp) / f"latency{i}.csv"
            time_models(
                litert,
                pytorch,
                roof_files,
                str(out),
                str(Path(tmp) / f"ratios{i}.csv"),
                str(Path(tmp) / f"machine{i}.json"),
                cfg["deployment"],
                cfg["torch"]["resolution"],
                0,
            )
            indexes.append(latency_index(read_csv(out)))
            roofs.append(read_json(Path(tmp) / f"machine{i}.json")["roofline"])
            bounds.append(roofline_rows(read_csv(out), roofs[-1]))
    a, b = (ratios(x) for x in indexes)
    rows = roofline_checks(roofs, bounds, indexes)
    worst_key = max(a, key=lambda k: abs(a[k] / b[k] - 1)) if a else None
    worst = abs(a[worst_key] / b[worst_key] - 1) if a else None
    rows.append(
        {
            "metric": f"largest relative difference of a speed-up between two timing runs ({worst_key})",
            "value": worst,
            "target": f"<= {STABLE}",
            "met": worst is not None and worst <= STABLE,
        }
    )
    for (model, name), value in sorted(a.items()):
        if modelkey.family_of(model) == "unstructured" and name in SPEEDUPS:
            rows.append(
                {
                    "metric": f"{model}: {name} vs dense",
                    "value": value,
                    "target": "0.8-1.25",
                    "met": 0.8 <= value <= 1.25,
                }
            )
    macs = {}
    with open(args.root / "results/deployment/table.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            macs[r["model"]] = float(r["macs_reduction"]) if r["macs_reduction"] else None
    for (model, name), value in sorted(a.items()):
        if modelkey.family_of(model) == "structured" and name == "speedup_pytorch_batchN" and macs.get(model):
            rows.append(
                {
                    "metric": f"{model}: PyTorch batch-N speed-up / MACs reduction",
                    "value": value / macs[model],
                    "target": ">= 0.6",
                    "met": value / macs[model] >= 0.6,
                }
            )
    machine = describe()
    for (model, name), value in sorted(a.items()):
        if name == "int8_vs_float32" and modelkey.family_of(model) == "baseline":
            rows.append(
                {
                    "metric": f"ResNet-18 ({model}) int8 vs float32 in LiteRT, {machine['cpu_model']}, "
                    f"ISA {isa_text(machine['isa'])}",
                    "value": value,
                    "target": "",
                    "met": "",
                }
            )
    if ("cnn", "int8_vs_float32") in a:
        rows.append(
            {
                "metric": f"CNN int8 vs float32 in LiteRT, ISA {isa_text(machine['isa'])}",
                "value": a[("cnn", "int8_vs_float32")],
                "target": "",
                "met": "",
            }
        )
    seconds = stage_seconds(args.root, pytorch)
    seeds = len({modelkey.parse(m).seed for m in pytorch})
    rows.append(
        {
            "metric": f"deployment stage wall time, {seeds} seed(s) (conversions + timing job, s)",
            "value": seconds,
            "target": f"<= {STAGE_SECONDS} for one seed" if seeds == 1 else "",
            "met": seconds <= STAGE_SECONDS if seeds == 1 else "",
        }
    )
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
