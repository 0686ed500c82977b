"""ARM parity as the report prints it: one row per file, and one line per model beside an ARM class's choice.

Reads the rows of ``results/deployment/arm_parity.csv`` (``edgecompress.deployment.arm``); a model's
seeds are pooled: "int8 outputs identical on k of N" counts every image of every seed's file.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ..modelkey import config_of
from .format import num


def summaries(rows: Sequence[Mapping]) -> dict[tuple[str, str], dict]:
    """(model config, precision) -> what ARM parity found over its seeds' files."""
    groups: dict[tuple[str, str], list] = {}
    for r in rows:
        groups.setdefault((config_of(r["model"])[0], r["precision"]), []).append(r)
    out = {}
    for key, members in groups.items():
        ran = [r for r in members if r["status"] == "ran"]
        out[key] = {
            "ran": len(ran) == len(members),
            "core": members[0]["core"],
            "status": next((r["status"] for r in members if r["status"] != "ran"), "ran"),
            "images": sum(int(r["images"]) for r in ran),
            "identical": sum(int(r["identical"]) for r in ran),
            "integer": bool(ran) and ran[0]["output_type"] != "float32",
            "max_abs": max((float(r["max_abs_difference"]) for r in ran if r["max_abs_difference"]), default=None),
            "max_steps": max((int(r["max_step_difference"]) for r in ran if r["max_step_difference"]), default=None),
            "agree": sum(round(float(r["argmax_agreement"]) * int(r["images"])) for r in ran),
            "flagged": any(str(r["flagged"]) == "True" for r in members),
            "files": len(members),
        }
    return out


def table(rows: Sequence[Mapping]) -> list[dict]:
    """The ARM parity table's rows, as printed."""
    out = []
    for r in rows:
        ran = r["status"] == "ran"
        diff = (
            "–"
            if not ran
            else f"{r['max_step_difference']} steps"
            if r["max_step_difference"] not in ("", None)
            else f"{float(r['max_abs_difference']):.2g}"
        )
        out.append(
            {
                "model": r["model"],
                "precision": r["precision"],
                "status": r["status"],
                "identical": f"{r['identical']}/{r['images']}" if ran else "–",
                "difference": diff,
                "argmax": num(r["argmax_agreement"], 3) if ran else "–",
                "accuracy": f"{num(100 * float(r['accuracy_arm']), 1)} / {num(100 * float(r['accuracy_x86']), 1)}"
                if ran
                else "–",
                "flag": "yes" if str(r["flagged"]) == "True" else "",
                "explanation": r.get("explanation") or "",
            }
        )
    return out
