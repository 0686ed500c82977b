"""Rule deploy_model: one trained PyTorch model as a float32 and a full-integer int8 LiteRT model.

The model is converted with NHWC input (``litert_torch.to_channel_last_io``), the layout an edge
camera pipeline hands over. int8 uses litert-torch's PT2E quantizer (per-channel symmetric
weights, static activations) calibrated on a seeded sample of training images; its input and
output are int8, like Experiment 1's. Both files are evaluated on the whole test split with
Experiment 1's evaluation code (:func:`edgecompress.litert.classify`), and the float32 logits are
compared with PyTorch's on the same images.
"""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np
import torch
from torch import nn

from .. import modelkey
from ..inputs import load_prepared, trained_accuracy
from ..litert import classify, interpreter
from ..measure import file_size
from ..modelkey import PRECISIONS
from ..provenance import collect
from ..results import atomic_path, write_json
from ..seeding import seed_everything
from ..training.data import resize, to_tensor
from ..training.models import build, count_parameters, load_state_dict, load_structured, macs_and_params

log = logging.getLogger(__name__)


def load_trained(key: str, path: str) -> nn.Module:
    """The trained model of ``key`` from its saved state_dict, on the CPU, in eval mode."""
    parsed = modelkey.parse(key)
    model = build(parsed.arch)
    if parsed.family in modelkey.STRUCTURED:
        return load_structured(model, path).eval()
    model.load_state_dict(load_state_dict(path))
    return model.eval()


def nhwc_images(x: np.ndarray, resolution: int) -> torch.Tensor:
    """uint8 NHWC images as the models' normalised float input, resized, in NHWC order."""
    return resize(to_tensor(x), resolution).permute(0, 2, 3, 1).contiguous()


def calibration_sample(x_train: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` training images drawn without replacement by ``seed`` (all of them if fewer)."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(x_train), size=min(count, len(x_train)), replace=False))
    return x_train[idx]


def to_litert(model: nn.Module, resolution: int, precision: str, calibration: torch.Tensor | None = None):
    """The litert-torch edge model of ``model`` (NHWC input); int8 needs NHWC ``calibration`` images."""
    import litert_torch

    nhwc = litert_torch.to_channel_last_io(model, args=[0]).eval()
    sample = (torch.zeros(1, resolution, resolution, 3),)
    if precision == "float32":
        return litert_torch.convert(nhwc, sample)
    if precision != "int8":
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if calibration is None or len(calibration) == 0:
        raise ValueError("int8 conversion needs calibration images")
    from litert_torch.quantize import pt2e_quantizer
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e import move_exported_model_to_eval, quantize_pt2e

    quantizer = pt2e_quantizer.PT2EQuantizer().set_global(
        pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False)
    )
    prepared = quantize_pt2e.prepare_pt2e(torch.export.export(nhwc, sample).module(), quantizer)
    move_exported_model_to_eval(prepared)  # an exported module has no .eval(); BatchNorm and dropout as at inference
    with torch.no_grad():
        for image in calibration:  # the exported graph has batch 1
            prepared(image[None])
    converted = move_exported_model_to_eval(quantize_pt2e.convert_pt2e(prepared, fold_quantize=False))
    converted.training = False  # its ops are in eval form already; the flag is what litert-torch checks
    return litert_torch.convert(converted, sample, quant_config=QuantConfig(pt2e_quantizer=quantizer))


def export(edge_model, path: str) -> None:
    """Write an edge model's flatbuffer atomically (litert-torch writes to a path)."""
    with atomic_path(path, ".tflite") as tmp:
        edge_model.export(str(tmp))


def chunks(x: np.ndarray, resolution: int, size: int = 250):
    """The test images as model input, ``size`` at a time (224 px inputs of a whole split would fill memory)."""
    for start in range(0, len(x), size):
        yield nhwc_images(x[start : start + size], resolution)


def torch_logits(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    with torch.inference_mode():
        return model(images.permute(0, 3, 1, 2)).numpy()


def check_io(interp, precision: str, path: str) -> None:
    """int8 files must take and give int8 tensors, float32 files float32 ones."""
    want = np.int8 if precision == "int8" else np.float32
    got = [d["dtype"] for d in interp.get_input_details() + interp.get_output_details()]
    if any(g != want for g in got):
        raise ValueError(
            f"{path}: {precision} model has input/output types {[np.dtype(g).name for g in got]}, "
            f"expected {np.dtype(want).name}"
        )


def deploy_model(
    key: str,
    model_path: str,
    trained_metrics: str,
    arrays: str,
    out: Mapping[str, str],
    resolution: int,
    calibration_samples: int,
    seed: int,
    threads: int,
) -> None:
    """Rule deploy_model: float32 and int8 ``.tflite`` of one model, their accuracy and agreement with PyTorch.

    The model's PyTorch accuracy is its training run's (``trained_metrics``): one number per model,
    which every table and verdict reads. The PyTorch logits computed here are the reference the two
    files are compared with; their accuracy is recorded beside it (``accuracy_torch_here``) as a
    check, and a difference of more than one image is logged (another device or batch size). The
    metrics file is not among the provenance's checksummed inputs: it holds the training's wall times.
    """
    seed_everything(seed, threads, frameworks=("torch",))
    accuracy_torch = trained_accuracy(trained_metrics)  # every input is checked before anything is written
    model = load_trained(key, model_path)
    data = load_prepared(arrays, "cifar10")
    calibration = nhwc_images(calibration_sample(data["x_train"], calibration_samples, seed), resolution)
    interps = {}
    for precision in PRECISIONS:
        export(to_litert(model, resolution, precision, calibration), out[precision])
        interps[precision] = interpreter(out[precision], threads)
        check_io(interps[precision], precision, out[precision])
    # one pass over the test images (each chunk prepared once) for PyTorch and both files
    logits: dict[str, list] = {"torch": [], **{p: [] for p in PRECISIONS}}
    for images in chunks(data["x_test"], resolution):
        logits["torch"].append(torch_logits(model, images))
        for precision, interp in interps.items():
            logits[precision].append(classify(interp, images.numpy()))
    reference = np.concatenate(logits["torch"])
    y = data["y_test"]
    macs, _ = macs_and_params(model, resolution)
    parsed = modelkey.parse(key)
    metrics = {
        "model": key,
        "family": parsed.family,
        "arch": parsed.arch,
        "parameters": count_parameters(model),
        "macs": macs,
        "test_images": int(len(y)),
        "accuracy_torch": accuracy_torch,
        "accuracy_torch_here": float(np.mean(reference.argmax(1) == y)),
        "calibration_images": len(calibration),
    }
    if abs(metrics["accuracy_torch"] - metrics["accuracy_torch_here"]) > 1.5 / len(y):
        log.warning(
            "%s: the training run's accuracy %.4f and the PyTorch accuracy recomputed here %.4f differ by "
            "more than one image",
            key,
            metrics["accuracy_torch"],
            metrics["accuracy_torch_here"],
        )
    for precision in PRECISIONS:
        ours = np.concatenate(logits[precision])
        metrics[precision] = {
            "accuracy": float(np.mean(ours.argmax(1) == y)),
            "size": file_size(out[precision]),
            "argmax_agreement_with_torch": float(np.mean(ours.argmax(1) == reference.argmax(1))),
            "max_abs_logit_difference": float(np.max(np.abs(ours - reference))),
        }
        log.info(
            "%s %s: accuracy %.4f (PyTorch %.4f), argmax agreement %.4f, max |logit diff| %.3g, %d bytes",
            key,
            precision,
            metrics[precision]["accuracy"],
            metrics["accuracy_torch"],
            metrics[precision]["argmax_agreement_with_torch"],
            metrics[precision]["max_abs_logit_difference"],
            metrics[precision]["size"]["bytes"],
        )
    metrics["provenance"] = collect(
        {"resolution": resolution, "calibration_samples": calibration_samples, "model": key, "seed": seed},
        {"model": model_path, "arrays": arrays},
        threads=threads,
        packages=("numpy", "torch", "litert-torch", "ai-edge-litert"),
    )
    write_json(out["metrics"], metrics)
