"""Running a ``.tflite`` with LiteRT's interpreter: the one evaluation code of every converted model.

Experiment 1's Keras-converted files and the deployment stage's litert-torch files are evaluated
here alike: batch 1, inputs quantized with the model's own scale and zero point when it takes
integers, integer outputs dequantized. Nothing here needs TensorFlow or PyTorch.
"""

from __future__ import annotations

import numpy as np

from .inputs import InputError
from .quantmath import dequantize, round_half_away

KERNELS = {"xnnpack": "AUTO", "builtin": "BUILTIN_WITHOUT_DEFAULT_DELEGATES"}


def interpreter(model_path: str, threads: int, kernels: str = "xnnpack"):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    if kernels not in KERNELS:
        raise ValueError(f"kernels must be one of {sorted(KERNELS)}, got {kernels!r}")
    try:
        interp = Interpreter(
            model_path=str(model_path),
            num_threads=threads,
            experimental_op_resolver_type=getattr(OpResolverType, KERNELS[kernels]),
        )
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as err:  # "not a valid Flatbuffer buffer", a model LiteRT cannot prepare
        raise InputError(f"{model_path}: not a loadable .tflite file ({err})") from err
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


def classify(interp, x: np.ndarray) -> np.ndarray:
    """Float logits of every image of ``x`` at batch 1 (an integer output is dequantized)."""
    inp = interp.get_input_details()[0]["index"]
    detail = interp.get_output_details()[0]
    xq = prepare_inputs(interp, x)
    logits = np.empty((len(xq), int(np.prod(detail["shape"][1:]))), dtype=np.float32)
    for i in range(len(xq)):
        interp.set_tensor(inp, xq[i : i + 1])
        interp.invoke()
        logits[i] = interp.get_tensor(detail["index"])[0].reshape(-1)
    if detail["dtype"] != np.float32:
        scale, zero = detail["quantization"]
        logits = dequantize(logits, scale, zero).astype(np.float32)
    return logits


def evaluate(interp, x: np.ndarray, y: np.ndarray, per_image: bool = False) -> dict:
    """Accuracy over ``x`` at batch 1. Speed is measured by the deployment stage's one timing job.

    ``per_image``: also the 0/1 outcome of every image as a string ("0110..."), whose mean is the
    accuracy: two files of one trained model are then compared image by image (the report's
    Fashion-MNIST device choices).
    """
    correct = classify(interp, x).argmax(1) == y
    out = {
        "accuracy": float(np.mean(correct)),
        "test_images": int(len(y)),
        "input_dtype": np.dtype(interp.get_input_details()[0]["dtype"]).name,
    }
    if per_image:
        out["correct_by_image"] = "".join("1" if c else "0" for c in correct)
    return out
