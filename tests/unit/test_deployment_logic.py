"""The deployment stage's logic on hand-made inputs: timing rounds and rows, the benchmark tool's verdicts,
speed-ups and suspects, the Pareto frontier, peak live tensors, ISA flags, the seeded calibration sample."""

import os

import numpy as np
import pytest

from edgecompress.deployment import convert, machine, timing
from edgecompress.deployment import tables as table
from edgecompress.report.figures import frontier
from edgecompress.training import models
from helpers import REPO, deployed


def test_bad_keys_and_requests_are_named():
    from edgecompress import modelkey

    with pytest.raises(ValueError, match="model key 'resnet50/seed0' must read <family>"):
        modelkey.parse("resnet50/seed0")
    with pytest.raises(ValueError, match="family 'structured' needs a setting"):
        modelkey.parse("structured/seed0")
    key = modelkey.parse("kd/T4_alpha0.9/seed42")
    assert (str(key), key.config, key.arch, key.baseline) == (
        "kd/T4_alpha0.9/seed42",
        "kd/T4_alpha0.9",
        "mobilenet_v2",
        "baseline/seed42",
    )
    assert key.path("model.pt") == "results/distillation/kd/T4_alpha0.9/seed42/model.pt"
    assert modelkey.key("structured", 7, "amount0.5") == "structured/amount0.5/seed7"
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
    names = {"a": "baseline/seed1", "b": "structured/amount0.5/seed1", "c": "student/seed1"}
    entries = [timing.Entry(names[name], "litert", "float32", 1, lambda n=name: order.append(n)) for name in "abc"]
    assert timing.time_rounds(entries, 3, 2, 0) == 3  # no interval bound given: exactly the rounds asked
    firsts = []
    for e in entries:
        assert len(e.round_medians) == 3 and all(len(s) == 2 for s in e.samples)
    # each round calls every entry before the next round starts, each round starting one further on
    calls = [n for i, n in enumerate(order) if i == 0 or n != order[i - 1]]
    firsts = [calls[i] for i in range(0, len(calls), 3)][-3:]
    assert firsts == ["a", "b", "c"]


def test_a_fast_call_is_repeated_within_one_sample(monkeypatch):
    """The arithmetic on given call times (no test may depend on how fast this machine is), then one
    real call that cannot be shorter than the sample (a sleep lasts at least what it asks)."""
    import time

    assert timing.repeats(lambda: time.sleep(0.002), least_ms=2.0) == 1
    monkeypatch.setattr(timing, "samples_ms", lambda run, warmup, runs: np.array([0.02, 0.03, 0.025, 0.5, 0.02]))
    assert timing.repeats(lambda: None, least_ms=1.0) == 40  # 1 ms over the median call of 0.025 ms
    monkeypatch.setattr(timing, "samples_ms", lambda run, warmup, runs: np.full(runs, 0.3))
    assert timing.repeats(lambda: None, least_ms=1.0) == 4  # ceil(1 / 0.3)
    monkeypatch.setattr(timing, "samples_ms", lambda run, warmup, runs: np.zeros(runs))
    assert timing.repeats(lambda: None, least_ms=1.0) == 10**6  # a call below the clock's resolution: floored at 1 ns


def test_a_timing_row_reports_median_p90_mean_and_spread_of_hand_computed_samples():
    e = timing.Entry("baseline/seed1", "litert", "float32", 4, lambda: None)
    e.samples = [np.array([1.0, 2.0, 3.0, 4.0, 10.0]), np.array([2.0, 2.0, 2.0, 6.0, 8.0])]
    e.round_medians = [3.0, 2.0]
    r = timing.row(e)
    # the ten samples sorted: 1 2 2 2 2 3 4 6 8 10
    assert r["median_ms"] == 2.5  # (2 + 3) / 2
    assert r["p90_sample_ms"] == pytest.approx(8.2)  # linear between the 9th and 10th: 8 + 0.1 x (10 - 8)
    assert r["mean_ms"] == 4.0  # 40 / 10
    assert r["spread"] == pytest.approx(0.4)  # (3 - 2) / median(3, 2) = 1 / 2.5
    assert r["per_image_ms"] == 2.5 / 4 and (r["rounds"], r["runs_per_round"]) == (2, 5)
    # the speed-up over rounds: ratios 2, 2, 3; on the log scale mean ln(12)/3, sd of (ln 2, ln 2, ln 3)
    # = (ln 3 - ln 2) / sqrt(3), t(2) = 4.303: the geometric mean 12^(1/3) and its interval, one statistic
    ref = timing.Entry("baseline/seed1", "litert", "float32", 1, lambda: None)
    new = timing.Entry("structured/amount0.5/seed1", "litert", "float32", 1, lambda: None)
    ref.round_medians, new.round_medians = [2.0, 4.0, 3.0], [1.0, 2.0, 1.0]
    ci = timing.ratio_interval(ref, new)
    half = 4.3027 * (np.log(3) - np.log(2)) / 3**0.5 / 3**0.5
    assert ci["speedup"] == pytest.approx(12 ** (1 / 3))
    assert (ci["speedup_ci_low"], ci["speedup_ci_high"]) == pytest.approx(
        (12 ** (1 / 3) * np.exp(-half), 12 ** (1 / 3) * np.exp(half)), rel=1e-4
    )
    assert ci["speedup_ci_low"] < ci["speedup"] < ci["speedup_ci_high"]


def test_benchmark_tool_agreement():
    assert timing.agrees(1.0, 1.1) is True
    assert timing.agrees(1.0, 1.3) is False
    assert timing.agrees(0.02, 0.05) is None  # under the tool's resolution
    assert timing.agrees(0.1, 0.12) is True  # 0.02 <= 15 % of 0.1 + half the 0.01 ms rounding step (0.02)
    assert timing.agrees(0.1, 0.13) is False
    assert timing.agrees(0.2, 0.09) is None  # the cut-off applies to the tool's value: 0.09 < 0.1 ms


def test_benchmark_tool_verdicts_name_what_was_not_compared():
    assert timing.tool_verdict(1.0, 1.05, "xnnpack", 100) == (True, "agrees")
    assert timing.tool_verdict(1.0, None, "xnnpack", 0) == (None, "not run")
    assert timing.tool_verdict(1.0, None, "builtin", 100)[1].startswith("not comparable (builtin kernels")
    assert timing.tool_verdict(0.05, 0.05, "xnnpack", 100) == (None, "unresolved (under 0.1 ms)")


def test_isa_flags_are_read_from_cpuinfo():
    flags = machine.cpu_flags("processor: 0\nflags\t\t: fpu avx2 fma avx512f avx512_vnni\n")
    info = machine.isa(flags)
    assert info["avx2"] and info["avx512_vnni"] and not info["avx_vnni"]
    assert machine.isa_text(info).startswith("AVX2, FMA, AVX512F, AVX512_VNNI")
    assert machine.isa_text(machine.isa(set())).startswith("none of")


def latency_rows(times):
    return [
        {"model": m, "runtime": rt, "precision": p, "batch": str(b), "median_ms": str(v)}
        for (m, rt, p, b), v in times.items()
    ]


def test_speed_ups_are_ratios_of_the_timing_file_and_suspects_are_flagged():
    times = {}
    for m, f32, i8, b1, b8 in (
        ("baseline/seed1", 10.0, 5.0, 20.0, 80.0),
        ("structured/amount0.5/seed1", 2.0, 1.0, 10.0, 40.0),
        ("unstructured/amount0.5/seed1", 10.0, 5.0, 30.0, 80.0),
    ):
        times.update(
            {
                (m, "litert", "float32", 1): f32,
                (m, "litert", "int8", 1): i8,
                (m, "pytorch", "float32", 1): b1,
                (m, "pytorch", "float32", 8): b8,
            }
        )
    index = table.latency_index(latency_rows(times))
    rows = {
        r["model"]: r
        for r in table.cifar_rows(
            {
                "baseline/seed1": deployed("baseline", 100),
                "structured/amount0.5/seed1": deployed("structured", 25),
                "unstructured/amount0.5/seed1": deployed("unstructured", 100),
            },
            index,
            8,
        )
    }
    s = rows["structured/amount0.5/seed1"]
    # by hand: 10 / 2 = 5, 80 / 40 = 2, 40 / 8 = 5 ms per image, 2 / 1 = 2
    assert s["macs_reduction"] == 4 and s["speedup_litert_float32"] == 5 and s["speedup_pytorch_batchN"] == 2
    assert s["pytorch_batchN_ms_per_image"] == 5 and s["int8_speedup"] == 2
    # the structured model's float32 latency is below its roofline bound and the benchmark tool disagrees with it
    too_fast = {("structured/amount0.5/seed1", "litert", "float32", 1)}
    table.flag_suspects(list(rows.values()), too_fast, uncertain={("baseline/seed1", "int8_speedup")})
    assert (
        "speedup_litert_float32 5.00x: a latency below its roofline bound that LiteRT's benchmark tool disagrees"
        in s["suspect"]
    )
    assert "int8_speedup 2.00x: a latency below its roofline bound that LiteRT's benchmark tool" in s["suspect"]
    assert "speedup_litert_int8" not in s["suspect"]  # its int8 latencies are sound
    u = rows["unstructured/amount0.5/seed1"]
    assert "speedup_pytorch_batch1 0.67x: an unstructured model outside 0.8-1.25x" in u["suspect"]
    # the too-fast latency is the error itself: the baseline's latencies stay sound. The unstructured ratio
    # outside its band does not say which latency is off: both PyTorch batch-1 latencies become suspect, and
    # every other ratio that divides by one of them (the structured model's PyTorch batch-1 speed-up)
    base = rows["baseline/seed1"]
    assert base["speedup_litert_float32"] is None and not base["litert_float32_suspect"]
    assert base["suspect_columns"] == "int8_speedup:uncertain"  # an uncertain ratio is flagged alone
    assert s["litert_float32_suspect"] and not s["litert_int8_suspect"]
    assert "speedup_pytorch_batch1:operand" in s["suspect_columns"]
    assert u["suspect_columns"] == "speedup_pytorch_batch1:unstructured" and not u["litert_float32_suspect"]


def test_nothing_is_suspect_when_every_latency_is_within_its_bound_and_every_ratio_certain():
    times = {
        (m, "litert", p, 1): v
        for m, f32, i8 in (("baseline/seed1", 10.0, 5.0), ("structured/amount0.5/seed1", 2.5, 1.5))
        for p, v in (("float32", f32), ("int8", i8))
    }
    rows = table.cifar_rows(
        {"baseline/seed1": deployed("baseline", 100), "structured/amount0.5/seed1": deployed("structured", 25)},
        table.latency_index(latency_rows(times)),
        8,
    )
    table.flag_suspects(rows)
    assert all(r["suspect"] == "" and not r["litert_float32_suspect"] for r in rows)


def test_frontier_keeps_only_the_models_nothing_beats():
    points = [(1.0, 70), (2.0, 80), (1.5, 60), (3.0, 79), (0.5, 50)]
    assert frontier(points) == [(0.5, 50), (1.0, 70), (2.0, 80)]


def test_a_run_without_the_benchmark_tool_says_so(tmp_path):
    """With deployment.benchmark_runs: 0 the report says the tool was not run (not that all ran under 0.1 ms)."""
    import json

    from edgecompress.report.context import deployment_section
    from edgecompress.results import write_csv

    rows = [
        {
            **{c: "" for c in timing.COLUMNS},
            "model": "cnn",
            "runtime": "litert",
            "precision": p,
            "batch": 1,
            "median_ms": 0.5,
            "spread": 0.1,
            "benchmark_verdict": "not run",
        }
        for p in ("float32", "int8")
    ]
    write_csv(tmp_path / "latency.csv", rows, timing.COLUMNS)
    write_csv(tmp_path / "table.csv", [], table.COLUMNS)
    machine = {
        "cpu_model": "CPU",
        "isa": {},
        "threads": 1,
        "kernels": "xnnpack",
        "rounds": 3,
        "runs": 5,
        "load_average_before": [],
        "load_average_after": [],
        "benchmark_runs": 0,
        "benchmark_agreement": timing.AGREEMENT,
        "benchmark_resolvable_ms": timing.RESOLVABLE_MS,
        "benchmark_kernels": list(timing.TOOL_KERNELS),
    }
    (tmp_path / "machine.json").write_text(json.dumps(machine))
    dep = deployment_section(tmp_path / "table.csv", tmp_path / "machine.json", tmp_path / "latency.csv")
    assert dep["tool"]["run"] is False and dep["tool"]["checked"] == "0" and dep["tool"]["unresolved"] == "0"
    template = (REPO / "report" / "paper.typ.j2").read_text(encoding="utf-8")
    branch = template[
        template.index("<% if not dep.tool.run %>") : template.index("<% elif not dep.tool.comparable %>")
    ]
    assert "benchmark tool was not run" in " ".join(branch.split())


def test_peak_live_tensors_of_a_three_op_graph_by_hand():
    """in(0) -conv-> a(2) -relu-> b(3) -add(b, in)-> out(4); weights (1) are constant.

    Bytes: in 100, weights 1000, a 40, b 40, out 40. While conv runs: in + a = 140; relu: in + a + b
    = 180 (in is read again by the add); add: in + b + out = 180. Peak 180; the weights never count.
    """
    from edgecompress.deployment.memory import peak_live

    sizes = {0: 100, 1: 1000, 2: 40, 3: 40, 4: 40}
    ops = [([0, 1], [2]), ([2], [3]), ([3, 0], [4])]
    assert peak_live(5, sizes, {1}, [0], [4], ops) == 180
    # without the skip connection the input is dead after the conv: peak is relu's a + b = 80 ... or conv's 140
    assert peak_live(5, sizes, {1}, [0], [4], [([0, 1], [2]), ([2], [3]), ([3], [4])]) == 140


def test_a_run_is_oversubscribed_when_its_cores_are_above_the_usable_cpus():
    assert machine.oversubscribed(4, 2) and not machine.oversubscribed(2, 2) and not machine.oversubscribed(1, 2)
    assert not machine.oversubscribed(None, 2)  # a cluster run: no local cores
    assert 1 <= machine.usable_cpus() <= (os.cpu_count() or 1)


def test_a_benchmark_table_starts_with_the_cpu_its_isa_flags_and_the_load_before():
    rows = machine.benchmark_rows([0.5, 1.25, 2.0])
    assert [r["metric"] for r in rows] == ["CPU", "logical CPUs", "ISA flags", "load average before (1, 5, 15 min)"]
    assert rows[1]["value"] == os.cpu_count() and rows[3]["value"] == "0.5 1.25 2.0"
    assert rows[2]["value"] == machine.isa_text(machine.isa(machine.cpu_flags())) and rows[0]["value"]
