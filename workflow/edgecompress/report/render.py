"""Jinja2 -> Typst -> PDF. Every value the template prints is escaped as a Typst string literal.

The template uses ``<< value >>`` and ``<% block %>`` (Typst itself uses braces and ``#``). A
printed value becomes ``#"...";``: a string in code mode shows as text, never as markup, and the
semicolon ends the expression so following punctuation stays text.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import jinja2

from ..atomic import atomic_path


def num(value, digits: int = 4) -> str:
    """A number with ``digits`` decimals; "–" for a missing one."""
    if value in (None, ""):
        return "–"
    return f"{float(value):.{digits}f}"


def signed(value, digits: int = 2) -> str:
    if value in (None, ""):
        return "–"
    return f"{float(value):+.{digits}f}"


def count(value) -> str:
    return "–" if value in (None, "") else f"{int(float(value)):,}"


def spread(std, seeds, digits: int = 2) -> str:
    """± std over seeds, or "–" for one seed (one run has no spread to show)."""
    return "–" if int(seeds) < 2 else num(std, digits)


def budgets_text(device: Mapping) -> str:
    """A device class's budgets in one line (the rule table and the budget table say the same)."""
    latency = (f"latency {device['latency_ms']:g} ms" if device.get("latency_ms") is not None
               and device["hardware"] == "cpu" else "latency –")
    return (f"flash {device['flash_mib']:g} MiB, RAM {device['ram_mib']:g} MiB, {latency}, "
            f"{'/'.join(device['precisions'])}")


class Code(str):
    """Typst code the template prints as it is (a string literal in code mode, e.g. an image path)."""


def code_string(text: str) -> Code:
    """``text`` as a Typst string literal for code mode: ``image(<< path >>)``."""
    return Code('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def typst_literal(value: Any) -> str:
    if isinstance(value, Code):
        return str(value)
    text = "" if value is None else str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'#"{escaped}";'


def environment(template_dir: str | os.PathLike) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        variable_start_string="<<", variable_end_string=">>",
        block_start_string="<%", block_end_string="%>",
        comment_start_string="<#", comment_end_string="#>",
        finalize=typst_literal, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )


def render(template: str | os.PathLike, context: Mapping[str, Any], out: str | os.PathLike) -> None:
    template = Path(template)
    text = environment(template.parent).get_template(template.name).render(**context)
    with atomic_path(out, suffix=".typ") as tmp:
        tmp.write_text(text, encoding="utf-8")


def compile_pdf(source: str | os.PathLike, out: str | os.PathLike) -> None:
    """Typst's bundled fonts only (no system fonts, no dates): the same source gives the same bytes."""
    import typst

    source = Path(source)
    with atomic_path(out, suffix=".pdf") as tmp:
        typst.compile(str(source), output=str(tmp), root=str(source.parent), ignore_system_fonts=True)
