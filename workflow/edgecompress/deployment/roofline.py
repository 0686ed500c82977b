"""The roofline of the CPU that ran the timing job, and every model's latency on it.

A model's time per inference is bounded below by ``max(MACs / peak MAC rate, bytes / bandwidth)``.
Both roofs are measured in the timing job, on its core and thread count:

- the peak multiply-accumulate rate per precision and kind of kernel: compute-bound models
  (rule roof_models, :mod:`.roofs`) run through LiteRT with the kernels the timing uses, their MACs
  (``graph.Graph.macs_by_kind``) over
  their best round's median: ``dense`` (1x1 convolutions, a 1,024 x 512 x 512
  matrix product each) and ``depthwise`` (3x3 depthwise convolutions over 256 channels of a 16 x 16
  map, in cache), whose kernels reach a fraction of the dense ones' rate. Only float32 and int8
  have roof models: a precision without one (dynamic range, float16) gets no bound, and says so;
- the memory levels, as the Empirical Roofline Toolkit and likwid-bench find them: the bandwidth one
  core sees when streaming a read (numpy's vectorised ``max`` over float32) of working sets from 16 KiB
  to twice the largest cache the OS reports (at least 256 MiB), ``POINTS_PER_OCTAVE`` sizes per
  doubling (:func:`bandwidth_sweep`); a level is a plateau of that sweep (:func:`plateaus`). The OS's
  cache sizes are only a hint for the plateaus' names: a VM may report its host's 480 MiB L3, which
  then shows in the sweep as no plateau at all.

Per model and precision the bytes moved are its weights (read once per inference) plus its
activations (every tensor an op writes, once), both from the ``.tflite`` graph; they stream from the
plateau whose working sets hold them (in a transition between two plateaus, the faster one: the
bound stays a lower bound). A latency measured faster than ``(1 - BOUND_MARGIN)`` times its bound
is a disagreement between two measurements (:func:`check`), not a verdict on one: when a second,
independent timing (LiteRT's own benchmark tool) agrees with it, the roof model is what is wrong;
only a latency that the two timings disagree on is suspect. A predicted speed-up is the ratio of two
attainable times.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from ..litert import interpreter
from ..measure import samples_ms
from .graph import read_graph
from .levels import level_of, plateaus

log = logging.getLogger(__name__)

CACHE_ROOT = "/sys/devices/system/cpu/cpu0/cache"
DRAM_MIN_BYTES = 256 * 2**20
PASSES = 5  # streaming passes per buffer; the best one is the bandwidth
NOT_MEASURED = "not measured"


class RoofError(RuntimeError):
    """A roof that cannot be measured here; the message says why."""


# ---------------------------------------------------------------- the machine's roofs
def cache_sizes(root: str | os.PathLike = CACHE_ROOT) -> dict[str, int]:
    """Data and unified cache sizes by level (``L1``, ``L2``, ``L3``) as the OS reports them."""
    root = Path(root)
    sizes: dict[str, int] = {}
    for index in sorted(root.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text())
            text = (index / "size").read_text().strip().upper()
        except (OSError, ValueError):
            continue
        if kind == "Instruction" or not text:
            continue
        unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1], 1)
        sizes[f"L{level}"] = int(float(text.rstrip("KMG")) * unit)
    if not sizes:
        raise RoofError(f"the OS reports no cache sizes ({root} is missing or empty)")
    return dict(sorted(sizes.items()))


def stream_bandwidth(nbytes: int, passes: int = PASSES, clock: Callable[[], float] = time.perf_counter) -> float:
    """Bytes per second of the best of ``passes`` streaming reads of a ``nbytes`` buffer (after one warm pass)."""
    buffer = np.ones(max(nbytes // 4, 1024), dtype=np.float32)
    buffer.max()  # touch every page, fill the cache levels it fits in
    best = float("inf")
    reps = max(1, int(64 * 2**20 // buffer.nbytes))  # small buffers: several reads per timed pass
    for _ in range(passes):
        start = clock()
        for _ in range(reps):
            buffer.max()
        best = min(best, (clock() - start) / reps)
    return buffer.nbytes / best


def peak_mac_rate(path: str, threads: int, kernels: str, kind: str, rounds: int = 5, runs: int = 5) -> float:
    """MACs (of ``kind``) per second of the roof model at ``path``: its graph's MACs over the best round's median."""
    macs = read_graph(path).macs_by_kind[kind]
    interp = interpreter(path, threads, kernels)
    detail = interp.get_input_details()[0]
    interp.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=detail["dtype"]))
    best_ms = min(float(np.median(samples_ms(interp.invoke, 2 if r == 0 else 0, runs))) for r in range(rounds))
    return macs / (best_ms / 1e3)


SWEEP_FROM = 16 * 2**10  # smallest working set of the sweep
POINTS_PER_OCTAVE = 3  # working-set sizes per doubling
SWEEP_PASSES = 3


def sweep_sizes(reported: Mapping[str, int]) -> list[int]:
    """Working sets from ``SWEEP_FROM`` to twice the largest reported cache (at least ``DRAM_MIN_BYTES``),
    ``POINTS_PER_OCTAVE`` per doubling, each a multiple of 4 KiB."""
    top = max(DRAM_MIN_BYTES, 2 * max(reported.values(), default=0))
    count = int(np.ceil(POINTS_PER_OCTAVE * np.log2(top / SWEEP_FROM))) + 1
    sizes = np.geomspace(SWEEP_FROM, top, count)
    return sorted({int(round(n / 4096)) * 4096 for n in sizes})


def bandwidth_sweep(sizes: list[int], measure: Callable[[int], float] | None = None) -> list[dict]:
    """The streaming-read bandwidth of each working-set size: ``[{"bytes", "bandwidth_bytes_per_s"}]``."""
    measure = measure or (lambda n: stream_bandwidth(n, passes=SWEEP_PASSES))
    return [{"bytes": int(n), "bandwidth_bytes_per_s": float(measure(n))} for n in sizes]


def measure_roofs(
    files: Mapping[str, str],
    threads: int,
    kernels: str,
    caches: Callable[[], dict[str, int]] = cache_sizes,
    sweep: Callable[[list[int]], list[dict]] = bandwidth_sweep,
) -> dict:
    """The roofs of this machine (``files``: "<precision>_<kind>" -> roof model), or why they could not be measured.

    The OS's cache sizes are a hint (a machine that reports none is swept to ``DRAM_MIN_BYTES``).
    Never raises: a failure leaves ``status`` "not measured" with the reason, and the timing intact.
    """
    start = time.perf_counter()
    try:
        try:
            sizes, hint = caches(), ""
        except RoofError as exc:
            sizes, hint = {}, str(exc)
        peaks = {name: peak_mac_rate(path, threads, kernels, name.split("_", 1)[1]) for name, path in files.items()}
        points = sweep(sweep_sizes(sizes))
        levels = plateaus(points, sizes)
    except Exception as exc:  # a roof that fails must not lose the latencies measured before it
        log.warning("roofline not measured: %s", exc)
        return {
            "status": NOT_MEASURED,
            "reason": f"{type(exc).__name__}: {exc}" if not isinstance(exc, RoofError) else str(exc),
            "seconds": time.perf_counter() - start,
        }
    roofs = {
        "status": "measured",
        "reason": "",
        "cache_bytes": sizes,
        "cache_hint": hint or "reported by the OS",
        "sweep": points,
        "levels": levels,
        "bandwidth_bytes_per_s": {lv["name"]: lv["bandwidth_bytes_per_s"] for lv in levels},
        "peak_macs_per_s": peaks,
        "seconds": time.perf_counter() - start,
    }
    log.info(
        "roofs in %.1f s: peak %s MAC/s, levels %s, caches reported %s",
        roofs["seconds"],
        {p: f"{v:.3g}" for p, v in peaks.items()},
        [(lv["name"], lv["holds_bytes"], f"{lv['bandwidth_bytes_per_s']:.3g}") for lv in levels],
        sizes or hint,
    )
    return roofs


# ---------------------------------------------------------------- a model on them
class NoRoof(KeyError):
    """A precision whose kernels have no roof model (the message says which)."""

    def __str__(self) -> str:
        return str(self.args[0])


def attainable(
    macs_by_kind: Mapping[str, int],
    weight_bytes: int,
    activation_bytes: int,
    precision: str,
    roofs: Mapping,
    batch: int = 1,
) -> dict:
    """The roofline's bound on one call at ``batch`` images: compute and memory times, the larger, which one.

    Compute time is each kind's MACs over that kind's peak (dense and depthwise kernels differ). At
    batch N the MACs and activations scale with N, the weights are read once per call. Raises
    :class:`NoRoof` for a precision without a measured peak (its kernels are none of the roof models').
    """
    missing = [
        f"{precision}_{kind}"
        for kind, n in macs_by_kind.items()
        if n and f"{precision}_{kind}" not in roofs["peak_macs_per_s"]
    ]
    if missing:
        measured = ", ".join(sorted({k.rsplit("_", 1)[0] for k in roofs["peak_macs_per_s"]}))
        raise NoRoof(
            f"no roof measured for {precision}: the roof models are {measured} only "
            f"(rule roof_models), and {precision} runs other kernels"
        )
    moved = weight_bytes + batch * activation_bytes
    level, bandwidth = level_of(moved, roofs)
    macs = sum(macs_by_kind.values())
    compute_s = batch * sum(
        n / roofs["peak_macs_per_s"][f"{precision}_{kind}"] for kind, n in macs_by_kind.items() if n
    )
    memory_s = moved / bandwidth
    return {
        "level": level,
        "compute_ms": 1e3 * compute_s,
        "memory_ms": 1e3 * memory_s,
        "attainable_ms": 1e3 * max(compute_s, memory_s),
        "bound": "compute" if compute_s >= memory_s else "memory",
        "bytes": moved,
        "intensity": batch * macs / moved if moved else float("nan"),
    }


FAR_FROM_BOUND = 0.25  # a latency over 4x its bound is not explained by the roofs


def explain(model: Mapping, reference: Mapping) -> str:
    """Why a speed-up of ``model`` over ``reference`` is what it is, from the two bounds (no prose in advance).

    Each side: ``bound`` (compute or memory), ``level`` (where its bytes stream from), ``fraction``
    (its bound over its measured latency).
    """
    far = [
        name
        for name, side in (("this model", model), ("the reference", reference))
        if float(side.get("fraction", 1)) < FAR_FROM_BOUND
    ]
    if far:
        return (
            f"{' and '.join(far)} run{'s' if len(far) == 1 else ''} at under {FAR_FROM_BOUND:.0%} of the roofline "
            "bound: per-call overhead or kernels far below the roofs decide, and the roofline cannot predict it"
        )
    if model["bound"] == reference["bound"] == "compute":
        return "compute-bound: follows the MACs cut"
    if model["bound"] == reference["bound"] == "memory":
        if model["level"] != reference["level"]:
            return (
                f"memory-bound: this model's weights and activations fit in {model['level']}, "
                f"the reference's stream from {reference['level']}"
            )
        return f"memory-bound: follows the bytes cut (both from {model['level']})"
    return f"the reference is {reference['bound']}-bound, this model {model['bound']}-bound"
