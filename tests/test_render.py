"""Values printed into the report's Typst source stay text (no Snakemake run: part of `make test-fast`)."""

import re

from edgecompress.report.render import compile_report, render, typst_literal


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_values_are_escaped_for_typst(tmp_path):
    assert typst_literal('a "quoted" #b $c$ \\ [d]') == '#"a \\"quoted\\" #b $c$ \\\\ [d]";'
    # through the project's own Jinja2 environment and Typst: markup in a value stays text in the PDF
    (tmp_path / "t.typ.j2").write_text("Value: << value >>\n", encoding="utf-8")
    render(tmp_path / "t.typ.j2", {"value": '*bold* #text(red)[x] $y$ "q"'}, tmp_path / "t.typ")
    compile_report(tmp_path / "t.typ", tmp_path / "t.pdf")
    assert squash('*bold* #text(red)[x] $y$ "q"') in squash(pdf_text(tmp_path / "t.pdf"))
