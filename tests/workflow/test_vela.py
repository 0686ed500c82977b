"""Ethos-U estimates by Arm's Vela: the parsing of its output, and the demo's table and NPU class.

Vela compiles offline (no NPU here): its numbers are estimates, and the report says so.
"""

import csv

import pytest

from edgecompress.deployment import vela
from edgecompress.results import read_csv


@pytest.mark.workflow
def test_every_int8_model_of_the_demo_has_a_vela_row_and_the_npu_class_a_choice(run):
    d = run["dir"]
    rows = read_csv(d / "results/deployment/vela.csv")
    deployed = {str(p.relative_to(d)) for p in (d / "results").rglob("*int8.tflite") if "roofs" not in p.parts}
    accelerators = {"ethos-u55-128", "ethos-u65-256"}
    assert {(r["file"], r["accelerator"]) for r in rows} == {(f, a) for f in deployed for a in accelerators}
    assert all(r["status"] == "compiled" and float(r["inference_ms"]) > 0 and int(r["sram_bytes"]) > 0 for r in rows)
    assert next(r for r in rows if r["model"] == "cnn")["cpu_operators"] == "0"  # Keras' int8 CNN: all on the NPU
    typ = (d / "results/report/paper.typ").read_text(encoding="utf-8")
    assert "Ethos-U NPUs: estimated by Vela" in typ and "estimated by Vela 5.2.0 for ethos-u55-128 at" in typ
    with open(d / "results/deployment/vela.csv", newline="") as fh:
        assert csv.DictReader(fh).fieldnames == list(vela.COLUMNS)
