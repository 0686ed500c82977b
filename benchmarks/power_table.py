"""What more seeds would buy: each family's paired spread on a finished run, and the power of 8, 12 and 16 seeds.

    .venv/bin/python benchmarks/power_table.py <run folder> --configfile config/config.yaml [more.yaml ...]
        [--out benchmarks/results/power.csv]

Reads a run's deployment table (``results/deployment/table.csv``: every model's accuracy per seed; before
the deployment stage, the trainings' own metrics files) and the dense controls' metrics, and, per family
of tests the report prints, per comparison:
the seeds it pairs, the standard deviation of its paired differences (points), the family's Holm
level at its strictest (alpha / tests in the family) and the power a paired t-test at that level
would have with 8, 12 and 16 seeds to detect a true difference of 1 and 2 points at that spread
(``stats.paired_power``; 0 where the exact sign-flip check cannot reach the level with so few
seeds). Planning numbers for a next experiment, decided before it runs: never a reason to add seeds
to this one.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from edgecompress.config import load_config
from edgecompress.modelkey import PRUNING, config_of
from edgecompress.report.evidence import POWER_EFFECTS
from edgecompress.results import write_csv
from edgecompress.stats import mean_std, paired_power, smallest_sign_flip_p

REPO = Path(__file__).resolve().parents[1]
SEEDS = (8, 12, 16)
COLUMNS = (
    "family",
    "comparison",
    "seeds",
    "mean_points",
    "paired_spread_points",
    "level",
    *(f"power_{n}_seeds_{e:g}_point" for n in SEEDS for e in POWER_EFFECTS),
)


def accuracies(table: Path, column: str = "accuracy_torch") -> dict[str, dict[int, float]]:
    """Model config (the key without its seed) -> seed -> accuracy (a fraction) of ``column``."""
    out: dict[str, dict[int, float]] = {}
    with open(table, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cfg, seed = config_of(r["model"])
            if seed is not None and r.get(column) not in (None, ""):
                out.setdefault(cfg, {})[seed] = float(r[column])
    return out


def controls(run: Path) -> dict[int, float]:
    """Seed -> the dense control's test accuracy, from its metrics files."""
    out = {}
    for path in sorted((run / "results" / "pruning" / "control").glob("seed*/metrics.json")):
        out[int(path.parent.name.removeprefix("seed"))] = float(json.loads(path.read_text())["accuracy"])
    return out


def trained(run: Path) -> dict[str, dict[int, float]]:
    """Model config -> seed -> PyTorch test accuracy, from the trainings' own metrics files (what the
    deployment table's ``accuracy_torch`` copies): usable before the deployment stage has run."""
    out: dict[str, dict[int, float]] = {}
    for branch in ("pruning", "distillation"):
        for path in sorted((run / "results" / branch).glob("**/seed*/metrics.json")):
            cfg = path.parent.parent.relative_to(run / "results" / branch).as_posix()
            if cfg != "control":
                seed = int(path.parent.name.removeprefix("seed"))
                out.setdefault(cfg, {})[seed] = float(json.loads(path.read_text())["accuracy"])
    return out


def row(family: str, comparison: str, a: dict, b: dict, level: float) -> dict:
    seeds = sorted(set(a) & set(b))
    d = [100 * (a[s] - b[s]) for s in seeds]
    mean, sd = mean_std(d) if len(d) > 1 else (float("nan"), float("nan"))
    out = {
        "family": family,
        "comparison": comparison,
        "seeds": len(seeds),
        "mean_points": round(mean, 3),
        "paired_spread_points": round(sd, 3),
        "level": round(level, 5),
    }
    for n in SEEDS:
        reachable = smallest_sign_flip_p(n) < level
        for e in POWER_EFFECTS:
            p = paired_power(n, sd, e, level) if reachable and math.isfinite(sd) else 0.0
            out[f"power_{n}_seeds_{e:g}_point"] = round(p, 3)
    return out


def power_rows(run: Path, config: dict) -> list[dict]:
    """Every comparison of the report's families over seeds (pruning, against the control, distillation, int8)."""
    alpha = config["evidence"]["alpha"]
    table = run / "results" / "deployment" / "table.csv"
    acc = accuracies(table) if table.is_file() else trained(run)
    if "baseline" not in acc:
        raise ValueError(f"{run}: no trained baseline (neither results/deployment/table.csv nor its metrics files)")
    rows = []
    for method in PRUNING:
        members = sorted(c for c in acc if c.startswith(f"{method}/"))
        for c in members:
            rows.append(row(f"{method} pruning", f"{c} vs baseline", acc[c], acc["baseline"], alpha / len(members)))
        control = controls(run)
        for c in members if control else ():
            rows.append(
                row(f"{method} pruning vs the dense control", f"{c} vs control", acc[c], control, alpha / len(members))
            )
    cells = sorted(c for c in acc if c.startswith("kd/"))
    for c in cells:
        rows.append(row("distillation", f"{c} vs student", acc[c], acc.get("student", {}), alpha / len(cells)))
    if not table.is_file():  # the deployment stage has not run: no int8 files yet
        return rows
    f32, i8 = accuracies(table, "accuracy_float32"), accuracies(table, "accuracy_int8")
    for c in sorted(f32):
        rows.append(row("int8 against float32", f"{c} int8 vs float32", i8.get(c, {}), f32[c], alpha))
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run's folder (its results/)")
    parser.add_argument("--configfile", nargs="+", type=Path, default=[REPO / "config" / "config.yaml"])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "power.csv")
    args = parser.parse_args(argv)
    config = load_config(args.configfile, REPO / "workflow" / "schemas" / "config.schema.yaml", workdir=args.run)
    rows = power_rows(args.run, config)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, rows, COLUMNS)
    print(f"{len(rows)} comparisons -> {args.out}")
    return rows


if __name__ == "__main__":
    main()
