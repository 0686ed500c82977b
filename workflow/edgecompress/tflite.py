"""TFLite conversion (float32, full-integer int8, dynamic range, float16) and LiteRT evaluation."""

from __future__ import annotations

import logging
from typing import Iterable

import numpy as np

from .measure import latency_ms
from .quantmath import dequantize, round_half_away

log = logging.getLogger(__name__)

VARIANTS = ("float32", "int8", "dynamic_range", "float16")
KERNELS = {"xnnpack": "AUTO", "builtin": "BUILTIN_WITHOUT_DEFAULT_DELEGATES"}


def convert(model, variant: str, representative: np.ndarray | None = None) -> bytes:
    """Convert a Keras model; ``int8`` is full-integer with int8 input and output."""
    import tensorflow as tf

    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
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


def interpreter(model_path: str, threads: int, kernels: str = "xnnpack"):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    if kernels not in KERNELS:
        raise ValueError(f"kernels must be one of {sorted(KERNELS)}, got {kernels!r}")
    interp = Interpreter(model_path=str(model_path), num_threads=threads,
                         experimental_op_resolver_type=getattr(OpResolverType, KERNELS[kernels]))
    interp.allocate_tensors()
    return interp


def prepare_inputs(interp, x: np.ndarray) -> np.ndarray:
    """Float inputs in the model's input type (quantized with its scale and zero point when integer)."""
    detail = interp.get_input_details()[0]
    if detail["dtype"] == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    q = round_half_away(x / scale + zero)  # eq. (1), with the paper's (and TFLite's) rounding
    return np.clip(q, info.min, info.max).astype(detail["dtype"])


def evaluate(interp, x: np.ndarray, y: np.ndarray, warmup: int, runs: int) -> dict:
    """Accuracy over ``x`` at batch 1 (and its throughput), then latency of one image."""
    import time

    inp = interp.get_input_details()[0]["index"]
    out = interp.get_output_details()[0]["index"]
    xq = prepare_inputs(interp, x)
    predictions = np.empty(len(xq), dtype=np.int64)
    start = time.perf_counter()
    for i in range(len(xq)):
        interp.set_tensor(inp, xq[i : i + 1])
        interp.invoke()
        predictions[i] = int(np.argmax(interp.get_tensor(out)[0]))
    elapsed = time.perf_counter() - start
    one = xq[:1]
    timing = latency_ms(interp.invoke, warmup, runs, prepare=lambda: interp.set_tensor(inp, one))
    return {
        "accuracy": float(np.mean(predictions == y)),
        "test_images": int(len(y)),
        "throughput_images_per_s": len(xq) / elapsed,
        "latency": timing,
        "input_dtype": np.dtype(interp.get_input_details()[0]["dtype"]).name,
    }


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


def check_weights(interp, keras_model) -> list[dict]:
    """Dequantize each int8 weight tensor with the paper's formula and compare to the float weights.

    For each Keras layer's kernel (and bias), finds the TFLite tensor of the same (transposed)
    shape, applies r = S (q - Z) per channel, and reports the maximum error and the scale.
    """
    details = {tuple(d["shape"]): d for d in interp.get_tensor_details()
               if d["dtype"] in (np.int8, np.int32) and d["quantization_parameters"]["scales"].size}
    rows = []
    for layer in keras_model.layers:
        for name, weight in zip(("kernel", "bias"), layer.get_weights()):
            target = _tflite_layout(weight)
            detail = details.get(tuple(target.shape))
            if detail is None:
                continue
            q = interp.get_tensor(detail["index"])
            params = detail["quantization_parameters"]
            axis = params["quantized_dimension"]
            shape = [1] * q.ndim
            shape[axis] = -1
            scales = params["scales"].reshape(shape) if params["scales"].size > 1 else params["scales"][0]
            zeros = params["zero_points"].reshape(shape) if params["zero_points"].size > 1 else params["zero_points"][0]
            error = np.abs(dequantize(q, scales, zeros) - target)
            step = np.broadcast_to(scales, q.shape)
            rows.append({
                "layer": layer.name, "tensor": name, "tflite_dtype": np.dtype(q.dtype).name,
                "shape": list(q.shape), "max_abs_error": float(error.max()),
                "max_scale": float(np.max(step)), "max_error_in_steps": float(np.max(error / step)),
                "within_one_step": bool(np.all(error <= step * (1 + 1e-6))),
            })
    return rows
