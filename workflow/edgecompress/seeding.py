"""One seed for Python, NumPy, TensorFlow and PyTorch, with deterministic modes.

Every training script calls :func:`seed_everything` with the config's ``seed``
and ``threads``; frameworks are only imported when asked for, so a PyTorch
script does not load TensorFlow.
"""

from __future__ import annotations

import os
import random
from typing import Iterable

import numpy as np

FRAMEWORKS = ("tensorflow", "torch")


def seed_everything(seed: int, threads: int, frameworks: Iterable[str] = (), strict: bool = True) -> None:
    """Seed and make deterministic Python, NumPy and the named frameworks.

    ``threads`` caps the intra-op threads of each framework (and BLAS through
    the usual environment variables, for libraries not yet loaded). ``strict``
    (PyTorch): an operation without a deterministic implementation raises; with
    ``strict=False`` it only warns. CUDA needs that: e.g. the backward pass of
    adaptive average pooling (every ResNet and MobileNet) has no deterministic
    CUDA kernel, so GPU runs are seeded but not bitwise reproducible.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    frameworks = tuple(frameworks)
    unknown = set(frameworks) - set(FRAMEWORKS)
    if unknown:
        raise ValueError(f"unknown frameworks {sorted(unknown)}; allowed: {list(FRAMEWORKS)}")

    os.environ["PYTHONHASHSEED"] = str(seed)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    random.seed(seed)
    np.random.seed(seed)

    if "tensorflow" in frameworks:
        os.environ["TF_DETERMINISTIC_OPS"] = "1"
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this process: keep its setting
            pass

    if "torch" in frameworks:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
        import torch

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=not strict)
        torch.backends.cudnn.benchmark = False
        torch.set_num_threads(threads)
