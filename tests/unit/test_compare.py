"""`make compare`: two run folders, every metric matched by file, row key and field, judged by its kind.

These build small run folders by hand (the layout the workflow writes); the whole demo is compared
with its committed reference and with a second clean demo in tests/workflow/test_reproducible.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from edgecompress import compare
from helpers import REPO

LATENCY = [
    "model,runtime,precision,batch,median_ms,spread,benchmark_agrees",
    "baseline/seed42,litert,float32,1,2.000,0.05,True",
    "baseline/seed42,litert,int8,1,0.500,0.02,True",
    "structured/amount0.5/seed42,litert,float32,1,0.400,0.10,False",
]
MACHINE = {"cpu_model": "AMD EPYC", "isa": {"avx2": True, "avx512f": True}, "packages": {"torch": "2.14.1"}}


def metrics(accuracy=0.71, macs=9940234, lr=0.01, commit="abc", sha="1" * 64, data_sha="2" * 64):
    return {
        "accuracy": accuracy,
        "history": [{"epoch": 1, "loss": 0.5, "seconds": 1.2, "test_accuracy": accuracy}],
        "report": {"macs": macs, "parameters": 2801450},
        "provenance": {
            "config": {"torch": {"learning_rate": lr}, "seed": 42},
            "config_sha256": str(lr),
            "git_commit": commit,
            "cpu": "AMD EPYC",
            "device": "cpu",
            "packages": {"torch": "2.14.1"},
            "inputs": {
                "baseline": {"path": "results/pruning/baseline/seed42/model.pt", "sha256": sha},
                "arrays": {"path": "resources/data/cifar10_subset.npz", "sha256": data_sha},
            },
        },
    }


def make_run(root: Path, latency=LATENCY, machine=MACHINE, **kw) -> Path:
    (root / "results/pruning/structured/amount0.5/seed42").mkdir(parents=True)
    (root / "results/deployment").mkdir(parents=True)
    (root / "resources/data").mkdir(parents=True)
    (root / "results/pruning/structured/amount0.5/seed42/metrics.json").write_text(json.dumps(metrics(**kw)))
    (root / "results/deployment/latency.csv").write_text("\n".join(latency) + "\n")
    (root / "results/deployment/machine.json").write_text(json.dumps(machine))
    (root / "resources/data/cifar10_subset.json").write_text(json.dumps({"train": {"shape": [1000, 32, 32, 3]}}))
    return root


def edit_latency(run: Path, row: int, factor: float) -> None:
    path = run / "results/deployment/latency.csv"
    rows = list(csv.DictReader(path.open()))
    rows[row]["median_ms"] = f"{float(rows[row]['median_ms']) * factor:.6g}"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def snapshot(*runs: Path) -> dict:
    return {str(p): p.read_bytes() for run in runs for p in sorted(run.rglob("*")) if p.is_file()}


def run_main(a: Path, b: Path, out: Path, *extra: str) -> tuple[int, str]:
    lines: list[str] = []
    rc = compare.main([str(a), str(b), "--out", str(out), *extra], echo=lines.append)
    return rc, "\n".join(lines)


def test_two_equal_runs_pass_and_every_field_is_compared(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    rc, text = run_main(a, b, tmp_path / "out")
    assert rc == 0, text
    result = compare.compare(a, b)
    assert result.same_platform and not result.failing
    fields = {(r.file, r.key, r.field) for r in result.rows}
    assert ("results/pruning/structured/amount0.5/seed42/metrics.json", "", "accuracy") in fields
    assert (
        "results/deployment/latency.csv",
        "model=baseline/seed42,runtime=litert,precision=int8,batch=1",
        "median_ms",
    ) in fields
    # the table went to --out, as CSV (every row) and Markdown
    rows = list(csv.DictReader((tmp_path / "out/comparison.csv").open()))
    assert len(rows) == len(result.rows) and {r["verdict"] for r in rows} == {"equal"}
    assert "0 difference(s) beyond tolerance" in text


def test_an_accuracy_off_by_a_thousandth_fails_naming_file_and_field(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", accuracy=0.711)
    rc, text = run_main(a, b, tmp_path / "out")
    assert rc == 1
    line = next(ln for ln in text.splitlines() if ln.endswith("| differs |") and " accuracy |" in ln)
    assert "results/pruning/structured/amount0.5/seed42/metrics.json" in line and " accuracy |" in line
    assert "| 0.71 | 0.711 | 0.001 | trained | differs |" in line
    # the same value inside the history list is named by its index
    assert "history[0].test_accuracy" in text
    assert "2 difference(s) beyond tolerance" in text  # the accuracy and the history's last accuracy


@pytest.mark.parametrize(
    ("factor", "verdict"),
    [(1.05, "within tolerance"), (0.88, "within tolerance"), (1.30, "differs"), (0.70, "differs")],
)
def test_a_time_is_compared_as_a_ratio_within_the_larger_of_15_percent_and_the_spread(tmp_path, factor, verdict):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    edit_latency(b, 0, factor)  # spread 0.05 in both runs: the 15 % floor applies
    row = next(
        r
        for r in compare.compare(a, b).rows
        if r.field == "median_ms" and "float32" in r.key and r.key.startswith("model=baseline")
    )
    assert (row.kind, row.verdict) == ("time", verdict)
    assert row.change == f"{factor - 1:+.1%}"


def test_a_noisy_row_is_allowed_its_recorded_spread(tmp_path):
    noisy = [LATENCY[0], LATENCY[1], LATENCY[2], LATENCY[3].replace(",0.10,", ",0.12,")]
    a, b = make_run(tmp_path / "a", latency=noisy), make_run(tmp_path / "b", latency=noisy)
    edit_latency(b, 2, 1.22)  # 22 % off: beyond 15 %, within the summed spread 0.24
    row = next(r for r in compare.compare(a, b).rows if r.field == "median_ms" and r.key.startswith("model=struct"))
    assert row.verdict == "within tolerance"
    edit_latency(b, 2, 1.25 / 1.22)  # 25 % off: beyond both
    row = next(r for r in compare.compare(a, b).rows if r.field == "median_ms" and r.key.startswith("model=struct"))
    assert row.verdict == "differs"


def test_rows_are_matched_by_key_not_by_position(tmp_path):
    shuffled = [LATENCY[0], LATENCY[3], LATENCY[1], LATENCY[2]]
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", latency=shuffled)
    assert not compare.compare(a, b).failing


def test_a_field_or_row_on_one_side_only_is_reported(tmp_path):
    fewer = [LATENCY[0].replace(",benchmark_agrees", ""), *(row.rsplit(",", 1)[0] for row in LATENCY[1:3])]
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", latency=fewer)
    failing = {(r.key.split(",")[0], r.field, r.verdict) for r in compare.compare(a, b).failing}
    assert ("model=structured/amount0.5/seed42", "median_ms", "only in A") in failing
    assert ("model=baseline/seed42", "benchmark_agrees", "only in A") in failing


@pytest.mark.parametrize("damage", ["missing", "truncated csv", "truncated json"])
def test_a_missing_or_truncated_file_is_one_line_naming_it_and_nothing_is_written_into_a_run(tmp_path, damage):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    if damage == "missing":
        (b / "results/deployment/latency.csv").unlink()
        name = "results/deployment/latency.csv"
    elif damage == "truncated csv":
        path = b / "results/deployment/latency.csv"
        path.write_text(path.read_text()[:-20])
        name = "results/deployment/latency.csv"
    else:
        path = b / "results/pruning/structured/amount0.5/seed42/metrics.json"
        path.write_text(path.read_text()[:50])
        name = "results/pruning/structured/amount0.5/seed42/metrics.json"
    before = snapshot(a, b)
    rc, text = run_main(a, b, tmp_path / "out")
    assert rc == 1
    lines = [ln for ln in text.splitlines() if name in ln]
    assert len(lines) == 1 and "| missing |" in lines[0]
    assert ("missing in B" if damage == "missing" else "unreadable in B") in lines[0]
    assert snapshot(a, b) == before


def test_out_inside_a_run_is_refused(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    before = snapshot(a, b)
    rc, text = run_main(a, b, b / "comparison")
    assert rc == 2 and "inside run B" in text
    assert snapshot(a, b) == before
    rc, text = run_main(a, tmp_path / "nowhere", tmp_path / "out")
    assert rc == 2 and "run B" in text and "nowhere" in text


def test_runs_of_different_configs_print_the_config_diff_first(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", lr=0.02, accuracy=0.8)
    rc, text = run_main(a, b, tmp_path / "out")
    assert rc == 1
    assert text.index("## Config diff") < text.index("## Summary") < text.index("| 0.71 | 0.8 |")
    assert re.search(r"\| torch\.learning_rate \| 0\.01 \| 0\.02 \| results/pruning/", text)


def test_environment_differences_are_listed_and_never_fail(tmp_path):
    a = make_run(tmp_path / "a")
    b = make_run(tmp_path / "b", commit="def")
    result = compare.compare(a, b)
    row = next(r for r in result.rows if r.field == "provenance.git_commit")
    assert (row.kind, row.verdict) == ("environment", "listed") and not result.failing


def test_another_cpu_gets_the_stated_tolerances(tmp_path):
    other = {**MACHINE, "isa": {"avx2": True, "avx512f": False}}
    a = make_run(tmp_path / "a")
    b = make_run(tmp_path / "b", machine=other, accuracy=0.71 + compare.ACCURACY_ATOL / 2, sha="3" * 64)
    edit_latency(b, 0, 3.0)
    result = compare.compare(a, b)
    assert not result.same_platform
    by = {(r.key, r.field): r for r in result.rows}
    assert by[("", "accuracy")].verdict == "within tolerance"
    assert by[("", "provenance.inputs.baseline.sha256")].verdict == "not comparable"  # a trained model
    assert (
        by[("model=baseline/seed42,runtime=litert,precision=float32,batch=1", "median_ms")].verdict == "not comparable"
    )
    assert not result.failing
    # structure and data must still be equal; an accuracy beyond the tolerance is listed as such, never failing
    c = make_run(tmp_path / "c", machine=other, accuracy=0.71 + 2 * compare.ACCURACY_ATOL, macs=1, data_sha="4" * 64)
    found = compare.compare(a, c)
    assert {r.field for r in found.failing} == {"report.macs", "provenance.inputs.arrays.sha256"}
    assert {r.verdict for r in found.rows if r.field in ("accuracy", "history[0].test_accuracy")} == {
        "beyond tolerance"
    }
    # on the same CPU the same accuracy differs and fails
    d = make_run(tmp_path / "d", accuracy=0.71 + 2 * compare.ACCURACY_ATOL)
    assert "accuracy" in {r.field for r in compare.compare(a, d).failing}


@pytest.mark.parametrize("changed, verdict", [(0, "equal"), (40, "within tolerance"), (60, "differs")])
def test_per_image_outcomes_are_compared_by_the_share_of_images_that_changed(changed, verdict):
    # the CNN's 0/1 outcome per test image: on another CPU at most ACCURACY_ATOL (5 %) of the 1,000 images may
    # change, like an accuracy; on the same CPU any change differs
    a = "01" * 500
    b = "".join(("1" if c == "0" else "0") if i < changed else c for i, c in enumerate(a))
    kind, change, found = compare.judge_field("correct_by_image", a, b, None, None, same=False)
    assert (kind, found) == ("trained", verdict.replace("differs", "beyond tolerance"))
    if changed:
        assert change == f"{changed / 1000:.2%} of images"
        assert compare.judge_field("correct_by_image", a, b, None, None, same=True)[2] == "differs"
    assert len(compare._cell(a)) < 60  # a row prints its start and length, not 1,000 characters


def test_the_tolerance_table_is_printed_in_the_reproducibility_docs():
    readme = (REPO / "docs" / "reproducibility.md").read_text(encoding="utf-8")
    lines: list[str] = []
    assert compare.main(["--kinds"], echo=lines.append) == 0
    assert lines[0] in readme and lines[0].count("\n| ") == len(compare.KINDS)


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("median_ms", "time"),
        ("pytorch_batchN_ms_per_image", "time"),
        ("history[0].seconds", "time"),
        ("speedup_litert_int8", "time"),
        ("spread", "from times"),
        ("litert_int8_suspect", "from times"),
        ("process_rss_bytes_int8", "memory"),
        ("provenance.inputs.model.sha256", "checksum"),
        ("report.macs", "structure"),
        ("sizes.dense_state_dict_bytes", "structure"),
        ("sizes.gzip_state_dict_bytes", "trained"),
        ("accuracy_int8", "trained"),
        ("history[1].loss", "trained"),
        ("provenance.git_commit", "environment"),
        ("provenance.config.torch.learning_rate", "config"),
        ("accuracy_ours", "trained"),
        ("latency_ours", "time"),
        ("accuracy_paper", "structure"),
        ("roofline.levels[3].name", "machine"),
        ("roofline.bandwidth_bytes_per_s.L4", "machine"),
        ("roofline.cache_bytes.L3", "machine"),
        ("isa.avx512_bf16", "machine"),
        ("cpu_model", "machine"),
        ("arena_bytes", "structure"),
        ("peak_live_bytes", "structure"),
        ("file_bytes", "structure"),
        ("sram_bytes", "structure"),  # outside Vela's table: a graph's bytes
        ("file", "structure"),
        ("provenance.inputs.model.path", "structure"),
        ("distillation.temperature", "structure"),
    ],
)
def test_each_field_has_the_kind_its_name_says(field, kind):
    assert compare.kind_of(field).name == kind


@pytest.mark.parametrize("field", ["sram_bytes", "weights_bytes", "inference_ms"])
def test_vela_compressed_bytes_and_cycles_follow_the_trained_values(field):
    # Vela compresses the weights: its bytes, SRAM and cycle estimate change with the values, not only the graph
    assert compare.kind_of(field, "results/deployment/vela.csv").name == "trained"
    assert compare.kind_of("macs", "results/deployment/vela.csv").name == "structure"


# The demo's metrics and tables from a 2-vCPU AMD EPYC (family 26, AVX-512 F/BW/VNNI/BF16, no AMX) at f02c4ab,
# copied from shared/data/machines/epyc-zen5-vm-2vcpu/demo, and the committed reference of that commit (a
# 2-vCPU Xeon with AVX-512 VNNI, no AMX): the same code, config and fixtures on two CPUs.
EPYC_DEMO = REPO / "tests" / "machines" / "epyc-zen5-vm-2vcpu-demo"
XEON_DEMO = REPO / "tests" / "machines" / "reference-demo-f02c4ab"


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("README.md"))
    return dst


def edit_csv(path: Path, model: str, field: str, value: str, where: dict | None = None) -> None:
    rows = list(csv.DictReader(path.open(newline="")))
    hit = [r for r in rows if r["model"] == model and all(r[k] == v for k, v in (where or {}).items())]
    assert hit, (path, model, where)
    for r in hit:
        r[field] = value
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_demo_from_an_amd_epyc_passes_the_cross_cpu_comparison_with_the_reference(tmp_path):
    result = compare.compare(XEON_DEMO, EPYC_DEMO)
    assert not result.same_platform
    assert not result.failing, "\n".join(
        f"{r.file} {r.key} {r.field}: {r.a} -> {r.b} ({r.kind})" for r in result.failing
    )
    rows = {(r.file, r.key, r.field): r for r in result.rows}
    # the structure is compared, and equal, on both CPUs
    structure = [r for r in result.rows if r.kind == "structure"]
    assert len(structure) > 500 and {r.verdict for r in structure} == {"equal"}
    # the EPYC's sweep found a fourth roofline level: the machine's measurement, listed
    level = rows[("results/deployment/machine.json", "", "roofline.levels[3].name")]
    assert (level.kind, level.verdict, level.b) == ("machine", "listed", "DRAM")
    # Vela's compressed bytes follow the trained weights: reported against their tolerance, never failing
    vela = [
        r for (f, _, field), r in rows.items() if f.endswith("vela.csv") and field in ("sram_bytes", "weights_bytes")
    ]
    assert vela and {r.kind for r in vela} == {"trained"} and any(r.verdict != "equal" for r in vela)
    # trained values differ as another seed's would: reported, not failed
    beyond = [r for r in result.rows if r.verdict == "beyond tolerance"]
    assert len(beyond) > 50 and {r.kind for r in beyond} == {"trained"}
    memory = [r for r in result.rows if r.kind == "memory" and r.verdict != "equal"]
    assert memory and {r.verdict for r in memory} == {"not comparable"}
    # the command says so first, and exits 0
    rc, text = run_main(XEON_DEMO, EPYC_DEMO, tmp_path / "out")
    assert rc == 0
    first = text.split("## Config diff")[0]
    assert "Different platforms" in first and "AMD EPYC" in first and "Intel(R) Xeon(R)" in first
    assert "the way another seed's would" in first and f"({len(beyond)} beyond them here)" in first


def test_the_cross_cpu_comparison_still_fails_on_structure_and_the_same_cpu_on_any_trained_value(tmp_path):
    # another CPU: a graph's arena, a file's bytes or a missing field is a broken reproduction
    broken = copy_run(EPYC_DEMO, tmp_path / "broken")
    edit_csv(broken / "results/deployment/memory.csv", "baseline/seed42", "arena_bytes", "1", {"precision": "int8"})
    metrics_path = broken / "results/pruning/structured/amount0.5/seed42/metrics.json"
    m = json.loads(metrics_path.read_text())
    del m["report"]["macs"]
    metrics_path.write_text(json.dumps(m))
    failing = {(r.file.rsplit("/", 1)[-1], r.field, r.verdict) for r in compare.compare(XEON_DEMO, broken).failing}
    assert failing == {("memory.csv", "arena_bytes", "differs"), ("metrics.json", "report.macs", "only in A")}
    # the reference's own CPU: Vela's weight bytes must be equal; a roofline level the sweep found is listed
    same = copy_run(XEON_DEMO, tmp_path / "same")
    edit_csv(same / "results/deployment/vela.csv", "baseline/seed42", "weights_bytes", "10253552")
    machine_path = same / "results/deployment/machine.json"
    machine = json.loads(machine_path.read_text())
    machine["roofline"]["levels"].append({**machine["roofline"]["levels"][-1], "name": "L4"})
    machine_path.write_text(json.dumps(machine))
    result = compare.compare(XEON_DEMO, same)
    assert result.same_platform
    assert {(r.field, r.kind) for r in result.failing} == {("weights_bytes", "trained")}
    assert {r.verdict for r in result.rows if r.field.startswith("roofline.levels[3]")} == {"listed"}


def test_the_module_runs_as_a_command(tmp_path):
    import subprocess
    import sys

    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", accuracy=0.5)
    result = subprocess.run(
        [sys.executable, "-m", "edgecompress.compare", str(a), str(b), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stderr
    assert "| 0.71 | 0.5 |" in result.stdout and (tmp_path / "out/comparison.md").is_file()
    shutil.rmtree(tmp_path / "out")
