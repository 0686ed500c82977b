"""Experiment 1: the base CNN, TFLite conversions, the formula check, and the branch end to end."""

import csv
import json

import pytest
import yaml

from helpers import REPO, assert_learned, require_shared_data, snakemake, write_yaml


def read_table(path):
    with open(path) as fh:
        return {(r["metric"], r["model"]): r for r in csv.DictReader(fh)}


@pytest.mark.workflow
def test_branch_end_to_end_on_fixtures(run):
    """The quantization branch of the session's demo (test.yaml on the fixtures). That a second clean run
    gives the same bytes (models, metrics, table) is tests/workflow/test_reproducible.py's to check, on every output."""
    d = run["dir"]
    table = read_table(d / "results/quantization/table.csv")
    assert float(table[("accuracy", "float32 (Keras)")]["paper"]) == 0.828
    assert_learned(float(table[("accuracy", "float32 (Keras)")]["ours"]), "base CNN, float32 (Keras)")
    assert_learned(float(table[("accuracy", "float32 (.tflite)")]["ours"]), "base CNN, float32 .tflite")
    assert_learned(float(table[("accuracy", "int8 (.tflite)")]["ours"]), "base CNN, int8 .tflite")
    assert {r["seeds"] for r in table.values()} == {"1"}  # the demo's one seed
    metrics = json.loads((d / "results/quantization/seed42/metrics/int8.json").read_text())
    assert metrics["input_dtype"] == "int8" and metrics["test_images"] == 300 == len(metrics["correct_by_image"])
    assert all(c["within_one_step"] for c in metrics["weight_check"])
    assert metrics["provenance"]["packages"]["ai-edge-litert"] != "not installed"
    history = (d / "results/quantization/seed42/history.csv").read_text().splitlines()
    epochs = yaml.safe_load((REPO / "config" / "test.yaml").read_text())["quantization"]["epochs"]
    assert history[0] == "epoch,loss,test_accuracy,seconds" and len(history) == 1 + epochs
    for rule in ("train_base_cnn/seed42.tsv", "convert_tflite/seed42/int8.tsv", "evaluate_tflite/seed42/int8.tsv"):
        assert (d / "benchmarks/rules" / rule).is_file()


@pytest.mark.workflow
@pytest.mark.real_data
def test_branch_on_real_fashion_mnist_with_the_paper_config(tmp_path):
    """The default config.yaml on the real data, with two seeds instead of eight (the CNN trains and converts
    once per seed: about two minutes on 2 cores)."""
    shared = require_shared_data()
    mirror = write_yaml(
        tmp_path / "m.yaml",
        {
            "data": {"mirror": str(shared / "data" / "fashion-mnist")},
            "pruning": {"seeds": [42, 43]},
            "distillation": {"seeds": [42, 43]},
        },
    )
    result = snakemake(
        tmp_path,
        "results/quantization/table.csv",
        base=False,
        configs=(REPO / "config" / "config.yaml", mirror),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = read_table(tmp_path / "results/quantization/table.csv")
    keras_acc = float(table[("accuracy", "float32 (Keras)")]["ours"])
    int8_acc = float(table[("accuracy", "int8 (.tflite)")]["ours"])
    assert 0.80 <= keras_acc <= 0.93
    assert abs(int8_acc - keras_acc) <= 0.01
    assert float(table[("size", "float32 (.keras with optimizer state)")]["ours"]) == pytest.approx(0.43, abs=0.005)
    assert float(table[("size", "int8 (.tflite)")]["ours"]) == pytest.approx(0.04, abs=0.002)
    ratio = float(table[("compression ratio", "int8 vs .keras with optimizer state")]["ours"])
    assert 10 < ratio < 12
    assert {r["seeds"] for r in table.values()} == {"2"}
    seeds = list(csv.DictReader((tmp_path / "results/quantization/seeds.csv").open()))
    by_seed = {(int(r["seed"]), r["variant"]): float(r["accuracy"]) for r in seeds}
    assert {s for s, _ in by_seed} == {42, 43}
    # two trainings, two CNNs: their int8 accuracies are a mean the table prints, not one file's
    assert float(table[("accuracy", "int8 (.tflite)")]["ours"]) == pytest.approx(
        (by_seed[(42, "int8")] + by_seed[(43, "int8")]) / 2, abs=1e-6
    )
    assert by_seed[(42, "keras")] != by_seed[(43, "keras")]  # another initialisation and training order
    metrics = json.loads((tmp_path / "results/quantization/seed42/metrics/int8.json").read_text())
    assert metrics["test_images"] == 10_000 == len(metrics["correct_by_image"]) and "latency" not in metrics
    assert metrics["correct_by_image"].count("1") / 10_000 == metrics["accuracy"]
    assert all(c["within_one_step"] for c in metrics["weight_check"])
