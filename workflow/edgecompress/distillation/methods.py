"""Rules train_student and distill_student: MobileNetV2 trained alone, or taught by the ResNet-18 baseline.

Both go through :func:`edgecompress.training.loop.train_new` with the same initial weights and data
order; distillation only changes the loss (:mod:`edgecompress.training.kd`'s, shared with the full
chain of the pruning stage).
"""

from __future__ import annotations

from typing import Mapping

from ..training.kd import distillation_loss
from ..training.loop import save_run, train_new
from ..training.models import IMAGENET_PARAMETERS, build, load_state_dict

PACKAGES = ("numpy", "torch", "torchvision")


def _save(
    trained, arrays: str, teacher: str | None, paths, cfg, epochs: int, seed: int, kd: Mapping | None, threads: int
) -> None:
    metrics = {
        "model": "mobilenet_v2_kd" if kd else "mobilenet_v2",
        "seed": seed,
        "distillation": kd or None,
        "accuracy": trained.accuracy,
        "test_images": trained.test_images,
        "parameters_1000_class_head": IMAGENET_PARAMETERS["mobilenet_v2"],
    }
    inputs = {
        "arrays": arrays,
        **({"weights": trained.weights} if trained.weights else {}),
        **({"teacher": teacher} if kd else {}),
    }
    save_run(
        trained.model,
        paths,
        trained.rows,
        metrics,
        cfg,
        {"epochs": epochs, "seed": seed, "distillation": kd or None},
        inputs,
        threads,
        trained.device,
        trained.pretrained,
        packages=PACKAGES,
    )


def train_student(
    arrays: str, weights: str | None, paths, cfg, epochs: int, seed: int, threads: int, weights_prefix: str
) -> None:
    """Rule train_student: MobileNetV2 trained alone (cross-entropy), the control of distillation."""
    trained = train_new("mobilenet_v2", arrays, weights, weights_prefix, cfg, epochs, seed, threads, "student")
    _save(trained, arrays, None, paths, cfg, epochs, seed, None, threads)


def distill_student(
    arrays: str,
    weights: str | None,
    teacher: str,
    paths,
    cfg,
    epochs: int,
    seed: int,
    temperature: float,
    alpha: float,
    threads: int,
    weights_prefix: str,
) -> None:
    """Rule distill_student: MobileNetV2 taught by the fine-tuned ResNet-18 (the pruning baseline of its seed)."""

    def loss(device):
        model = build("resnet18")
        model.load_state_dict(load_state_dict(teacher))
        return distillation_loss(model.to(device), temperature, alpha)

    trained = train_new(
        "mobilenet_v2",
        arrays,
        weights,
        weights_prefix,
        cfg,
        epochs,
        seed,
        threads,
        f"KD T={temperature:g} alpha={alpha:g}",
        loss=loss,
    )
    _save(trained, arrays, teacher, paths, cfg, epochs, seed, {"temperature": temperature, "alpha": alpha}, threads)
