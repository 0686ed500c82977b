"""The one PyTorch training loop, shared by the pruning and distillation branches.

``fit`` trains for some epochs and evaluates on the test split after each, returning the rows of
the per-epoch CSV. The loss is passed in (cross-entropy, or the distillation loss), so nothing
here knows which experiment it serves.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import torch
from torch import nn

from .logs import Progress
from .torchdata import Batches

log = logging.getLogger(__name__)

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]  # (logits, labels, inputs)
OPTIMIZERS = ("sgd", "adam")


def resolve_device(name: str) -> torch.device:
    """The training device of ``torch.device`` in the config: auto (CUDA when there is one), cpu or cuda."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' asked for, but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def make_optimizer(params, name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits, labels)


def train_epoch(model: nn.Module, batches: Batches, epoch: int, optimizer, loss_fn: LossFn,
                device: torch.device, desc: str = "train") -> float:
    model.train()
    total, count = torch.zeros((), device=device), 0
    with Progress(len(batches), f"{desc} epoch {epoch + 1}", unit="batches") as bar:
        for x, y in batches.epoch(epoch):
            total += train_step(model, x, y, optimizer, loss_fn, device) * len(y)
            count += len(y)
            bar.update()
    return float(total) / count  # one device-to-host copy per epoch, not one per step


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer, loss_fn: LossFn,
               device: torch.device) -> torch.Tensor:
    """One optimizer step on a batch (moved to ``device`` here); the detached loss, still on ``device``."""
    x, y = x.to(device), y.to(device)
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y, x)
    loss.backward()
    optimizer.step()
    return loss.detach()


@torch.inference_mode()
def predict(model: nn.Module, batches: Batches, device: torch.device) -> torch.Tensor:
    model.eval()
    return torch.cat([predict_batch(model, x, device).cpu() for x, _ in batches.epoch(0)])


def predict_batch(model: nn.Module, x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Predicted classes of one batch, on ``device`` (where the model must be)."""
    return model(x.to(device)).argmax(1)


def accuracy(model: nn.Module, batches: Batches, device: torch.device) -> float:
    return float((predict(model, batches, device) == batches.y).float().mean())


def fit(model: nn.Module, train: Batches, test: Batches, epochs: int, optimizer, loss_fn: LossFn,
        device: torch.device, desc: str = "train") -> list[dict]:
    """Train ``epochs`` epochs; after each, the test accuracy. Returns the per-epoch rows."""
    rows = []
    for epoch in range(epochs):
        start = time.perf_counter()
        loss = train_epoch(model, train, epoch, optimizer, loss_fn, device, desc)
        seconds = time.perf_counter() - start
        acc = accuracy(model, test, device)
        rows.append({"epoch": epoch + 1, "loss": loss, "test_accuracy": acc, "seconds": seconds})
        log.info("%s epoch %d/%d: loss %.4f, test accuracy %.4f, %.1f s", desc, epoch + 1, epochs, loss, acc, seconds)
    return rows
