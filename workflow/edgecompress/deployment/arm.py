"""ARM parity: the run's deployed ``.tflite`` files on aarch64 LiteRT against x86, under qemu-user.

The edge devices the report advises on (a phone, a Raspberry Pi) run XNNPACK's aarch64 kernels, not
the x86 ones every timing here measured. This stage runs the official aarch64 ``ai-edge-litert``
wheel in an arm64 Debian sysroot under ``qemu-aarch64 -cpu <core>`` (``make arm`` builds it) on a
fixed, seeded sample of the test split, with the timing job's kernels, and compares each file's raw
outputs with x86's on the same input bytes (both sides run :func:`arm_worker.run`): for an integer
output, the share of images whose output tensor is identical and the largest difference in
quantization steps; for a float one, the largest absolute difference of the logits; for both, argmax
agreement and the accuracy on the sample. An integer output that differs is explained: the same
image traced op by op with the reference kernels on both platforms names the first op that differs,
or says that the reference kernels agree and the difference is inside XNNPACK's fused kernels.
Emulation is about 500x slower than the device: nothing here is a time.

A file disagrees beyond rounding when an argmax differs, an integer output by more than one step,
or a float logit by more than ``FLOAT_TOLERANCE`` of the largest logit: such a row is flagged, and
so is a recommendation for an ARM class that rests on it. Where the sysroot or qemu is missing,
every row says "not run" with the command that sets it up, and the rest of the run goes on.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

from ..litert import KERNELS, interpreter, prepare_inputs
from ..modelkey import CNN
from ..results import write_csv
from . import arm_worker
from .testdata import TestSplits

log = logging.getLogger(__name__)

COLUMNS = (
    "model",
    "precision",
    "task",
    "status",
    "core",
    "images",
    "output_type",
    "identical",
    "identical_fraction",
    "max_step_difference",
    "max_abs_difference",
    "argmax_agreement",
    "accuracy_arm",
    "accuracy_x86",
    "flagged",
    "explanation",
    "file",
)
FLOAT_TOLERANCE = 1e-3  # of the largest |logit| (plus 1e-6): summation order differs between ISAs, no more
STEP_TOLERANCE = 1  # integer outputs: one step is a rounding difference of a requantization
SETUP = "set it up with `make arm` (as root: it installs Debian's qemu-user and unpacks arm64 packages)"
PYTHON = "usr/bin/python3.11"
SITE = "opt/site"
SECONDS_PER_IMAGE = 3.0  # the worst case under emulation (a float32 ResNet-18 at 224 px), for the timeout


def default_sysroot() -> Path:
    """The checkout's ``.arm/sysroot`` (``make arm``)."""
    return Path(__file__).resolve().parents[3] / ".arm" / "sysroot"


def not_ready(sysroot: Path) -> str | None:
    """Why the aarch64 side cannot run here (None: it can). The checkout's own sysroot is named as such, so
    that two runs of the same workflow in different folders say the same."""
    if shutil.which("qemu-aarch64") is None:
        return f"qemu-aarch64 is not installed; {SETUP}"
    where = "the checkout's .arm/sysroot" if sysroot == default_sysroot() else f"the sysroot {sysroot}"
    for rel, what in (
        (PYTHON, "arm64 Python 3.11"),
        (f"{SITE}/ai_edge_litert", "aarch64 ai-edge-litert wheel"),
        ("proc/cpuinfo", "ARM-format proc/cpuinfo (LiteRT's CPU probe reads it)"),
    ):
        if not (sysroot / rel).exists():
            return f"{where} has no {what}; {SETUP}"
    return None


def sample(count: int, images: int, seed: int) -> np.ndarray:
    """``images`` test indices drawn without replacement by ``seed`` (sorted; all of them if fewer)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=min(images, count), replace=False))


def run_arm(request: dict, sysroot: Path, core: str, timeout: float) -> dict[str, np.ndarray]:
    """:func:`arm_worker.run` of ``request`` on aarch64 (qemu-user, ``core``)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "request.json"
        out = Path(tmp) / "arm.npz"
        spec.write_text(json.dumps({**request, "out": str(out)}))
        cmd = [
            "qemu-aarch64",
            "-cpu",
            core,
            "-L",
            str(sysroot),
            str(sysroot / PYTHON),
            str(Path(arm_worker.__file__)),
            str(spec),
        ]
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(sysroot / SITE),
            "PYTHONNOUSERSITE": "1",
            "QEMU_LD_PREFIX": str(sysroot),
        }
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"the aarch64 worker failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def compare(x86: np.ndarray, arm: np.ndarray, labels: np.ndarray) -> dict:
    """What the two platforms' raw outputs of the same inputs say about each other."""
    integer = np.issubdtype(x86.dtype, np.integer)
    same = np.all(x86 == arm, axis=1)
    diff = np.abs(x86.astype(np.float64) - arm.astype(np.float64))
    agree = float(np.mean(x86.argmax(1) == arm.argmax(1)))
    row = {
        "output_type": np.dtype(x86.dtype).name,
        "identical": int(same.sum()),
        "identical_fraction": float(same.mean()),
        "argmax_agreement": agree,
        "accuracy_arm": float(np.mean(arm.argmax(1) == labels)),
        "accuracy_x86": float(np.mean(x86.argmax(1) == labels)),
    }
    if integer:
        row["max_step_difference"] = int(diff.max())
        beyond = row["max_step_difference"] > STEP_TOLERANCE
    else:
        row["max_abs_difference"] = float(diff.max())
        beyond = row["max_abs_difference"] > FLOAT_TOLERANCE * (float(np.abs(x86).max()) + 1e-6)
    row["flagged"] = bool(beyond or agree < 1)
    return row


def explain(path: str, x86: Mapping[int, np.ndarray], arm: Mapping[int, np.ndarray], image: int) -> str:
    """The first op (in execution order) whose output differs between the two traces of one image."""
    interp = interpreter(path, 1, "builtin")
    # a converter's tensor names are scope paths joined by ";": the last scope of the first names the layer
    names = {d["index"]: d["name"].split(";")[0].rsplit("/", 1)[-1] for d in interp.get_tensor_details()}
    for op in interp._get_ops_details():  # noqa: SLF001 (the order the ops run in)
        for t in op["outputs"]:
            a, b = x86.get(int(t)), arm.get(int(t))
            if a is None or b is None or np.array_equal(a, b):
                continue
            steps = np.abs(a.astype(np.float64) - b.astype(np.float64)).max()
            unit = "steps" if np.issubdtype(a.dtype, np.integer) else "(absolute)"
            return (
                f"image {image}: the first op whose output differs is {op['op_name']} (tensor {names.get(int(t), t)}), "
                f"by up to {steps:g} {unit}, with the reference kernels on both platforms"
            )
    return (
        f"image {image}: the reference kernels agree on every op, so the difference comes from XNNPACK's aarch64 "
        "kernels (fused: their tensors are not visible)"
    )


def arm_parity(
    files: Mapping[str, Mapping[str, str]],
    cifar_arrays: str | Mapping[str, str],
    fashion_arrays: str,
    resolution: int,
    arm_cfg: Mapping,
    kernels: str,
    seed: int,
    sysroot: Path,
    out_csv: str,
) -> None:
    """Rule arm_parity: one row per ``.tflite`` of ``files`` (model -> precision -> path)."""
    pairs = [(m, p, path) for m, by in files.items() for p, path in by.items()]
    base = [
        {
            "model": m,
            "precision": p,
            "task": "Fashion-MNIST" if m == CNN else "CIFAR-10",
            "core": arm_cfg["core"],
            "file": path,
        }
        for m, p, path in pairs
    ]
    why = "turned off (deployment.arm.enabled: false)" if not arm_cfg["enabled"] else not_ready(sysroot)
    if why:
        log.warning("ARM parity not run: %s", why)
        write_csv(
            out_csv, [dict(r, status=why if why.startswith("turned off") else f"not run: {why}") for r in base], COLUMNS
        )
        return
    splits = TestSplits(cifar_arrays, fashion_arrays, resolution)
    inputs, labels, request = {}, {}, {"files": [path for _, _, path in pairs], "resolver": KERNELS[kernels]}
    for i, (model, _, path) in enumerate(pairs):
        x, y = splits(model)
        idx = sample(len(x), arm_cfg["images"], seed)
        inputs[f"in_{i}"] = prepare_inputs(interpreter(path, 1, kernels), x[idx])
        labels[i] = y[idx]
    with tempfile.TemporaryDirectory() as tmp:
        request["inputs"] = os.path.join(tmp, "inputs.npz")
        np.savez(request["inputs"], **inputs)
        timeout = 300 + SECONDS_PER_IMAGE * arm_cfg["images"] * len(pairs)
        x86 = arm_worker.run(request)
        arm = run_arm(request, sysroot, arm_cfg["core"], timeout)
        rows, trace = [], []
        for i, r in enumerate(base):
            r = dict(r, images=len(labels[i]))
            if f"error_{i}" in x86 or f"error_{i}" in arm:
                r["status"] = (
                    f"refused: x86 {x86.get(f'error_{i}', 'loads it')}; aarch64 {arm.get(f'error_{i}', 'loads it')}"
                )
                r["flagged"] = True
            else:
                r.update(status="ran", **compare(x86[f"out_{i}"], arm[f"out_{i}"], labels[i]))
                differs = np.flatnonzero(~np.all(x86[f"out_{i}"] == arm[f"out_{i}"], axis=1))
                if len(differs) and np.issubdtype(x86[f"out_{i}"].dtype, np.integer):
                    trace.append([i, int(differs[0])])
            rows.append(r)
        if trace:  # the first differing image of every integer file that differs, traced op by op on both
            request["trace"] = trace
            x86_t, arm_t = arm_worker.run(request), run_arm(request, sysroot, arm_cfg["core"], timeout)
            for i, image in trace:
                prefix = f"trace_{i}_"
                rows[i]["explanation"] = explain(
                    request["files"][i],
                    {int(k[len(prefix) :]): v for k, v in x86_t.items() if k.startswith(prefix)},
                    {int(k[len(prefix) :]): v for k, v in arm_t.items() if k.startswith(prefix)},
                    image,
                )
    for r in rows:
        log.info(
            "%s %s: %s, identical %s of %s, argmax %s",
            r["model"],
            r["precision"],
            r["status"],
            r.get("identical"),
            r.get("images"),
            r.get("argmax_agreement"),
        )
    write_csv(out_csv, rows, COLUMNS)
