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


def test_an_executed_notebook_keeps_no_clock_time_and_no_checkout_path():
    from edgecompress.report.nbclean import strip_clock

    nb = {
        "metadata": {
            "papermill": {
                "start_time": "t0",
                "end_time": "t1",
                "duration": 2.0,
                "version": "2.7.0",
                "input_path": "/home/ana/my clone/notebooks/pruning.ipynb",
                "output_path": "results/report/pruning/pruning.ipynb",
            }
        },
        "cells": [
            {
                "id": "x1",
                "metadata": {
                    "execution": {"iopub.status.busy": "t"},
                    "tags": ["injected-parameters"],
                    "papermill": {"duration": 0.1, "status": "completed"},
                },
            }
        ],
    }
    strip_clock(nb)
    assert nb["metadata"]["papermill"] == {
        "version": "2.7.0",
        "input_path": "notebooks/pruning.ipynb",
        "output_path": "results/report/pruning/pruning.ipynb",
    }
    assert nb["cells"] == [
        {
            "id": "injected-parameters",
            "metadata": {"tags": ["injected-parameters"], "papermill": {"status": "completed"}},
        }
    ]


def test_the_readme_picture_is_the_first_page_of_the_report(tmp_path):
    from edgecompress.report.render import first_page_png

    source = tmp_path / "paper.typ"
    source.write_text("#set page(width: 10cm, height: 6cm)\nFirst page\n#pagebreak()\nSecond page, much longer " * 1)
    out = tmp_path / "picture.png"
    first_page_png(source, out, ppi=30)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (round(10 / 2.54 * 30), round(6 / 2.54 * 30))  # one page at the asked resolution
