"""Speed of the pruning branch's models and of its training loop, on this CPU.

    .venv/bin/python benchmarks/pruning_speed.py [--resolution 32] [--threads 2] [--images 5000]
        [--out benchmarks/results/pruning_speed.csv]

Rows (one CSV, metric / value / target / met):
- latency at batch 1 and throughput at batch 64 of the dense ResNet-18, the unstructured 50 %
  model (masks made permanent: dense kernels, so no speed-up is expected) and the structured 50 %
  model (filters removed), with MACs from Torch-Pruning's counter and the ratio of measured
  speed-up to MACs reduction; target: structured >= 2x dense at batch 64;
- training throughput of the workflow's loop (edgecompress.training.train_epoch over
  edgecompress.torchdata.Batches, augmentation on) against a bare loop over in-memory tensors;
  target: within 10 %;
- seconds of one fine-tuning epoch on ``--images`` images; target: under 60 s at 32 px.
Weights are random: speed does not depend on their values.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

import torch  # noqa: E402

from edgecompress import models, pruning  # noqa: E402
from edgecompress.training import torch_speed  # noqa: E402
from edgecompress.seeding import seed_everything  # noqa: E402
from edgecompress.tables import write_csv  # noqa: E402
from edgecompress.torchdata import Batches  # noqa: E402
from edgecompress.training import cross_entropy, make_optimizer, train_epoch  # noqa: E402

LAYERS = ["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer2.0.conv1", "layer3.0.conv1", "fc"]


def variants(resolution: int) -> dict[str, torch.nn.Module]:
    dense = models.build("resnet18")
    unstructured = models.build("resnet18")
    targets = pruning.unstructured(unstructured, 0.5, "layers", LAYERS)
    pruning.make_permanent(targets)
    structured = models.build("resnet18")
    pruning.structured(structured, 0.5, resolution, ["fc"])
    return {"dense": dense, "unstructured_0.5": unstructured, "structured_0.5": structured}


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
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/pruning_speed.csv"))
    args = parser.parse_args(argv)
    seed_everything(0, args.threads, frameworks=("torch",))
    torch.use_deterministic_algorithms(False)
    rows = []
    speeds = {}
    for name, model in variants(args.resolution).items():
        macs, params = pruning.macs_and_params(model, args.resolution)
        speeds[name] = s = torch_speed(model, args.resolution, 5, args.runs, 64)
        speeds[name]["macs"] = macs
        rows += [
            {"metric": f"{name}: parameters", "value": params},
            {"metric": f"{name}: MACs per image", "value": macs},
            {"metric": f"{name}: latency batch 1 (median ms)", "value": s["latency_batch1"]["median_ms"]},
            {"metric": f"{name}: throughput batch 64 (images/s)", "value": s["throughput"]["images_per_s"]},
        ]
    dense = speeds["dense"]
    for name in ("unstructured_0.5", "structured_0.5"):
        speedup = dense["throughput"]["median_ms"] / speeds[name]["throughput"]["median_ms"]
        reduction = dense["macs"] / speeds[name]["macs"]
        target = 2.0 if name.startswith("structured") else None
        rows += [
            {"metric": f"{name}: speed-up vs dense, batch 64", "value": speedup, "target": ">= 2" if target else "",
             "met": (speedup >= target) if target else ""},
            {"metric": f"{name}: speed-up vs dense, batch 1",
             "value": dense["latency_batch1"]["median_ms"] / speeds[name]["latency_batch1"]["median_ms"]},
            {"metric": f"{name}: MACs reduction", "value": reduction},
            {"metric": f"{name}: speed-up / MACs reduction", "value": speedup / reduction},
        ]

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(args.images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=args.images).astype(np.uint8)
    batches = Batches(images, labels, 64, args.resolution, shuffle=True, augment=True, seed=0)
    model = models.build("resnet18")
    opt = make_optimizer(model.parameters(), "sgd", 0.01, 0.9, 5e-4)
    bare = bare_epoch(model, batches.x if args.resolution == 32 else torch.nn.functional.interpolate(
        batches.x, size=args.resolution), batches.y, 64, opt)
    start = time.perf_counter()
    train_epoch(model, batches, 0, opt, cross_entropy, torch.device("cpu"), "benchmark")
    ours = time.perf_counter() - start
    rows += [
        {"metric": f"training epoch, {args.images} images at {args.resolution} px, workflow loop (s)", "value": ours,
         "target": "< 60" if args.resolution == 32 else "", "met": ours < 60 if args.resolution == 32 else ""},
        {"metric": "training epoch, bare loop over in-memory tensors (s)", "value": bare},
        {"metric": "training throughput, workflow loop / bare loop", "value": bare / ours, "target": ">= 0.9",
         "met": bare / ours >= 0.9},
    ]
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    print(args.out.read_text())
    return rows


if __name__ == "__main__":
    main()
