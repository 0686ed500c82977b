"""What a deploy_model job's threads buy: one job with ``--threads`` threads, one with one thread, and two
one-thread jobs side by side, on the trained models of a finished run; and whether the files stay the same.

    .venv/bin/python benchmarks/deploy_threads.py RUN [--models baseline/seed42 student/seed42]
        [--threads 2] [--rounds 2] [--out benchmarks/results/deploy_threads.csv]

A deploy_model job (float32 and int8 conversion with litert-torch, calibration, both files evaluated on
the test split) spends most of its time in Python graph work on one core. Snakemake runs a job that
reserves ``--threads`` threads alone on that many cores; with one thread each, it runs that many jobs
side by side. This script measures, interleaved round by round in one job, each way as a fresh process
calling the workflow's ``deploy_model`` (imports included, as a job pays them) on the run's own inputs
and settings (resolution, calibration images, seed: from the run's deployment metrics):

- each model alone with ``--threads`` threads, and alone with one thread (wall seconds);
- the models two at a time, one-thread jobs started together (the pair's wall seconds), against the
  same two ``--threads``-thread jobs one after the other (the sum of their alone times);

and whether the files a way writes are byte-identical in every round, and the one-thread files equal to
the ``--threads``-thread ones (PyTorch's calibration sums in another order with other threads, so the int8
file can change with the thread count). Rows: metric / value / target / met, with the CPU model, its ISA
flags and the load average before and after. With one model, the pair is that model twice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edgecompress import modelkey
from edgecompress.deployment.machine import benchmark_rows, load_average
from edgecompress.modelkey import PRECISIONS
from edgecompress.results import write_csv

JOB = """
import json, sys
from edgecompress.deployment.convert import deploy_model
deploy_model(**json.loads(sys.argv[1]))
"""


def job_args(run: Path, key: str, threads: int, out: Path) -> dict:
    """``deploy_model``'s arguments for ``key`` as the run deployed it, writing under ``out``."""
    metrics = run / "results" / "deployment" / "models" / key / "metrics.json"
    if not metrics.is_file():
        raise SystemExit(f"{metrics}: no deployed model {key!r} in {run} (run the workflow to its deployment first)")
    settings = json.loads(metrics.read_text())["provenance"]["config"]
    return {
        "key": key,
        "model_path": str(run / modelkey.parse(key).path("model.pt")),
        "trained_metrics": str(run / modelkey.parse(key).path("metrics.json")),
        # the subset the model was tested on, as its deployment metrics record it
        "arrays": str(run / json.loads(metrics.read_text())["provenance"]["inputs"]["arrays"]["path"]),
        "out": {**{p: str(out / f"{p}.tflite") for p in PRECISIONS}, "metrics": str(out / "metrics.json")},
        "resolution": settings["resolution"],
        "calibration_samples": settings["calibration_samples"],
        "seed": settings["seed"],
        "threads": threads,
    }


def digest(out: Path) -> str:
    """One digest of the two files a job wrote."""
    return hashlib.sha256(b"".join((out / f"{p}.tflite").read_bytes() for p in PRECISIONS)).hexdigest()[:16]


def jobs(run: Path, keys: list[str], threads: int, scratch: Path) -> tuple[float, list[str]]:
    """``deploy_model`` of ``keys`` as processes started together, ``threads`` threads each: (their wall seconds,
    each one's file digest)."""
    outs = [Path(tempfile.mkdtemp(dir=scratch)) for _ in keys]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", JOB, json.dumps(job_args(run, key, threads, out))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, out in zip(keys, outs)
    ]
    for key, p in zip(keys, procs):
        _, err = p.communicate(timeout=1800)
        if p.returncode:
            raise SystemExit(f"deploy_model of {key} with {threads} thread(s) failed ({p.returncode}): {err[-2000:]}")
    return time.perf_counter() - start, [digest(out) for out in outs]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a finished run's folder (results/, resources/)")
    parser.add_argument("--models", nargs="+", default=["baseline/seed42", "student/seed42"])
    parser.add_argument("--threads", type=int, default=2, help="what a deploy_model job reserved (config: threads)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/deploy_threads.csv"))
    args = parser.parse_args(argv)
    if args.threads < 2:
        raise SystemExit(f"--threads must be at least 2 to compare with one thread, got {args.threads}")
    keys = args.models
    pairs = [keys[i : i + 2] for i in range(0, len(keys), 2)]
    pairs = [p if len(p) == 2 else p * 2 for p in pairs]  # an odd model out runs beside itself
    load_before = load_average()
    alone: dict[tuple[str, int], list[float]] = {(k, t): [] for k in keys for t in (args.threads, 1)}
    side: dict[tuple[str, ...], list[float]] = {tuple(p): [] for p in pairs}
    digests: dict[tuple[str, int], set[str]] = {(k, t): set() for k in keys for t in (args.threads, 1)}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):  # interleaved: each round measures every way once
            for key in keys:
                for threads in (args.threads, 1):
                    seconds, (d,) = jobs(args.run, [key], threads, Path(scratch))
                    alone[key, threads].append(seconds)
                    digests[key, threads].add(d)
            for pair in pairs:
                seconds, ds = jobs(args.run, pair, 1, Path(scratch))
                side[tuple(pair)].append(seconds)
                for key, d in zip(pair, ds):
                    digests[key, 1].add(d)
    med = {k: statistics.median(v) for k, v in {**alone, **side}.items()}
    n = args.threads
    rows = [
        *benchmark_rows(load_before),
        {"metric": "rounds", "value": args.rounds},
    ]
    for key in keys:
        rows += [
            {"metric": f"{key}: seconds alone, {n} threads (median of rounds)", "value": round(med[key, n], 2)},
            {"metric": f"{key}: seconds alone, 1 thread", "value": round(med[key, 1], 2)},
            {"metric": f"{key}: 1 thread over {n} threads (seconds)", "value": round(med[key, 1] / med[key, n], 3)},
        ]
    for pair in map(tuple, pairs):
        after = med[pair[0], n] + med[pair[1], n]
        name = " and ".join(pair)
        rows += [
            {"metric": f"{name}: seconds one after the other, {n} threads each (sum)", "value": round(after, 2)},
            {"metric": f"{name}: seconds side by side, 1 thread each", "value": round(med[pair], 2)},
            {"metric": f"{name}: side by side over one after the other", "value": round(med[pair] / after, 3)},
        ]
    rows += [
        {
            "metric": f"files of each model equal in every round and way ({n} threads; 1 thread alone, side by side)",
            "value": all(len(d) == 1 for d in digests.values()),
        },
        {
            "metric": f"files with 1 thread equal to those with {n} threads, every model",
            "value": all(digests[k, 1] == digests[k, n] for k in keys),
        },
        {"metric": "load average after (1, 5, 15 min)", "value": " ".join(map(str, load_average()))},
    ]
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
