"""What every PyTorch rule script does around the shared training loop: set up, load data, report."""

from __future__ import annotations

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
    seed_everything(seed, threads, frameworks=("torch",))
    return resolve_device(cfg["device"])


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
    """Parameters, MACs (Torch-Pruning's counter) and CPU speed of a model, as every metrics file has them."""
    from .pruning import macs_and_params

    macs, _ = macs_and_params(model, cfg["resolution"])
    speed = cfg["speed"]
    return {
        "parameters": count_parameters(model),
        "macs": macs,
        "speed": torch_speed(model.cpu(), cfg["resolution"], speed["warmup"], speed["runs"], speed["throughput_batch"]),
    }


def used_config(cfg: Mapping, **extra) -> dict:
    return {"torch": dict(cfg), **extra}


def torch_speed(model, resolution: int, warmup: int, runs: int, throughput_batch: int = 64) -> dict:
    """CPU latency at batch 1 and throughput at ``throughput_batch`` of a PyTorch model (eval mode).

    Model and inputs use the channels-last memory layout, which oneDNN's CPU convolutions prefer
    (about 1.6x faster than the default layout for ResNet-18 here); the model is put back after.
    """
    model.eval()
    model.to(memory_format=torch.channels_last)
    one = torch.randn(1, 3, resolution, resolution).to(memory_format=torch.channels_last)
    many = torch.randn(throughput_batch, 3, resolution, resolution).to(memory_format=torch.channels_last)
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
