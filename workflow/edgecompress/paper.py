"""Every number the paper reports (../shared/paper/FACTS.md), to put beside ours."""

from __future__ import annotations

from typing import Iterable, Mapping

QUANTIZATION = {
    "size_mb": {"float32": 0.43, "int8": 0.04},
    "compression_ratio": {"float32": 1.0, "int8": 11.06},
    "accuracy": {"float32": 0.8280, "int8": 0.8310},
    "latency_ms": {"float32": None, "int8": 0.193},
}

# Experiment 2: per-epoch (loss, test accuracy in %) of each run, and the figures around them.
PRUNING = {
    "baseline": {"epochs": [(1.1359, 58.90), (0.7033, 71.90), (0.5071, 72.80)], "sparsity_pct": 0.00},
    "unstructured": {
        "amount": 0.5,
        "sparsity_pct": 2.04,
        "before_finetune_pct": 14.00,
        "epochs": [(0.9890, 74.10), (0.5858, 69.50), (0.4369, 73.80)],
    },
    "structured": {
        "amount": 0.5,
        "sparsity_pct": 0.19,
        "before_finetune_pct": 11.60,
        "epochs": [(1.7234, 41.20), (1.4485, 42.10), (1.2937, 45.70)],
    },
}

# Experiment 3 (per-epoch loss, test accuracy in %; Table 2).
DISTILLATION = {
    "teacher": {
        "epochs": [(0.9422, 63.90), (0.5001, 62.20), (0.3868, 66.50)],
        "accuracy_pct": 66.50,
        "parameters_m": 11.18,
    },
    "student": {
        "epochs": [(0.8931, 86.60), (0.7503, 87.50), (0.3600, 89.50)],
        "accuracy_pct": 89.5,
        "parameters_m": 3.5,
    },
    "student_kd": {"accuracy_pct": 91.8, "parameters_m": 3.5},
}

# What the paper prints where its own numbers disagree (../shared/paper/FACTS.md).
SLIPS = {
    "int8_change_printed": "(-0.0030)",  # int8 0.8310 against float32 0.8280 is +0.0030
    "teacher_called": "ResNet-50",  # once, in the conclusions; the experiments use ResNet-18
    "kd_alpha": "Table 1 calls α the soft-loss weight; the loss equation puts α on the hard loss",
}
CLASSES = 10  # Fashion-MNIST and CIFAR-10
FASHION_MNIST_TEST_IMAGES = 10_000  # the official test split, on which Experiment 1 is evaluated

# The paper's conclusions and its Fig. 5, in FACTS.md's English, in the order the report tests them.
CONCLUSIONS = (
    "PTQ int8 first (least risk, biggest win)",
    "Unstructured pruning needs sparse kernels or hardware for speed",
    "Structured pruning needs longer fine-tuning",
    "KD maximises accuracy of a small architecture",
    "Train a full-size model, apply one or more compression techniques, fine-tune, deploy (Fig. 5)",
)


def beside_paper(history: Iterable[Mapping], reference, **labels) -> list[dict]:
    """Per-epoch rows of one run with the paper's (loss, accuracy %) of the same epoch, where it has one."""
    rows = []
    for row in history:
        e = row["epoch"]
        ref = reference[e - 1] if reference and e <= len(reference) else (None, None)
        rows.append(
            {
                **labels,
                "epoch": e,
                "loss": row["loss"],
                "paper_loss": ref[0],
                "test_accuracy_pct": 100 * row["test_accuracy"],
                "paper_test_accuracy_pct": ref[1],
            }
        )
    return rows
