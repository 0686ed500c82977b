"""Build the aarch64 sysroot that ARM parity runs in (``make arm``; ``make venv`` tries it).

    python -m edgecompress.deployment.armsetup .arm/sysroot [--lock requirements.lock]

Offline except for Debian's and PyPI's package servers, in four steps, each skipped when done:

1. ``qemu-user`` from Debian (``apt-get install``: root);
2. Debian's arm64 Python 3.11 and the libraries it loads (``dpkg --add-architecture arm64``,
   ``apt-get download``), unpacked into the sysroot with ``dpkg-deb -x``, never installed (installing
   them would replace the host's python3);
3. the aarch64 wheels of ``ai-edge-litert`` and ``numpy`` and their dependencies, at the lock's
   versions (``pip download --platform manylinux_2_27_aarch64``), unpacked into ``<sysroot>/opt/site``;
4. an ARM-format ``proc/cpuinfo`` (a Cortex-A72's): LiteRT's CPU probe reads it and crashes on the
   host's x86 text; ``qemu-aarch64 -L`` redirects the path into the sysroot.

A stamp (``<sysroot>/.stamp``) holds the lock's hash: a new lock rebuilds the wheels. Every failure
names the step and the command, and leaves no half-built sysroot behind the stamp.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Debian bookworm's arm64 Python 3.11 and the shared libraries its interpreter and stdlib modules load
PACKAGES = (
    "python3.11-minimal",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "libc6",
    "zlib1g",
    "libexpat1",
    "libffi8",
    "libssl3",
    "libstdc++6",
    "libgcc-s1",
    "libbz2-1.0",
    "liblzma5",
    "libsqlite3-0",
    "libuuid1",
    "libncursesw6",
    "libtinfo6",
    "libreadline8",
    "libcrypt1",
    "libnsl2",
    "libtirpc3",
    "libdb5.3",
    "libgssapi-krb5-2",
)
WHEELS = ("ai-edge-litert", "numpy")
PLATFORMS = ("manylinux_2_27_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3

"""


class SetupError(RuntimeError):
    """A step of the sysroot could not be done here; the message names it and its command."""


def _run(step: str, cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise SetupError(f"{step}: `{' '.join(cmd)}` failed (exit {done.returncode}): {done.stderr.strip()[-600:]}")
    return done


def _root(step: str) -> None:
    if os.geteuid() != 0:
        raise SetupError(f"{step} needs root (apt-get); run `make arm` as root once")


def qemu() -> None:
    if shutil.which("qemu-aarch64"):
        return
    _root("installing qemu-user")
    _run("installing qemu-user", ["apt-get", "install", "-y", "-q", "qemu-user"])


def python(sysroot: Path) -> None:
    if (sysroot / "usr/bin/python3.11").exists():
        return
    if "arm64" not in _run("checking dpkg", ["dpkg", "--print-foreign-architectures"]).stdout.split():
        _root("adding the arm64 architecture")
        _run("adding the arm64 architecture", ["dpkg", "--add-architecture", "arm64"])
        _run("updating the package lists", ["apt-get", "update", "-q"])
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # apt's sandbox user writes the downloads
        _run("downloading arm64 packages", ["apt-get", "download", *(f"{p}:arm64" for p in PACKAGES)], cwd=tmp)
        for deb in sorted(Path(tmp).glob("*.deb")):
            _run("unpacking arm64 packages", ["dpkg-deb", "-x", str(deb), str(sysroot)])


def lock_pins(lock: Path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of the lock (names normalised)."""
    pins = {}
    for line in lock.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
        if m:
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def wheels(sysroot: Path, lock: Path) -> None:
    pins = lock_pins(lock)
    missing = [w for w in WHEELS if w not in pins]
    if missing:
        raise SetupError(f"{lock} pins no version of {', '.join(missing)}")
    site = sysroot / "opt/site"
    platform = [a for p in PLATFORMS for a in ("--platform", p)]
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
        pip = [sys.executable, "-m", "pip"]
        _run(
            "downloading the aarch64 wheels",
            [
                *pip,
                "download",
                "--quiet",
                "--dest",
                tmp,
                *platform,
                "--python-version",
                "311",
                "--implementation",
                "cp",
                "--only-binary=:all:",
                "-c",
                str(constraints),
                *(f"{w}=={pins[w]}" for w in WHEELS),
            ],
        )
        shutil.rmtree(site, ignore_errors=True)
        _run(
            "unpacking the aarch64 wheels",
            [
                *pip,
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(site),
                *platform,
                "--python-version",
                "311",
                "--implementation",
                "cp",
                "--abi",
                "cp311",
                "--abi",
                "abi3",
                "--abi",
                "none",
                "--only-binary=:all:",
                *map(str, sorted(Path(tmp).glob("*.whl"))),
            ],
        )


def build(sysroot: Path, lock: Path) -> None:
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = sysroot / ".stamp"
    if stamp.exists() and stamp.read_text().strip() == digest and shutil.which("qemu-aarch64"):
        return
    stamp.unlink(missing_ok=True)
    sysroot.mkdir(parents=True, exist_ok=True)
    qemu()
    python(sysroot)
    wheels(sysroot, lock)
    (sysroot / "proc").mkdir(exist_ok=True)
    (sysroot / "proc/cpuinfo").write_text(CPUINFO)
    check = _run(
        "checking the sysroot",
        [
            "qemu-aarch64",
            "-cpu",
            "cortex-a72",
            "-L",
            str(sysroot),
            str(sysroot / "usr/bin/python3.11"),
            "-c",
            "import platform, numpy, ai_edge_litert.interpreter; print(platform.machine())",
        ],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sysroot / "opt/site"), "PYTHONNOUSERSITE": "1"},
    )
    if check.stdout.strip() != "aarch64":
        raise SetupError(f"checking the sysroot: its Python reports {check.stdout.strip()!r}, not aarch64")
    stamp.write_text(digest + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sysroot", type=Path)
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    args = parser.parse_args(argv)
    try:
        build(args.sysroot.resolve(), args.lock)
    except SetupError as err:
        print(f"make arm: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"aarch64 sysroot ready: {args.sysroot}")


if __name__ == "__main__":
    main()
