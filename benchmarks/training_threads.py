"""What a training job could gain on this CPU without training less: threads, parallel jobs, memory format.

    .venv/bin/python benchmarks/training_threads.py [--threads 2] [--steps 12] [--rounds 3]
        [--out benchmarks/results/training_threads.csv]

The training jobs of the paper's run (ResNet-18 fine-tuning, MobileNetV2 students, 3 epochs each) are
compute-bound: this script measures, interleaved round by round in one job, the training steps per second
of a ResNet-18 at 32 px, batch 64 (the workflow's loop body, random weights and inputs), with

- one thread, and ``--threads`` threads (what a training job reserves; Snakemake runs one such job at
  a time on that many cores);
- ``--threads`` one-thread jobs side by side (separate processes started together; their steps/s summed);
- ``--threads`` threads in the channels_last memory format;
- two ``--threads``-thread jobs side by side, more threads than cores where ``--threads`` is the machine's
  CPU count (what ``snakemake --cores`` above the CPUs runs), with the OpenMP runtime's default wait (its
  threads spin a while for a peer) and with passive wait (``OMP_WAIT_POLICY=PASSIVE``: they sleep);

and whether each alternative leaves the weights after the same steps bitwise equal to the default's (a
change of threads or memory format changes the order of float sums, so every trained model, and the
committed reference, would change). Rows: metric / value / target / met, with the CPU model, its ISA flags
and the load average before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from edgecompress.deployment.machine import benchmark_rows, load_average
from edgecompress.results import write_csv
from edgecompress.training import models
from edgecompress.training.loop import cross_entropy, make_optimizer

BATCH, RESOLUTION = 64, 32


def steps_per_second(threads: int, steps: int, channels_last: bool = False) -> tuple[float, str]:
    """Train a seeded ResNet-18 ``steps`` steps on one seeded batch; (steps per second after one warm-up
    step, a digest of the weights after all of them)."""
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = models.build("resnet18")
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((BATCH, 3, RESOLUTION, RESOLUTION), np.float32))
    y = torch.from_numpy(np.random.default_rng(1).integers(0, 10, BATCH))
    if channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    opt = make_optimizer(model.parameters(), "sgd", 0.01, 0.9, 5e-4)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        cross_entropy(model(x), y, None).backward()
        opt.step()

    step()
    start = time.perf_counter()
    for _ in range(steps - 1):
        step()
    rate = (steps - 1) / (time.perf_counter() - start)
    digest = hashlib.sha256(b"".join(p.detach().contiguous().numpy().tobytes() for p in model.parameters()))
    return rate, digest.hexdigest()[:16]


def side_by_side(jobs: int, steps: int, threads: int = 1, wait: str | None = None) -> float:
    """``jobs`` processes of ``threads`` threads started together, each ``steps`` steps: their steps per second,
    summed. ``wait``: the OpenMP wait policy they start with (None: the runtime's default)."""
    code = (
        "import json, sys; sys.argv = ['x']; from training_threads import steps_per_second; "
        f"print(json.dumps(steps_per_second({threads}, {steps})))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait:
        env["OMP_WAIT_POLICY"] = wait
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=Path(__file__).parent, stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(jobs)
    ]
    rates = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        if p.returncode:
            raise SystemExit(f"a side-by-side training process failed ({p.returncode})")
        rates.append(json.loads(out)[0])
    return sum(rates)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="what a training job reserves (config: threads)")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/training_threads.csv"))
    args = parser.parse_args(argv)
    torch.use_deterministic_algorithms(False)
    load_before = load_average()
    rates: dict[str, list[float]] = {
        k: [] for k in ("one", "reserved", "side_by_side", "channels_last", "two_jobs", "two_jobs_passive")
    }
    digests, defaults = {}, set()
    for _ in range(args.rounds):  # interleaved: each round measures every way once
        rate, digests["one"] = steps_per_second(1, args.steps)
        rates["one"].append(rate)
        rate, digests["reserved"] = steps_per_second(args.threads, args.steps)
        rates["reserved"].append(rate)
        defaults.add(digests["reserved"])
        rates["side_by_side"].append(side_by_side(args.threads, args.steps))
        rate, digests["channels_last"] = steps_per_second(args.threads, args.steps, channels_last=True)
        rates["channels_last"].append(rate)
        rates["two_jobs"].append(side_by_side(2, args.steps, args.threads))
        rates["two_jobs_passive"].append(side_by_side(2, args.steps, args.threads, wait="PASSIVE"))
    med = {k: statistics.median(v) for k, v in rates.items()}
    n = args.threads
    rows = [
        *benchmark_rows(load_before),
        # the in-process ways (1 thread, reserved, channels_last) wait as this process was started
        {"metric": "OpenMP wait policy of this process", "value": os.environ.get("OMP_WAIT_POLICY", "default")},
        {"metric": "training steps/s, 1 thread (median of rounds)", "value": round(med["one"], 3)},
        {"metric": f"training steps/s, {n} threads", "value": round(med["reserved"], 3)},
        {"metric": f"training steps/s, {n} one-thread jobs side by side (sum)", "value": round(med["side_by_side"], 3)},
        {"metric": f"training steps/s, {n} threads, channels_last", "value": round(med["channels_last"], 3)},
        {"metric": f"training steps/s, two {n}-thread jobs side by side (sum)", "value": round(med["two_jobs"], 3)},
        {
            "metric": f"training steps/s, two {n}-thread jobs side by side, passive wait (sum)",
            "value": round(med["two_jobs_passive"], 3),
        },
        {"metric": f"{n} threads over 1 thread", "value": round(med["reserved"] / med["one"], 3)},
        {
            "metric": f"{n} one-thread jobs side by side over one {n}-thread job (throughput)",
            "value": round(med["side_by_side"] / med["reserved"], 3),
        },
        {
            "metric": f"two {n}-thread jobs side by side over one {n}-thread job (throughput)",
            "value": round(med["two_jobs"] / med["reserved"], 3),
        },
        {
            "metric": f"two {n}-thread jobs side by side, passive wait, over one {n}-thread job (throughput)",
            "value": round(med["two_jobs_passive"] / med["reserved"], 3),
        },
        {
            "metric": f"channels_last over the default, {n} threads",
            "value": round(med["channels_last"] / med["reserved"], 3),
        },
        {
            "metric": f"weights after the same steps, the default ({n} threads) equal in every round",
            "value": len(defaults) == 1,
        },
        {
            "metric": "weights after the same steps, 1 thread equal to the default's",
            "value": digests["one"] == digests["reserved"],
        },
        {
            "metric": "weights after the same steps, channels_last equal to the default's",
            "value": digests["channels_last"] == digests["reserved"],
        },
        {"metric": "load average after (1, 5, 15 min)", "value": " ".join(map(str, load_average()))},
    ]
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
