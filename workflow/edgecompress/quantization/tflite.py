"""TFLite conversion (float32, full-integer int8, dynamic range, float16) and LiteRT evaluation."""

from __future__ import annotations

import logging
from typing import Iterable

import numpy as np

from ..inputs import load_prepared
from ..litert import evaluate, interpreter
from ..measure import file_size
from ..provenance import collect
from ..quantmath import dequantize
from ..results import atomic_path, write_json
from ..seeding import seed_everything
from .cnn import to_input

log = logging.getLogger(__name__)

VARIANTS = ("float32", "int8", "dynamic_range", "float16")


def convert(model, variant: str, representative: np.ndarray | None = None) -> bytes:
    """Convert a Keras model; ``int8`` is full-integer with int8 input and output."""
    import tensorflow as tf

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(batch_one(model))
    if variant != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if variant == "int8":
        if representative is None or len(representative) == 0:
            raise ValueError("full-integer int8 needs a representative dataset")

        def samples() -> Iterable[list[np.ndarray]]:
            for image in representative:
                yield [image[None].astype(np.float32)]

        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def batch_one(model):
    """``model`` behind an input of batch size 1, as it runs on the device.

    With a free batch dimension the converter turns Flatten into SHAPE, STRIDED_SLICE, PACK and
    RESHAPE, and XNNPACK then splits the graph into two partitions; with batch 1 it is one RESHAPE
    and one partition. The layers (and their weights) are shared, not copied.
    """
    import keras

    inputs = keras.Input(shape=model.input_shape[1:], batch_size=1)
    return keras.Model(inputs, model(inputs), name=f"{model.name}_batch1")


def tensor_dtypes(interp) -> dict[str, int]:
    """How many tensors of each dtype the model holds."""
    counts: dict[str, int] = {}
    for d in interp.get_tensor_details():
        name = np.dtype(d["dtype"]).name
        counts[name] = counts.get(name, 0) + 1
    return counts


def _tflite_layout(kernel: np.ndarray) -> np.ndarray:
    """A Keras kernel in TFLite's layout: conv HWIO -> OHWI, dense (in, out) -> (out, in)."""
    if kernel.ndim == 4:
        return kernel.transpose(3, 0, 1, 2)
    if kernel.ndim == 2:
        return kernel.T
    return kernel


WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def layer_of(tensor_name: str, layer_names) -> str | None:
    """The Keras layer a TFLite tensor belongs to, from its name (``…/conv1_1/convolution`` -> ``conv1``)."""
    import re

    parts = {re.sub(r"_\d+$", "", part) for part in re.split(r"[/;]", tensor_name)}
    found = [name for name in layer_names if name in parts]
    return found[0] if len(found) == 1 else None


def check_weights(interp, keras_model) -> list[dict]:
    """Dequantize each int8 weight tensor with the paper's formula and compare to the float weights.

    Walks the model's convolution and fully connected ops; each op's weight tensor is matched to
    its Keras layer by name, its bias (when the converter kept one) by being that op's bias. Per
    tensor: r = S (q - Z) per channel, the maximum error and the scale. Every Keras layer with
    weights must be found, or a ValueError names the ones that were not.
    """
    tensors = {d["index"]: d for d in interp.get_tensor_details()}
    layers = {layer.name: layer for layer in keras_model.layers if layer.get_weights()}
    rows, seen = [], set()
    for op in interp._get_ops_details():
        if op["op_name"] not in WEIGHTED_OPS:
            continue
        weight_index, bias_index = int(op["inputs"][1]), int(op["inputs"][2]) if len(op["inputs"]) > 2 else -1
        name = layer_of(tensors[weight_index]["name"], layers)
        if name is None:
            raise ValueError(
                f"TFLite tensor {tensors[weight_index]['name']!r} matches no single Keras layer of {sorted(layers)}"
            )
        seen.add(name)
        weights = layers[name].get_weights()
        for label, index, weight in (
            ("kernel", weight_index, weights[0]),
            ("bias", bias_index, weights[1] if len(weights) > 1 else None),
        ):
            if index >= 0 and weight is not None:
                rows.append(_compare(interp, tensors[index], _tflite_layout(weight), name, label))
    missing = sorted(set(layers) - seen)
    if missing:
        raise ValueError(f"no TFLite weight tensor found for Keras layers {missing}")
    return rows


def _compare(interp, detail: dict, target: np.ndarray, layer: str, label: str) -> dict:
    q = interp.get_tensor(detail["index"])
    if q.shape != target.shape:
        raise ValueError(f"{layer}.{label}: TFLite tensor {detail['name']!r} has shape {q.shape}, Keras {target.shape}")
    params = detail["quantization_parameters"]
    axis = params["quantized_dimension"]
    shape = [1] * q.ndim
    shape[axis] = -1
    scales = params["scales"].reshape(shape) if params["scales"].size > 1 else params["scales"][0]
    zeros = params["zero_points"].reshape(shape) if params["zero_points"].size > 1 else params["zero_points"][0]
    error = np.abs(dequantize(q, scales, zeros) - target)
    step = np.broadcast_to(scales, q.shape)
    return {
        "layer": layer,
        "tensor": label,
        "tflite_dtype": np.dtype(q.dtype).name,
        "shape": list(q.shape),
        "max_abs_error": float(error.max()),
        "max_scale": float(np.max(step)),
        "max_error_in_steps": float(np.max(error / step)),
        "within_one_step": bool(np.all(error <= step * (1 + 1e-6))),
    }


def convert_tflite(model_path: str, arrays: str, out: str, variant: str, samples: int, seed: int, threads: int) -> None:
    """Rule convert_tflite: one TFLite variant of the saved Keras model (int8 calibrated on a seeded sample)."""
    import keras

    seed_everything(seed, threads, frameworks=("tensorflow",))
    model = keras.models.load_model(model_path)
    x_train = load_prepared(arrays, "fashion_mnist")["x_train"]
    pick = np.sort(np.random.default_rng(seed).choice(len(x_train), size=min(samples, len(x_train)), replace=False))
    flat = convert(model, variant, to_input(x_train[pick]))
    with atomic_path(out, suffix=".tflite") as tmp:
        tmp.write_bytes(flat)
    log.info("%s: %d bytes (representative images: %d)", out, len(flat), len(pick) if variant == "int8" else 0)


def evaluate_tflite(
    tflite_path: str, keras_path: str, arrays: str, out: str, variant: str, threads: int, seed: int
) -> None:
    """Rule evaluate_tflite: accuracy, size and dtypes of one variant (and, for int8, the formula check).

    Its speed is measured with every other model's in the deployment stage's one timing job.
    """

    data = load_prepared(arrays, "fashion_mnist")
    interp = interpreter(tflite_path, threads)
    result = evaluate(interp, to_input(data["x_test"]), data["y_test"], per_image=True)
    log.info("%s: accuracy %.4f", variant, result["accuracy"])
    metrics = {"variant": variant, **result, "size": file_size(tflite_path), "tensor_dtypes": tensor_dtypes(interp)}
    if variant == "int8":
        import keras

        metrics["weight_check"] = check_weights(interp, keras.models.load_model(keras_path))
        log.info(
            "formula check: max error %.3g quantization steps",
            max(c["max_error_in_steps"] for c in metrics["weight_check"]),
        )
    metrics["provenance"] = collect(
        {"variant": variant, "seed": seed},
        {"tflite": tflite_path, "arrays": arrays},
        threads=threads,
        packages=("numpy", "tensorflow-cpu", "ai-edge-litert"),
    )
    write_json(out, metrics)
