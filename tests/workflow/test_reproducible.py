"""Two clean demos give the same outputs, and the same numbers as the committed reference.

The two demos are the session's ``run`` (local) and ``second_demo`` (through sbatch on the test SLURM
where the session can start one, as in CI; else local): both from nothing, the same workflow and config.

Metrics and tables (JSON, CSV) are compared with `edgecompress.compare` (what `make compare`
runs): every field must be equal except those whose kind is a measurement (`helpers.MEASURED`: times and
ratios of times, flags that follow from times, the process memory of a fresh LiteRT process),
which `compare` judges by their own tolerance and this test leaves out. Models (.pt, .keras,
.tflite), data arrays and every figure that plots no time are compared as bytes. The Typst source
of the report is compared line by line with only the values it prints through `measured` blanked
(a deployment-table row keeps its sizes and accuracies; the list of suspect speed-ups, which
follows from times as a whole, is one measured block); the PDF is compiled once more from each
source with every measured value printed empty (and the same figures of times), and the two texts
must then be equal word for word, numbers included. Notebooks and HTML pages are compared without their numbers and
images; the figures that plot times (TIMING_FILES) are left out.
"""

import json
import re
from pathlib import Path

import pytest

from edgecompress import compare
from helpers import REFERENCE, assert_every_model_learned, deterministic_differences

pytestmark = pytest.mark.workflow

# Outputs that show measured times, with the reason; compared without their numbers and images.
TIMING_FILES = {
    "results/report/deployment/pareto.png": "plots LiteRT latency",
    "results/report/deployment/pareto.svg": "plots LiteRT latency",
    "results/report/deployment/memory.png": "plots the measured process memory",
    "results/report/deployment/memory.svg": "plots the measured process memory",
    "results/report/deployment/roofline.png": "plots measured MAC rates and roofs",
    "results/report/deployment/roofline.svg": "plots measured MAC rates and roofs",
}
NUMBER = re.compile(r"[-+]?\d[\d,]*\.?\d*(e[-+]?\d+)?x?")
PUNCTUATION = "()[]{},;:.%'\"<>="
# A value the template prints through `measured` (report/paper.typ.j2): a string literal argument.
MEASURED_CALL = re.compile(r'#measured\("(?:[^"\\]|\\.)*"\);')
# ... and a block the template prints that follows from times as a whole (which speed-ups are suspect).
MEASURED_BLOCK = re.compile(r"#measured\[ // a measured block\n.*?\n\] // end of the measured block", re.S)


def without_measured(typ: str, placeholder: str | None = None) -> str:
    """Every measured value removed (a reason that follows from times may be absent in one run), or,
    for compiling, each replaced by ``placeholder``."""
    call = "" if placeholder is None else f'#measured("{placeholder}");'
    return MEASURED_BLOCK.sub(f"#measured[{placeholder or ''}]", MEASURED_CALL.sub(call, typ))


@pytest.fixture(scope="module")
def demos(run, second_demo):
    return [run["dir"], second_demo["dir"]]


def outputs(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for folder in ("results", "resources/data", "resources/downloads")
        for p in (root / folder).rglob("*")
        if p.is_file() and p.name != "mirror.yaml"
    )


def words(text: str) -> list[str]:
    """The words of a text without its numbers (a time's digits may also reflow a line)."""
    return [w for w in re.split(r"[\s<>]+", text) if w and not NUMBER.fullmatch(w.strip(PUNCTUATION))]


def notebook_without_times(text: str) -> dict:
    nb = json.loads(text)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for kind in list(data):
                if kind.startswith("image/"):
                    data[kind] = "<image>"
                elif isinstance(data[kind], (str, list)):
                    data[kind] = words("".join(data[kind]))
            if "text" in out:
                out["text"] = words("".join(out["text"]))
    return nb


def typ_lines(text: str) -> list[str]:
    """The Typst source's lines with every measured value blanked (and nothing else)."""
    return without_measured(text).splitlines()


def pdf_text_without_measured(run: Path, figures_from: Path, work: Path) -> list[str]:
    """The words (numbers included) of the PDF compiled from ``run``'s Typst source with every measured
    value as one placeholder, and the figures that plot times (whose SVG text is their tick labels)
    taken from ``figures_from``, so that two runs differ only where their sources do."""
    import shutil

    import typst
    from pypdf import PdfReader

    report = work / "report"
    shutil.copytree(run / "results/report", report)
    for rel in TIMING_FILES:
        shutil.copyfile(figures_from / rel, report / Path(rel).relative_to("results/report"))
    source = report / "paper.typ"
    source.write_text(without_measured(source.read_text(encoding="utf-8"), ""), encoding="utf-8")
    typst.compile(str(source), output=str(work / "paper.pdf"), root=str(report), ignore_system_fonts=True)
    return " ".join(p.extract_text() for p in PdfReader(work / "paper.pdf").pages).split()


def test_two_clean_demos_differ_only_in_measured_values(demos, tmp_path):
    a, b = demos
    for run in demos:  # equal and learned: two runs of untrained models would be equal too
        assert assert_every_model_learned(run) >= 16
    files = outputs(a)
    assert files == outputs(b)
    assert any(f.endswith(".pt") for f in files) and any(f.endswith(".keras") for f in files)
    # metrics and tables: make compare's verdict, every deterministic field equal
    result = compare.compare(a, b)
    assert result.same_platform
    assert not deterministic_differences(result), "\n".join(deterministic_differences(result)[:40])
    compared_fields = {r.file for r in result.rows}
    compared = {rel: "compare" for rel in files if rel in compared_fields}
    assert {
        "results/deployment/latency.csv",
        "results/deployment/table.csv",
        "results/pruning/structured/amount0.5/seed42/metrics.json",
    } <= set(compared)
    for rel in files:
        if rel in compared:
            continue
        fa, fb = a / rel, b / rel
        if rel.endswith(".typ"):
            la, lb = typ_lines(fa.read_text()), typ_lines(fb.read_text())
            assert len(la) == len(lb), f"{rel}: {len(la)} lines against {len(lb)}"
            diff = [(x, y) for x, y in zip(la, lb) if x != y]
            assert not diff, f"{rel} differs outside measured values: {diff[:3]}"
            how = "Typst lines, measured values blanked"
        elif rel.endswith(".pdf"):
            wa = pdf_text_without_measured(a, a, tmp_path / "a")
            wb = pdf_text_without_measured(b, a, tmp_path / "b")
            assert wa == wb, next(f"word {i}: {x!r} != {y!r}" for i, (x, y) in enumerate(zip(wa, wb)) if x != y)
            assert len(wa) > 3000 and any(NUMBER.fullmatch(w.strip(PUNCTUATION)) for w in wa)
            how = "PDF words with numbers, measured values as one placeholder"
        elif rel.endswith(".ipynb"):
            assert notebook_without_times(fa.read_text()) == notebook_without_times(fb.read_text()), rel
            how = "notebook without output numbers and images"
        elif rel.endswith(".html"):
            assert words(re.sub(r'src="data:image[^"]*"', "", fa.read_text())) == words(
                re.sub(r'src="data:image[^"]*"', "", fb.read_text())
            ), rel
            how = "HTML without numbers and images"
        elif rel in TIMING_FILES:
            continue  # a figure of measured times: nothing else in it to compare
        else:
            assert fa.read_bytes() == fb.read_bytes(), f"{rel} differs between two clean demos (bytes)"
            how = "bytes"
        compared[rel] = how
    kinds = set(compared.values())
    assert {
        "bytes",
        "compare",
        "Typst lines, measured values blanked",
        "PDF words with numbers, measured values as one placeholder",
    } <= kinds
    byte_identical = [r for r, how in compared.items() if how == "bytes"]
    for suffix in (".pt", ".keras", ".tflite", ".npz", ".png"):
        assert any(r.endswith(suffix) for r in byte_identical), f"no {suffix} compared byte for byte"
    # a deployment-table row is compared on its sizes and accuracies, not skipped: only its times are blanked
    typ = (a / "results/report/paper.typ").read_text()
    mixed = [ln for ln in typ.splitlines() if "#measured(" in ln and re.search(r'#"\d[\d.,]*";', ln)]
    assert len(mixed) >= 5, "no line prints a measured value beside a deterministic number"


def test_the_demo_reproduces_the_committed_reference(demos):
    """docs/reference/demo (make reference) against a clean demo: every deterministic number equal.

    On the reference's CPU (model and instruction sets, recorded in both runs) every field but the
    measured ones must be equal. On another CPU the SGD path differs: the structure (counts, sizes,
    shapes), the data's checksums, the files and the fields present must still match (``make compare``'s
    failing rows there), the trained values' verdicts under the stated tolerances are printed, and the
    machine's own measurements (a roofline level its sweep found) are listed.
    """
    run = demos[0]
    files = compare.run_files(REFERENCE)
    assert "results/deployment/latency.csv" in files and len(files) >= 30
    result = compare.compare(REFERENCE, run, files=files | compare.run_files(run))
    hint = "if the change is meant, run `make reference` and commit docs/reference/demo (its README says when)"
    if result.same_platform:  # on the reference's CPU the deterministic values are equal, not only close
        differences = deterministic_differences(result)
    else:
        print("another CPU than the reference's; trained values against the stated tolerances:")
        print(
            "\n".join(
                f"{r.file} {r.key} {r.field}: {r.a} -> {r.b} ({r.verdict})"
                for r in result.rows
                if r.kind == "trained" and r.verdict != "equal"
            )
        )
        # what fails across CPUs: the structure, the data's checksums, a file or field on one side only
        differences = [
            f"{r.file} {r.key} {r.field}: {r.a!r} -> {r.b!r} ({r.kind}, {r.verdict})" for r in result.failing
        ]
    assert not differences, f"{len(differences)} difference(s) from the reference; {hint}:\n" + "\n".join(
        differences[:40]
    )
    # the report's provenance appendix names the reference and prints the comparison's summary
    typ = (run / "results/report/paper.typ").read_text()
    assert str(REFERENCE) in typ and "Comparison with the reference run" in typ
