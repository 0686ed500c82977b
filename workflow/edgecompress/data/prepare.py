"""Downloaded archives to compact uint8 arrays that later rules load in milliseconds."""

from __future__ import annotations

import logging
import os
from typing import Mapping

import numpy as np

from ..provenance import collect
from ..results import save_npz, write_json
from .cifar import load_cifar10
from .idx import IdxError, read_idx

log = logging.getLogger(__name__)


class DataError(ValueError):
    """The data cannot give what the config asks for (e.g. a subset larger than a class)."""


FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def load_fashion_mnist(train_images, train_labels, test_images, test_labels) -> dict[str, np.ndarray]:
    """Read the four IDX archives and check that images and labels agree."""
    out = {}
    for split, images, labels in (("train", train_images, train_labels), ("test", test_images, test_labels)):
        x = read_idx(images, ndim=3)
        y = read_idx(labels, ndim=1)
        if x.shape[0] != y.shape[0]:
            raise IdxError(f"{images} has {x.shape[0]} images but {labels} has {y.shape[0]} labels")
        if x.shape[1:] != (28, 28):
            raise IdxError(f"{images}: images must be 28x28, got {x.shape[1:]}")
        if y.max() > 9:
            raise IdxError(f"{labels}: label {int(y.max())} outside 0..9")
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


def fashion_mnist_arrays(train_images, train_labels, test_images, test_labels, out: str | os.PathLike) -> dict:
    """The four IDX archives as one .npz at ``out``; returns its summary."""
    arrays = load_fashion_mnist(train_images, train_labels, test_images, test_labels)
    save_npz(out, class_names=np.array(FASHION_CLASSES), **arrays)
    return summary(arrays)


def stratified_indices(labels: np.ndarray, size: int, rng: np.random.Generator, split: str) -> np.ndarray:
    """``size`` indices drawn without replacement, as evenly over the classes as possible.

    Each class gets ``size // n_classes`` images; the remainder goes one each to
    the lowest class ids. Returned sorted.
    """
    classes = np.unique(labels)
    base, extra = divmod(size, len(classes))
    chosen = []
    for rank, c in enumerate(classes):
        pool = np.flatnonzero(labels == c)
        n = base + (1 if rank < extra else 0)
        if n > len(pool):
            raise DataError(
                f"{split}: {size} images asked for, but class {int(c)} has only {len(pool)} "
                f"(need {n}); lower data.cifar10.{split}_size"
            )
        chosen.append(rng.choice(pool, size=n, replace=False))
    return np.sort(np.concatenate(chosen))


def prepare_cifar10_subset(archive, out, train_size: int, test_size: int, seed: int) -> dict:
    """A deterministic stratified subset of CIFAR-10, saved with the indices drawn."""
    data = load_cifar10(archive)
    rng = np.random.default_rng(seed)
    train_idx = stratified_indices(data["y_train"], train_size, rng, "train")
    test_idx = stratified_indices(data["y_test"], test_size, rng, "test")
    arrays = {
        "x_train": data["x_train"][train_idx],
        "y_train": data["y_train"][train_idx],
        "train_indices": train_idx,
        "x_test": data["x_test"][test_idx],
        "y_test": data["y_test"][test_idx],
        "test_indices": test_idx,
    }
    save_npz(out, class_names=data["class_names"], **arrays)
    return summary(arrays)


def summary(arrays: dict[str, np.ndarray]) -> dict:
    """Shapes and per-class counts, for logs and tests."""
    info = {}
    for split in ("train", "test"):
        y = arrays[f"y_{split}"]
        info[split] = {
            "shape": list(arrays[f"x_{split}"].shape),
            "per_class": np.bincount(y, minlength=10).tolist(),
        }
    return info


def prepare_fashion_mnist(inputs: Mapping[str, str], arrays: str, summary: str) -> None:
    """Rule prepare_fashion_mnist: the four IDX archives to one .npz, and its JSON summary."""
    info = fashion_mnist_arrays(
        inputs["train_images"], inputs["train_labels"], inputs["test_images"], inputs["test_labels"], arrays
    )
    log.info("wrote %s: %s", arrays, info)
    write_json(summary, {"dataset": "fashion_mnist", **info, "provenance": collect({}, inputs, packages=("numpy",))})


def prepare_cifar10(archive: str, arrays: str, summary: str, train_size: int, test_size: int, seed: int) -> None:
    """Rule prepare_cifar10: the stratified subset as a .npz (with the indices drawn), and its summary."""
    info = prepare_cifar10_subset(archive, arrays, train_size, test_size, seed)
    log.info("wrote %s: %s", arrays, info)
    used = {"train_size": train_size, "test_size": test_size, "subset_seed": seed}
    write_json(
        summary,
        {
            "dataset": "cifar10_subset",
            "draw": seed,
            **info,
            "provenance": collect(used, {"archive": archive}, packages=("numpy",)),
        },
    )
