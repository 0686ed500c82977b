"""The test split as a deployed model takes it: each dataset read and prepared once per job.

Experiment 1's CNN takes Fashion-MNIST as float32 (N, 28, 28, 1) in [0, 1] (``cnn.to_input``); every
PyTorch model takes the CIFAR-10 subset normalised, resized to the run's resolution, in NHWC order
(``convert.nhwc_images``, which needs torch: imported only when a CIFAR-10 model is evaluated).
"""

from __future__ import annotations

import numpy as np

from ..inputs import load_prepared
from ..modelkey import CNN


def fashion_input(images: np.ndarray) -> np.ndarray:
    """Experiment 1's input: uint8 (N, 28, 28) as float32 (N, 28, 28, 1) in [0, 1] (its ``cnn.to_input``)."""
    return (images.astype(np.float32) / 255.0)[..., None]


class TestSplits:
    """``splits(model)`` -> (images as the model's float input, labels), each dataset prepared on first use."""

    def __init__(self, cifar_arrays: str, fashion_arrays: str, resolution: int):
        self.paths = {"cifar": cifar_arrays, "fashion": fashion_arrays}
        self.resolution = resolution
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        name = "fashion" if model == CNN else "cifar"
        if name not in self.cache:
            if name == "fashion":
                data = load_prepared(self.paths[name], "fashion_mnist")
                self.cache[name] = (fashion_input(data["x_test"]), data["y_test"])
            else:
                from .convert import nhwc_images

                data = load_prepared(self.paths[name], "cifar10")
                self.cache[name] = (nhwc_images(data["x_test"], self.resolution).numpy(), data["y_test"])
        return self.cache[name]
