"""The roofline: the machine's roofs, each model's bound, the speed-ups it predicts, the adaptive rounds.

Hand-computed numbers throughout; one small model is converted with litert-torch to check the MACs
and bytes read from a real ``.tflite`` graph.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgecompress.deployment import roofline, tables, timing
from edgecompress.deployment.graph import read_graph

ROOFS = {"status": "measured", "cache_bytes": {"L1": 32 * 2**10, "L2": 2**20, "L3": 32 * 2**20},
         "bandwidth_bytes_per_s": {"L2": 80e9, "L3": 60e9, "DRAM": 30e9},
         "peak_macs_per_s": {"float32_dense": 50e9, "float32_depthwise": 20e9, "int8_dense": 200e9,
                             "int8_depthwise": 20e9}}


def test_cache_sizes_are_read_from_the_os_tree(tmp_path):
    for i, (level, kind, size) in enumerate(((1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "1024K"),
                                             (3, "Unified", "32M"))):
        d = tmp_path / f"index{i}"
        d.mkdir()
        (d / "level").write_text(f"{level}\n")
        (d / "type").write_text(f"{kind}\n")
        (d / "size").write_text(f"{size}\n")
    assert roofline.cache_sizes(tmp_path) == {"L1": 32768, "L2": 1048576, "L3": 33554432}
    with pytest.raises(roofline.RoofError, match="the OS reports no cache sizes"):
        roofline.cache_sizes(tmp_path / "missing")


def test_a_roof_that_cannot_be_measured_says_why_and_raises_nothing(tmp_path):
    def no_caches():
        raise roofline.RoofError("the OS reports no cache sizes (/sys/... is missing or empty)")

    roofs = roofline.measure_roofs({"float32_dense": "x.tflite"}, 1, "xnnpack", caches=no_caches)
    assert roofs["status"] == "not measured" and "no cache sizes" in roofs["reason"]
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer")
    roofs = roofline.measure_roofs({"float32_dense": str(broken)}, 1, "xnnpack",
                                   caches=lambda: {"L2": 2**20, "L3": 2**21})
    assert roofs["status"] == "not measured" and "broken.tflite" in roofs["reason"]


def test_the_bandwidth_is_bytes_over_the_best_pass():
    ticks = iter([0.0, 2.0, 10.0, 11.0, 20.0, 24.0])  # passes of 2, 1 and 4 seconds: the best is 1 s
    bw = roofline.stream_bandwidth(64 * 2**20, passes=3, clock=lambda: next(ticks))
    assert bw == pytest.approx(64 * 2**20)


def test_the_bound_is_the_larger_of_compute_and_memory_from_the_right_cache_level():
    # 10 M dense MACs at 50 G/s = 0.2 ms; 40 MB from DRAM at 30 GB/s = 1.333 ms: memory-bound
    dense = roofline.attainable({"dense": 10_000_000, "depthwise": 0}, 40_000_000, 0, "float32", ROOFS)
    assert dense["level"] == "DRAM" and dense["bound"] == "memory"
    assert dense["attainable_ms"] == pytest.approx(40e6 / 30e9 * 1e3) and dense["compute_ms"] == pytest.approx(0.2)
    # 10 MB fits in L3 (60 GB/s: 0.1667 ms); 10 M dense + 2 M depthwise MACs: 0.2 + 0.1 ms = 0.3 ms: compute-bound
    small = roofline.attainable({"dense": 10_000_000, "depthwise": 2_000_000}, 9_000_000, 1_000_000, "float32", ROOFS)
    assert small["level"] == "L3" and small["bound"] == "compute" and small["attainable_ms"] == pytest.approx(0.3)
    # at batch 4 the MACs and activations scale, the weights do not: 4 x 0.3 ms compute, 13 MB memory
    batch = roofline.attainable({"dense": 10_000_000, "depthwise": 2_000_000}, 9_000_000, 1_000_000, "float32", ROOFS, 4)
    assert batch["compute_ms"] == pytest.approx(1.2) and batch["bytes"] == 13_000_000
    assert roofline.level_of(500_000, ROOFS) == "L2" and roofline.level_of(2**30, ROOFS) == "DRAM"


def test_a_latency_below_its_bound_is_a_measurement_error():
    assert roofline.faster_than_bound(0.80, 1.0)  # 20 % under the bound
    assert not roofline.faster_than_bound(0.90, 1.0)  # within the roofs' 15 % noise
    assert not roofline.faster_than_bound(3.0, 1.0)


def test_each_speed_up_is_explained_from_the_two_bounds():
    dram = {"bound": "memory", "level": "DRAM", "fraction": 0.7}
    l3 = {"bound": "memory", "level": "L3", "fraction": 0.6}
    compute = {"bound": "compute", "level": "L3", "fraction": 0.5}
    assert roofline.explain(l3, dram).startswith("memory-bound: this model's weights and activations fit in L3")
    assert roofline.explain(compute, dict(compute)) == "compute-bound: follows the MACs cut"
    assert roofline.explain(compute, dram) == "the reference is memory-bound, this model compute-bound"
    assert "under 25% of the roofline" in roofline.explain(dict(compute, fraction=0.1), dram)


def test_speed_ups_are_predicted_as_ratios_of_bounds():
    latency = [{"model": m, "runtime": "litert", "precision": "float32", "batch": "1", "median_ms": v, "file": m}
               for m, v in (("baseline/seed1", "2.0"), ("structured/amount0.5/seed1", "0.5"))]
    bound = {"baseline/seed1": 1.5, "structured/amount0.5/seed1": 0.25}
    roof_rows = [{"model": r["model"], "runtime": "litert", "precision": "float32", "batch": 1,
                  "roof_attainable_ms": bound[r["model"]], "roof_bound": "memory",
                  "roof_level": "DRAM" if r["model"].startswith("baseline") else "L3",
                  "roof_fraction": bound[r["model"]] / float(r["median_ms"])} for r in latency]
    row = {"model": "structured/amount0.5/seed1", "family": "structured", "speedup_litert_float32": 4.0}
    ratios = [{"model": "structured/amount0.5/seed1", "column": "speedup_litert_float32", "speedup_ci_low": "3.8",
               "speedup_ci_high": "4.2", "speedup_ci_halfwidth": "0.05", "speedup_certain": "True"}]
    [out] = tables.speedup_rows([row], ratios, roof_rows)
    assert out["speedup_predicted"] == pytest.approx(6.0) and out["speedup_measured_over_predicted"] == pytest.approx(4 / 6)
    assert out["speedup_ci_low"] == 3.8 and out["speedup_certain"] is True
    assert out["speedup_explained"].startswith("memory-bound: this model's weights and activations fit in L3")


def test_without_roofs_the_latencies_stay_and_the_roofline_columns_say_not_measured(tmp_path):
    import torch

    from edgecompress.deployment.convert import export, to_litert

    path = tmp_path / "m.tflite"
    export(to_litert(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).eval(), 8, "float32"), str(path))
    latency = [{"model": "cnn", "runtime": "litert", "precision": "float32", "batch": "1", "median_ms": "0.5",
                "file": str(path)}]
    [row] = tables.roofline_rows(latency, {"status": "not measured", "reason": "the OS reports no cache sizes"})
    assert row["measured_ms"] == 0.5 and row["macs"] == 6 * 6 * 4 * 27
    assert row["roof_status"] == "not measured: the OS reports no cache sizes" and "roof_attainable_ms" not in row


def test_macs_and_bytes_are_read_from_the_tflite_graph(tmp_path):
    import torch
    from torch import nn

    from edgecompress.deployment.convert import export, to_litert

    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=8),
                          nn.Flatten(), nn.Linear(8 * 8 * 8, 10)).eval()
    path = tmp_path / "m.tflite"
    export(to_litert(model, 8, "float32"), str(path))
    g = read_graph(path)
    # by hand at 8 x 8: conv 64 px x 8 out x 27 taps; depthwise 64 x 8 x 9; linear 512 x 10
    assert g.macs_by_kind == {"dense": 64 * 8 * 27 + 512 * 10, "depthwise": 64 * 8 * 9}
    parameters = sum(p.numel() for p in model.parameters())
    assert parameters * 4 <= g.weight_bytes <= parameters * 4 + 4096  # float32 weights (and small shape constants)
    assert g.activation_bytes >= 4 * (8 * 8 * 3 + 8 * 8 * 8)  # at least the input and the first feature map


def test_a_file_that_is_not_tflite_is_named(tmp_path):
    bad = tmp_path / "model.tflite"
    bad.write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match="model.tflite: not a readable .tflite file"):
        read_graph(bad)


def entry(model, precision, medians):
    e = timing.Entry(model, "litert", precision, 1, lambda: None)
    e.round_medians = list(medians)
    return e


def test_the_interval_of_a_speed_up_is_a_t_interval_over_rounds():
    base, pruned = entry("baseline/seed1", "float32", [4.0, 4.0, 4.0]), entry("structured/amount0.5/seed1", "float32",
                                                                              [1.0, 2.0, 1.0])
    ci = timing.ratio_interval(base, pruned)  # ratios 4, 2, 4: mean 10/3, sd 1.1547, t(2) = 4.303
    half = 4.303 * 1.1547005 / np.sqrt(3)
    assert ci["speedup_round_mean"] == pytest.approx(10 / 3)
    assert ci["speedup_ci_low"] == pytest.approx(10 / 3 - half, rel=1e-4)
    assert ci["speedup_ci_halfwidth"] == pytest.approx(half / (10 / 3), rel=1e-4)


@pytest.mark.parametrize(("noisy", "expected_rounds"), [(False, 3), (True, 8)])
def test_rounds_are_added_while_a_speed_up_interval_is_too_wide(monkeypatch, noisy, expected_rounds):
    entries = [timing.Entry("baseline/seed1", "litert", "float32", 1, lambda: None),
               timing.Entry("structured/amount0.5/seed1", "litert", "float32", 1, lambda: None)]

    def fake_round(entries, r, runs, warmup):
        for e in entries:
            wobble = (0.5 if r % 2 else -0.5) if noisy and e.model.startswith("structured") else 0.0
            e.round_medians.append((4.0 if e.model.startswith("baseline") else 1.0) + wobble)
            e.samples.append(np.array([e.round_medians[-1]]))

    monkeypatch.setattr(timing, "time_round", fake_round)
    monkeypatch.setattr(timing, "repeats", lambda run: 1)
    assert timing.time_rounds(entries, 3, 1, 0, max_rounds=8, ci_width=0.05) == expected_rounds
    assert [c for _, c, _, _ in timing.speedup_pairs(entries)] == ["speedup_litert_float32"]


def test_the_report_lists_memory_levels_in_a_fixed_order_whatever_their_measured_bandwidth():
    """Two runs differ only in measured values: levels are listed from the core outward, never sorted by
    a bandwidth (two close levels, L3 and DRAM, swapped places between two clean demos)."""
    from edgecompress.report.context import roofline_section
    from edgecompress.report.format import plain

    for dram, l3 in ((10.2e9, 10.8e9), (10.8e9, 10.2e9)):
        roofs = dict(ROOFS, seconds=1.0, bandwidth_bytes_per_s={"DRAM": dram, "L3": l3, "L2": 30e9})
        text = plain(roofline_section({"roofline": roofs})["bandwidth"])
        assert [part.split()[0] for part in text.split(", ")] == ["L2", "L3", "DRAM"], text
