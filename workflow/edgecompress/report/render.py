"""Rules render_report and compile_report: Jinja2 -> Typst -> PDF.

Every value the template prints is escaped as a Typst string literal.

The template uses ``<< value >>`` and ``<% block %>`` (Typst itself uses braces and ``#``). A
printed value becomes ``#"...";``: a string in code mode shows as text, never as markup, and the
semicolon ends the expression so following punctuation stays text.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping

import jinja2
import typst

from ..results import atomic_path
from ..sources import official_checksums
from .context import build_context
from .format import MEASURED, Code, measured

log = logging.getLogger(__name__)


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def typst_literal(value: Any) -> str:
    """A printed value as Typst string literals; its measured parts as ``#measured("...")``."""
    if isinstance(value, Code):
        return str(value)
    text = "" if value is None else str(value)
    if MEASURED[0] not in text:
        return f"#{_string(text)};"
    out = []
    for i, part in enumerate(re.split(f"[{MEASURED[0]}{MEASURED[1]}]", text)):
        if part:
            out.append(f"#measured({_string(part)});" if i % 2 else f"#{_string(part)};")
    return "".join(out)


def environment(template_dir: str | os.PathLike) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        finalize=typst_literal,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["measured"] = measured
    return env


def render(template: str | os.PathLike, context: Mapping[str, Any], out: str | os.PathLike) -> None:
    template = Path(template)
    text = environment(template.parent).get_template(template.name).render(**context)
    with atomic_path(out, suffix=".typ") as tmp:
        tmp.write_text(text, encoding="utf-8")


def render_report(
    inputs: Mapping[str, Any], template: str, schema: str, config: Mapping, figures: Mapping, out: str
) -> None:
    """Rule render_report: the Typst source of the report, from the workflow's tables and metrics."""
    sha, md5 = official_checksums(schema)
    render(template, build_context(inputs, config, figures, sha, md5), out)
    log.info("rendered %s", out)


def compile_report(source: str | os.PathLike, out: str | os.PathLike) -> None:
    """Rule compile_report: Typst's bundled fonts only (no system fonts, no dates), so the same source
    gives the same bytes."""
    source = Path(source)
    with atomic_path(out, suffix=".pdf") as tmp:
        typst.compile(str(source), output=str(tmp), root=str(source.parent), ignore_system_fonts=True)


def first_page_png(source: str | os.PathLike, out: str | os.PathLike, ppi: int = 60) -> None:
    """The first page of a rendered report (its Typst source) as a PNG, for the README: the same fonts
    as ``compile_report``."""
    import shutil
    import tempfile

    source = Path(source)
    with tempfile.TemporaryDirectory() as tmp, atomic_path(out, suffix=".png") as dst:
        typst.compile(
            str(source),
            output=str(Path(tmp) / "page{p}.png"),
            format="png",
            ppi=ppi,
            root=str(source.parent),
            ignore_system_fonts=True,
        )
        pages = sorted(Path(tmp).glob("page*.png"), key=lambda p: int(p.stem[4:]))
        if not pages:
            raise ValueError(f"{source}: Typst wrote no page")
        shutil.copyfile(pages[0], dst)


if __name__ == "__main__":  # python -m edgecompress.report.render <run>/results/report/paper.typ <picture.png>
    import sys

    first_page_png(sys.argv[1], sys.argv[2])
