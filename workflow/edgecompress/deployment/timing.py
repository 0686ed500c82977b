"""Rule time_models: every model of the run timed in one process, interleaved, in rounds.

Each round times every (model, runtime, batch) in turn, starting one further along each round,
so a change of machine load hits all of them alike; a speed-up is then a ratio of two numbers
measured here, minutes apart at most. Per entry: the median per call over all timed samples, the
p90 of the timed samples (a sample is the mean of ``calls_per_sample`` back-to-back calls, so for
fast models this is the p90 of per-sample means, not of single calls), and the spread of the
per-round medians ((max - min) / median).

After the rounds, LiteRT's own benchmark tool runs on each ``.tflite`` at the same thread count, as
an outside check. Like with like: the tool times single calls of its CPU accelerator (XNNPACK) and
reports their median per call, rounded to 0.01 ms; ours is a median per call too. With
``deployment.kernels: builtin`` the tool cannot use our kernels, so the comparison is "not
comparable"; below ``RESOLVABLE_MS`` its rounding is too coarse to tell, and within that the
agreement allows half a rounding step on top of the 15 %.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from .. import modelkey
from ..litert import interpreter
from ..measure import samples_ms, summary_ms
from ..provenance import package_versions
from ..results import write_csv, write_json
from ..stats import geometric_ratio
from .convert import load_trained
from .machine import describe, load_average
from .roofline import measure_roofs
from .tables import SPEEDUPS

log = logging.getLogger(__name__)

COLUMNS = (
    "model",
    "runtime",
    "precision",
    "batch",
    "median_ms",
    "mean_ms",
    "p90_sample_ms",
    "calls_per_sample",
    "per_image_ms",
    "spread",
    "rounds",
    "runs_per_round",
    "benchmark_tool_ms",
    "benchmark_agrees",
    "benchmark_verdict",
    "file",
)
AGREEMENT = 0.15  # LiteRT's benchmark tool and ours agree when within 15 %
TOOL_RESOLUTION_MS = 0.01  # the tool rounds milliseconds to two decimals
RESOLVABLE_MS = 0.1  # below this the tool's rounding (up to 5 % here) cannot support a 15 % comparison
TOOL_KERNELS = ("xnnpack",)  # the tool's CPU accelerator is XNNPACK: comparable only with these kernels
MIN_SAMPLE_MS = 1.0  # shortest timed sample: faster models are called several times per sample


class Entry:
    """One thing to time: a call (and the untimed input copy before it) with what it stands for."""

    def __init__(
        self, model: str, runtime: str, precision: str, batch: int, run: Callable[[], object], file: str = ""
    ) -> None:
        self.model, self.runtime, self.precision, self.batch, self.file = model, runtime, precision, batch, file
        self.run = run
        self.round_medians: list[float] = []
        self.samples: list[np.ndarray] = []
        self.calls_per_sample = 1


def litert_entry(model: str, precision: str, path: str, threads: int, kernels: str) -> Entry:

    interp = interpreter(path, threads, kernels)
    detail = interp.get_input_details()[0]
    x = np.zeros(detail["shape"], dtype=detail["dtype"])
    interp.set_tensor(detail["index"], x)  # the input stays in place between calls
    return Entry(model, "litert", precision, int(detail["shape"][0]), interp.invoke, path)


def torch_entries(model: str, path: str, resolution: int, batch: int) -> list[Entry]:
    """Eager PyTorch in channels-last layout (oneDNN's preferred CPU layout) at batch 1 and ``batch``."""
    import torch

    net = load_trained(model, path).to(memory_format=torch.channels_last)
    entries = []
    for size in (1, batch):
        x = torch.randn(size, 3, resolution, resolution).to(memory_format=torch.channels_last)

        def run(x=x):
            with torch.inference_mode():
                net(x)

        entries.append(Entry(model, "pytorch", "float32", size, run, path))
    return entries


def repeats(run: Callable[[], object], least_ms: float = MIN_SAMPLE_MS) -> int:
    """Calls per timed sample so that one sample lasts at least ``least_ms`` (the clock's noise is then small)."""
    one = float(np.median(samples_ms(run, 1, 5)))
    return max(1, int(np.ceil(least_ms / max(one, 1e-6))))


def repeated(run: Callable[[], object], reps: int) -> Callable[[], None]:
    """``run`` called ``reps`` times in one timed sample."""

    def calls() -> None:
        for _ in range(reps):
            run()

    return calls


RATIO_COLUMNS = (
    "model",
    "column",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "speedup_ci_halfwidth",
    "speedup_certain",
    "rounds",
)


def speedup_pairs(entries: list[Entry]) -> list[tuple[str, str, Entry, Entry]]:
    """(model, column, reference entry, entry) of every speed-up the deployment table prints."""
    index = {(e.model, e.runtime, e.precision, 1 if e.batch == 1 else "N"): e for e in entries}
    pairs = []
    for (model, runtime, precision, batch), e in index.items():
        if runtime == "litert" and precision == "int8" and (model, "litert", "float32", 1) in index:
            pairs.append((model, "int8_speedup", index[(model, "litert", "float32", 1)], e))
        if model == modelkey.CNN:
            continue
        base = modelkey.parse(model).baseline
        for column, where in SPEEDUPS.items():
            if where == (runtime, precision, batch) and base != model and (base, *where) in index:
                pairs.append((model, column, index[(base, *where)], e))
    return pairs


# The full chain (int8) against each method alone, timed in the same rounds: the paper's fifth conclusion asks
# whether the chain is faster than each, a ratio with its own interval (column "over <config> <precision>").
CHAIN_RIVALS = (("baseline", "int8"), ("structured", "float32"), ("kd", "float32"))


def chain_pairs(entries: list[Entry]) -> list[tuple[str, str, Entry, Entry]]:
    """(chain model, "over <rival config> <precision>", rival entry, chain int8 entry) for every method alone
    of the same seed (the dense baseline in int8, structured pruning of the chain's amount and every KD
    cell in float32): each rival's LiteRT time over the chain's, batch 1. Not in the table, so they do not
    decide how many rounds the job runs."""
    index = {
        (e.model, e.precision): e for e in entries if e.runtime == "litert" and e.batch == 1 and e.model != modelkey.CNN
    }
    pairs = []
    for (model, precision), chain in sorted(index.items()):
        key = modelkey.parse(model)
        if key.family != "chain" or precision != "int8":
            continue
        for (rival, p), e in sorted(index.items()):
            r = modelkey.parse(rival)
            if r.seed != key.seed or (r.family, p) not in CHAIN_RIVALS:
                continue
            if r.family == "structured" and r.setting != key.setting:
                continue
            pairs.append((model, f"over {r.config} {p}", e, chain))
    return pairs


def ratio_interval(reference: Entry, entry: Entry) -> dict:
    """The speed-up (reference over entry): the geometric mean of the per-round ratios of medians, and its
    95 % t-interval over rounds on the log scale: the interval is of the statistic the table prints.

    Rounds are added until the widest interval is narrow enough (``time_rounds``); stopping on a narrow
    interval makes it somewhat optimistic, and it covers the rounds of this job only, not the
    difference between two timing jobs (the report says both).
    """
    g = geometric_ratio(reference.round_medians, entry.round_medians, 0.95)
    return {
        "speedup": g["ratio"],
        "speedup_ci_low": g["low"],
        "speedup_ci_high": g["high"],
        "speedup_ci_halfwidth": g["halfwidth"],
        "rounds": g["n"],
    }


def widest(pairs: list[tuple[str, str, Entry, Entry]]) -> float:
    """The largest relative half-width of a speed-up's interval (0 with nothing to compare)."""
    return max((ratio_interval(ref, e)["speedup_ci_halfwidth"] for _, _, ref, e in pairs), default=0.0)


def time_round(entries: list[Entry], r: int, runs: int, warmup: int) -> None:
    """Round ``r``: every entry in turn, starting ``r`` entries along."""
    n = len(entries)
    for entry in entries[r % n :] + entries[: r % n]:
        k = runs if entry.batch == 1 else max(1, runs // 5)
        reps = entry.calls_per_sample
        samples = samples_ms(repeated(entry.run, reps), warmup, k) / reps
        entry.samples.append(samples)
        entry.round_medians.append(float(np.median(samples)))


def time_rounds(
    entries: list[Entry],
    rounds: int,
    runs: int,
    warmup: int,
    max_rounds: int | None = None,
    ci_width: float | None = None,
) -> int:
    """At least ``rounds`` rounds over all entries, each round starting one entry further along; returns how many.

    Then, as pyperf and Google Benchmark do, more rounds (up to ``max_rounds``) while any speed-up
    of the table has a 95 % interval over rounds wider than ``ci_width`` (relative half-width).
    A model that runs in microseconds is called several times per timed sample (``repeats``) and
    the sample divided by the count, so that timer and scheduler noise do not dominate it.
    """
    for e in entries:
        e.calls_per_sample = repeats(e.run)
    pairs = speedup_pairs(entries)
    r, width = 0, float("inf")
    while r < rounds or (r < (max_rounds or rounds) and ci_width is not None and width > ci_width):
        time_round(entries, r, runs, warmup)
        r += 1
        width = widest(pairs) if r > 1 else float("inf")
        log.info(
            "round %d done (at least %d, at most %d); widest speed-up interval +-%.1f %%",
            r,
            rounds,
            max_rounds or rounds,
            100 * width,
        )
    return r


def benchmark_tool(path: str, threads: int, runs: int) -> float:
    """Median latency (ms) of LiteRT's ``benchmark_litert_model`` tool on ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "ai_edge_litert.tools.benchmark_litert_model",
            "--model",
            path,
            "--num_runs",
            str(runs),
            "--warmup_runs",
            str(max(1, runs // 10)),
            "--num_threads",
            str(threads),
            "--result_json",
            str(result),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not result.exists():
            raise RuntimeError(
                f"LiteRT's benchmark tool failed on {path} (exit {done.returncode}): {done.stderr.strip()[-500:]}"
            )
        return float(json.loads(result.read_text())["latency"]["median_ms"])


def agrees(ours_ms: float, tool_ms: float) -> bool | None:
    """Within 15 % plus half the tool's rounding step; None when the tool's value is under ``RESOLVABLE_MS``."""
    if tool_ms < RESOLVABLE_MS:
        return None
    return abs(tool_ms - ours_ms) <= AGREEMENT * ours_ms + TOOL_RESOLUTION_MS / 2


def tool_verdict(ours_ms: float, tool_ms: float | None, kernels: str, runs: int) -> tuple[bool | None, str]:
    """(agrees, verdict in words) of one comparison with LiteRT's benchmark tool."""
    if not runs:
        return None, "not run"
    if kernels not in TOOL_KERNELS:
        return None, f"not comparable ({kernels} kernels; the tool uses XNNPACK)"
    ok = agrees(ours_ms, tool_ms)
    if ok is None:
        return None, f"unresolved (under {RESOLVABLE_MS:g} ms)"
    return ok, "agrees" if ok else "disagrees"


def row(entry: Entry) -> dict:
    stats = summary_ms(np.concatenate(entry.samples))
    medians = np.asarray(entry.round_medians)
    return {
        "model": entry.model,
        "runtime": entry.runtime,
        "precision": entry.precision,
        "batch": entry.batch,
        "median_ms": stats["median_ms"],
        "mean_ms": stats["mean_ms"],
        "p90_sample_ms": stats["p90_ms"],
        "calls_per_sample": entry.calls_per_sample,
        "per_image_ms": stats["median_ms"] / entry.batch,
        "spread": float((medians.max() - medians.min()) / np.median(medians)),
        "rounds": len(medians),
        "runs_per_round": len(entry.samples[0]),
        "benchmark_tool_ms": None,
        "benchmark_agrees": None,
        "benchmark_verdict": "",
        "file": entry.file,
    }


def ratio_rows(entries: list[Entry], ci_width: float) -> list[dict]:
    """Every speed-up of the table, and the chain over each method alone (``chain_pairs``), with its interval
    over rounds, and whether that is within ``ci_width``."""
    rows = []
    for model, column, ref, e in speedup_pairs(entries) + chain_pairs(entries):
        ci = ratio_interval(ref, e)
        rows.append({"model": model, "column": column, **ci, "speedup_certain": ci["speedup_ci_halfwidth"] <= ci_width})
    return rows


def time_models(
    litert: Mapping[str, Mapping[str, str]],
    pytorch: Mapping[str, str],
    roofs: Mapping[str, str],
    out_csv: str,
    out_ratios: str,
    out_machine: str,
    dcfg: Mapping,
    resolution: int,
    cores: int,
) -> None:
    """Rule time_models: ``litert`` maps model -> precision -> .tflite, ``pytorch`` model -> model.pt,
    ``roofs`` precision -> the roof model (``roofline.roof_models``)."""
    import torch

    threads = dcfg["threads"]
    torch.set_num_threads(threads)
    load_before = load_average()
    entries = [
        litert_entry(m, p, path, threads, dcfg["kernels"]) for m, files in litert.items() for p, path in files.items()
    ]
    entries += [e for m, path in pytorch.items() for e in torch_entries(m, path, resolution, dcfg["throughput_batch"])]
    log.info(
        "%d entries, %d-%d rounds of %d runs each, %d thread(s)",
        len(entries),
        dcfg["rounds"],
        dcfg["max_rounds"],
        dcfg["runs"],
        threads,
    )
    rounds = time_rounds(entries, dcfg["rounds"], dcfg["runs"], dcfg["warmup"], dcfg["max_rounds"], dcfg["ratio_ci"])
    roofline = measure_roofs(roofs, threads, dcfg["kernels"])
    load_after = load_average()
    rows = [row(e) for e in entries]
    comparable = dcfg["benchmark_runs"] and dcfg["kernels"] in TOOL_KERNELS
    for r in rows:
        if r["runtime"] == "litert":
            if comparable:
                r["benchmark_tool_ms"] = benchmark_tool(r["file"], threads, dcfg["benchmark_runs"])
            r["benchmark_agrees"], r["benchmark_verdict"] = tool_verdict(
                r["median_ms"], r["benchmark_tool_ms"], dcfg["kernels"], dcfg["benchmark_runs"]
            )
    for r in rows:
        log.info(
            "%-40s %-7s %-7s b%-3d median %.4f ms, spread %.2f, tool %s",
            r["model"],
            r["runtime"],
            r["precision"],
            r["batch"],
            r["median_ms"],
            r["spread"],
            r["benchmark_tool_ms"],
        )
    write_csv(out_csv, rows, COLUMNS)
    write_csv(out_ratios, ratio_rows(entries, dcfg["ratio_ci"]), RATIO_COLUMNS)
    write_json(
        out_machine,
        {
            **describe(),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "threads": threads,
            "kernels": dcfg["kernels"],
            "cores_reserved": cores,
            "rounds": dcfg["rounds"],
            "max_rounds": dcfg["max_rounds"],
            "rounds_run": rounds,
            "ratio_ci": dcfg["ratio_ci"],
            "roofline": roofline,
            "runs": dcfg["runs"],
            "warmup": dcfg["warmup"],
            "benchmark_runs": dcfg["benchmark_runs"],
            "benchmark_agreement": AGREEMENT,
            "benchmark_resolvable_ms": RESOLVABLE_MS,
            "benchmark_kernels": list(TOOL_KERNELS),
            "packages": package_versions(("numpy", "torch", "ai-edge-litert", "litert-torch")),
        },
    )
