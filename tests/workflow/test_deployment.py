"""The deployment stage's pieces: conversion to LiteRT, the interleaved timing, the table's rules."""

import numpy as np
import pytest

from edgecompress import litert
from edgecompress.deployment import convert
from helpers import assert_learned


@pytest.fixture(scope="module")
def trained(run):
    """The demo's MobileNetV2 trained alone (the session's ``run``), as the workflow saved and deployed it,
    with the prepared CIFAR-format test images (NHWC uint8) it was evaluated on."""
    d = run["dir"]
    deployed = d / "results/deployment/models/student/seed42"
    arrays = np.load(d / "resources/data/cifar10_subset_draw42.npz")
    return {
        "model": d / "results/distillation/student/seed42/model.pt",
        "out": {
            name: str(deployed / f"{name}.{ext}")
            for name, ext in (("float32", "tflite"), ("int8", "tflite"), ("metrics", "json"))
        },
        "x": arrays["x_test"],
        "y": arrays["y_test"].astype(int),
    }


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_float32_litert_logits_match_pytorch(trained):
    model = convert.load_trained("student/seed42", str(trained["model"]))
    images = convert.nhwc_images(trained["x"], 32)
    reference = convert.torch_logits(model, images)
    logits = litert.classify(litert.interpreter(trained["out"]["float32"], 1), images.numpy())
    assert np.max(np.abs(logits - reference)) < 1e-3
    assert np.mean(logits.argmax(1) == reference.argmax(1)) >= 0.99


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_int8_model_has_int8_input_and_output_and_keeps_the_accuracy(trained):
    interp = litert.interpreter(trained["out"]["int8"], 1)
    details = interp.get_input_details() + interp.get_output_details()
    assert [d["dtype"] for d in details] == [np.int8, np.int8]
    images = convert.nhwc_images(trained["x"], 32).numpy()
    int8 = np.mean(litert.classify(interp, images).argmax(1) == trained["y"])
    f32 = np.mean(litert.classify(litert.interpreter(trained["out"]["float32"], 1), images).argmax(1) == trained["y"])
    assert_learned(f32, "MobileNetV2 float32 .tflite")
    assert abs(int8 - f32) <= 0.05, (int8, f32)
    import json

    metrics = json.loads(open(trained["out"]["metrics"]).read())
    assert metrics["int8"]["accuracy"] == pytest.approx(int8) and metrics["float32"]["accuracy"] == pytest.approx(f32)
    assert metrics["int8"]["size"]["bytes"] < metrics["float32"]["size"]["bytes"] / 2.5


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_recorded_accuracies_match_a_plain_litert_loop(trained):
    """The deployment metrics' accuracies against a loop written here, sharing no code with the job:
    the images normalised by hand (ImageNet mean and std), each quantized with the file's own input
    scale and zero point (rounding half away from zero, as TFLite does), one invoke per image."""
    import json

    from ai_edge_litert.interpreter import Interpreter

    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    x = ((trained["x"] / 255.0 - mean) / std).astype(np.float32)  # NHWC, 32 px: the models' input
    metrics = json.loads(open(trained["out"]["metrics"]).read())
    for precision in ("float32", "int8"):
        interp = Interpreter(model_path=trained["out"][precision])
        interp.allocate_tensors()
        inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
        hits = 0
        for image, label in zip(x, trained["y"]):
            value = image[None]
            if inp["dtype"] == np.int8:
                scale, zero = inp["quantization"]
                scaled = value / scale
                value = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zero, -128, 127).astype(np.int8)
            interp.set_tensor(inp["index"], value)
            interp.invoke()
            hits += int(np.argmax(interp.get_tensor(out["index"])[0]) == label)
        assert metrics[precision]["accuracy"] == hits / len(x), precision
    assert metrics["test_images"] == len(x) == 200


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_a_float_model_passed_off_as_int8_is_refused(trained):
    interp = litert.interpreter(trained["out"]["float32"], 1)
    with pytest.raises(ValueError, match="int8 model has input/output types"):
        convert.check_io(interp, "int8", "x.tflite")


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_the_arena_is_found_by_search_and_never_below_the_peak_live_tensors(trained):
    from edgecompress.deployment import memory

    path = trained["out"]["int8"]
    row = memory.measure_file("student/seed42", "int8", path, None, None, 1, 64 * 2**20, False)
    assert row["tflm_runnable"] is True and row["tflm_reason"] == ""
    assert row["arena_bytes"] >= row["peak_live_bytes"] > 0
    data = open(path, "rb").read()
    sample = np.zeros((1, 32, 32, 3), np.int8)
    assert memory.runs_in(data, row["arena_bytes"] + memory.ARENA_STEP, sample)[0]
    assert not memory.runs_in(data, row["arena_bytes"] - 4 * memory.ARENA_STEP, sample)[0]  # the smallest, to 16 B
    assert row["process_rss_bytes"] > 0


# (workflow: reads the demo's deployed MobileNetV2)
@pytest.mark.workflow
def test_a_file_tflm_cannot_run_or_read_is_a_row_that_says_so(trained, tmp_path):
    from edgecompress.deployment import memory

    # what TFLM says of a float16 or dynamic-range file: a kernel that refuses its tensor types, not a small arena
    said = "RuntimeError: TFLM failed to allocate tensors (Node CONV_2D (number 2) failed to prepare with status 1)"
    assert memory.unsupported_op(said) == "CONV_2D fails to prepare (its TFLM kernel does not take these tensor types)"
    assert memory.unsupported_op("Failed to resize buffer. Requested: 6768, available 1984, missing: 4784") is None

    tiny = memory.measure_file("student/seed42", "int8", trained["out"]["int8"], None, None, 1, 4096, False)
    assert tiny["tflm_runnable"] is False and tiny["tflm_reason"].startswith(
        "not runnable on TFLM within 0.00390625 MiB"
    )
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"\x00" * 64)
    row = memory.measure_file("student/seed42", "int8", str(bad), None, None, 1, 2**20, False)
    assert row["tflm_runnable"] is False and row["tflm_reason"].startswith("not a readable .tflite")
    assert row["arena_bytes"] is None and row["file_bytes"] == 64
