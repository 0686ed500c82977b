"""Knowledge distillation loss (Hinton et al.), with the paper's weights.

    L = α · T² · KL(softmax(z_T / T) ‖ softmax(z_S / T)) + (1 − α) · CE(z_S, y)

α weighs the soft (teacher) loss, as in the paper's Table 1 ("soft-loss weight α, hard-loss
weight β = 1 − α"); the paper's equation puts α on the hard loss instead, which contradicts its
own table. T² keeps the soft gradients' scale independent of T. The KL divergence is computed
from log-probabilities with batch-mean reduction (``F.kl_div(..., reduction="batchmean",
log_target=True)``), the mathematically correct mean over the batch.

The teacher runs in eval mode without gradients on the same augmented batch as the student.
Its logits are not cached: with random augmentation every epoch sees different inputs, so a
cache would change the results (it would be exact only with augmentation off).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
            temperature: float, alpha: float) -> torch.Tensor:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    ) * temperature**2
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1.0 - alpha) * hard


def distillation_loss(teacher: nn.Module, temperature: float, alpha: float):
    """A loss for :func:`edgecompress.training.fit` that asks ``teacher`` (frozen, eval mode) for its logits."""
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    def loss(student_logits: torch.Tensor, labels: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            teacher_logits = teacher(inputs)
        return kd_loss(student_logits, teacher_logits, labels, temperature, alpha)

    return loss


def train_student(arrays: str, weights: str | None, teacher_path: str | None, paths, cfg, epochs: int, seed: int,
                  kd, threads: int, weights_prefix: str) -> None:
    """Rules train_student / distill_student: MobileNetV2 alone, or taught by the ResNet-18 baseline."""
    import logging

    from ..training.models import IMAGENET_PARAMETERS, build, count_parameters, head_init, load_state_dict
    from ..training.loop import (accuracy, cross_entropy, describe_init, fit, initial_weights, optimizer_for, save_run,
                                 setup, splits)

    log = logging.getLogger(__name__)
    device = setup(cfg, seed, threads)
    weights, imagenet = initial_weights(cfg, weights, weights_prefix)
    student = build("mobilenet_v2", weights=weights)
    head_init(student, seed)  # the same initial weights with and without distillation
    student.to(device)
    train, test = splits(arrays, cfg, seed)  # the same data order too
    loss_fn, desc = cross_entropy, "student"
    if kd:
        teacher = build("resnet18")
        teacher.load_state_dict(load_state_dict(teacher_path))
        teacher.to(device)
        loss_fn = distillation_loss(teacher, kd["temperature"], kd["alpha"])
        desc = f"KD T={kd['temperature']:g} alpha={kd['alpha']:g}"
    log.info("%s: MobileNetV2, %d parameters, %s", desc, count_parameters(student), describe_init(weights, imagenet))
    rows = fit(student, train, test, epochs, optimizer_for(student, cfg), loss_fn, device, desc)
    metrics = {"model": "mobilenet_v2_kd" if kd else "mobilenet_v2", "seed": seed, "distillation": kd or None,
               "accuracy": accuracy(student, test, device), "test_images": len(test.y),
               "parameters_1000_class_head": IMAGENET_PARAMETERS["mobilenet_v2"]}
    inputs = {"arrays": arrays, **({"weights": weights} if weights else {}),
              **({"teacher": teacher_path} if kd else {})}
    save_run(student, paths, rows, metrics, cfg, {"epochs": epochs, "seed": seed, "distillation": kd or None},
             inputs, threads, device, imagenet, packages=("numpy", "torch", "torchvision"))
