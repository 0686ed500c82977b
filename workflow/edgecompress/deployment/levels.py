"""The memory levels of a machine and what a latency and its roofline bound say together.

Pure arithmetic on what the timing job recorded (``machine.json``'s ``roofline``), without the runtime
that measured it, so that the report reads the same levels and verdicts as the deployment table.
See :mod:`.roofline` for how the roofs are measured.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

PLATEAU_TOLERANCE = 0.25  # a point within 25 % of a plateau's median bandwidth belongs to it (the passes' noise)
MIN_PLATEAU_POINTS = 3  # a plateau spans at least this many sweep sizes (two thirds of an octave at three per octave)
BOUND_MARGIN = 0.15  # a latency this far below its bound disagrees with it (the roofs' own noise)


# ---------------------------------------------------------------- the levels of the bandwidth sweep
def same_level(a: float, b: float, tolerance: float = PLATEAU_TOLERANCE) -> bool:
    """Two bandwidths within ``tolerance`` of each other (in ratio): one memory level as far as the sweep can tell."""
    return abs(np.log(a / b)) <= np.log1p(tolerance)


def plateaus(
    sweep: list[Mapping], reported: Mapping[str, int] | None = None, tolerance: float = PLATEAU_TOLERANCE
) -> list[dict]:
    """The memory levels the sweep shows, from the core outward: its plateaus of bandwidth.

    A working set cannot stream faster than a smaller one, so the sweep is first replaced by its upper
    envelope from the right (each point's bandwidth is the best of it and every larger set): a pass slowed
    by other load, or numpy's per-call cost on a read of a few KiB, does not make a level. Then
    consecutive points within ``tolerance`` of the running plateau's median bandwidth form one plateau;
    fewer than ``MIN_PLATEAU_POINTS`` points between two plateaus are a transition, not a level. The last
    plateau is DRAM. A level holds every working set up to the first size of the next plateau (a transition
    point streams at
    the faster rate at least: the bound stays a lower bound). The caches are named after the OS's report
    where a reported size lies within the plateau's sizes (:func:`_name_caches`).
    """
    if not sweep:
        return []
    points = sorted(sweep, key=lambda p: p["bytes"])
    best, envelope = 0.0, []
    for p in reversed(points):
        best = max(best, float(p["bandwidth_bytes_per_s"]))
        envelope.append({"bytes": p["bytes"], "bandwidth_bytes_per_s": best})
    groups: list[list[Mapping]] = []
    for p in reversed(envelope):
        if groups:
            level = float(np.median([q["bandwidth_bytes_per_s"] for q in groups[-1]]))
            if same_level(p["bandwidth_bytes_per_s"], level, tolerance):
                groups[-1].append(p)
                continue
        groups.append([p])
    kept = [g for i, g in enumerate(groups) if len(g) >= MIN_PLATEAU_POINTS or i == len(groups) - 1]
    reported = dict(reported or {})
    levels = []
    for i, g in enumerate(kept):
        last = i == len(kept) - 1
        holds = None if last else kept[i + 1][0]["bytes"]
        levels.append(
            {
                "name": "DRAM" if last else "",
                "from_bytes": g[0]["bytes"],
                "to_bytes": g[-1]["bytes"],
                "holds_bytes": holds,
                "points": len(g),
                "bandwidth_bytes_per_s": float(np.median([q["bandwidth_bytes_per_s"] for q in g])),
            }
        )
    _name_caches(levels[:-1], reported)
    return levels


def _name_caches(caches: list[dict], reported: Mapping[str, int]) -> None:
    """Each cache plateau named after the reported level whose size falls in its range, else after the level
    before it (``L2`` then ``L3``), else by its place (``cache 1``, ...)."""
    taken: set[str] = set()
    for i, level in enumerate(caches):
        low = caches[i - 1]["holds_bytes"] if i else 0
        fits = [
            name
            for name, size in sorted(reported.items(), key=lambda kv: kv[1])
            if low < size <= 2 * level["holds_bytes"] and name not in taken
        ]
        before = caches[i - 1]["name"] if i else ""
        after = f"L{int(before[1:]) + 1}" if before[:1] == "L" and before[1:].isdigit() else ""
        level["name"] = fits[-1] if fits else after if after and after not in taken else f"cache {i + 1}"
        taken.add(level["name"])


def legacy_levels(roofs: Mapping) -> list[dict]:
    """The levels of a record written before the sweep (a buffer half each reported cache, one past the last).

    A reported level whose bandwidth is within ``PLATEAU_TOLERANCE`` of the next one out is no level
    of its own (a VM's reported L3 that streams at DRAM's rate): its working sets go to the next.
    """
    bandwidth, sizes = roofs["bandwidth_bytes_per_s"], roofs.get("cache_bytes", {})
    names = [n for n in sorted(sizes, key=sizes.get) if n in bandwidth] + ["DRAM"]
    levels = []
    for i, name in enumerate(names):
        outer = names[i + 1] if i + 1 < len(names) else None
        bw = bandwidth[name]
        if outer and same_level(bw, bandwidth[outer]):
            continue
        levels.append(
            {"name": name, "holds_bytes": sizes.get(name) if outer else None, "bandwidth_bytes_per_s": float(bw)}
        )
    return levels


def levels_of(roofs: Mapping) -> list[dict]:
    """The machine's memory levels from the core outward: the sweep's plateaus, or a legacy record's."""
    return list(roofs["levels"]) if roofs.get("levels") else legacy_levels(roofs)


def level_of(working_set: int, roofs: Mapping) -> tuple[str, float]:
    """(name, bandwidth) of the innermost level that holds ``working_set`` bytes, else the outermost (DRAM)."""
    levels = levels_of(roofs)
    for lv in levels:
        if lv["holds_bytes"] is not None and working_set <= lv["holds_bytes"]:
            return lv["name"], lv["bandwidth_bytes_per_s"]
    return levels[-1]["name"], levels[-1]["bandwidth_bytes_per_s"]


# ---------------------------------------------------------------- a latency against its bound
def faster_than_bound(measured_ms: float, attainable_ms: float, margin: float = BOUND_MARGIN) -> bool:
    return measured_ms < (1 - margin) * attainable_ms


# what a latency and its bound say together (``check``); only "suspect" flags the latency
WITHIN, ROOF_MISFIT, SUSPECT, UNCONFIRMED = "within", "roof does not fit", "suspect", "unconfirmed"


def check(measured_ms: float, attainable_ms: float, second: str = "") -> str:
    """A latency against its bound, given what a second, independent timing of the same file said
    (``second``: LiteRT's benchmark tool's verdict, "agrees" or "disagrees"; anything else: none).

    Below its bound is a disagreement between two measurements, not a verdict on the latency: a second
    timing that agrees with it puts the error in the roof model; only one that disagrees makes it suspect.
    """
    if not faster_than_bound(measured_ms, attainable_ms):
        return WITHIN
    return {"agrees": ROOF_MISFIT, "disagrees": SUSPECT}.get(second, UNCONFIRMED)


def fit(checks: list[str]) -> dict:
    """Whether the roof model fits the machine: it does not when most bounded latencies are below their bounds."""
    below = sum(c != WITHIN for c in checks)
    return {"bounded": len(checks), "below": below, "fits": 2 * below <= len(checks)}


def roof_fit(roofline) -> dict:
    """:func:`fit` over every bounded LiteRT latency of ``roofline.csv``'s rows: the roofs are measured with
    LiteRT's kernels; eager PyTorch runs far above any bound and says nothing of them."""
    return fit([r["roof_check"] for r in roofline if r.get("roof_check") and r["runtime"] == "litert"])


def misfit_text(fitted: Mapping) -> str:
    return (
        f"not explained here: the roof model does not fit this CPU ({fitted['below']} of {fitted['bounded']} "
        "latencies are below their bounds)"
    )
