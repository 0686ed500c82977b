"""What every PyTorch rule script does around the shared training loop: set up, load data, report."""

from __future__ import annotations

import copy
from typing import Mapping

import numpy as np
import torch
from torch import nn

from .measure import latency_ms
from .models import count_parameters
from .seeding import seed_everything
from .torchdata import Batches
from .training import resolve_device


def setup(cfg: Mapping, seed: int, threads: int) -> torch.device:
    """Seed everything and return the training device (``torch.device`` of the config)."""
    device = resolve_device(cfg["device"])
    seed_everything(seed, threads, frameworks=("torch",), strict=device.type == "cpu")
    return device


def splits(arrays: str, cfg: Mapping, seed: int) -> tuple[Batches, Batches]:
    data = np.load(arrays)
    train = Batches(data["x_train"], data["y_train"], cfg["batch_size"], cfg["resolution"], shuffle=True,
                    augment=cfg["augment"], seed=seed)
    test = Batches(data["x_test"], data["y_test"], cfg["eval_batch_size"], cfg["resolution"])
    return train, test


def optimizer(model: nn.Module, cfg: Mapping):
    from .training import make_optimizer

    return make_optimizer(model.parameters(), cfg["optimizer"], cfg["learning_rate"], cfg["momentum"],
                          cfg["weight_decay"])


def model_report(model: nn.Module, cfg: Mapping) -> dict:
    """Parameters, MACs (Torch-Pruning's counter) and CPU speed of a model, as every metrics file has them.

    MACs are counted where the model is; the speed is always measured on a CPU copy of it (the
    figure the report compares), whatever device trained it. ``model`` itself is not moved.
    """
    from .pruning import macs_and_params

    macs, _ = macs_and_params(model, cfg["resolution"])
    speed = cfg["speed"]
    on_cpu = copy.deepcopy(model).to("cpu")
    return {
        "parameters": count_parameters(model),
        "macs": macs,
        "speed": {**torch_speed(on_cpu, cfg["resolution"], speed["warmup"], speed["runs"], speed["throughput_batch"]),
                  "device": "cpu"},
    }


def used_config(cfg: Mapping, **extra) -> dict:
    return {"torch": dict(cfg), **extra}


def torch_speed(model, resolution: int, warmup: int, runs: int, throughput_batch: int = 64) -> dict:
    """CPU latency at batch 1 and throughput at ``throughput_batch`` of a PyTorch model (eval mode).

    Model and inputs use the channels-last memory layout, which oneDNN's CPU convolutions prefer
    (about 1.6x faster than the default layout for ResNet-18 here); the model is put back after.
    """
    cpu = torch.device("cpu")
    if any(p.device != cpu for p in model.parameters()):
        raise ValueError("torch_speed measures CPU speed: move the model to the CPU first (model.to('cpu'))")
    model.eval()
    model.to(memory_format=torch.channels_last)
    one = torch.randn(1, 3, resolution, resolution, device=cpu).to(memory_format=torch.channels_last)
    many = torch.randn(throughput_batch, 3, resolution, resolution, device=cpu).to(memory_format=torch.channels_last)
    with torch.inference_mode():
        single = latency_ms(lambda: model(one), warmup, runs)
        batch = latency_ms(lambda: model(many), max(1, warmup // 10), max(3, runs // 10))
    model.to(memory_format=torch.contiguous_format)
    return {
        "latency_batch1": single,
        "throughput": {"batch": throughput_batch, "median_ms": batch["median_ms"],
                       "images_per_s": throughput_batch / batch["median_ms"] * 1000.0},
        "threads": torch.get_num_threads(),
        "memory_format": "channels_last",
    }
