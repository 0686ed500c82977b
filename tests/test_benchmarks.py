"""The benchmark scripts run once on the demo's results, so that they cannot rot: each writes its
table (metric / value / target / met) with a row for each of its measurements. Their numbers on the
demo's fixture models are not the targets' evidence (docs/sizing/ holds the sized runs).
benchmarks/conclusions_cost.py reads committed sizing runs: tests/test_conclusions.py runs it."""

import csv
import subprocess

import pytest

from helpers import BIN, REPO

pytestmark = pytest.mark.workflow
COLUMNS = ["metric", "value", "target", "met"]


def bench(script: str, *args: str, cwd) -> list[dict]:
    out = cwd / f"{script}.csv"
    result = subprocess.run([str(BIN / "python"), str(REPO / "benchmarks" / f"{script}.py"), *args, "--out", str(out)],
                            cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{script}: exit {result.returncode}\n{result.stderr[-3000:]}"
    with open(out, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == COLUMNS, (script, reader.fieldnames)
    assert rows and all(r["metric"] and r["value"] not in ("", "None", "nan") for r in rows), (script, rows)
    assert all(r["met"] in ("True", "False", "") for r in rows), script
    return rows


def test_compare_speed_on_the_demo(run, tmp_path):
    rows = {r["metric"]: r for r in bench("compare_speed", str(run["dir"]), str(run["dir"]), "--repeats", "1",
                                          cwd=tmp_path)}
    assert {"files compared", "fields compared", "fastest compare (s)", "slowest compare (s)"} <= set(rows), list(rows)
    assert int(rows["files compared"]["value"]) >= 40 and int(rows["fields compared"]["value"]) > 1000


def test_deployment_timing_on_the_demo(run, tmp_path):
    configs = [str(REPO / "config" / "config.yaml"), str(REPO / "config" / "test.yaml"), str(run["config"])]
    rows = bench("deployment_timing", "--root", str(run["dir"]), "--config", *configs, cwd=tmp_path)
    metrics = [r["metric"] for r in rows]
    assert any(m.startswith("largest relative difference of a speed-up") for m in metrics), metrics
    assert any("unstructured" in m and "vs dense" in m for m in metrics), metrics
    assert any(m.startswith("deployment stage wall time") for m in metrics), metrics


def test_training_speed_runs(tmp_path):
    rows = bench("training_speed", "--images", "64", "--threads", "1", cwd=tmp_path)
    assert len(rows) >= 2, rows

