"""Two clean demos give the same outputs, byte for byte, except the measured times and process memory (listed here).

Models (.pt, .keras, .tflite), data arrays and every figure that plots no time are compared as
bytes. JSON and CSV files are compared with their timing fields removed: every measured time
lives in a field whose name says so (TIMING). The Typst source of the report is compared line
by line except the lines that print times or process memory (TIMING_LINES); the PDF, compiled deterministically
from it (tests/test_report.py), is compared as its page count and its set of words without numbers. Notebooks and figures that
show times are compared without those numbers (TIMING_FILES).
"""

import csv
import io
import json
import re
from pathlib import Path

import pytest

from helpers import mirror_config, snakemake

pytestmark = pytest.mark.workflow

# A field (JSON key at any depth, CSV column) whose name matches holds a measured time or a ratio of times.
# (the spread of the timing rounds, the suspect flags and the benchmark tool's agreement follow
# from times too, and so does the load average the timing job records)
# The process memory (resident set of a fresh LiteRT process) is measured too, and varies by a few pages.
TIMING = re.compile(r"latency|throughput|speed|seconds|spread|suspect|benchmark_|calls_per_sample|load_average|"
                    r"process_rss|(^|_)ms($|_)")
# Lines of results/report/paper.typ that print a measured time: the template ends each of them
# with a Typst comment saying so (the deployment table's time cells, the timing paragraphs, the
# suspect list, the recommendations, which quote speed ratios).
TIMING_LINES = [re.compile(r"// measured (time|memory)$")]
# Outputs that show measured times, with the reason; compared without their numbers and images.
TIMING_FILES = {
    "results/report/deployment/pareto.png": "plots LiteRT latency",
    "results/report/deployment/pareto.svg": "plots LiteRT latency",
    "results/report/deployment/memory.png": "plots the measured process memory",
    "results/report/deployment/memory.svg": "plots the measured process memory",
}
NUMBER = re.compile(r"[-+]?\d[\d,]*\.?\d*(e[-+]?\d+)?x?")
PUNCTUATION = "()[]{},;:.%'\"<>="


@pytest.fixture(scope="module")
def demos(tmp_path_factory, fixture_dir):
    runs = []
    for name in ("first", "second"):
        workdir = tmp_path_factory.mktemp(name)
        result = snakemake(workdir, configs=(mirror_config(workdir, fixture_dir),))
        assert result.returncode == 0, result.stderr[-4000:]
        runs.append(workdir)
    return runs


def outputs(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for folder in ("results", "resources/data", "resources/downloads")
                  for p in (root / folder).rglob("*") if p.is_file() and p.name != "mirror.yaml")


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if not TIMING.search(k)}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def csv_without_timing(text: str) -> list[dict]:
    """Rows without timing columns; in a long table (a ``metric`` column), a timing row keeps no values."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        timed = bool(TIMING.search(row.get("metric", "")))
        rows.append({k: v for k, v in row.items()
                     if not TIMING.search(k) and not (timed and k in ("ours", "difference"))})
    return rows


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
    return [line for line in text.splitlines() if not any(p.search(line) for p in TIMING_LINES)]


def timing_words(*typs: Path) -> set[str]:
    """Every word the TIMING_LINES of these Typst sources print (a suspect list may come and go)."""
    found: set[str] = set()
    for typ in typs:
        for line in typ.read_text().splitlines():
            if any(p.search(line) for p in TIMING_LINES):
                found.update(words(re.sub(r'#"|";|//.*$|[\[\]*]', " ", line)))
    return found


def pdf_words(path: Path, ignore: set[str]) -> list[str]:
    """The PDF's set of words without numbers and without the words only timing lines print.

    A set, not a sequence: a time's digits can move a table across a page break, where Typst
    repeats its header (and the page count with it), and a line broken elsewhere splits a word at
    its hyphen. What each word says is checked on the Typst source above.
    """
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = " ".join(p.extract_text() for p in reader.pages)
    # A time's digits reflow a paragraph: a word broken at a line end ("Fashion-" / "MNIST,",
    # or a hyphenated syllable) is joined again, and hyphens are dropped so both spellings agree.
    text = re.sub(r"-\s*\n\s*", "-", text)
    return sorted({w.replace("-", "") for w in words(text)} - {w.replace("-", "") for w in ignore})


def test_two_clean_demos_differ_only_in_measured_times(demos):
    a, b = demos
    files = outputs(a)
    assert files == outputs(b)
    assert any(f.endswith(".pt") for f in files) and any(f.endswith(".keras") for f in files)
    compared = {}
    for rel in files:
        fa, fb = a / rel, b / rel
        if rel.endswith(".json"):
            same = without_timing(json.loads(fa.read_text())) == without_timing(json.loads(fb.read_text()))
            how = "JSON without timing fields"
        elif rel.endswith(".csv"):
            same = csv_without_timing(fa.read_text()) == csv_without_timing(fb.read_text())
            how = "CSV without timing columns"
        elif rel.endswith(".typ"):
            same = typ_lines(fa.read_text()) == typ_lines(fb.read_text())
            how = "Typst lines except TIMING_LINES"
        elif rel.endswith(".pdf"):
            ignore = timing_words(a / "results/report/paper.typ", b / "results/report/paper.typ")
            same = pdf_words(fa, ignore) == pdf_words(fb, ignore)
            how = "PDF words"
        elif rel.endswith(".ipynb"):
            same = notebook_without_times(fa.read_text()) == notebook_without_times(fb.read_text())
            how = "notebook without output numbers and images"
        elif rel.endswith(".html"):
            same = words(re.sub(r'src="data:image[^"]*"', "", fa.read_text())) == words(
                re.sub(r'src="data:image[^"]*"', "", fb.read_text()))
            how = "HTML without numbers and images"
        elif rel in TIMING_FILES:
            continue  # a figure of measured times: nothing else in it to compare
        else:
            same = fa.read_bytes() == fb.read_bytes()
            how = "bytes"
        compared[rel] = how
        assert same, f"{rel} differs between two clean demos in more than measured times ({how})"
    kinds = set(compared.values())
    assert "bytes" in kinds and "JSON without timing fields" in kinds and "PDF words" in kinds
    byte_identical = [r for r, how in compared.items() if how == "bytes"]
    for suffix in (".pt", ".keras", ".tflite", ".npz", ".png"):
        assert any(r.endswith(suffix) for r in byte_identical), f"no {suffix} compared byte for byte"
