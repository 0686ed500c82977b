"""The roofline: the machine's roofs, each model's bound, the speed-ups it predicts, the adaptive rounds.

Hand-computed numbers throughout; one small model is converted with litert-torch to check the MACs
and bytes read from a real ``.tflite`` graph.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgecompress.deployment import levels, roofline, tables, timing
from edgecompress.deployment.graph import read_graph

ROOFS = {
    "status": "measured",
    "cache_bytes": {"L1": 32 * 2**10, "L2": 2**20, "L3": 32 * 2**20},
    "bandwidth_bytes_per_s": {"L2": 80e9, "L3": 60e9, "DRAM": 30e9},
    "peak_macs_per_s": {"float32_dense": 50e9, "float32_depthwise": 20e9, "int8_dense": 200e9, "int8_depthwise": 20e9},
}


def test_cache_sizes_are_read_from_the_os_tree(tmp_path):
    for i, (level, kind, size) in enumerate(
        ((1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "1024K"), (3, "Unified", "32M"))
    ):
        d = tmp_path / f"index{i}"
        d.mkdir()
        (d / "level").write_text(f"{level}\n")
        (d / "type").write_text(f"{kind}\n")
        (d / "size").write_text(f"{size}\n")
    assert roofline.cache_sizes(tmp_path) == {"L1": 32768, "L2": 1048576, "L3": 33554432}
    with pytest.raises(roofline.RoofError, match="the OS reports no cache sizes"):
        roofline.cache_sizes(tmp_path / "missing")


def test_a_roof_that_cannot_be_measured_says_why_and_raises_nothing(tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer")
    roofs = roofline.measure_roofs(
        {"float32_dense": str(broken)}, 1, "xnnpack", caches=lambda: {"L2": 2**20, "L3": 2**21}
    )
    assert roofs["status"] == "not measured" and "broken.tflite" in roofs["reason"]


def test_without_cache_sizes_from_the_os_the_levels_still_come_from_the_sweep():
    """The OS's sizes are a hint: a machine that reports none is swept to 256 MiB and its plateaus named by place."""

    def no_caches():
        raise roofline.RoofError("the OS reports no cache sizes (/sys/... is missing or empty)")

    seen = []

    def sweep(sizes):
        seen.extend(sizes)
        return [{"bytes": n, "bandwidth_bytes_per_s": 40e9 if n <= 2**20 else 10e9} for n in sizes]

    roofs = roofline.measure_roofs({}, 1, "xnnpack", caches=no_caches, sweep=sweep)
    assert roofs["status"] == "measured" and "no cache sizes" in roofs["cache_hint"] and roofs["cache_bytes"] == {}
    assert seen[0] == 16 * 2**10 and seen[-1] == 256 * 2**20
    assert [(lv["name"], lv["bandwidth_bytes_per_s"]) for lv in roofs["levels"]] == [("cache 1", 40e9), ("DRAM", 10e9)]
    assert roofs["bandwidth_bytes_per_s"] == {"cache 1": 40e9, "DRAM": 10e9}


def test_the_sweep_runs_past_the_largest_reported_cache_a_few_points_per_octave():
    sizes = roofline.sweep_sizes({"L1": 48 * 2**10, "L2": 2 * 2**20, "L3": 480 * 2**20})  # a VM's host L3
    assert sizes[0] == 16 * 2**10 and sizes[-1] == 960 * 2**20
    octaves = np.log2(sizes[-1] / sizes[0])
    assert len(sizes) == pytest.approx(roofline.POINTS_PER_OCTAVE * octaves + 1, abs=1)
    assert all(b > a for a, b in zip(sizes, sizes[1:])) and all(n % 4096 == 0 for n in sizes)
    assert roofline.sweep_sizes({})[-1] == roofline.DRAM_MIN_BYTES


def synthetic_sweep(steps, noise=()):
    """A sweep over 16 KiB .. 1 GiB, 3 points per octave: ``steps`` [(up to bytes, GB/s), ...] from the core
    outward; ``noise`` {index: factor} slows single points (other load); the first points are overhead-bound."""
    sizes = roofline.sweep_sizes({"L3": 512 * 2**20})
    out = []
    for i, n in enumerate(sizes):
        bw = next(b for limit, b in steps if n <= limit) * 1e9
        if i < 3:
            bw *= (i + 1) / 5  # numpy's per-call cost on a read of a few KiB
        out.append({"bytes": n, "bandwidth_bytes_per_s": bw * dict(noise).get(i, 1.0)})
    return out


def test_plateaus_are_the_levels_the_sweep_shows_not_the_sizes_the_os_reports():
    # a VM: the OS reports the host's 480 MiB L3; the sweep shows an L3 plateau up to 32 MiB, then DRAM
    sweep = synthetic_sweep([(1.5 * 2**20, 90), (32 * 2**20, 30), (float("inf"), 15)], noise={20: 0.3, 40: 0.5})
    reported = {"L1": 48 * 2**10, "L2": 2 * 2**20, "L3": 480 * 2**20}
    found = levels.plateaus(sweep, reported)
    assert [lv["name"] for lv in found] == ["L2", "L3", "DRAM"]
    assert [lv["bandwidth_bytes_per_s"] for lv in found] == pytest.approx([90e9, 30e9, 15e9])
    assert 32 * 2**20 < found[1]["holds_bytes"] <= 64 * 2**20  # what the sweep shows, not the reported 480 MiB
    roofs = {"levels": found}
    assert levels.level_of(45 * 2**20, roofs)[0] == "DRAM"  # a float32 ResNet-18 is past the plateau
    assert levels.level_of(11 * 2**20, roofs)[0] == "L3"  # its int8 model is within it
    assert levels.level_of(2**10, roofs)[0] == "L2"


def test_a_record_before_the_sweep_has_no_level_its_bandwidths_cannot_tell_apart():
    vm = {
        "cache_bytes": {"L1": 49152, "L2": 2097152, "L3": 503316480},
        "bandwidth_bytes_per_s": {"DRAM": 15.43e9, "L2": 89.0e9, "L3": 15.30e9},
    }
    assert [(lv["name"], lv["holds_bytes"]) for lv in levels.levels_of(vm)] == [("L2", 2097152), ("DRAM", None)]
    epyc = {
        "cache_bytes": {"L1": 32768, "L2": 524288, "L3": 33554432},
        "bandwidth_bytes_per_s": {"DRAM": 17.1e9, "L2": 52.2e9, "L3": 38.1e9},
    }
    assert [lv["name"] for lv in levels.levels_of(epyc)] == ["L2", "L3", "DRAM"]


def test_a_precision_without_a_roof_is_a_row_that_says_why():
    with pytest.raises(roofline.NoRoof, match="no roof measured for dynamic_range: the roof models are float32, int8"):
        roofline.attainable({"dense": 10, "depthwise": 0}, 100, 10, "dynamic_range", ROOFS)


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
    batch = roofline.attainable(
        {"dense": 10_000_000, "depthwise": 2_000_000}, 9_000_000, 1_000_000, "float32", ROOFS, 4
    )
    assert batch["compute_ms"] == pytest.approx(1.2) and batch["bytes"] == 13_000_000
    assert levels.level_of(500_000, ROOFS) == ("L2", 80e9) and levels.level_of(2**30, ROOFS) == ("DRAM", 30e9)


def test_a_latency_below_its_bound_is_a_disagreement_that_a_second_timing_decides():
    assert levels.faster_than_bound(0.80, 1.0)  # 20 % under the bound
    assert not levels.faster_than_bound(0.90, 1.0)  # within the roofs' 15 % noise
    assert not levels.faster_than_bound(3.0, 1.0)
    assert levels.check(0.9, 1.0, "disagrees") == levels.WITHIN
    assert levels.check(0.5, 1.0, "agrees") == levels.ROOF_MISFIT  # the tool confirms it: the roof is wrong
    assert levels.check(0.5, 1.0, "disagrees") == levels.SUSPECT  # two timings disagree
    assert levels.check(0.5, 1.0, "unresolved (under 0.1 ms)") == levels.UNCONFIRMED
    assert levels.check(0.5, 1.0) == levels.UNCONFIRMED  # PyTorch: no second timing
    assert levels.fit([levels.WITHIN, levels.ROOF_MISFIT]) == {"bounded": 2, "below": 1, "fits": True}
    assert not levels.fit([levels.WITHIN, levels.ROOF_MISFIT, levels.UNCONFIRMED])["fits"]


def test_each_speed_up_is_explained_from_the_two_bounds():
    dram = {"bound": "memory", "level": "DRAM", "fraction": 0.7}
    l3 = {"bound": "memory", "level": "L3", "fraction": 0.6}
    compute = {"bound": "compute", "level": "L3", "fraction": 0.5}
    assert roofline.explain(l3, dram).startswith("memory-bound: this model's weights and activations fit in L3")
    assert roofline.explain(compute, dict(compute)) == "compute-bound: follows the MACs cut"
    assert roofline.explain(compute, dram) == "the reference is memory-bound, this model compute-bound"
    assert "under 25% of the roofline" in roofline.explain(dict(compute, fraction=0.1), dram)


def test_speed_ups_are_predicted_as_ratios_of_bounds():
    latency = [
        {"model": m, "runtime": "litert", "precision": "float32", "batch": "1", "median_ms": v, "file": m}
        for m, v in (("baseline/seed1", "2.0"), ("structured/amount0.5/seed1", "0.5"))
    ]
    bound = {"baseline/seed1": 1.5, "structured/amount0.5/seed1": 0.25}
    roof_rows = [
        {
            "model": r["model"],
            "runtime": "litert",
            "precision": "float32",
            "batch": 1,
            "roof_attainable_ms": bound[r["model"]],
            "roof_bound": "memory",
            "roof_level": "DRAM" if r["model"].startswith("baseline") else "L3",
            "roof_fraction": bound[r["model"]] / float(r["median_ms"]),
        }
        for r in latency
    ]
    row = {"model": "structured/amount0.5/seed1", "family": "structured", "speedup_litert_float32": 4.0}
    ratios = [
        {
            "model": "structured/amount0.5/seed1",
            "column": "speedup_litert_float32",
            "speedup_ci_low": "3.8",
            "speedup_ci_high": "4.2",
            "speedup_ci_halfwidth": "0.05",
            "speedup_certain": "True",
        }
    ]
    [out] = tables.speedup_rows([row], ratios, roof_rows)
    assert out["speedup_predicted"] == pytest.approx(6.0) and out["speedup_measured_over_predicted"] == pytest.approx(
        4 / 6
    )
    assert out["speedup_ci_low"] == 3.8 and out["speedup_certain"] is True
    assert out["speedup_explained"].startswith("memory-bound: this model's weights and activations fit in L3")


def test_without_roofs_the_latencies_stay_and_the_roofline_columns_say_not_measured(tmp_path):
    import torch

    from edgecompress.deployment.convert import export, to_litert

    path = tmp_path / "m.tflite"
    export(to_litert(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).eval(), 8, "float32"), str(path))
    latency = [
        {
            "model": "cnn",
            "runtime": "litert",
            "precision": "float32",
            "batch": "1",
            "median_ms": "0.5",
            "file": str(path),
        }
    ]
    [row] = tables.roofline_rows(latency, {"status": "not measured", "reason": "the OS reports no cache sizes"})
    assert row["measured_ms"] == 0.5 and row["macs"] == 6 * 6 * 4 * 27
    assert row["roof_status"] == "not measured: the OS reports no cache sizes" and "roof_attainable_ms" not in row


def test_macs_and_bytes_are_read_from_the_tflite_graph(tmp_path):
    from torch import nn

    from edgecompress.deployment.convert import export, to_litert

    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, groups=8),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 10),
    ).eval()
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
    base, pruned = (
        entry("baseline/seed1", "float32", [4.0, 4.0, 4.0]),
        entry("structured/amount0.5/seed1", "float32", [1.0, 2.0, 1.0]),
    )
    ci = timing.ratio_interval(base, pruned)  # ratios 4, 2, 4: geometric mean 2^(5/3), log sd ln2/sqrt(3), t(2) 4.303
    half = 4.3027 * np.log(2) / np.sqrt(3) / np.sqrt(3)
    assert ci["speedup"] == pytest.approx(2 ** (5 / 3))
    assert ci["speedup_ci_low"] == pytest.approx(2 ** (5 / 3) * np.exp(-half), rel=1e-4)
    assert ci["speedup_ci_halfwidth"] == pytest.approx((np.exp(half) - np.exp(-half)) / 2, rel=1e-4)


@pytest.mark.parametrize(("noisy", "expected_rounds"), [(False, 3), (True, 8)])
def test_rounds_are_added_while_a_speed_up_interval_is_too_wide(monkeypatch, noisy, expected_rounds):
    entries = [
        timing.Entry("baseline/seed1", "litert", "float32", 1, lambda: None),
        timing.Entry("structured/amount0.5/seed1", "litert", "float32", 1, lambda: None),
    ]

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

    for dram, l3 in ((10.2e9, 20.8e9), (20.8e9, 10.2e9)):
        roofs = dict(ROOFS, seconds=1.0, bandwidth_bytes_per_s={"DRAM": dram, "L3": l3, "L2": 30e9})
        text = plain(roofline_section({"roofline": roofs})["bandwidth"])
        assert [part.split()[0] for part in text.split(", ")] == ["L2", "L3", "DRAM"], text


def test_the_chain_is_timed_against_each_method_alone_of_its_seed():
    def e(model, precision):
        return timing.Entry(model, "litert", precision, 1, lambda: None)

    entries = [
        e(m, p)
        for seed in (1, 2)
        for m in (
            f"baseline/seed{seed}",
            f"structured/amount0.5/seed{seed}",
            f"structured/amount0.3/seed{seed}",
            f"kd/T4_alpha0.9/seed{seed}",
            f"chain/amount0.5/seed{seed}",
        )
        for p in ("float32", "int8")
    ] + [e("cnn", "int8")]
    found = {(m, c, ref.model, ref.precision, mine.model) for m, c, ref, mine in timing.chain_pairs(entries)}
    assert {(m, c) for m, c, *_ in found} == {
        (f"chain/amount0.5/seed{s}", c)
        for s in (1, 2)
        for c in ("over baseline int8", "over structured/amount0.5 float32", "over kd/T4_alpha0.9 float32")
    }
    # each rival of the chain's own seed (and amount), the chain's int8 file as the denominator
    assert all(ref.endswith(m[-6:]) and mine == m for m, _, ref, _, mine in found)
    # they are reported, but do not decide how many rounds the job runs (not the table's)
    assert not any(c.startswith("over ") for _, c, _, _ in timing.speedup_pairs(entries))
