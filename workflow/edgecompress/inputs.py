"""The files one rule hands the next (prepared arrays, weights, .tflite), checked as they are read.

A truncated, corrupted or wrongly shaped input is an :class:`InputError` that names the file and
what is wrong with it; the rule scripts print it as one line (``logs.one_line_errors``) and exit 1
before writing anything.
"""

from __future__ import annotations

import os

import numpy as np


class InputError(ValueError):
    """An input file of a rule is unreadable or not what the rule expects; the message names it."""


# The image shape of each prepared dataset (resources/data/<name>.npz), after the sample axis.
IMAGE_SHAPES = {"fashion_mnist": (28, 28), "cifar10": (32, 32, 3)}


def load_prepared(path: str | os.PathLike, dataset: str) -> dict[str, np.ndarray]:
    """Every array of a prepared ``dataset`` file, with the images and labels of both splits checked."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as err:  # zipfile.BadZipFile, OSError, ValueError, EOFError, ...
        raise InputError(f"{path}: not a readable .npz of prepared {dataset} arrays ({err})") from err
    image = IMAGE_SHAPES[dataset]
    for split in ("train", "test"):
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if x is None or y is None:
            raise InputError(
                f"{path}: no x_{split} or y_{split} (found {sorted(arrays)}): not a prepared {dataset} file"
            )
        if x.dtype != np.uint8 or x.shape[1:] != image:
            raise InputError(
                f"{path}: x_{split} must be uint8 images of shape (N, {', '.join(map(str, image))}), "
                f"got {x.dtype} {x.shape}"
            )
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (len(y) and (y.min() < 0 or y.max() > 9)):
            raise InputError(f"{path}: y_{split} must be {len(x)} integer labels in 0..9, got {y.dtype} {y.shape}")
    return arrays


def trained_accuracy(path: str | os.PathLike) -> float:
    """The test accuracy a training run recorded in its metrics.json (a fraction), checked."""
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)["accuracy"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"{path}: not a training run's metrics.json with an accuracy ({type(err).__name__}: {err})"
        ) from err
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"{path}: accuracy {value!r} is not a fraction between 0 and 1")
    return float(value)
