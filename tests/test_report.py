"""The report: every number in the PDF comes from the workflow's files; reproducible; incremental; HTML report."""

import csv
import os
import re
import subprocess
import time

import pytest

from helpers import REPO, mirror_config, snakemake
from edgecompress.reportdata import TITLE_UK, num, read_csv
from edgecompress.render import typst_literal

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def run(tmp_path_factory, fixture_dir):
    """The whole DAG on the fixtures, ending in the PDF."""
    workdir = tmp_path_factory.mktemp("report")
    start = time.perf_counter()
    result = snakemake(workdir, configs=(mirror_config(workdir, fixture_dir),))
    assert result.returncode == 0, result.stderr[-4000:]
    return {"dir": workdir, "mirror": mirror_config(workdir, fixture_dir), "seconds": time.perf_counter() - start}


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_has_every_table_value_from_the_workflow_files(run):
    d = run["dir"]
    text = squash(pdf_text(d / "results/report/paper.pdf"))
    expected = []
    digits = {"MiB": 4, "x": 2, "fraction": 4, "ms/image": 4}
    for r in read_csv(d / "results/quantization/table.csv"):
        expected.append(num(r["ours"], digits[r["unit"]]))
        if r["paper"]:
            expected.append(num(r["paper"], digits[r["unit"]]))
    for r in read_csv(d / "results/pruning/summary.csv"):
        expected += [num(r["accuracy_pct"], 2), num(r["model_sparsity_pct"], 2), num(r["accuracy_before_finetune_pct"], 2),
                     f"{int(r['parameters']):,}"]
    for r in read_csv(d / "results/pruning/epochs.csv"):
        expected += [num(r["loss"]), num(r["test_accuracy_pct"], 2)]
    for r in read_csv(d / "results/distillation/table2.csv"):
        expected += [num(r["accuracy_pct"], 2), num(r["paper_accuracy_pct"], 2), f"{int(r['parameters']):,}",
                     f"{int(r['parameters_1000_class_head']):,}"]
    for r in read_csv(d / "results/distillation/grid.csv"):
        expected += [num(r["kd_accuracy_pct"], 2), num(r["no_kd_accuracy_pct"], 2), num(r["gain_p_value"], 3)]
    missing = sorted({v for v in expected if squash(v) not in text})
    assert not missing, f"values of the workflow's files missing from the PDF: {missing}"
    # and the paper's own headline numbers are printed beside ours
    for paper_value in ("11.06", "0.8280", "0.8310", "0.1930", "72.80", "73.80", "45.70", "66.50", "89.50", "91.80"):
        assert paper_value in text


def test_title_page_has_the_ukrainian_title_as_text(run):
    text = pdf_text(run["dir"] / "results/report/paper.pdf")
    assert squash(TITLE_UK) in squash(text)
    assert "NOT ImageNet" in text  # the fixture weights are not the published ones, and the report says so


def test_same_inputs_give_a_byte_identical_pdf(run):
    d = run["dir"]
    first = (d / "results/report/paper.pdf").read_bytes()
    result = snakemake(d, "results/report/paper.pdf", "--forcerun", "render_report", "compile_report",
                       "notebook_quantization", configs=(run["mirror"],))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (d / "results/report/paper.pdf").read_bytes() == first
    assert b"CreationDate" not in first


def test_editing_the_template_reruns_only_render_and_compile(run):
    # Snakemake reruns on content, not on a bare touch: edit the template (a Jinja2 comment), then restore it
    template = REPO / "report" / "paper.typ.j2"
    original, stat = template.read_bytes(), template.stat()
    try:
        template.write_bytes(original + b"<# an edit by the incremental-build test #>\n")
        os.utime(template, (stat.st_atime, time.time() + 5))
        result = snakemake(run["dir"], "-n", "results/report/paper.pdf", configs=(run["mirror"],))
    finally:
        template.write_bytes(original)
        os.utime(template, (stat.st_atime, stat.st_mtime))
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    rules = {line.split()[0] for line in table.splitlines()[3:] if line.strip()}
    assert rules == {"render_report", "compile_report"}


def test_a_new_mirror_with_the_same_checksums_reruns_nothing(run, tmp_path, fixture_dir):
    moved = tmp_path / "another-mirror"
    moved.mkdir()
    for f in fixture_dir.iterdir():
        (moved / f.name).symlink_to(f)
    result = snakemake(run["dir"], "-n", configs=(mirror_config(tmp_path, moved),))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]


def test_snakemakes_html_report(run):
    result = snakemake(run["dir"], "--report", "results/report.html", configs=(run["mirror"],))
    assert result.returncode == 0, result.stderr[-3000:]
    html = (run["dir"] / "results/report.html").read_text(errors="replace")
    for category in ("Experiment 1: quantization", "Experiment 2: pruning", "Experiment 3: distillation", "Report"):
        assert category in html


def test_notebooks_are_kept_executed_and_exported(run):
    d = run["dir"] / "results/report"
    for name in ("quantization", "pruning", "distillation", "summary"):
        assert (d / name / f"{name}.html").stat().st_size > 1000
        assert '"papermill"' in (d / name / f"{name}.ipynb").read_text()
    with open(d / "summary/models.csv") as fh:
        families = {r["family"] for r in csv.DictReader(fh)}
    assert len(families) == 3


def test_values_are_escaped_for_typst():
    assert typst_literal('a "quoted" #b $c$ \\ [d]') == '#"a \\"quoted\\" #b $c$ \\\\ [d]";'
    source = subprocess.run(["grep", "-c", "<<", str(REPO / "report/paper.typ.j2")], capture_output=True, text=True)
    assert int(source.stdout) > 10
