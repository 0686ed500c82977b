"""The PyTorch side shared by the pruning and distillation branches: set-up, the one training loop,
the one skeleton of a model trained from its initial weights (:func:`train_new`), and the one way a
run is saved.

``fit`` trains for some epochs and evaluates on the test split after each, returning the rows of
the per-epoch CSV. The loss is passed in (cross-entropy, or the distillation loss), so nothing
here knows which experiment it serves. ``save_run`` writes what every PyTorch rule writes: the
model (byte-stable), the per-epoch history and the metrics with their report and provenance.
Speed is measured in the deployment stage's one timing job, never inside a training job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch import nn

from ..inputs import load_prepared
from ..logs import Progress
from ..provenance import collect
from ..results import write_history, write_json
from ..seeding import seed_everything
from .data import Batches
from .models import build, count_parameters, head_init, is_imagenet, macs_and_params, save_state_dict

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


def train_epoch(
    model: nn.Module,
    batches: Batches,
    epoch: int,
    optimizer,
    loss_fn: LossFn,
    device: torch.device,
    desc: str = "train",
) -> float:
    model.train()
    total, count = torch.zeros((), device=device), 0
    with Progress(len(batches), f"{desc} epoch {epoch + 1}", unit="batches") as bar:
        for x, y in batches.epoch(epoch):
            total += train_step(model, x, y, optimizer, loss_fn, device) * len(y)
            count += len(y)
            bar.update()
    return float(total) / count  # one device-to-host copy per epoch, not one per step


def train_step(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer, loss_fn: LossFn, device: torch.device
) -> torch.Tensor:
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


def fit(
    model: nn.Module,
    train: Batches,
    test: Batches,
    epochs: int,
    optimizer,
    loss_fn: LossFn,
    device: torch.device,
    desc: str = "train",
    after_epoch: Callable[[int], None] | None = None,
) -> list[dict]:
    """Train ``epochs`` epochs; after each, the test accuracy. Returns the per-epoch rows.

    ``after_epoch(n)`` is called after epoch ``n`` (from 1) is trained and evaluated: a run that
    trains longer than the model it keeps (the fine-tuning sweep) takes its snapshot there.
    """
    rows = []
    for epoch in range(epochs):
        start = time.perf_counter()
        loss = train_epoch(model, train, epoch, optimizer, loss_fn, device, desc)
        seconds = time.perf_counter() - start
        acc = accuracy(model, test, device)
        rows.append({"epoch": epoch + 1, "loss": loss, "test_accuracy": acc, "seconds": seconds})
        log.info("%s epoch %d/%d: loss %.4f, test accuracy %.4f, %.1f s", desc, epoch + 1, epochs, loss, acc, seconds)
        if after_epoch is not None:
            after_epoch(epoch + 1)
    return rows


def fit_and_keep(
    model: nn.Module,
    train: Batches,
    test: Batches,
    epochs: int,
    keep: int,
    optimizer,
    loss_fn: LossFn,
    device: torch.device,
    desc: str = "train",
) -> list[dict]:
    """Train ``epochs`` epochs (each one's test accuracy in the rows), then restore the weights of epoch ``keep``.

    One long run answers every shorter length at once (the schedule is the same per epoch), and the
    model that is kept and deployed is the one of the length the config names.
    """
    if not 0 <= keep <= epochs:
        raise ValueError(f"the epoch to keep ({keep}) must be within the {epochs} trained")
    kept: dict[str, torch.Tensor] = {}

    def snapshot(epoch: int) -> None:
        if epoch == keep:
            kept.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    snapshot(0)
    rows = fit(model, train, test, epochs, optimizer, loss_fn, device, desc, after_epoch=snapshot)
    model.load_state_dict(kept)
    return rows


def setup(cfg: Mapping, seed: int, threads: int) -> torch.device:
    """Seed everything and return the training device (``torch.device`` of the config)."""
    device = resolve_device(cfg["device"])
    seed_everything(seed, threads, frameworks=("torch",), strict=device.type == "cpu")
    return device


def splits(arrays: str, cfg: Mapping, seed: int) -> tuple[Batches, Batches]:
    """Training batches (shuffled, augmented, seeded) and test batches of the prepared CIFAR-10 subset."""
    data = load_prepared(arrays, "cifar10")
    train = Batches(
        data["x_train"],
        data["y_train"],
        cfg["batch_size"],
        cfg["resolution"],
        shuffle=True,
        augment=cfg["augment"],
        seed=seed,
    )
    test = Batches(data["x_test"], data["y_test"], cfg["eval_batch_size"], cfg["resolution"])
    return train, test


def optimizer_for(model: nn.Module, cfg: Mapping):
    """The config's optimizer over ``model``'s parameters."""
    return make_optimizer(
        model.parameters(), cfg["optimizer"], cfg["learning_rate"], cfg["momentum"], cfg["weight_decay"]
    )


def model_report(model: nn.Module, cfg: Mapping) -> dict:
    """Parameters and MACs (convolutions and linear layers: models.macs_and_params) of a model, as every
    metrics file has them.

    Speed is not measured here: a time taken inside a training job depends on whatever else the
    machine runs then; every model is timed in the deployment stage's one interleaved job.
    """
    macs, _ = macs_and_params(model, cfg["resolution"])
    return {"parameters": count_parameters(model), "macs": macs}


def used_config(cfg: Mapping, **extra) -> dict:
    return {"torch": dict(cfg), **extra}


TORCH_PACKAGES = ("numpy", "torch", "torchvision", "torch-pruning")


def save_run(
    model: nn.Module,
    paths: Mapping[str, str],
    rows: list[dict],
    metrics: Mapping[str, Any],
    cfg: Mapping,
    used: Mapping[str, Any],
    inputs: Mapping[str, str],
    threads: int,
    device: torch.device,
    pretrained: bool,
    check=None,
    packages=TORCH_PACKAGES,
) -> None:
    """What every PyTorch rule writes, one way: model, history, metrics (report and provenance added).

    ``paths`` holds ``model``, ``history`` and ``metrics``; ``model`` is moved to the CPU and
    saved through :func:`edgecompress.models.save_state_dict` (``check`` reads the file back
    before it is moved into place); the metrics are written last, so a metrics file means the
    model and history beside it are complete. ``pretrained`` is the checksum check's verdict
    (:func:`edgecompress.training.models.is_imagenet`), not the config's wish.
    """
    model.cpu()
    size = save_state_dict(model, paths["model"], check=check)
    write_history(paths["history"], rows)
    write_json(
        paths["metrics"],
        {
            **metrics,
            "pretrained": pretrained,
            "history": rows,
            "state_dict_bytes": size,
            "report": model_report(model, cfg),
            "provenance": collect(
                used_config(cfg, **used),
                inputs,
                threads=threads,
                device=str(device),
                pretrained=pretrained,
                packages=packages,
            ),
        },
    )


def describe_init(weights: str | None, imagenet: bool) -> str:
    if imagenet:
        return "ImageNet weights (checksum of torchvision's file)"
    if weights:
        return "weights from a file that is NOT torchvision's ImageNet file (its checksum differs): trained from them"
    return "random initialisation (no pretrained weights): trained from scratch"


@dataclass
class Trained:
    """A model trained by :func:`train_new`, with what its metrics and provenance need."""

    model: nn.Module
    rows: list[dict]
    accuracy: float
    test_images: int
    device: torch.device
    weights: str | None  # the file it started from (None: random initialisation)
    pretrained: bool  # the checksum's verdict on that file, not the config's wish


def train_new(
    arch: str,
    arrays: str,
    weights: str | None,
    weights_prefix: str,
    cfg: Mapping,
    epochs: int,
    seed: int,
    threads: int,
    desc: str,
    loss: Callable[[torch.device], LossFn] = lambda device: cross_entropy,
) -> Trained:
    """The one skeleton of a model trained from its initial weights (the pruning baseline, the students):
    set-up, initial weights, build with a seeded new head, splits, loss, fit, accuracy.

    ``weights`` is the file the rule was given: ``torch.pretrained`` is decided once, when the DAG is
    planned (common.smk's ``pretrained_weights`` adds the input only then), so None means random
    initialisation; whether the file is torchvision's ImageNet file is its checksum's verdict.
    ``loss`` builds the loss on the device (a teacher loaded there for distillation) after the splits, so
    every run draws the same initial weights and data order with and without it.
    """
    device = setup(cfg, seed, threads)
    imagenet = is_imagenet(weights, weights_prefix)
    model = build(arch, weights=weights)
    head_init(model, seed)  # the same initial weights whatever the loss
    model.to(device)
    train, test = splits(arrays, cfg, seed)  # the same data order too
    loss_fn = loss(device)
    log.info(
        "%s: %s, %d parameters, %s, device %s",
        desc,
        arch,
        count_parameters(model),
        describe_init(weights, imagenet),
        device,
    )
    rows = fit(model, train, test, epochs, optimizer_for(model, cfg), loss_fn, device, desc)
    return Trained(model, rows, accuracy(model, test, device), len(test.y), device, weights, imagenet)
