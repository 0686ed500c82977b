"""How the report prints a value: numbers, budgets, and the mark of a measured value.

Every module of the report formats through these (the context, the verdicts, the conclusions, the
recommendations); :mod:`edgecompress.report.render` turns the marks into Typst.
"""

from __future__ import annotations

from typing import Mapping


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


def budget_fields(device: Mapping) -> dict[str, str]:
    """A device class's budgets as printed, field by field (the budget table of the report)."""
    return {
        "flash": f"{device['flash_mib']:g}",
        "ram": f"{device['ram_mib']:g}",
        "latency": "–" if device.get("latency_ms") is None else f"{device['latency_ms']:g}",
        "precisions": "/".join(device["precisions"]),
    }


def budgets_text(device: Mapping) -> str:
    """A device class's budgets in one line (the rule table and the budget table say the same)."""
    f = budget_fields(device)
    latency = f"latency {f['latency']} ms" if f["latency"] != "–" and device["hardware"] == "cpu" else "latency –"
    return f"flash {f['flash']} MiB, RAM {f['ram']} MiB, {latency}, {f['precisions']}"


# A measured value (a time, a ratio of times, a flag or a verdict that follows from times) inside
# any printed string is wrapped in these two characters (never in real text); the template prints
# it as ``#measured("...")``, so two runs of the same inputs differ only inside those calls
# (tests/workflow/test_reproducible.py compares everything else, numbers included).
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
