"""The report's context: the deployment table pooled over seeds (one row per model)."""

from edgecompress.report.context import over_seeds, per_model


def row(model, acc_int8, int8_speedup, suspect="", note=""):
    return {
        "model": model,
        "mib_float32": "42.7",
        "mib_int8": "10.8",
        "accuracy_float32": "0.5",
        "accuracy_int8": acc_int8,
        "litert_float32_ms": "2.0",
        "litert_int8_ms": "0.5",
        "int8_speedup": int8_speedup,
        "pytorch_batch1_ms": "3",
        "pytorch_batchN_ms_per_image": "1",
        "speedup_litert_float32": "",
        "speedup_pytorch_batchN": "",
        "macs_reduction": "",
        "parameters": "11181642",
        "macs": "37016576",
        "suspect_columns": suspect,
        "note": note,
    }


def test_seeds_are_pooled_into_one_row_per_model_with_mean_and_std():
    table = [
        row("baseline/seed42", "0.40", "4.0", note="first"),
        row("baseline/seed43", "0.44", "4.4", "int8_speedup:uncertain", note="second"),
        row("cnn", "0.82", "1.1"),
    ]
    found = {r["model"]: r for r in per_model(table)}
    assert list(found) == ["baseline", "cnn"]
    base = found["baseline"]
    assert base["seeds"] == "2" and base["acc_int8"] == "42.0 ± 2.8"  # mean 42.0, sample std 2.83 points
    assert base["int8_speedup"] == "4.20 ± 0.28 †"  # one seed's ratio is flagged: the pooled one says so
    assert base["note"] == "first" and base["mmacs"] == "37.0"  # a note once; equal MACs print once
    assert found["cnn"]["acc_int8"] == "82.0" and found["cnn"]["int8_speedup"] == "1.10"  # one run: no spread
    assert over_seeds(["", None], 2) == "–"
