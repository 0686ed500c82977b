"""Experiment 3: the distillation loss, the seed statistics, and the branch end to end."""

import csv
import json

import pytest

from helpers import assert_learned, mirror_config, snakemake, write_yaml


@pytest.mark.workflow
@pytest.mark.branch_run
def test_branch_end_to_end_on_fixtures_with_a_grid(tmp_path, fixture_dir):
    # the fixed-draw option (data.cifar10.subset_seed: an integer): both seeds train and test on draw 0
    grid = write_yaml(
        tmp_path / "grid.yaml",
        {
            "data": {"cifar10": {"subset_seed": 0}},
            "distillation": {"seeds": [1, 2], "temperatures": [2.0, 4.0], "table_temperature": 4.0},
        },
    )
    result = snakemake(
        tmp_path, "results/distillation/table2.csv", configs=(mirror_config(tmp_path, fixture_dir), grid)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "results/distillation/grid.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["temperature"], r["seeds"]) for r in rows] == [("2", "2"), ("4", "2")]
    accuracy = {}
    for seed in (1, 2):
        student = json.loads((tmp_path / f"results/distillation/student/seed{seed}/metrics.json").read_text())
        assert student["provenance"]["inputs"]["arrays"]["path"] == "resources/data/cifar10_subset_draw0.npz"
        assert_learned(student["accuracy"], f"MobileNetV2 alone, seed {seed}")
        accuracy["student", seed] = student["accuracy"]
        for t in (2, 4):
            kd = json.loads((tmp_path / f"results/distillation/kd/T{t}_alpha0.9/seed{seed}/metrics.json").read_text())
            assert_learned(kd["accuracy"], f"MobileNetV2 distilled at T={t}, seed {seed}")
            accuracy[t, seed] = kd["accuracy"]
    # each row's paired gain and exact sign-flip p, recomputed here from the two seeds' metrics: of the
    # 4 sign patterns of the two gains, the share whose |sum| reaches the observed one (0.5 when both
    # gains have one sign, 1 when they differ), never "significant" with two seeds
    for r in rows:
        t = int(r["temperature"])
        gains = [100 * (accuracy[t, s] - accuracy["student", s]) for s in (1, 2)]
        patterns = [abs(a * gains[0] + b * gains[1]) for a in (1, -1) for b in (1, -1)]
        p = sum(x >= abs(sum(gains)) - 1e-9 for x in patterns) / 4
        assert float(r["gain_p_value"]) == pytest.approx(p), (t, gains)
        assert float(r["gain_pct"]) == pytest.approx(sum(gains) / 2, abs=0.01), (t, gains)
        assert int(r["seeds_with_gain"]) == sum(g > 0 for g in gains)
    with open(tmp_path / "results/distillation/table2.csv") as fh:
        table = {r["model"].split(" (")[0] + " " + r["model"].split(" (")[1][:2]: r for r in csv.DictReader(fh)}
    assert table["MobileNetV2 no"]["parameters"] == "2236682"
    assert table["MobileNetV2 no"]["parameters_1000_class_head"] == "3504872"
    assert table["ResNet-18 te"]["paper_accuracy_pct"] == "66.5"
    # the teacher is the pruning baseline: trained once per seed, not twice
    assert sorted(p.name for p in (tmp_path / "results/pruning/baseline").iterdir()) == ["seed1", "seed2"]


@pytest.mark.workflow
def test_table_setting_must_be_in_the_grid(tmp_path):
    bad = write_yaml(tmp_path / "bad.yaml", {"distillation": {"table_temperature": 7.0}})
    result = snakemake(tmp_path, "-n", configs=(bad,))
    assert result.returncode != 0 and "distillation.table_temperature" in result.stderr + result.stdout
