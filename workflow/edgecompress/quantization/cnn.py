"""The paper's "base CNN" (Fig. 1, missing from its text) on Fashion-MNIST, in Keras 3.

Default reading of Fig. 1: Conv2D(32, 3x3, ReLU) -> MaxPool 2 -> Conv2D(64, 3x3, ReLU) ->
MaxPool 2 -> Flatten -> Dense(10) = 34,826 parameters, whose .keras file with Adam's state is
~0.43 MiB and whose int8 .tflite is ~0.04 MiB, the paper's two sizes.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..inputs import load_prepared
from ..measure import file_size
from ..provenance import collect
from ..results import atomic_path, write_history, write_json
from ..seeding import seed_everything

log = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "sgd", "rmsprop")


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) to the model's float32 (N, 28, 28, 1) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[..., None]


def build_base_cnn(
    conv_filters: Sequence[int],
    kernel_size: int,
    dense_units: Sequence[int] = (),
    input_shape=(28, 28, 1),
    classes: int = 10,
):
    import keras

    # Explicit layer names without a "_<number>" ending: TFLite tensor names carry them (with such
    # an ending added when a graph is traced twice), so the int8 weight check can match by name.
    layers = [keras.Input(shape=input_shape)]
    for i, filters in enumerate(conv_filters, 1):
        layers += [
            keras.layers.Conv2D(filters, kernel_size, activation="relu", name=f"conv{i}"),
            keras.layers.MaxPooling2D(2, name=f"pool{i}"),
        ]
    layers.append(keras.layers.Flatten(name="flatten"))
    layers += [keras.layers.Dense(units, activation="relu", name=f"dense{i}") for i, units in enumerate(dense_units, 1)]
    layers.append(keras.layers.Dense(classes, name="logits"))
    return keras.Sequential(layers, name="base_cnn")


def train(
    model,
    x_train,
    y_train,
    x_test,
    y_test,
    epochs: int,
    batch_size: int,
    optimizer: str,
    learning_rate: float,
    seed: int,
) -> list[dict]:
    """Compile and fit; return one row per epoch (loss, test accuracy, seconds)."""
    import keras

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[optimizer]
    model.compile(
        optimizer=opt(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rows: list[dict] = []

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            row = {
                "epoch": epoch + 1,
                "loss": float(logs["loss"]),
                "test_accuracy": float(logs["val_accuracy"]),
                "seconds": time.perf_counter() - self.start,
            }
            rows.append(row)
            log.info(
                "epoch %d/%d: loss %.4f, test accuracy %.4f, %.1f s",
                row["epoch"],
                epochs,
                row["loss"],
                row["test_accuracy"],
                row["seconds"],
            )

    model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        validation_data=(x_test, y_test),
        callbacks=[EpochLog()],
        verbose=2,
    )
    return rows


def accuracy(model, x, y, batch_size: int = 1000) -> float:
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def save_keras(model, path, include_optimizer: bool = True) -> None:
    """Save a ``.keras`` file, byte-identical for the same model (written atomically).

    Keras writes the save date into ``metadata.json``, the wall-clock time into the zip entry of
    the weights, and ``id()`` values of Python objects as ``shared_object_id`` in ``config.json``.
    The file is rewritten without the date, with fixed entry times, and with those ids numbered
    in order of appearance; Keras loads it as before.
    """
    import tempfile

    import keras

    if not include_optimizer:
        # from_config, not clone_model: Keras 3's clone_model copies the compiled optimizer too
        bare = keras.Sequential.from_config(model.get_config())
        bare.set_weights(model.get_weights())
        model = bare
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "model.keras"
        model.save(raw)
        stable = stable_keras_bytes(raw.read_bytes())
    with atomic_path(path, suffix=".keras") as tmp:
        tmp.write_bytes(stable)


def stable_keras_bytes(archive: bytes) -> bytes:
    """A ``.keras`` zip without its volatile bytes (see :func:`save_keras`)."""
    import io
    import json
    import re
    import zipfile

    ids: dict[bytes, bytes] = {}

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta, sort_keys=True).encode()
            elif info.filename == "config.json":
                data = re.sub(
                    rb'"shared_object_id": (\d+)',
                    lambda m: b'"shared_object_id": ' + ids.setdefault(m.group(1), str(len(ids)).encode()),
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = info.compress_type, 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def train_base_cnn(arrays: str, paths, params, seed: int, threads: int) -> None:
    """Rule train_base_cnn: build, train and save the base CNN (with and without optimizer state)."""
    seed_everything(seed, threads, frameworks=("tensorflow",))
    data = load_prepared(arrays, "fashion_mnist")
    x_train, x_test = to_input(data["x_train"]), to_input(data["x_test"])
    model = build_base_cnn(params["conv_filters"], params["kernel_size"], params["dense_units"])
    log.info("base CNN: %d parameters", model.count_params())
    rows = train(
        model,
        x_train,
        data["y_train"],
        x_test,
        data["y_test"],
        params["epochs"],
        params["batch_size"],
        params["optimizer"],
        params["learning_rate"],
        seed,
    )
    write_history(paths["history"], rows)
    save_keras(model, paths["model"])
    save_keras(model, paths["bare"], include_optimizer=False)
    write_json(
        paths["metrics"],
        {
            "model": "base_cnn (Keras, float32)",
            "parameters": int(model.count_params()),
            "accuracy": accuracy(model, x_test, data["y_test"]),
            "test_images": int(len(x_test)),
            "size": {"with_optimizer": file_size(paths["model"]), "without_optimizer": file_size(paths["bare"])},
            "history": rows,
            "provenance": collect(
                {**params, "seed": seed},
                {"arrays": arrays},
                threads=threads,
                packages=("numpy", "tensorflow-cpu", "keras"),
            ),
        },
    )
