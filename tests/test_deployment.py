"""The deployment stage's pieces: conversion to LiteRT, the interleaved timing, the table's rules."""

import numpy as np
import pytest
import torch

from edgecompress import litert
from edgecompress.training import models
from edgecompress.deployment import convert, machine, timing
from edgecompress.report.figures import frontier
from edgecompress.deployment import tables as table

from helpers import assert_learned


def learnable(split, n):
    """The workflow's learnable CIFAR-format fixture images (a digit in its class's colour and place), NHWC."""
    from edgecompress.data.fixtures import cifar_arrays

    rows, y = cifar_arrays(split, n, 0)
    return rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), np.asarray(y)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A MobileNetV2 trained briefly on learnable images, saved as the workflow saves it, and deployed."""
    from edgecompress.training.data import Batches
    from edgecompress.training.loop import accuracy, cross_entropy, fit, make_optimizer

    torch.manual_seed(0)
    x, y = learnable("train", 1000)
    xt, yt = learnable("test", 200)
    model = models.build("mobilenet_v2")
    train, test = Batches(x, y, 32, 32, shuffle=True, seed=0), Batches(xt, yt, 100, 32)
    fit(model, train, test, 3, make_optimizer(model.parameters(), "sgd", 0.01, 0.9, 5e-4), cross_entropy, torch.device("cpu"))
    d = tmp_path_factory.mktemp("deployed")
    models.save_state_dict(model, d / "model.pt")
    np.savez(d / "arrays.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    out = {"float32": str(d / "float32.tflite"), "int8": str(d / "int8.tflite"), "metrics": str(d / "metrics.json")}
    convert.deploy_model("student/seed0", str(d / "model.pt"), str(d / "arrays.npz"), out, {"resolution": 32},
                         {"calibration_samples": 100}, 0, 1)
    return {"dir": d, "out": out, "x": xt, "y": yt, "torch_accuracy": accuracy(model, test, torch.device("cpu"))}


def test_float32_litert_logits_match_pytorch(trained):
    model = convert.load_trained("student/seed0", str(trained["dir"] / "model.pt"))
    images = convert.nhwc_images(trained["x"], 32)
    reference = convert.torch_logits(model, images)
    logits = litert.classify(litert.interpreter(trained["out"]["float32"], 1), images.numpy())
    assert np.max(np.abs(logits - reference)) < 1e-3
    assert np.mean(logits.argmax(1) == reference.argmax(1)) >= 0.99


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


def test_a_float_model_passed_off_as_int8_is_refused(trained):
    interp = litert.interpreter(trained["out"]["float32"], 1)
    with pytest.raises(ValueError, match="int8 model has input/output types"):
        convert.check_io(interp, "int8", "x.tflite")


def test_bad_keys_and_requests_are_named():
    with pytest.raises(ValueError, match="must start with one of"):
        convert.family("resnet50/seed0")
    with pytest.raises(ValueError, match="calibration images"):
        convert.to_litert(models.build("resnet18").eval(), 32, "int8", None)
    with pytest.raises(ValueError, match="precision must be one of"):
        convert.to_litert(models.build("resnet18").eval(), 32, "int4")


def test_calibration_sample_is_seeded():
    x = np.arange(100)[:, None]
    a, b = convert.calibration_sample(x, 10, 3), convert.calibration_sample(x, 10, 3)
    assert np.array_equal(a, b) and len(np.unique(a)) == 10
    assert not np.array_equal(a, convert.calibration_sample(x, 10, 4))
    assert len(convert.calibration_sample(x, 1000, 3)) == 100


def test_rounds_interleave_every_entry_and_rotate_the_start():
    order = []
    entries = [timing.Entry(name, "litert", "float32", 1, lambda n=name: order.append(n)) for name in "abc"]
    timing.time_rounds(entries, 3, 2, 0)
    firsts = []
    for e in entries:
        assert len(e.round_medians) == 3 and all(len(s) == 2 for s in e.samples)
    # each round calls every entry before the next round starts, each round starting one further on
    calls = [n for i, n in enumerate(order) if i == 0 or n != order[i - 1]]
    firsts = [calls[i] for i in range(0, len(calls), 3)][-3:]
    assert firsts == ["a", "b", "c"]


def test_a_fast_call_is_repeated_within_one_sample():
    assert timing.repeats(lambda: None) > 10
    assert timing.repeats(lambda: sum(range(200_000))) == 1


def test_benchmark_tool_agreement():
    assert timing.agrees(1.0, 1.1) is True
    assert timing.agrees(1.0, 1.3) is False
    assert timing.agrees(0.02, 0.05) is None  # under the tool's resolution


def test_isa_flags_are_read_from_cpuinfo():
    flags = machine.cpu_flags("processor: 0\nflags\t\t: fpu avx2 fma avx512f avx512_vnni\n")
    info = machine.isa(flags)
    assert info["avx2"] and info["avx512_vnni"] and not info["avx_vnni"]
    assert machine.isa_text(info).startswith("AVX2, FMA, AVX512F, AVX512_VNNI")
    assert machine.isa_text(machine.isa(set())).startswith("none of")


def latency_rows(times):
    return [{"model": m, "runtime": rt, "precision": p, "batch": str(b), "median_ms": str(v)}
            for (m, rt, p, b), v in times.items()]


def deployed(family, macs):
    size = {"size": {"bytes": 1000, "mib": 0.001}, "accuracy": 0.9}
    return {"family": family, "parameters": 10, "macs": macs, "accuracy_torch": 0.9, "float32": size, "int8": size}


def test_speed_ups_are_ratios_of_the_timing_file_and_suspects_are_flagged():
    times = {}
    for m, f32, i8, b1, b8 in (("baseline/seed1", 10.0, 5.0, 20.0, 80.0), ("structured/amount0.5/seed1", 2.0, 1.0, 10.0, 40.0),
                               ("unstructured/amount0.5/seed1", 10.0, 5.0, 30.0, 80.0)):
        times.update({(m, "litert", "float32", 1): f32, (m, "litert", "int8", 1): i8,
                      (m, "pytorch", "float32", 1): b1, (m, "pytorch", "float32", 8): b8})
    index = table.latency_index(latency_rows(times))
    rows = {r["model"]: r for r in table.cifar_rows({"baseline/seed1": deployed("baseline", 100),
                                                     "structured/amount0.5/seed1": deployed("structured", 25),
                                                     "unstructured/amount0.5/seed1": deployed("unstructured", 100)},
                                                    index, 8)}
    s = rows["structured/amount0.5/seed1"]
    assert s["macs_reduction"] == 4 and s["speedup_litert_float32"] == 5 and s["speedup_pytorch_batchN"] == 2
    assert s["pytorch_batchN_ms_per_image"] == 5 and s["int8_speedup"] == 2
    assert "speedup_litert_float32 5.00x > 1.2 x MACs reduction 4.00x" in s["suspect"]
    u = rows["unstructured/amount0.5/seed1"]
    assert "speedup_pytorch_batch1 0.67x outside 0.8-1.25x" in u["suspect"]
    assert rows["baseline/seed1"]["speedup_litert_float32"] is None and not rows["baseline/seed1"]["suspect"]


def test_frontier_keeps_only_the_models_nothing_beats():
    points = [(1.0, 70), (2.0, 80), (1.5, 60), (3.0, 79), (0.5, 50)]
    assert frontier(points) == [(0.5, 50), (1.0, 70), (2.0, 80)]
