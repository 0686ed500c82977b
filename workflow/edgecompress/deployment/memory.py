"""Rule measure_memory: the memory a device needs to run each ``.tflite``, measured three ways.

- **TFLM arena**: the model run by TensorFlow Lite Micro's own interpreter (the microcontroller
  runtime, PyPI ``tflite-micro``), with the smallest tensor arena that allocates and runs one
  inference, found by bisection up to ``deployment.max_arena_mib``; the bytes its recording
  allocator reports for that arena. An op TFLM lacks, a file it cannot parse, or an arena above the
  bound is an answer ("not runnable on TFLM: ..."), not a crash.
- **Peak live tensors**, from the graph alone: the largest sum of intermediate tensors (constants
  excluded) alive at once over the op schedule. An arena can never be smaller.
- **Process memory** on an OS device: the resident-set increase of loading the file in LiteRT and
  running one inference, in a fresh process (median of three).

For int8 models within the largest microcontroller flash budget, TFLM also classifies the whole
test split, and its argmax is compared with LiteRT's on the same inputs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import tempfile
from typing import Callable, Mapping, Sequence

import numpy as np

from ..litert import classify, interpreter
from ..measure import MIB
from ..results import write_csv
from .graph import read_graph
from .testdata import TestSplits

log = logging.getLogger(__name__)

COLUMNS = (
    "model",
    "precision",
    "file",
    "file_bytes",
    "tflm_runnable",
    "tflm_reason",
    "arena_bytes",
    "peak_live_bytes",
    "process_rss_bytes",
    "tflm_accuracy",
    "litert_accuracy",
    "tflm_litert_agreement",
    "tflm_images",
)
ARENA_STEP = 16  # TFLM aligns allocations to 16 bytes: the bisection stops at this resolution
TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


# ---------------------------------------------------------------- peak live tensors (graph only)
def peak_live(
    n_tensors: int,
    sizes: Mapping[int, int],
    constant: set,
    inputs: Sequence[int],
    outputs: Sequence[int],
    ops: Sequence[tuple[Sequence[int], Sequence[int]]],
) -> int:
    """Largest sum of non-constant tensor bytes alive at once when ``ops`` (inputs, outputs) run in order.

    A tensor is alive from the op that writes it (the graph's inputs: from the start) to the last op
    that reads it (the graph's outputs: to the end), both included.
    """
    n = len(ops)
    first = {t: -1 for t in inputs}
    last = {t: n for t in outputs}
    for i, (ins, outs) in enumerate(ops):
        for t in outs:
            first.setdefault(t, i)
        for t in ins:
            if t >= 0:
                last[t] = max(last.get(t, i), i)
    peak = 0
    for i in range(n):
        live = sum(
            sizes[t]
            for t in range(n_tensors)
            if t not in constant and t in first and first[t] <= i <= last.get(t, first[t])
        )
        peak = max(peak, live)
    return peak


def graph_peak_live(path: str | os.PathLike) -> int:
    """:func:`peak_live` of the first subgraph of a ``.tflite`` file."""
    g = read_graph(path)
    return peak_live(
        len(g.sizes), g.sizes, set(g.constant), list(g.inputs), list(g.outputs), [(ins, outs) for _, ins, outs in g.ops]
    )


# ---------------------------------------------------------------- TFLM
@contextlib.contextmanager
def captured_stderr():
    """The process's file descriptor 2 (where TFLM's C++ code prints), captured into a string."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        out: list[str] = []
        try:
            yield out
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out.append(tmp.read().decode("utf-8", "replace"))


def tflm_interpreter(data: bytes, arena: int):
    from tflite_micro import runtime

    return runtime.Interpreter.from_bytes(data, arena_size=arena)


def runs_in(data: bytes, arena: int, sample: np.ndarray) -> tuple[bool, str]:
    """Whether TFLM allocates and runs one inference of the model in ``arena`` bytes (and why not)."""
    with captured_stderr() as err:
        try:
            interp = tflm_interpreter(data, arena)
            interp.set_input(sample, 0)
            interp.invoke()
            ok, why = True, ""
        except Exception as e:  # TFLM raises RuntimeError/ValueError with its own reason
            ok, why = False, f"{type(e).__name__}: {e}"
    text = err[0].strip() if err else ""
    return ok, (why + (f" ({text.splitlines()[-1]})" if text else "")).strip()


def unsupported_op(reason: str) -> str | None:
    """The op a TFLM error names, when the failure is a kernel (missing, or refusing the tensor types)
    rather than a small arena."""
    prepare = re.search(r"Node ([A-Z_0-9]+) \(number \d+\) failed to prepare", reason)
    if prepare:
        return f"{prepare.group(1)} fails to prepare (its TFLM kernel does not take these tensor types)"
    m = re.search(
        r"(?:Didn't find op for builtin opcode|unsupported op|Failed to get registration from op code)"
        r"\s*'?([A-Z_0-9]+)?",
        reason,
    )
    return (m.group(1) or "an op") if m else None


def smallest_arena(data: bytes, sample: np.ndarray, upper: int) -> dict:
    """Bisect the smallest arena (to ``ARENA_STEP`` bytes) that runs; the recorded total for it."""
    ok, why = runs_in(data, upper, sample)
    if not ok:
        op = unsupported_op(why)
        reason = f"not runnable on TFLM: {op}" if op else f"not runnable on TFLM within {upper / MIB:g} MiB: {why}"
        return {"runnable": False, "reason": reason, "arena_bytes": None}
    lo, hi = 0, upper  # runs at hi, not (known) at lo
    while hi - lo > ARENA_STEP:
        mid = (lo + hi) // 2
        if runs_in(data, mid, sample)[0]:
            hi = mid
        else:
            lo = mid
    interp = tflm_interpreter(data, hi)
    interp.set_input(sample, 0)
    interp.invoke()
    with captured_stderr() as err:
        interp.print_allocations()
    m = TOTAL.search(err[0])
    return {"runnable": True, "reason": "", "arena_bytes": int(m.group(1)) if m else hi}


# ---------------------------------------------------------------- process memory
RSS_PROBE = r"""
import sys
import numpy as np
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * __import__("os").sysconf("SC_PAGE_SIZE")
from ai_edge_litert.interpreter import Interpreter
before = rss()
interp = Interpreter(model_path=sys.argv[1], num_threads=int(sys.argv[2]))
interp.allocate_tensors()
d = interp.get_input_details()[0]
interp.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
interp.invoke()
print(rss() - before)
"""


def process_rss(path: str, threads: int, repeats: int = 3, run: Callable | None = None) -> int:
    """Median resident-set increase (bytes) of loading ``path`` in LiteRT and one inference, each in a fresh process."""
    run = run or (lambda cmd: subprocess.run(cmd, capture_output=True, text=True, timeout=300))
    values = []
    for _ in range(repeats):
        done = run([sys.executable, "-c", RSS_PROBE, path, str(threads)])
        if done.returncode != 0:
            raise RuntimeError(
                f"{path}: the memory probe failed (exit {done.returncode}): {done.stderr.strip()[-300:]}"
            )
        values.append(int(done.stdout.strip().splitlines()[-1]))
    return int(np.median(values))


# ---------------------------------------------------------------- TFLM through the LiteRT evaluation code
class TflmAsLiteRT:
    """A TFLM interpreter with the few methods :func:`edgecompress.litert.classify` calls, so both runtimes
    classify the same inputs through the same code (quantized the same way, dequantized the same way)."""

    def __init__(self, interp) -> None:
        self.interp = interp

    @staticmethod
    def _details(d: Mapping) -> dict:
        q = d.get("quantization_parameters") or {}
        scales, zeros = list(q.get("scales", [])), list(q.get("zero_points", []))
        return {
            "index": 0,
            "shape": np.asarray(d["shape"]),
            "dtype": d["dtype"],
            "quantization": (float(scales[0]) if scales else 0.0, int(zeros[0]) if zeros else 0),
        }

    def get_input_details(self):
        return [self._details(self.interp.get_input_details(0))]

    def get_output_details(self):
        return [self._details(self.interp.get_output_details(0))]

    def set_tensor(self, _index, value) -> None:
        self.interp.set_input(value, 0)

    def invoke(self) -> None:
        self.interp.invoke()

    def get_tensor(self, _index):
        return np.asarray(self.interp.get_output(0))


def measure_file(
    model: str,
    precision: str,
    path: str,
    images: np.ndarray | None,
    labels: np.ndarray | None,
    threads: int,
    max_arena_bytes: int,
    evaluate: bool,
) -> dict:
    """One row of ``memory.csv``: the file's size, TFLM arena, peak live tensors, process memory, TFLM accuracy."""
    row = {c: None for c in COLUMNS}
    row.update(model=model, precision=precision, file=path, file_bytes=os.path.getsize(path))
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        litert = interpreter(path, threads)
        row["peak_live_bytes"] = graph_peak_live(path)
    except Exception as e:  # a file LiteRT cannot load: the row says so, the other rows are measured
        row.update(tflm_runnable=False, tflm_reason=f"not a readable .tflite: {type(e).__name__}: {str(e)[:200]}")
        log.error("%s %s: %s", model, precision, row["tflm_reason"])
        return row
    detail = litert.get_input_details()[0]
    sample = np.zeros(detail["shape"], detail["dtype"])
    arena = smallest_arena(data, sample, max_arena_bytes)
    row.update(tflm_runnable=arena["runnable"], arena_bytes=arena["arena_bytes"])
    row["tflm_reason"] = arena["reason"]
    row["process_rss_bytes"] = process_rss(path, threads)
    if evaluate and arena["runnable"] and images is not None:
        tflm = classify(TflmAsLiteRT(tflm_interpreter(data, arena["arena_bytes"] + 4 * ARENA_STEP)), images)
        ref = classify(litert, images)
        row.update(
            tflm_accuracy=float(np.mean(tflm.argmax(1) == labels)),
            litert_accuracy=float(np.mean(ref.argmax(1) == labels)),
            tflm_litert_agreement=float(np.mean(tflm.argmax(1) == ref.argmax(1))),
            tflm_images=len(labels),
        )
    log.info(
        "%s %s: %d bytes, arena %s, peak live %s, process %s bytes%s",
        model,
        precision,
        row["file_bytes"],
        row["arena_bytes"],
        row["peak_live_bytes"],
        row["process_rss_bytes"],
        f", TFLM accuracy {row['tflm_accuracy']:.4f} vs LiteRT {row['litert_accuracy']:.4f}"
        if row["tflm_accuracy"] is not None
        else "",
    )
    return row


def measure_memory(
    files: Mapping[str, Mapping[str, str]],
    cifar_arrays: str | Mapping[str, str],
    fashion_arrays: str,
    resolution: int,
    out_csv: str,
    threads: int,
    max_arena_mib: float,
    mcu_flash_mib: float | None,
) -> None:
    """Rule measure_memory: one row per (model, precision) ``.tflite``; see the module docstring."""
    split = TestSplits(cifar_arrays, fashion_arrays, resolution)  # prepared only when a model is evaluated
    rows = []
    for model, by_precision in files.items():
        for precision, path in by_precision.items():
            evaluate = (
                precision == "int8" and mcu_flash_mib is not None and os.path.getsize(path) <= mcu_flash_mib * MIB
            )
            images, labels = split(model) if evaluate else (None, None)
            rows.append(
                measure_file(model, precision, path, images, labels, threads, int(max_arena_mib * MIB), evaluate)
            )
    write_csv(out_csv, rows, COLUMNS)
