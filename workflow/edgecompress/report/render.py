"""Jinja2 -> Typst -> PDF. Every value the template prints is escaped as a Typst string literal.

The template uses ``<< value >>`` and ``<% block %>`` (Typst itself uses braces and ``#``). A
printed value becomes ``#"...";``: a string in code mode shows as text, never as markup, and the
semicolon ends the expression so following punctuation stays text.
"""

from __future__ import annotations

import os
import re
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


# A measured value (a time, a ratio of times, a flag or a verdict that follows from times) inside
# any printed string is wrapped in these two characters (never in real text); the template prints
# it as ``#measured("...")``, so two runs of the same inputs differ only inside those calls
# (tests/test_reproducible.py compares everything else, numbers included).
MEASURED = ("\x1e", "\x1f")


def measured(value) -> str:
    """``value`` marked as measured (also a Jinja filter: ``<< r.latency | measured >>``)."""
    text = "" if value is None else str(value).replace(MEASURED[0], "").replace(MEASURED[1], "")
    return text if not text or text == "–" else f"{MEASURED[0]}{text}{MEASURED[1]}"


def plain(value):
    """``value`` (a string, or dicts and lists of them) without the measured marks: what a reader sees."""
    if isinstance(value, str):
        return value.replace(MEASURED[0], "").replace(MEASURED[1], "")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def join_reasons(reasons, sep: str = "; ") -> str:
    """``sep``.join(reasons), with the separator before a measured reason inside its mark: a reason
    that follows from times may be there in one run and not in the next, and nothing else differs."""
    out = ""
    for i, r in enumerate(reasons):
        if i and r.startswith(MEASURED[0]):
            out += measured(sep + plain(r))
        else:
            out += (sep if i else "") + r
    return out


class Code(str):
    """Typst code the template prints as it is (a string literal in code mode, e.g. an image path)."""


def code_string(text: str) -> Code:
    """``text`` as a Typst string literal for code mode: ``image(<< path >>)``."""
    return Code('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


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
        variable_start_string="<<", variable_end_string=">>",
        block_start_string="<%", block_end_string="%>",
        comment_start_string="<#", comment_end_string="#>",
        finalize=typst_literal, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters["measured"] = measured
    return env


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
