"""The measured numbers the docs quote, each read from a tracked file under ``docs/sizing/``.

    .venv/bin/python benchmarks/sizing_numbers.py [--check]      (make sizing-docs)

A page under ``docs/``, the README or the config's reference quotes a measured number only as
``<!-- n:KEY -->value<!-- /n -->``. This script computes every KEY's value from its file (``NUMBERS``),
rewrites those spans in place and writes ``docs/sizing/numbers.md``: one table of every key, what it
is, its value and the file it comes from. ``--check`` changes nothing and fails (exit 1) naming each
stale span or the stale table, and each KEY a page uses that the table does not define.
``tests/unit/test_docs.py`` runs the check and fails on a measured number typed outside such a span.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import importlib.util
import io
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
SIZING = REPO / "docs" / "sizing"
TABLE = SIZING / "numbers.md"
# the pages whose spans are filled (the README, every page under docs/ and the config's reference)
PAGES = ("README.md", "docs/*.md", "docs/sizing/README.md", "config/README.md")
SPAN = re.compile(r"<!-- n:(?P<key>[a-z0-9-]+) -->(?P<value>.*?)<!-- /n -->")


@dataclass(frozen=True)
class Number:
    key: str
    what: str
    file: str  # relative to docs/sizing/
    value: Callable[[Path], str]


# ---------------------------------------------------------------- readers
def _rows(path: Path, delimiter: str = ",") -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def _value(rows, prefix: str, where: object) -> float:
    """The value of the one row of a metric / value table whose metric starts with ``prefix``."""
    found = [r for r in rows if r["metric"].startswith(prefix)]
    if len(found) != 1:
        raise KeyError(f"{where}: {len(found)} rows start with {prefix!r}")
    return float(found[0]["value"])


def _metric(path: Path, prefix: str) -> float:
    return _value(_rows(path), prefix, path)


def _memory(path: Path, model: str, precision: str, column: str) -> float:
    return float(next(r for r in _rows(path) if r["model"] == model and r["precision"] == precision)[column])


def _seconds(path: Path) -> float:
    """Wall seconds of a Snakemake ``benchmark:`` file (or of every one under a folder)."""
    files = sorted(path.rglob("*.tsv")) if path.is_dir() else [path]
    return sum(float(r["s"]) for f in files for r in _rows(f, "\t"))


def _thousands(x: float) -> str:
    return f"{x:,.0f}"


def _kib(x: float) -> str:
    return f"{x / 1024:.1f} KiB"


def _mib(x: float) -> str:
    return f"{x / 2**20:.1f} MiB"


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def _speedup_factors(path: Path) -> list[tuple[str, float, float]]:
    """(metric, factor, upper limit) of every "measured speed-up ... roofline ... factor" row."""
    return [
        (r["metric"], float(r["value"]), float(r["target"].split()[-1]))
        for r in _rows(path)
        if "measured speed-up" in r["metric"]
    ]


def _roof_differences(path: Path) -> dict[str, float]:
    return {
        r["metric"].split(":")[0].split()[-1]: float(r["value"])
        for r in _rows(path)
        if r["metric"].startswith("roof ") and "relative difference" in r["metric"]
    }


@functools.lru_cache(maxsize=None)
def _conclusions_rows(folder: Path, sweep: str) -> tuple:
    """``benchmarks/conclusions_cost.py`` run on ``folder`` (its own arithmetic, not repeated here)."""
    spec = importlib.util.spec_from_file_location("conclusions_cost", Path(__file__).with_name("conclusions_cost.py"))
    conclusions_cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conclusions_cost)
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        out = Path(tmp) / "cost.csv"
        conclusions_cost.main([str(folder), "--sweep", sweep, "--out", str(out)])
        return tuple(_rows(out))


def _conclusions_cost(folder: Path, sweep: str, prefix: str) -> float:
    return _value(_conclusions_rows(folder, sweep), prefix, f"conclusions_cost.py on {folder}")


def _total_jobs(path: Path) -> tuple[int, float]:
    """(jobs, job-seconds) of a ``benchmarks/run_cost.py`` table."""
    for r in _rows(path):
        if m := re.match(r"all (\d+) jobs: seconds", r["metric"]):
            return int(m.group(1)), float(r["value"])
    raise KeyError(f"{path}: no 'all N jobs' row")


def _uncertain(path: Path) -> tuple[int, int]:
    """(speed-ups flagged "uncertain", speed-ups printed) of a deployment table."""
    rows = _rows(path)
    flagged = sum(c.endswith(":uncertain") for r in rows for c in r["suspect_columns"].split(";"))
    return flagged, sum(
        v not in (None, "") for r in rows for k, v in r.items() if "speedup" in k and "suspect" not in k
    )


def _seeds_ratio(path: Path, seeds: int, other: int) -> float:
    """(shared + seeds x one seed) / (shared + other x one seed), from a ``run_cost.py`` table."""
    shared, one = _metric(path, "shared jobs"), _metric(path, "one seed")
    return (shared + seeds * one) / (shared + other * one)


def _arm_vela_share(path: Path) -> float:
    """ARM parity and Vela at the eight-seed default: their seconds per file (per Vela row) in this run, times the
    default's files and rows (the paper-config run's tables), against the default's estimated job-seconds."""
    folder, paper = path.parent, SIZING / PAPER / "results" / "deployment"
    per_file = _metric(path, "arm_parity: seconds") / len(_rows(folder / "results/deployment/arm_parity.csv"))
    per_row = _metric(path, "vela: seconds") / len(_rows(folder / "results/deployment/vela.csv"))
    stages = per_file * len(_rows(paper / "arm_parity.csv")) + per_row * len(_rows(paper / "vela.csv"))
    rest = (
        _metric(path, "the same run with 8 seeds")
        - _metric(path, "arm_parity: seconds")
        - _metric(path, "vela: seconds")
    )
    return stages / (rest + stages)


def _six_seed_training_share(path: Path) -> float:
    """The trainings' share of the six-seed run estimated from a single-seed ``run_cost.py`` table: Experiment 1's
    CNN once plus six times one seed's trainings, against the shared jobs plus six times one seed's jobs."""
    trainings = _metric(path, "train_base_cnn: seconds") + 6 * sum(_metric(path, f"{r}: seconds") for r in TRAININGS)
    return trainings / (_metric(path, "shared jobs") + 6 * _metric(path, "one seed"))


def _wall(path: Path) -> str:
    """A run's wall seconds from its ``run_cost.py --log`` table."""
    return _thousands(_metric(path, WALL)) + " s"


def _wall_share(path: Path, before: Path) -> str:
    """A run's wall seconds as a share of another's (both ``run_cost.py --log`` tables)."""
    return _pct(_metric(path, WALL) / _metric(before, WALL), 0)


def _six_seed_wall_estimate(path: Path) -> float:
    """The six-seed run's wall seconds estimated from a single-seed ``run_cost.py`` table with ``--log``: the shared
    jobs plus six times one seed's, at that run's job-seconds per wall second."""
    return (_metric(path, "shared jobs") + 6 * _metric(path, "one seed")) / _metric(path, "job-seconds per wall second")


def _stage_share(path: Path, stages: tuple[str, ...]) -> float:
    rows = _rows(path)
    total = next(float(r["value"]) for r in rows if re.match(r"all \d+ jobs: seconds", r["metric"]))
    return sum(float(r["value"]) for r in rows if r["metric"].split(":")[0] in stages) / total


DEMO_MEMORY = "demo-cpu/results/memory.csv"
ONE_SEED_MEMORY = "paper-scale-1-seed-cpu/results/memory.csv"
ROOFLINE = "roofline-six-seeds-demo-cpu/deployment_timing_default_rounds.csv"
ROOFLINE_FEW_ROUNDS = "roofline-six-seeds-demo-cpu/deployment_timing.csv"
CONCLUSIONS = "conclusions-cost-cpu"
CONTENDED = "six-seed-demo-contended/run_cost.csv"
PAPER = "paper-config-8-seeds-xeon"
SINGLE = "paper-single-seed-xeon"
ARM_DEMO = "arm-vela-demo-cpu"
THREADS = "training-threads-xeon-2vcpu"
CORES = "paper-single-seed-cores-xeon"
DEPLOY = "deploy-threads-xeon-2vcpu/deploy_threads.csv"
SIX = "paper-six-seeds-xeon/run_cost.csv"
TRAININGS = ("finetune_baseline", "prune", "finetune_control", "train_student", "distill_student")  # per seed
WALL = "the run's wall seconds"

NUMBERS = (
    # memory (docs/methods.md)
    Number(
        "demo-arena-cnn-int8",
        "TFLM arena of the demo's CNN int8",
        DEMO_MEMORY,
        lambda p: _kib(_memory(p, "cnn", "int8", "arena_bytes")),
    ),
    Number(
        "demo-arena-resnet18-int8",
        "TFLM arena of the demo's ResNet-18 int8 (32 px)",
        DEMO_MEMORY,
        lambda p: _kib(_memory(p, "baseline/seed42", "int8", "arena_bytes")),
    ),
    Number(
        "one-seed-arena-cnn-int8",
        "TFLM arena of the paper's CNN int8",
        ONE_SEED_MEMORY,
        lambda p: _kib(_memory(p, "cnn", "int8", "arena_bytes")),
    ),
    Number(
        "one-seed-peak-cnn-int8",
        "its peak of live tensors",
        ONE_SEED_MEMORY,
        lambda p: _kib(_memory(p, "cnn", "int8", "peak_live_bytes")),
    ),
    Number(
        "one-seed-tflm-images",
        "test images TFLM classified",
        ONE_SEED_MEMORY,
        lambda p: _thousands(_memory(p, "cnn", "int8", "tflm_images")),
    ),
    Number(
        "one-seed-tflm-accuracy",
        "TFLM's accuracy on them (CNN int8)",
        ONE_SEED_MEMORY,
        lambda p: _pct(_memory(p, "cnn", "int8", "tflm_accuracy"), 2),
    ),
    Number(
        "one-seed-litert-accuracy",
        "LiteRT's accuracy on them (the same file)",
        ONE_SEED_MEMORY,
        lambda p: _pct(_memory(p, "cnn", "int8", "litert_accuracy"), 2),
    ),
    Number(
        "one-seed-tflm-agreement",
        "images on which TFLM and LiteRT give the same class",
        ONE_SEED_MEMORY,
        lambda p: _pct(_memory(p, "cnn", "int8", "tflm_litert_agreement"), 2),
    ),
    Number(
        "one-seed-arena-resnet18-int8",
        "TFLM arena of the ResNet-18 int8 (32 px)",
        ONE_SEED_MEMORY,
        lambda p: _kib(_memory(p, "baseline/seed42", "int8", "arena_bytes")),
    ),
    Number(
        "one-seed-rss-resnet18-int8",
        "LiteRT process memory, ResNet-18 int8",
        ONE_SEED_MEMORY,
        lambda p: _mib(_memory(p, "baseline/seed42", "int8", "process_rss_bytes")),
    ),
    Number(
        "one-seed-rss-resnet18-float32",
        "LiteRT process memory, ResNet-18 float32",
        ONE_SEED_MEMORY,
        lambda p: _mib(_memory(p, "baseline/seed42", "float32", "process_rss_bytes")),
    ),
    Number(
        "one-seed-file-resnet18-int8",
        "the ResNet-18 int8 file",
        ONE_SEED_MEMORY,
        lambda p: _mib(_memory(p, "baseline/seed42", "int8", "file_bytes")),
    ),
    Number(
        "one-seed-file-resnet18-float32",
        "the ResNet-18 float32 file",
        ONE_SEED_MEMORY,
        lambda p: _mib(_memory(p, "baseline/seed42", "float32", "file_bytes")),
    ),
    Number(
        "one-seed-memory-files",
        "files the memory job measured (one seed)",
        ONE_SEED_MEMORY,
        lambda p: str(len(_rows(p))),
    ),
    Number(
        "one-seed-memory-job",
        "the memory job's wall time for them",
        "paper-scale-1-seed-cpu/measure_memory.tsv",
        lambda p: f"{_seconds(p):.0f} s",
    ),
    # the roofline (docs/methods.md)
    Number(
        "roofline-within",
        "speed-ups within their limit of the roofline's ratio (both jobs, default rounds)",
        ROOFLINE,
        lambda p: f"{sum(f <= lim for _, f, lim in _speedup_factors(p))} of {len(_speedup_factors(p))}",
    ),
    Number(
        "roofline-largest-factor",
        "the largest factor between a speed-up and the roofline's ratio",
        ROOFLINE,
        lambda p: f"{max(f for _, f, _ in _speedup_factors(p)):.2f}",
    ),
    Number(
        "roofline-faster-than-bound",
        "latencies faster than their bound",
        ROOFLINE,
        lambda p: (
            f"{_metric(p, 'latencies faster than their roofline bound'):.0f} of "
            + re.search(r"of (\d+)", next(r["metric"] for r in _rows(p) if "faster than" in r["metric"])).group(1)
        ),
    ),
    Number(
        "roofline-roof-seconds",
        "the roof measurements' time in the timing job",
        ROOFLINE,
        lambda p: f"{_metric(p, 'roof measurements'):.1f} s",
    ),
    Number(
        "roofline-l3-change",
        "L3 bandwidth, relative difference between the two jobs",
        ROOFLINE,
        lambda p: _pct(_roof_differences(p)["L3"], 0),
    ),
    Number(
        "roofline-dram-change",
        "DRAM bandwidth, relative difference between the two jobs",
        ROOFLINE,
        lambda p: _pct(_roof_differences(p)["DRAM"], 0),
    ),
    Number(
        "roofline-speedup-change",
        "the largest relative difference of a speed-up between the two jobs",
        ROOFLINE,
        lambda p: _pct(_metric(p, "largest relative difference of a speed-up"), 0),
    ),
    Number(
        "few-rounds-roof-change",
        "the roofs' largest relative difference, test config's rounds",
        ROOFLINE_FEW_ROUNDS,
        lambda p: _pct(max(_roof_differences(p).values()), 0),
    ),
    Number(
        "few-rounds-speedup-change",
        "the largest relative difference of a speed-up, test config's rounds",
        ROOFLINE_FEW_ROUNDS,
        lambda p: _pct(_metric(p, "largest relative difference of a speed-up"), 0),
    ),
    # what testing the conclusions costs (docs/methods.md)
    Number(
        "conclusions-preset-seconds",
        "job-seconds of the single-seed preset",
        CONCLUSIONS,
        lambda p: f"{_conclusions_cost(p, 'default-sweep-1-3-5', 'single-seed preset: seconds of all jobs'):,.0f} s",
    ),
    Number(
        "conclusions-preset-extra",
        "the control, the chain and their share of timing and memory, of that",
        CONCLUSIONS,
        lambda p: f"{_conclusions_cost(p, 'default-sweep-1-3-5', 'single-seed preset: seconds of the control'):,.0f} s",
    ),
    Number(
        "conclusions-preset-share",
        "... as a share of the preset without them",
        CONCLUSIONS,
        lambda p: _pct(_conclusions_cost(p, "default-sweep-1-3-5", "single-seed preset: extra cost")),
    ),
    Number(
        "conclusions-default-share",
        "estimated extra cost on the six-seed default, sweep to 5 epochs",
        CONCLUSIONS,
        lambda p: _pct(_conclusions_cost(p, "default-sweep-1-3-5", "default run: extra cost")),
    ),
    Number(
        "conclusions-sweep6-share",
        "... with a sweep to 6 epochs",
        CONCLUSIONS,
        lambda p: _pct(_conclusions_cost(p, "default-sweep-1-3-6", "default run: extra cost")),
    ),
    # the paper's own config on this kind of machine (issue 33; docs/sizing/README.md)
    Number(
        "paper-run-jobs",
        "the paper-config run's jobs with a benchmark file, and their job-seconds",
        f"{PAPER}/run_cost.csv",
        lambda p: "{} jobs, {:,.0f} s".format(*_total_jobs(p)),
    ),
    Number(
        "paper-run-two-seeds",
        "what its seeds 7 and 8 add to the same run with six (estimated from its per-seed mean)",
        f"{PAPER}/run_cost.csv",
        lambda p: _pct(
            -_metric(p, "6 seeds instead of 8: seconds added")
            / _metric(p, "the same run with 6 seeds: seconds (estimate)")
        ),
    ),
    Number(
        "paper-run-latencies",
        "latencies the paper-config run placed on its roofline",
        f"{PAPER}/results/deployment/roofline.csv",
        lambda p: str(sum(r["roof_status"] == "measured" for r in _rows(p))),
    ),
    Number(
        "paper-run-faster-than-bound",
        "of them faster than their bound",
        f"{PAPER}/results/deployment/roofline.csv",
        lambda p: str(sum(r["roof_faster_than_bound"] == "True" for r in _rows(p))),
    ),
    Number(
        "paper-run-no-roof",
        "timed variants without a roof, each with a row saying why",
        f"{PAPER}/results/deployment/roofline.csv",
        lambda p: str(sum(r["roof_status"].startswith("no roof measured") for r in _rows(p))),
    ),
    Number(
        "paper-run-uncertain",
        "speed-ups flagged uncertain (interval wider than the config's bound), of all printed",
        f"{PAPER}/results/deployment/table.csv",
        lambda p: "{} of {}".format(*_uncertain(p)),
    ),
    Number(
        "paper-run-load",
        "load average when its timing job started",
        f"{PAPER}/results/deployment/machine.json",
        lambda p: ", ".join(f"{v:.2f}" for v in json.loads(p.read_text())["load_average_before"]),
    ),
    Number(
        "paper-run-arm-files",
        "its .tflite files that ran on aarch64 LiteRT, of all",
        f"{PAPER}/results/deployment/arm_parity.csv",
        lambda p: f"{sum(r['status'] == 'ran' for r in _rows(p))} of {len(_rows(p))}",
    ),
    Number(
        "paper-run-arm-int8-identical",
        "int8 files whose every output was identical to x86",
        f"{PAPER}/results/deployment/arm_parity.csv",
        lambda p: (
            f"{sum(r['output_type'] == 'int8' and r['identical_fraction'] == '1' for r in _rows(p))} of "
            f"{sum(r['output_type'] == 'int8' for r in _rows(p))}"
        ),
    ),
    Number(
        "paper-run-arm-flagged",
        "files flagged (outputs differing beyond rounding)",
        f"{PAPER}/results/deployment/arm_parity.csv",
        lambda p: str(sum(r["flagged"] == "True" for r in _rows(p))),
    ),
    Number(
        "paper-run-vela-rows",
        "Vela rows (int8 files x accelerators) compiled, of all",
        f"{PAPER}/results/deployment/vela.csv",
        lambda p: f"{sum(r['status'] == 'compiled' for r in _rows(p))} of {len(_rows(p))}",
    ),
    Number(
        "paper-run-arm-vela-seconds",
        "ARM parity and Vela, job-seconds in that run",
        f"{PAPER}/run_cost.csv",
        lambda p: f"{sum(_metric(p, f'{rule}: seconds') for rule in ('arm_parity', 'vela')):,.0f} s",
    ),
    Number(
        "paper-run-arm-vela-share",
        "... their share of the run's job-seconds (contended: see the folder's row)",
        f"{PAPER}/run_cost.csv",
        lambda p: _pct(_stage_share(p, ("arm_parity", "vela"))),
    ),
    # the same preset, one seed, alone on the same VM: a clean estimate of the default (issues 34, 35, 36)
    Number(
        "single-seed-jobs",
        "the single-seed preset's jobs and job-seconds, nothing else running",
        f"{SINGLE}/run_cost.csv",
        lambda p: "{} jobs, {:,.0f} s".format(*_total_jobs(p)),
    ),
    Number(
        "single-seed-per-seed",
        "one seed's jobs in it",
        f"{SINGLE}/run_cost.csv",
        lambda p: f"{_metric(p, 'one seed'):,.0f} s",
    ),
    Number(
        "training-loop-vs-bare",
        "the workflow's training loop against a bare loop over in-memory tensors (throughput)",
        f"{THREADS}/training_speed.csv",
        lambda p: _pct(_metric(p, "training throughput, workflow loop / bare loop"), 0),
    ),
    Number(
        "training-two-threads",
        "ResNet-18 training steps/s, 2 threads over 1",
        f"{THREADS}/training_threads.csv",
        lambda p: f"{_metric(p, '2 threads over 1 thread'):.2f}x",
    ),
    Number(
        "training-side-by-side",
        "2 one-thread training jobs side by side over one 2-thread job (throughput)",
        f"{THREADS}/training_threads.csv",
        lambda p: f"{_metric(p, '2 one-thread jobs side by side'):.2f}x",
    ),
    Number(
        "training-oversubscribed",
        "two 2-thread training jobs side by side on the 2 CPUs over one 2-thread job (throughput)",
        f"{THREADS}/training_threads.csv",
        lambda p: f"{_metric(p, 'two 2-thread jobs side by side over one'):.2f}x",
    ),
    Number(
        "training-oversubscribed-passive",
        "the same with passive OpenMP wait (OMP_WAIT_POLICY=PASSIVE)",
        f"{THREADS}/training_threads.csv",
        lambda p: f"{_metric(p, 'two 2-thread jobs side by side, passive wait'):.2f}x",
    ),
    Number(
        "single-seed-wall-cores4",
        "the single-seed preset's wall time with --cores 4 on the 2 vCPUs (Snakemake's log)",
        f"{CORES}/cores4/run_cost.csv",
        _wall,
    ),
    Number(
        "single-seed-wall-cores2",
        "the same run with --cores 2, right after it",
        f"{CORES}/cores2/run_cost.csv",
        _wall,
    ),
    Number(
        "single-seed-cores2-share",
        "the --cores 2 run's wall time as a share of the --cores 4 run's",
        f"{CORES}/cores2/run_cost.csv",
        lambda p: _wall_share(p, p.parent.parent / "cores4/run_cost.csv"),
    ),
    Number(
        "six-seed-training-share",
        "the trainings' share of the six-seed run estimated from the --cores 2 run (job-seconds)",
        f"{CORES}/cores2/run_cost.csv",
        lambda p: _pct(_six_seed_training_share(p), 0),
    ),
    Number(
        "deploy-two-threads",
        "a ResNet-18 deploy_model job alone with 2 threads (seconds, median of rounds)",
        DEPLOY,
        lambda p: f"{_metric(p, 'baseline/seed42: seconds alone, 2 threads'):.0f} s",
    ),
    Number(
        "deploy-one-thread",
        "the same job alone with 1 thread, over 2 threads",
        DEPLOY,
        lambda p: f"{_metric(p, 'baseline/seed42: 1 thread over 2 threads'):.2f}x",
    ),
    Number(
        "deploy-side-by-side",
        "two 1-thread deploy_model jobs side by side (ResNet-18, MobileNetV2) over two 2-thread ones in turn",
        DEPLOY,
        lambda p: f"{_metric(p, 'baseline/seed42 and student/seed42: side by side over'):.2f}x",
    ),
    Number(
        "single-seed-wall-deploy-one-thread",
        "the single-seed preset with --cores 2 after deploy_model took one thread (Snakemake's log)",
        f"{CORES}/cores2-deploy-one-thread/run_cost.csv",
        _wall,
    ),
    Number(
        "single-seed-deploy-one-thread-share",
        "its wall time as a share of the --cores 2 run's before",
        f"{CORES}/cores2-deploy-one-thread/run_cost.csv",
        lambda p: _wall_share(p, p.parent.parent / "cores2/run_cost.csv"),
    ),
    Number(
        "six-seed-wall-estimate",
        "the six-seed run's wall time estimated from the --cores 2 single-seed run before (shared + 6 x one seed)",
        f"{CORES}/cores2/run_cost.csv",
        lambda p: _thousands(_six_seed_wall_estimate(p)) + " s",
    ),
    Number(
        "six-seed-wall",
        "the six-seed run, measured with --cores 2 after the changes (Snakemake's log)",
        SIX,
        _wall,
    ),
    Number(
        "six-seed-wall-share",
        "its wall time as a share of the estimate before",
        SIX,
        lambda p: _pct(_metric(p, WALL) / _six_seed_wall_estimate(SIZING / CORES / "cores2/run_cost.csv"), 0),
    ),
    Number(
        "six-seed-jobs-per-wall",
        "its job-seconds per wall second (1 where no two jobs overlap)",
        SIX,
        lambda p: f"{_metric(p, 'job-seconds per wall second'):.2f}",
    ),
    Number(
        "training-channels-last",
        "channels_last over the default memory format, 2 threads",
        f"{THREADS}/training_threads.csv",
        lambda p: f"{_metric(p, 'channels_last over the default'):.2f}x",
    ),
    Number(
        "conversion-batch-share",
        "share of a ResNet-18 conversion job a batched conversion would save",
        "conversion-profile-xeon-2vcpu/conversion_profile.csv",
        lambda p: _pct(_metric(p, "share of that job a batched conversion would save"), 0),
    ),
    Number(
        "default-estimate",
        "the eight-seed default estimated from it (shared jobs + 8 x one seed)",
        f"{SINGLE}/run_cost.csv",
        lambda p: f"{_metric(p, 'the same run with 8 seeds'):,.0f} s",
    ),
    Number(
        "default-eight-vs-six",
        "what eight seeds cost more than six, from the same estimate",
        f"{SINGLE}/run_cost.csv",
        lambda p: _pct(_seeds_ratio(p, 8, 6) - 1),
    ),
    Number(
        "default-arm-vela-share",
        "ARM parity and Vela scaled to the default's files, share of its estimated job-seconds",
        f"{SINGLE}/run_cost.csv",
        lambda p: _pct(_arm_vela_share(p)),
    ),
    # ARM parity and Vela (docs/methods.md, config/README.md)
    Number(
        "arm-demo-files",
        "the demo's files under ARM parity",
        f"{ARM_DEMO}/arm_parity_12_images.csv",
        lambda p: str(len(_rows(p))),
    ),
    Number(
        "arm-demo-seconds",
        "ARM parity's wall time on them, 12 images each",
        f"{ARM_DEMO}/arm_parity_12_images.tsv",
        lambda p: f"{_seconds(p):.0f} s",
    ),
    Number(
        "vela-demo-seconds",
        "Vela's wall time on the demo's int8 files",
        f"{ARM_DEMO}/vela.tsv",
        lambda p: f"{_seconds(p):.0f} s",
    ),
    Number(
        "arm-vela-contended-share",
        "ARM parity and Vela, share of a six-seed demo's job-seconds (contended)",
        CONTENDED,
        lambda p: _pct(_stage_share(p, ("arm_parity", "vela"))),
    ),
)
BY_KEY = {n.key: n for n in NUMBERS}


def values() -> dict[str, str]:
    return {n.key: n.value(SIZING / n.file) for n in NUMBERS}


def table(found: dict[str, str]) -> str:
    lines = [
        "# Numbers the docs quote",
        "",
        "Generated by `make sizing-docs` (`benchmarks/sizing_numbers.py`) from the files beside it; do not edit.",
        "A page quotes a number as `<!-- n:key -->value<!-- /n -->`, and a test fails when one is stale.",
        "",
        "| key | what | value | file |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{n.key}` | {n.what} | {found[n.key]} | `docs/sizing/{n.file}` |" for n in NUMBERS]
    return "\n".join(lines) + "\n"


def pages() -> list[Path]:
    return sorted({p for pattern in PAGES for p in REPO.glob(pattern) if p != TABLE})


def fill(text: str, found: dict[str, str]) -> str:
    return SPAN.sub(lambda m: f"<!-- n:{m['key']} -->{found[m['key']]}<!-- /n -->" if m["key"] in found else m[0], text)


def problems(found: dict[str, str]) -> list[str]:
    """What ``--check`` reports: unknown keys, stale spans, a stale table."""
    out = []
    for page in pages():
        text = page.read_text()
        rel = page.relative_to(REPO)
        for m in SPAN.finditer(text):
            if m["key"] not in found:
                out.append(f"{rel}: unknown number {m['key']!r} (not in benchmarks/sizing_numbers.py)")
            elif m["value"] != found[m["key"]]:
                out.append(f"{rel}: {m['key']} says {m['value']!r}, its file gives {found[m['key']]!r}")
    if not TABLE.exists() or TABLE.read_text() != table(found):
        out.append(f"{TABLE.relative_to(REPO)} is stale: run make sizing-docs")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming what is stale")
    args = parser.parse_args(argv)
    found = values()
    if args.check:
        stale = problems(found)
        print("\n".join(stale) or "docs' numbers are current")
        return 1 if stale else 0
    for page in pages():
        text = page.read_text()
        if fill(text, found) != text:
            page.write_text(fill(text, found))
    TABLE.write_text(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
