"""The test split as a deployed model takes it: each dataset read and prepared once per job.

Experiment 1's CNN takes Fashion-MNIST as float32 (N, 28, 28, 1) in [0, 1] (``cnn.to_input``); every
PyTorch model takes the CIFAR-10 subset normalised, resized to the run's resolution, in NHWC order
(``convert.nhwc_images``, which needs torch: imported only when a CIFAR-10 model is evaluated).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..inputs import load_prepared
from ..modelkey import CNN


def fashion_input(images: np.ndarray) -> np.ndarray:
    """Experiment 1's input: uint8 (N, 28, 28) as float32 (N, 28, 28, 1) in [0, 1] (its ``cnn.to_input``)."""
    return (images.astype(np.float32) / 255.0)[..., None]


class TestSplits:
    """``splits(model)`` -> (images as the model's float input, labels), each file prepared on first use.

    ``cifar_arrays``: one prepared CIFAR-10 subset for every model, or model key -> the subset its
    seed drew (``data.cifar10.subset_seed: per_seed``: each seed's models are tested on its own draw).
    """

    def __init__(self, cifar_arrays: str | Mapping[str, str], fashion_arrays: str, resolution: int):
        self.cifar = cifar_arrays
        self.fashion = fashion_arrays
        self.resolution = resolution
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def path(self, model: str) -> str:
        if model == CNN:
            return self.fashion
        if isinstance(self.cifar, str):
            return self.cifar
        if model not in self.cifar:
            raise KeyError(f"no CIFAR-10 subset given for model {model!r}")
        return self.cifar[model]

    def __call__(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        path = self.path(model)
        if path not in self.cache:
            if model == CNN:
                data = load_prepared(path, "fashion_mnist")
                self.cache[path] = (fashion_input(data["x_test"]), data["y_test"])
            else:
                from .convert import nhwc_images

                data = load_prepared(path, "cifar10")
                self.cache[path] = (nhwc_images(data["x_test"], self.resolution).numpy(), data["y_test"])
        return self.cache[path]
