"""Rules train_student / distill_student: MobileNetV2 trained alone or taught by the ResNet-18 baseline.

The loss is :mod:`edgecompress.training.kd`'s (shared with the full chain of the pruning stage).
"""

from __future__ import annotations

from ..training.kd import distillation_loss


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
