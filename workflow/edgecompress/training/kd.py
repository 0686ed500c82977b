"""Knowledge distillation loss (Hinton et al.), with the paper's weights: shared by the distilled
student (rule distill_student) and the full chain (structured pruning fine-tuned with the teacher's
soft targets, rule prune with method ``chain``).

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


def kd_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, temperature: float, alpha: float
) -> torch.Tensor:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    soft = (
        F.kl_div(
            F.log_softmax(student_logits / temperature, dim=1),
            F.log_softmax(teacher_logits / temperature, dim=1),
            reduction="batchmean",
            log_target=True,
        )
        * temperature**2
    )
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
