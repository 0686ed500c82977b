"""The roofline of the CPU that ran the timing job, and every model's latency on it.

A model's time per inference is bounded below by ``max(MACs / peak MAC rate, bytes / bandwidth)``.
Both roofs are measured in the timing job, on its core and thread count:

- the peak multiply-accumulate rate per precision and kind of kernel: compute-bound models
  (rule roof_models, :mod:`.roofs`) run through LiteRT with the kernels the timing uses, their MACs (``graph.Graph.macs_by_kind``) over
  their best round's median: ``dense`` (1x1 convolutions, a 1,024 x 512 x 512
  matrix product each) and ``depthwise`` (3x3 depthwise convolutions over 256 channels of a 16 x 16
  map, in cache), whose kernels reach a fraction of the dense ones' rate;
- the bandwidth one core sees when streaming a read (numpy's vectorised ``max`` over float32) of a
  buffer half the size of each cache level the OS reports (L2, L3) and of one four times the last
  level (at least 256 MiB: DRAM), the best of a few passes;
- the cache sizes, from ``/sys/devices/system/cpu/cpu0/cache``.

Per model and precision the bytes moved are its weights (read once per inference) plus its
activations (every tensor an op writes, once), both from the ``.tflite`` graph; they stream from
the smallest cache level that holds them all, else from DRAM, and that level's bandwidth applies.
A latency measured faster than ``(1 - BOUND_MARGIN)`` times its bound is a measurement error and
is flagged. A predicted speed-up is the ratio of two attainable times.
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

log = logging.getLogger(__name__)

CACHE_ROOT = "/sys/devices/system/cpu/cpu0/cache"
DRAM_MIN_BYTES = 256 * 2**20
PASSES = 5  # streaming passes per buffer; the best one is the bandwidth
BOUND_MARGIN = 0.15  # a latency this far below its bound is a measurement error (the roofs' own noise)
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


def measure_roofs(files: Mapping[str, str], threads: int, kernels: str,
                  caches: Callable[[], dict[str, int]] = cache_sizes) -> dict:
    """The roofs of this machine (``files``: "<precision>_<kind>" -> roof model), or why they could not be measured.

    Never raises: a failure leaves ``status`` "not measured" with the reason, and the timing intact.
    """
    start = time.perf_counter()
    try:
        sizes = caches()
        levels = {name: size // 2 for name, size in sizes.items() if name != "L1"}
        levels["DRAM"] = max(4 * max(sizes.values()), DRAM_MIN_BYTES)
        bandwidth = {name: stream_bandwidth(n) for name, n in levels.items()}
        peaks = {name: peak_mac_rate(path, threads, kernels, name.split("_", 1)[1]) for name, path in files.items()}
    except Exception as exc:  # a roof that fails must not lose the latencies measured before it
        log.warning("roofline not measured: %s", exc)
        return {"status": NOT_MEASURED, "reason": f"{type(exc).__name__}: {exc}" if not isinstance(exc, RoofError)
                else str(exc), "seconds": time.perf_counter() - start}
    roofs = {"status": "measured", "reason": "", "cache_bytes": sizes, "bandwidth_bytes_per_s": bandwidth,
             "peak_macs_per_s": peaks, "seconds": time.perf_counter() - start}
    log.info("roofs in %.1f s: peak %s MAC/s, bandwidth %s B/s, caches %s", roofs["seconds"],
             {p: f"{v:.3g}" for p, v in peaks.items()}, {k: f"{v:.3g}" for k, v in bandwidth.items()}, sizes)
    return roofs


# ---------------------------------------------------------------- a model on them
def level_of(working_set: int, roofs: Mapping) -> str:
    """The smallest measured cache level that holds ``working_set`` bytes, else DRAM."""
    for name, size in sorted(roofs["cache_bytes"].items()):
        if name in roofs["bandwidth_bytes_per_s"] and working_set <= size:
            return name
    return "DRAM"


def attainable(macs_by_kind: Mapping[str, int], weight_bytes: int, activation_bytes: int, precision: str,
               roofs: Mapping, batch: int = 1) -> dict:
    """The roofline's bound on one call at ``batch`` images: compute and memory times, the larger, which one.

    Compute time is each kind's MACs over that kind's peak (dense and depthwise kernels differ). At
    batch N the MACs and activations scale with N, the weights are read once per call.
    """
    moved = weight_bytes + batch * activation_bytes
    level = level_of(moved, roofs)
    macs = sum(macs_by_kind.values())
    compute_s = batch * sum(n / roofs["peak_macs_per_s"][f"{precision}_{kind}"] for kind, n in macs_by_kind.items())
    memory_s = moved / roofs["bandwidth_bytes_per_s"][level]
    return {"level": level, "compute_ms": 1e3 * compute_s, "memory_ms": 1e3 * memory_s,
            "attainable_ms": 1e3 * max(compute_s, memory_s), "bound": "compute" if compute_s >= memory_s else "memory",
            "bytes": moved, "intensity": batch * macs / moved if moved else float("nan")}


def faster_than_bound(measured_ms: float, attainable_ms: float, margin: float = BOUND_MARGIN) -> bool:
    return measured_ms < (1 - margin) * attainable_ms


FAR_FROM_BOUND = 0.25  # a latency over 4x its bound is not explained by the roofs


def explain(model: Mapping, reference: Mapping) -> str:
    """Why a speed-up of ``model`` over ``reference`` is what it is, from the two bounds (no prose in advance).

    Each side: ``bound`` (compute or memory), ``level`` (where its bytes stream from), ``fraction``
    (its bound over its measured latency).
    """
    far = [name for name, side in (("this model", model), ("the reference", reference))
           if float(side.get("fraction", 1)) < FAR_FROM_BOUND]
    if far:
        return (f"{' and '.join(far)} run{'s' if len(far) == 1 else ''} at under {FAR_FROM_BOUND:.0%} of the roofline "
                "bound: per-call overhead or kernels far below the roofs decide, and the roofline cannot predict it")
    if model["bound"] == reference["bound"] == "compute":
        return "compute-bound: follows the MACs cut"
    if model["bound"] == reference["bound"] == "memory":
        if model["level"] != reference["level"]:
            return (f"memory-bound: this model's weights and activations fit in {model['level']}, "
                    f"the reference's stream from {reference['level']}")
        return f"memory-bound: follows the bytes cut (both from {model['level']})"
    return f"the reference is {reference['bound']}-bound, this model {model['bound']}-bound"
