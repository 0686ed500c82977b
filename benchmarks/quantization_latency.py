"""Our LiteRT latency against LiteRT's own benchmark tool, on the workflow's TFLite models.

    .venv/bin/python benchmarks/quantization_latency.py [--models results/quantization/models]
        [--threads 1] [--runs 2000] [--warmup 200] [--out benchmarks/results/quantization_latency.csv]

For each base_cnn_<variant>.tflite: our median (edgecompress.tflite + edgecompress.measure, the
code the workflow uses) and the median of `python -m ai_edge_litert.tools.benchmark_litert_model`
with the same thread count. The tool rounds its times to 0.01 ms, so its unrounded mean is also
recovered from its throughput (input bytes / mean time) and compared with our mean. The table
flags agreement within 15 % and the targets for int8: median <= 0.03 ms and >= 2x faster than
float32.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from edgecompress.atomic import atomic_path  # noqa: E402
from edgecompress.measure import latency_ms  # noqa: E402
from edgecompress.tflite import interpreter, prepare_inputs  # noqa: E402

TOLERANCE = 0.15
INT8_TARGET_MS = 0.03
INT8_SPEEDUP_TARGET = 2.0


def ours(model: Path, threads: int, warmup: int, runs: int, kernels: str) -> dict:
    interp = interpreter(model, threads, kernels)
    detail = interp.get_input_details()[0]
    x = prepare_inputs(interp, np.random.default_rng(0).random(detail["shape"], dtype=np.float32))
    return latency_ms(interp.invoke, warmup, runs, prepare=lambda: interp.set_tensor(detail["index"], x))


def litert_tool(model: Path, threads: int, warmup: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        subprocess.run(
            [sys.executable, "-m", "ai_edge_litert.tools.benchmark_litert_model", "--model", str(model),
             "--num_threads", str(threads), "--num_runs", str(runs), "--warmup_runs", str(warmup),
             "--result_json", str(out)],
            check=True, capture_output=True, text=True,
        )
        result = json.loads(out.read_text())
    interp = interpreter(model, 1)
    detail = interp.get_input_details()[0]
    input_mb = int(np.prod(detail["shape"])) * np.dtype(detail["dtype"]).itemsize / (1024 * 1024)
    throughput = result["throughput_mb_s"]
    return {"median_ms": result["latency"]["median_ms"],
            "mean_ms_from_throughput": input_mb / throughput * 1000 if throughput else float("nan")}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=Path("results/quantization/models"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--kernels", default="xnnpack", choices=["xnnpack", "builtin"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/quantization_latency.csv"))
    args = parser.parse_args(argv)
    models = sorted(args.models.glob("base_cnn_*.tflite"))
    if not models:
        parser.error(f"no base_cnn_*.tflite in {args.models}: run the workflow first (snakemake --cores 4)")
    rows = []
    for model in models:
        variant = model.stem.removeprefix("base_cnn_")
        mine = ours(model, args.threads, args.warmup, args.runs, args.kernels)
        tool = litert_tool(model, args.threads, args.warmup, args.runs)
        rows.append({
            "variant": variant, "threads": args.threads, "runs": args.runs,
            "ours_median_ms": mine["median_ms"], "ours_p90_ms": mine["p90_ms"], "ours_mean_ms": mine["mean_ms"],
            "litert_median_ms": tool["median_ms"], "litert_mean_ms": tool["mean_ms_from_throughput"],
            "median_rel_diff": abs(mine["median_ms"] - tool["median_ms"]) / tool["median_ms"],
            "mean_rel_diff": abs(mine["mean_ms"] - tool["mean_ms_from_throughput"]) / tool["mean_ms_from_throughput"],
        })
        rows[-1]["agree_within_15pct"] = rows[-1]["median_rel_diff"] <= TOLERANCE
    by_variant = {r["variant"]: r for r in rows}
    if "int8" in by_variant:
        int8 = by_variant["int8"]
        int8["target_median_le_0.03ms"] = int8["ours_median_ms"] <= INT8_TARGET_MS
        if "float32" in by_variant:
            int8["speedup_vs_float32"] = by_variant["float32"]["ours_median_ms"] / int8["ours_median_ms"]
            int8["target_speedup_ge_2x"] = int8["speedup_vs_float32"] >= INT8_SPEEDUP_TARGET
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in rows[0], list(rows[0]).index(k) if k in rows[0] else 0, k))
    with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()})
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
