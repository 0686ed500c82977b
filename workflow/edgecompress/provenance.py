"""What every metrics file carries, so a number can be traced to its inputs.

No timestamps: the same config and inputs give byte-identical metrics files
(timings live in the ``benchmark:`` files and in the logs).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

from .checksums import sha256

PACKAGES = (
    "numpy",
    "torch",
    "torchvision",
    "torch-pruning",
    "tensorflow-cpu",
    "keras",
    "ai-edge-litert",
    "snakemake",
)

REPO = Path(__file__).resolve().parents[2]


def git_commit(repo: str | os.PathLike = REPO) -> str:
    """The commit of the workflow's repository, with ``-dirty`` when it has local changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if status else "")


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the config values a result used."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def package_versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def collect(
    config: Mapping[str, Any],
    inputs: Mapping[str, str | os.PathLike] | None = None,
    threads: int | None = None,
    device: str = "cpu",
    pretrained: bool | None = None,
    packages: Iterable[str] = PACKAGES,
) -> dict[str, Any]:
    """The provenance block of a metrics file.

    ``config`` holds the config values this result used (not the whole config),
    ``inputs`` maps a name to each input file, whose sha256 is recorded.
    """
    return {
        "git_commit": git_commit(),
        "config": dict(config),
        "config_sha256": config_hash(config),
        "packages": package_versions(packages),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "device": device,
        "pretrained": pretrained,
        "inputs": {name: {"path": str(path), "sha256": sha256(path)} for name, path in sorted((inputs or {}).items())},
    }
