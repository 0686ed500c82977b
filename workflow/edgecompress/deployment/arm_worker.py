"""The aarch64 side of ARM parity: run under qemu-user by the sysroot's Python, numpy and LiteRT only.

    qemu-aarch64 -cpu cortex-a72 -L <sysroot> <sysroot>/usr/bin/python3.11 arm_worker.py request.json

The request names the ``.tflite`` files, the op resolver (the timing job's kernels), an ``.npz`` of
inputs already in each file's input type (``in_<i>``: one row per image, the same bytes the x86 side
feeds), the images whose every tensor to keep (``trace``: ``[[i, image], ...]``, run with the
reference kernels and all tensors preserved) and where to write the outputs (``out_<i>``, raw, in
the file's output type; ``trace_<i>_<tensor>``; a file LiteRT refuses is an ``error_<i>`` string).
It imports nothing of this package: the sysroot has no torch and no edgecompress. The x86 side runs
the very same function (:func:`run`), so both platforms execute the same code path.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def _interpreter(path: str, resolver: str, preserve: bool = False):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(
        model_path=path,
        num_threads=1,
        experimental_preserve_all_tensors=preserve,
        experimental_op_resolver_type=getattr(OpResolverType, resolver),
    )
    interp.allocate_tensors()
    return interp


def _outputs(interp, inputs: np.ndarray) -> np.ndarray:
    inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]
    rows = []
    for i in range(len(inputs)):
        interp.set_tensor(inp, inputs[i : i + 1])
        interp.invoke()
        rows.append(interp.get_tensor(out["index"])[0].copy())
    return np.stack(rows)


def _trace(path: str, image: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor an op writes, for one image, by the reference kernels (a delegate hides its own)."""
    interp = _interpreter(path, "BUILTIN_WITHOUT_DEFAULT_DELEGATES", preserve=True)
    interp.set_tensor(interp.get_input_details()[0]["index"], image[None])
    interp.invoke()
    found = {}
    for op in interp._get_ops_details():  # noqa: SLF001 (LiteRT's documented debugging accessor)
        for t in op["outputs"]:
            try:
                found[int(t)] = interp.get_tensor(int(t)).copy()
            except ValueError:  # a tensor without data
                continue
    return found


def run(request: dict) -> dict[str, np.ndarray]:
    """Outputs (and traces) of every file of ``request``; an unloadable file gives ``error_<i>``."""
    inputs = np.load(request["inputs"])
    result: dict[str, np.ndarray] = {}
    for i, path in enumerate(request["files"]):
        try:
            result[f"out_{i}"] = _outputs(_interpreter(path, request["resolver"]), inputs[f"in_{i}"])
        except (ValueError, RuntimeError) as err:
            result[f"error_{i}"] = np.array(f"{type(err).__name__}: {err}")
    for i, image in request.get("trace", []):
        if f"out_{i}" in result:
            for t, value in _trace(request["files"][i], inputs[f"in_{i}"][image]).items():
                result[f"trace_{i}_{t}"] = value
    return result


def main(argv: list[str]) -> None:
    with open(argv[1], encoding="utf-8") as fh:
        request = json.load(fh)
    np.savez(request["out"], **run(request))


if __name__ == "__main__":
    main(sys.argv)
