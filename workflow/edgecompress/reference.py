"""Save a finished run's metrics and tables as a committed reference (``make reference``).

Copies what :mod:`edgecompress.compare` compares (``compare.PATTERNS``: small JSON and CSV files,
no models, no figures) from a run folder into ``dest``, in the run's layout, so that
``python -m edgecompress.compare <dest> <run>`` compares a new run with it. ``dest`` is replaced
whole, and only once every file is copied.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .compare import run_files

README = """# The demo's reference results

The metrics and tables (JSON and CSV only) of one clean `make demo`-equivalent run
(`config/config.yaml` + `config/test.yaml` on the fixtures), in the run's own layout, written by
`make reference`. `tests/workflow/test_reproducible.py` runs the demo and compares it with this folder
(`python -m edgecompress.compare docs/reference/demo <run>`): every deterministic number must be
equal on the CPU that wrote it, within the stated tolerances elsewhere (the workflow's
docs/reproducibility.md).

Regenerate it (`make reference`) in the same commit as a change that is meant to change a number
(a new default, a fixed bug, new fields), and say in the commit which numbers changed and why
(`make compare A=docs/reference/demo B=<your run>` lists them). Never regenerate it to make a
failing comparison pass without knowing why the numbers moved.
"""


def save_reference(run: str | Path, dest: str | Path) -> list[str]:
    run, dest = Path(run), Path(dest)
    files = sorted(run_files(run))
    if not files:
        raise SystemExit(f"error: {run} holds no results/ or resources/data/ files: not a finished run")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        for rel in files:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run / rel, tmp / rel)
        (tmp / "README.md").write_text(README, encoding="utf-8")
        old = dest.with_name(f".{dest.name}.old")
        if dest.exists():
            dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgecompress.reference", description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a finished run folder")
    parser.add_argument("dest", help="the reference folder (replaced), e.g. docs/reference/demo")
    args = parser.parse_args(argv)
    files = save_reference(args.run, args.dest)
    print(f"{len(files)} files from {args.run} saved to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
