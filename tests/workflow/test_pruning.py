"""Experiment 2: models, the shared training code, both pruning methods, and the branch end to end."""

import json

import pytest

from edgecompress.training import models
from helpers import assert_learned, snakemake, write_yaml


@pytest.mark.workflow
def test_branch_end_to_end_on_fixtures(run):
    """The pruning branch of the session's demo (test.yaml on the fixtures)."""
    d = run["dir"]
    import csv

    with open(d / "results/pruning/summary.csv") as fh:
        summary = {r["method"]: r for r in csv.DictReader(fh)}
    assert set(summary) == {"baseline", "unstructured", "structured"}
    assert float(summary["unstructured"]["model_sparsity_pct"]) == pytest.approx(2.043, abs=0.001)
    assert float(summary["structured"]["macs_reduction"]) > 3
    assert summary["unstructured"]["paper_accuracy_pct"] == "73.8"
    m = json.loads((d / "results/pruning/structured/amount0.5/seed42/metrics.json").read_text())
    # the config asks for pretrained weights, but the fixture files are not torchvision's: the checksum says no
    assert m["pretrained"] is False and m["provenance"]["pretrained"] is False
    assert m["report"]["parameters"] < 3_000_000
    # the sweep (test.yaml: [1, 2]) trains 2 epochs and records both; the model kept is the one of epoch 1
    assert [r["epoch"] for r in m["history"]] == [1, 2] and (m["trained_epochs"], m["finetune_epochs"]) == (2, 1)
    assert m["accuracy"] == pytest.approx(m["history"][0]["test_accuracy"])
    loaded = models.load_structured(
        models.build("resnet18"), d / "results/pruning/structured/amount0.5/seed42/model.pt"
    )
    assert models.count_parameters(loaded) == m["report"]["parameters"]
    u = json.loads((d / "results/pruning/unstructured/amount0.5/seed42/metrics.json").read_text())
    assert u["saved_mask_check"]["zero_in_saved_file"] == u["sparsity"]["removed_weights"] > 0
    assert m["saved_mask_check"] is None  # structured pruning removes filters, it masks nothing
    # every model learned, and what must hold between them holds
    base = json.loads((d / "results/pruning/baseline/seed42/metrics.json").read_text())
    assert_learned(base["accuracy"], "ResNet-18 baseline")
    assert_learned(u["accuracy"], "unstructured 50 % after fine-tuning")
    assert_learned(m["accuracy"], "structured 50 % after fine-tuning")
    assert m["accuracy_before_finetune"] < base["accuracy"]  # half the filters gone: it must lose accuracy
    assert m["accuracy"] > m["accuracy_before_finetune"]  # and fine-tuning wins some back
    assert (
        "weights"
        in json.loads((d / "results/pruning/baseline/seed42/metrics.json").read_text())["provenance"]["inputs"]
    )
    # the dense control: fine-tuned as long as the longest sweep, unpruned, the model of epoch 1 kept
    control = json.loads((d / "results/pruning/control/seed42/metrics.json").read_text())
    assert (control["trained_epochs"], control["finetune_epochs"], control["amount"]) == (2, 1, 0.0)
    assert control["report"]["parameters"] == base["report"]["parameters"]
    assert_learned(control["accuracy"], "dense control")
    # the full chain: structured pruning fine-tuned with the baseline's soft targets, filters really removed
    chain = json.loads((d / "results/pruning/chain/amount0.5/seed42/metrics.json").read_text())
    assert chain["report"]["parameters"] == m["report"]["parameters"]
    assert chain["provenance"]["config"]["chain"]["temperature"] == 4.0
    assert chain["accuracy"] > max(chain["accuracy_before_finetune"], 2 * 0.1)  # it learns from the teacher
    with open(d / "results/pruning/finetune_sweep.csv") as fh:
        sweep = list(csv.DictReader(fh))
    got = {(r["method"], r["epochs"]) for r in sweep}
    assert got == {
        ("control", "1"),
        ("control", "2"),
        ("structured", "1"),
        ("structured", "2"),
        ("unstructured", "1"),
        ("chain", "1"),
    }
    for r in sweep:  # each gap is the difference of the two accuracies beside it, in points
        assert float(r["gap_control_points"]) == pytest.approx(
            100 * (float(r["accuracy"]) - float(r["control_accuracy"]))
        )
    structured2 = next(r for r in sweep if (r["method"], r["epochs"]) == ("structured", "2"))
    assert float(structured2["accuracy"]) == pytest.approx(m["history"][1]["test_accuracy"])
    assert float(summary["unstructured"]["zero_macs_pct"]) > 0 and summary["structured"]["zero_macs_pct"] == ""


@pytest.mark.workflow
def test_without_pretrained_weights_nothing_is_downloaded(tmp_path):
    config = write_yaml(tmp_path / "nopre.yaml", {"torch": {"pretrained": False}})
    result = snakemake(tmp_path, "-n", "results/pruning/summary.csv", configs=(config,))
    assert result.returncode == 0, result.stderr
    assert "resnet18-f37072fd.pth" not in result.stdout
    with_weights = snakemake(tmp_path, "-n", "results/pruning/summary.csv")
    assert "resnet18-f37072fd.pth" in with_weights.stdout


@pytest.mark.workflow
def test_a_sweep_plans_one_job_per_amount_and_seed(tmp_path):
    config = write_yaml(
        tmp_path / "sweep.yaml",
        {
            "pruning": {
                "seeds": [1, 2, 3],
                "unstructured": {"amounts": [0.1, 0.5, 0.9]},
                "structured": {"amounts": [0.25, 0.5]},
            }
        },
    )
    result = snakemake(tmp_path, "-n", "results/pruning/summary.csv", configs=(config,))
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("Job stats:", 1)[1]
    # 3 seeds x (3 unstructured + 2 structured amounts + the chain's one amount), one baseline and control each
    assert any(line.split() == ["prune", "18"] for line in table.splitlines())
    assert any(line.split() == ["finetune_baseline", "3"] for line in table.splitlines())
    assert any(line.split() == ["finetune_control", "3"] for line in table.splitlines())
