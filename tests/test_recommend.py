"""The rules behind the recommendations and the evidence gates, on synthetic deployment tables."""

import pytest

from edgecompress.report import evidence, rules as recommend
from edgecompress.report.context import choices, claims, conditions, gates

SEEDS = [42, 43, 44, 45, 46, 47]
DEVICES = [
    {"name": "microcontroller", "hardware": "mcu", "flash_mib": 1, "ram_mib": 0.5, "latency_ms": None,
     "precisions": ["int8"]},
    {"name": "phone", "hardware": "cpu", "flash_mib": 50, "ram_mib": 200, "latency_ms": 1.0,
     "precisions": ["float32", "int8"]},
    {"name": "gpu", "hardware": "gpu", "flash_mib": 200, "ram_mib": 1024, "latency_ms": None, "precisions": ["float32"]},
]
EVIDENCE = {"min_points_over_chance": 20, "alpha": 0.05}


def row(model, acc32, acc8, mib32, mib8, ms32, ms8):
    return {"model": model, "accuracy_torch": acc32, "accuracy_float32": acc32, "accuracy_int8": acc8,
            "mib_float32": mib32, "mib_int8": mib8, "litert_float32_ms": ms32, "litert_int8_ms": ms8}


def table(seeds=SEEDS, kd_gain=0.03):
    """Baseline 0.85 (too slow for the phone), structured 0.74, student 0.78, KD 0.78 + gain; CNN 0.90/0.89."""
    rows = []
    for i, s in enumerate(seeds):
        jitter = 0.001 * i
        rows += [row(f"baseline/seed{s}", 0.85 + jitter, 0.84 + jitter, 42.7, 10.8, 1.4, 1.1),
                 row(f"structured/amount0.5/seed{s}", 0.74 + jitter, 0.73 + jitter, 10.7, 2.8, 0.2, 0.07),
                 row(f"student/seed{s}", 0.78 + jitter, 0.77 + jitter, 8.6, 2.7, 0.17, 0.06),
                 row(f"kd/T4_alpha0.9/seed{s}", 0.78 + kd_gain + jitter, 0.77 + kd_gain + jitter, 8.6, 2.7, 0.17, 0.06)]
    rows.append({"model": "cnn", "accuracy_float32": 0.90, "accuracy_int8": 0.89, "mib_float32": 0.4, "mib_int8": 0.1,
                 "litert_float32_ms": 0.05, "litert_int8_ms": 0.06, "accuracy_torch": ""})
    return rows


def test_candidates_group_seeds_and_precisions():
    cands = {c.label: c for c in recommend.candidates(table())}
    assert set(cands) >= {"baseline float32", "baseline int8", "kd/T4_alpha0.9 int8", "cnn int8"}
    base = cands["baseline float32"]
    assert sorted(base.accuracy_by_seed) == SEEDS and base.accuracy == pytest.approx(0.8525)
    assert cands["cnn int8"].task == "Fashion-MNIST" and base.task == "CIFAR-10"


def test_violations_name_each_broken_budget():
    c = recommend.Candidate("baseline", "float32", "CIFAR-10", {1: 0.8}, 42.7, 1.4)
    found = recommend.violations(DEVICES[0], c)
    assert [v.split(":")[0] for v in found] == ["precision", "flash", "RAM"]
    assert recommend.violations(DEVICES[1], c) == ["latency: 1.400 ms > 1 ms"]
    assert recommend.violations(DEVICES[2], c) == []  # a GPU's latency is not measured here: not checked


def test_choice_runner_up_margin_and_binding_constraint():
    cands = [c for c in recommend.candidates(table()) if c.task == "CIFAR-10"]
    phone = recommend.choose(DEVICES[1], cands)
    assert phone["chosen"].label == "kd/T4_alpha0.9 float32"  # the baseline is more accurate but too slow
    assert phone["runner_up"].label == "kd/T4_alpha0.9 int8"
    assert phone["binding"].startswith("baseline float32 is more accurate but breaks latency")
    mcu = recommend.choose(DEVICES[0], cands)
    assert mcu["chosen"] is None and mcu["binding"].startswith("nothing fits")
    gpu = recommend.choose(DEVICES[2], cands)
    assert gpu["chosen"].label == "baseline float32" and gpu["binding"].startswith("none")
    assert gpu["runner_up"].label == "kd/T4_alpha0.9 float32" and gpu["margin_points"] == pytest.approx(4.0)


def test_min_seeds_and_holm():
    assert evidence.min_seeds(0.05) == 6  # 2/2^5 = 0.0625, 2/2^6 = 0.031
    assert evidence.min_seeds(0.05, 4) == 8
    assert evidence.holm({"a": 0.01, "b": 0.04, "c": 0.03}, 0.05) == {"a": True, "c": False, "b": False}
    assert evidence.holm({"a": 0.01, "b": 0.02}, 0.05) == {"a": True, "b": True}


def test_one_seed_allows_no_test():
    verdict = evidence.judge([evidence.Comparison("kd", {1: 0.9}, {1: 0.5})], 0.05)["kd"]
    assert not verdict["supported"] and verdict["reason"] == "1 seed allows no test"
    five = evidence.judge([evidence.Comparison("kd", dict.fromkeys(range(5), 0.9), dict.fromkeys(range(5), 0.5))], 0.05)
    assert not five["kd"]["supported"] and "6 are needed" in five["kd"]["reason"]


def passing_conditions():
    return conditions(True, True, True, True, "")


def test_gates_pass_and_the_expected_model_is_chosen_per_device_class():
    rows = table()
    cond = passing_conditions()
    gate = gates(cond, rows, EVIDENCE)
    assert all(g.passed for gs in gate.values() for g in gs)
    picked = {(c["task"], c["device"]): c for c in choices(rows, DEVICES, gate, EVIDENCE, "Test CPU")}
    phone = picked[("CIFAR-10", "phone")]
    assert phone["chosen"] == "kd/T4_alpha0.9 float32" and phone["verdict"] == "supported", phone
    assert phone["latency"].endswith("extrapolated from Test CPU")
    assert picked[("CIFAR-10", "gpu")]["chosen"] == "baseline float32"
    assert picked[("CIFAR-10", "gpu")]["latency"] == "not measured here"
    assert picked[("CIFAR-10", "microcontroller")]["chosen"] == "none"
    assert picked[("Fashion-MNIST", "microcontroller")]["chosen"] == "cnn int8"
    assert picked[("Fashion-MNIST", "microcontroller")]["verdict"] == "supported"  # no rival: the budgets decide
    kd = {c["model"]: c for c in claims(rows, EVIDENCE)["rows"]}
    assert kd["kd/T4_alpha0.9"]["verdict"] == "supported" and kd["structured/amount0.5"]["verdict"] == "supported"


def test_failed_gates_make_every_choice_not_supported_with_the_reason():
    rows = table(seeds=[42])
    cond = conditions(False, False, False, True, "fixtures")
    gate = gates(cond, rows, EVIDENCE)
    picked = choices(rows, DEVICES, gate, EVIDENCE, "Test CPU")
    assert all(c["verdict"] == "not supported by this run" for c in picked)
    phone = next(c for c in picked if c["task"] == "CIFAR-10" and c["device"] == "phone")
    assert "not the official data (fixtures)" in phone["reasons"]
    assert "not torchvision's ImageNet files" in phone["reasons"]
    assert "1 seed allows no test" in phone["reasons"]
    assert cond["mark"] == "NON-OFFICIAL DATA · NO IMAGENET WEIGHTS"


def test_a_baseline_near_chance_fails_its_gate():
    rows = [dict(r, accuracy_torch=0.15) if r["model"].startswith("baseline/") else r for r in table()]
    gate = gates(passing_conditions(), rows, EVIDENCE)
    chance = next(g for g in gate["CIFAR-10"] if g.name == "baseline above chance")
    assert not chance.passed and "+5.0 points" in chance.reason
