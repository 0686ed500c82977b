"""Every file the README and the docs cite is in the repository, and the numbers they quote are in it.

Workflow outputs (``results/``, ``resources/``, ``logs/``, ``benchmarks/results/``) are what a run
writes, so they are exempt; every other path a document names must be tracked by git (a folder:
at least one tracked file under it), so a reader can check each measured number it quotes.
"""

import re
import subprocess

import pytest

from helpers import REPO, benchmark_module

DOCUMENTS = [
    "README.md",
    "config/README.md",
    "docs/sizing/README.md",
    "CONTRIBUTING.md",
    "report/README.md",
    "benchmarks/README.md",
    "docs/usage.md",
    "docs/outputs.md",
    "docs/methods.md",
    "docs/reproducibility.md",
    "docs/development.md",
]
CITED = re.compile(
    r"(?<![\w/.])((?:docs|config|envs|notebooks|report|profiles|workflow|tests|benchmarks)/[\w./-]*[\w/])"
)
OUTPUTS = ("benchmarks/results/", "benchmarks/rules/")


def tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()


def cited_paths(text: str) -> set[str]:
    return {m.rstrip("/.") for m in CITED.findall(text) if not m.startswith(OUTPUTS)}


def missing(paths, files) -> list[str]:
    return sorted(p for p in paths if p not in files and not any(f.startswith(p + "/") for f in files))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_path_a_document_cites_is_tracked(document):
    files = tracked()
    paths = cited_paths((REPO / document).read_text(encoding="utf-8"))
    if document == "README.md":
        assert len(paths) > 10, f"{document} cites {sorted(paths)}: the pattern is broken"
    assert missing(paths, files) == [], f"{document} cites paths that are not in the repository"


def test_the_check_fails_on_an_untracked_path():
    files = ["docs/sizing/README.md", "docs/sizing/run/results/table.csv"]
    text = "see `docs/sizing/run/results/` and docs/sizing/other/results/table.csv, not results/report/paper.pdf"
    assert missing(cited_paths(text), files) == ["docs/sizing/other/results/table.csv"]


def test_outputs_under_docs_are_not_ignored():
    # .gitignore's output patterns are anchored at the root: a copy under docs/ can be committed
    result = subprocess.run(["git", "check-ignore", "-q", "docs/sizing/x/results/table.csv"], cwd=REPO)
    assert result.returncode == 1
    assert subprocess.run(["git", "check-ignore", "-q", "results/table.csv"], cwd=REPO).returncode == 0


def test_the_readmes_test_times_are_the_committed_tables():
    """The tiers' times the README quotes are generated from docs/sizing/ (make sizing-docs), not typed."""
    import csv

    module = benchmark_module("test_times")
    with open(REPO / "docs" / "sizing" / "test-tiers-xeon-2vcpu" / "test_times.csv", newline="") as fh:
        block = module.readme_block(list(csv.DictReader(fh)))
    assert block.count("tests passed in") >= 3
    assert block in (REPO / "README.md").read_text(encoding="utf-8"), (
        "README.md's test times are stale: make sizing-docs"
    )


def test_every_number_the_docs_quote_is_generated_from_its_file_and_current():
    module = benchmark_module("sizing_numbers")
    found = module.values()
    assert module.problems(found) == [], "a quoted number is stale: make sizing-docs"
    # every key is quoted somewhere, and the check sees a stale or unknown span
    quoted = {m["key"] for page in module.pages() for m in module.SPAN.finditer(page.read_text(encoding="utf-8"))}
    assert quoted == set(found), f"defined but never quoted: {sorted(set(found) - quoted)}"
    text = "arena <!-- n:demo-arena-cnn-int8 -->1.0 KiB<!-- /n --> and <!-- n:no-such -->3<!-- /n -->"
    assert module.fill(text, found) == text.replace("1.0 KiB", found["demo-arena-cnn-int8"])


# A number with a unit typed into a page is a measurement that cannot go stale-checked; these are not
# measurements: targets, tolerances, design constants of the code or config, and the paper's own numbers.
NOT_MEASURED = {
    "50 %",
    "0.01 ms",
    "0.1 ms",
    "15 %",
    "15%",
    "5 %",
    "5%",
    "10%",
    "10 %",
    "95 %",
    "16 KiB",
    "256 MiB",
    "25 %",
    "85 %",
    "1.2x",
    "1.25x",
    "60 s",
    "30 %",
    "5 minutes",
    "0.1 %",
    "0.43 MB",
    "0.04 MB",
    "11.06x",
    "3.4x",
    "2.043 %",
    "2.04 %",
    "60,000 x",
    "10,000 x",
    "28 x",
    "3x",
    "3.11 s",
}
MEASURED = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ms|s|min|minutes|seconds|hours|MiB|KiB|GiB|MB|GB|%|x)(?![\w/])"
)


def typed_numbers(text: str) -> list[str]:
    """Numbers with a unit outside generated spans, generated blocks, code blocks and code spans."""
    text = benchmark_module("sizing_numbers").SPAN.sub("", text)
    times = benchmark_module("test_times")
    text = re.sub(re.escape(times.START) + ".*?" + re.escape(times.END), "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [m for m in MEASURED.findall(text) if m not in NOT_MEASURED]


def test_no_measured_number_is_typed_into_the_docs():
    found = {
        page.relative_to(REPO).as_posix(): typed
        for page in benchmark_module("sizing_numbers").pages()
        if (typed := typed_numbers(page.read_text(encoding="utf-8")))
    }
    assert found == {}, "quote measured numbers through docs/sizing/numbers.md (make sizing-docs)"
    assert typed_numbers("took 45 s, <!-- n:x -->45 s<!-- /n -->, `45 s`, a 15 % target") == ["45 s"]


def test_the_readmes_where_to_look_names_what_exists():
    """A newcomer's four questions (their data, the int8 conversion, where a verdict is decided, the rerun
    test) are answered in the README by names: each `name` in `file` there is defined in that file, and each
    quoted section title is a heading of its page."""
    text = (REPO / "README.md").read_text()
    where = text[text.index("<!-- where:start -->") : text.index("<!-- where:end -->")]
    assert len(re.findall(r"^- \*\*", where, re.M)) == 4
    named = re.findall(r"`(\w+)` in\s+`([\w/.]+\.py)`", where)
    assert len(named) >= 4, named
    for name, path in named:
        source = (REPO / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.M), f"README: {name} is not defined in {path}"
    for page, title in re.findall(r"`(docs/[\w.]+\.md)`,\s+\"([^\"]+)\"", where):
        headings = [h.lstrip("# ").strip() for h in (REPO / page).read_text().splitlines() if h.startswith("#")]
        assert any(h.startswith(title) for h in headings), f"README: {page} has no section {title!r}"
    for path in re.findall(r"`((?:workflow|tests)/[\w/.]+\.py)`", where):
        assert (REPO / path).is_file(), path
