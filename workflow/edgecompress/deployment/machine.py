"""What a timing ran on: CPU model, the ISA extensions that decide int8 speed, the load average."""

from __future__ import annotations

import os
from pathlib import Path

from ..provenance import cpu_model

# the extensions that decide whether int8 kernels beat float32 ones on x86 (VNNI: int8 dot products)
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "asimddp", "i8mm")


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The flags (x86) or features (Arm) line of /proc/cpuinfo, as a set; empty where there is none."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        key = line.split(":", 1)[0].strip().lower()
        if key in ("flags", "features") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def isa(flags: set[str]) -> dict[str, bool]:
    return {name: name in flags for name in ISA_FLAGS}


def load_average() -> list[float]:
    """1-, 5- and 15-minute load averages (empty where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which a container's cpuset narrows), else
    ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def oversubscribed(cores: int | None, cpus: int) -> bool:
    """Whether a local run given ``cores`` could run jobs whose threads add up to more than ``cpus``: the jobs
    would share cores, and a multi-threaded job whose threads wait on a descheduled peer loses more than
    its share (``benchmarks/training_threads.py`` measures two such jobs side by side)."""
    return cores is not None and cores > cpus


def describe() -> dict:

    return {"cpu_model": cpu_model(), "logical_cpus": os.cpu_count(), "isa": isa(cpu_flags())}


def isa_text(flags: dict[str, bool]) -> str:
    """``AVX2, AVX512F, AVX512_VNNI`` (the present ones), or ``none of …`` when none is."""
    present = [name.upper() for name, on in flags.items() if on]
    return ", ".join(present) if present else "none of " + ", ".join(n.upper() for n in flags)


def benchmark_rows(load_before: list[float]) -> list[dict]:
    """The rows a benchmark table starts with: the CPU, its logical CPUs, its ISA flags and the load average
    before the measurement (metric / value; a table's last row gives the load average after)."""
    machine = describe()
    return [
        {"metric": "CPU", "value": machine["cpu_model"]},
        {"metric": "logical CPUs", "value": machine["logical_cpus"]},
        {"metric": "ISA flags", "value": isa_text(machine["isa"])},
        {"metric": "load average before (1, 5, 15 min)", "value": " ".join(map(str, load_before))},
    ]
