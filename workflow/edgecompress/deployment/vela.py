"""Ethos-U NPU estimates: every int8 ``.tflite`` of the run compiled by Arm's Vela (``ethos-u-vela``), offline.

Vela maps each operator to the NPU or leaves it to the microcontroller's CPU, places tensors in SRAM
and the weights in flash (or DRAM), and estimates the cycles of one inference at the system
configuration's clock. One row per (model, accelerator): the operators on the NPU and on the CPU (and
which CPU operators Vela named as unsupported), the estimated inference time, the SRAM and the
weight storage it needs. Everything here is an estimate by a compiler, never a measurement: the
report prints "estimated by Vela <version> for <accelerator> at <MHz>". A model Vela cannot compile
is a row that says why; a Vela whose summary lacks a column this module reads fails naming it.
"""

from __future__ import annotations

import csv
import logging
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Mapping, Sequence

from ..modelkey import CNN
from ..provenance import package_versions
from ..results import write_csv

log = logging.getLogger(__name__)

COLUMNS = (
    "model",
    "accelerator",
    "status",
    "system_config",
    "memory_mode",
    "clock_mhz",
    "npu_operators",
    "cpu_operators",
    "npu_share",
    "cpu_fallback",
    "inference_ms",
    "sram_bytes",
    "weights_bytes",
    "weights_in",
    "macs",
    "vela_version",
    "file",
)
# the summary CSV's columns this module reads (ethos-u-vela's <network>_summary_<system>.csv)
SUMMARY = (
    "system_config",
    "memory_mode",
    "core_clock",
    "inference_time",
    "sram_memory_used",
    "dram_memory_used",
    "on_chip_flash_memory_used",
    "off_chip_flash_memory_used",
    "weights_storage_area",
    "nn_macs",
)
OPERATORS = re.compile(r"^(CPU|NPU) operators = (\d+)", re.M)
UNSUPPORTED = re.compile(r"^Warning \(supported operators\) operator: (\w+)", re.M)
KIB = 1024


class VelaFormatError(RuntimeError):
    """This Vela writes a summary without a column (or a line) this module reads; the message names it."""


def parse(stdout: str, summary: Mapping[str, str]) -> dict:
    """One row's numbers from Vela's console output and its summary CSV row."""
    missing = [c for c in SUMMARY if c not in summary]
    if missing:
        raise VelaFormatError(
            f"Vela's summary CSV has no column {missing[0]!r} (this module reads {', '.join(SUMMARY)})"
        )
    ops = dict((kind, int(n)) for kind, n in OPERATORS.findall(stdout))
    if set(ops) != {"CPU", "NPU"}:
        raise VelaFormatError("Vela's output has no 'CPU operators = ' and 'NPU operators = ' lines")
    fallback = Counter(UNSUPPORTED.findall(stdout))
    storage = summary["weights_storage_area"]
    weights_kib = {
        "Off-chip Flash": summary["off_chip_flash_memory_used"],
        "On-chip Flash": summary["on_chip_flash_memory_used"],
        "DRAM": summary["dram_memory_used"],
    }.get(storage)
    if weights_kib is None:
        raise VelaFormatError(f"Vela's summary names an unknown weights_storage_area {storage!r}")
    total = ops["CPU"] + ops["NPU"]
    return {
        "system_config": summary["system_config"],
        "memory_mode": summary["memory_mode"],
        "clock_mhz": float(summary["core_clock"]) / 1e6,
        "npu_operators": ops["NPU"],
        "cpu_operators": ops["CPU"],
        "npu_share": ops["NPU"] / total if total else None,
        "cpu_fallback": ", ".join(f"{op} x{n}" for op, n in sorted(fallback.items(), key=lambda kv: -kv[1])),
        "inference_ms": 1000 * float(summary["inference_time"]),
        "sram_bytes": round(float(summary["sram_memory_used"]) * KIB),
        "weights_bytes": round(float(weights_kib) * KIB),
        "weights_in": storage,
        "macs": int(float(summary["nn_macs"])),
    }


def compile_one(path: str, accelerator: str) -> dict:
    """Vela on one file for one accelerator (its default system configuration), in a scratch folder."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "ethosu.vela", "--accelerator-config", accelerator, "--output-dir", tmp, path],
            capture_output=True,
            text=True,
        )
        summaries = sorted(Path(tmp).glob("*_summary_*.csv"))
        if done.returncode != 0 or not summaries:
            last = ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]
            return {"status": f"not compiled (exit {done.returncode}): {last}"}
        with open(summaries[0], newline="") as fh:
            summary = next(csv.DictReader(fh))
    return {"status": "compiled", **parse(done.stdout, summary)}


def vela(files: Mapping[str, str], accelerators: Sequence[str], enabled: bool, out_csv: str) -> None:
    """Rule vela: ``files`` maps each int8 model (its key, or ``cnn``) to its ``.tflite``."""
    version = package_versions(("ethos-u-vela",))["ethos-u-vela"]
    rows = []
    for model, path in files.items():
        for accelerator in accelerators:
            row = {"model": model, "accelerator": accelerator, "file": path, "vela_version": version}
            row.update(
                compile_one(path, accelerator) if enabled else {"status": "turned off (deployment.vela.enabled: false)"}
            )
            log.info(
                "%s on %s: %s, %s ms, NPU share %s",
                model,
                accelerator,
                row["status"],
                row.get("inference_ms"),
                row.get("npu_share"),
            )
            rows.append(row)
    write_csv(out_csv, rows, COLUMNS)


def int8_files(models: Sequence[str], int8: Sequence[str], variants: Sequence[str], cnn: Sequence[str]) -> dict:
    """model -> its int8 ``.tflite``: every deployed PyTorch model, and the CNN's int8 variant."""
    out = dict(zip(models, int8, strict=True))
    if "int8" in variants:
        out[CNN] = dict(zip(variants, cnn, strict=True))["int8"]
    return out
