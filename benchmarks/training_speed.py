"""Speed of the PyTorch training loop on this CPU (the models' own speed: deployment_timing.py).

    .venv/bin/python benchmarks/training_speed.py [--resolution 32] [--threads 2] [--images 5000]
        [--out benchmarks/results/training_speed.csv]

Rows (one CSV, metric / value / target / met):
- training throughput of the workflow's loop (edgecompress.training.loop.train_epoch over
  edgecompress.training.data.Batches, augmentation on) against a bare loop over in-memory tensors;
  target: within 10 %;
- seconds of one fine-tuning epoch on ``--images`` images; target: under 60 s at 32 px.
Weights are random: speed does not depend on their values.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch  # noqa: E402

from edgecompress.results import write_csv  # noqa: E402
from edgecompress.seeding import seed_everything  # noqa: E402
from edgecompress.training import models  # noqa: E402
from edgecompress.training.data import Batches  # noqa: E402
from edgecompress.training.loop import cross_entropy, make_optimizer, train_epoch  # noqa: E402


def bare_epoch(model, x, y, batch_size, optimizer) -> float:
    model.train()
    start = time.perf_counter()
    for i in range(0, len(y), batch_size):
        optimizer.zero_grad(set_to_none=True)
        cross_entropy(model(x[i : i + batch_size]), y[i : i + batch_size], None).backward()
        optimizer.step()
    return time.perf_counter() - start


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/training_speed.csv"))
    args = parser.parse_args(argv)
    seed_everything(0, args.threads, frameworks=("torch",))
    torch.use_deterministic_algorithms(False)
    rows = []
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(args.images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=args.images).astype(np.uint8)
    batches = Batches(images, labels, 64, args.resolution, shuffle=True, augment=True, seed=0)
    model = models.build("resnet18")
    opt = make_optimizer(model.parameters(), "sgd", 0.01, 0.9, 5e-4)
    bare = bare_epoch(
        model,
        batches.x if args.resolution == 32 else torch.nn.functional.interpolate(batches.x, size=args.resolution),
        batches.y,
        64,
        opt,
    )
    start = time.perf_counter()
    train_epoch(model, batches, 0, opt, cross_entropy, torch.device("cpu"), "benchmark")
    ours = time.perf_counter() - start
    rows += [
        {
            "metric": f"training epoch, {args.images} images at {args.resolution} px, workflow loop (s)",
            "value": ours,
            "target": "< 60" if args.resolution == 32 else "",
            "met": ours < 60 if args.resolution == 32 else "",
        },
        {"metric": "training epoch, bare loop over in-memory tensors (s)", "value": bare},
        {
            "metric": "training throughput, workflow loop / bare loop",
            "value": bare / ours,
            "target": ">= 0.9",
            "met": bare / ours >= 0.9,
        },
    ]
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
