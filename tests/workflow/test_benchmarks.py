"""The benchmark scripts run once on the demo's results, so that they cannot rot: each writes its
table (metric / value / target / met) with a row for each of its measurements. Their numbers on the
demo's fixture models are not the targets' evidence (docs/sizing/ holds the sized runs).
benchmarks/conclusions_cost.py reads committed sizing runs: tests/unit/test_conclusions.py runs it."""

import csv
import subprocess

import pytest

from helpers import BIN, REPO

pytestmark = pytest.mark.workflow
COLUMNS = ["metric", "value", "target", "met"]


def bench(script: str, *args: str, cwd) -> list[dict]:
    out = cwd / f"{script}.csv"
    result = subprocess.run(
        [str(BIN / "python"), str(REPO / "benchmarks" / f"{script}.py"), *args, "--out", str(out)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{script}: exit {result.returncode}\n{result.stderr[-3000:]}"
    with open(out, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == COLUMNS, (script, reader.fieldnames)
    assert rows and all(r["metric"] and r["value"] not in ("", "None", "nan") for r in rows), (script, rows)
    assert all(r["met"] in ("True", "False", "") for r in rows), script
    return rows


def test_compare_speed_on_the_demo(run, tmp_path):
    rows = {
        r["metric"]: r for r in bench("compare_speed", str(run["dir"]), str(run["dir"]), "--repeats", "1", cwd=tmp_path)
    }
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


def test_training_threads_measures_each_way_and_says_whether_the_weights_change(tmp_path):
    rows = {r["metric"]: r["value"] for r in bench("training_threads", "--steps", "2", "--rounds", "1", cwd=tmp_path)}
    rates = [float(v) for k, v in rows.items() if k.startswith("training steps/s")]
    assert len(rates) == 6 and all(r > 0 for r in rates), rows
    assert float(rows["two 2-thread jobs side by side over one 2-thread job (throughput)"]) > 0, rows
    assert float(rows["2 threads over 1 thread"]) > 0 and rows["CPU"], rows
    assert rows["weights after the same steps, channels_last equal to the default's"] in ("True", "False")
    assert "AVX" in rows["ISA flags"] or "none of" in rows["ISA flags"] or "ASIMDDP" in rows["ISA flags"]


def junit(path, seconds: float, cases: dict[str, float], failures: int = 0):
    body = "".join(f'<testcase classname="tests.t" name="{n}" time="{t}"/>' for n, t in cases.items())
    path.write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="0" failures="{failures}" '
        f'skipped="0" tests="{len(cases)}" time="{seconds}">{body}</testsuite></testsuites>'
    )
    return path


def test_test_times_reads_the_tiers_junit_files_against_the_baseline(tmp_path):
    before = junit(tmp_path / "before.xml", 1000.0, {f"t{i}": float(i) for i in range(8)})
    tier = junit(tmp_path / "tier.xml", 401.0, {"slow": 300.0, "quick": 1.0}, failures=1)
    rows = {
        r["metric"]: r
        for r in bench("test_times", f"before={before}", f"make test={tier}", "--baseline", "before", cwd=tmp_path)
    }
    assert float(rows["make test: wall seconds"]["value"]) == 401.0 and rows["make test: tests passed"]["value"] == "1"
    share = rows["make test: share of before"]
    assert (float(share["value"]), share["target"], share["met"]) == (0.401, "<= 0.4", "False")
    longest = [m for m in rows if m.startswith("before: longest: ")]
    assert longest[0] == "before: longest: tests.t::t7" and len(longest) == 5


@pytest.mark.benchmark
def test_deploy_threads_times_each_way_on_the_demo_and_says_whether_the_files_change(run, tmp_path):
    key = "baseline/seed42"
    rows = {
        r["metric"]: r["value"]
        for r in bench("deploy_threads", str(run["dir"]), "--models", key, "--rounds", "1", cwd=tmp_path)
    }
    alone = {
        "2 threads": float(rows[f"{key}: seconds alone, 2 threads (median of rounds)"]),
        "1 thread": float(rows[f"{key}: seconds alone, 1 thread"]),
    }
    assert all(s > 0 for s in alone.values()), rows
    pair = f"{key} and {key}"  # one model: the pair is that model twice
    after = float(rows[f"{pair}: seconds one after the other, 2 threads each (sum)"])
    assert after == pytest.approx(2 * alone["2 threads"], abs=0.02), rows
    side = float(rows[f"{pair}: seconds side by side, 1 thread each"])
    assert float(rows[f"{pair}: side by side over one after the other"]) == pytest.approx(side / after, abs=0.001)
    # deploy_model is deterministic for a thread count: alone and side by side, the same bytes
    assert rows["files of each model equal in every round and way (2 threads; 1 thread alone, side by side)"] == "True"
    assert rows["files with 1 thread equal to those with 2 threads, every model"] in ("True", "False"), rows
    assert rows["CPU"] and rows["load average after (1, 5, 15 min)"], rows
    missing = subprocess.run(
        [
            str(BIN / "python"),
            str(REPO / "benchmarks" / "deploy_threads.py"),
            str(run["dir"]),
            "--models",
            "baseline/seed7",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode != 0 and "no deployed model 'baseline/seed7'" in missing.stderr, missing.stderr[-2000:]


@pytest.mark.benchmark
def test_conversion_profile_runs(tmp_path):
    rows = {
        r["metric"]: float(r["value"])
        for r in bench("conversion_profile", "--arch", "resnet18", "--calibration", "2", cwd=tmp_path)
    }
    assert rows["import torch (s)"] > 0 and rows["import litert-torch (s)"] > 0
    assert rows["resnet18: int8 (s)"] > 0 and rows["resnet18: float32, again (s)"] > 0
    once = rows["one-time cost of a job converting resnet18 (s)"]
    first = rows["resnet18: float32, first in the process (s)"]
    assert once == pytest.approx(
        rows["import torch (s)"] + rows["import litert-torch (s)"] + first - rows["resnet18: float32, again (s)"],
        abs=0.05,
    )
    job = rows["import torch (s)"] + rows["import litert-torch (s)"] + first + rows["resnet18: int8 (s)"]
    assert rows["share of that job a batched conversion would save"] == pytest.approx(once / job, abs=0.002)
