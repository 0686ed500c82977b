"""What testing the paper's conclusions costs: the dense control, the fine-tuning sweep and the full chain.

    .venv/bin/python benchmarks/conclusions_cost.py docs/sizing/conclusions-cost-cpu [--seeds 6]
        [--out benchmarks/results/conclusions_cost.csv]

Reads Snakemake ``benchmark:`` files (seconds per job) of runs on one machine, one after the other:
``single-seed-preset/`` (config/paper-single-seed.yaml, every job) and ``default-sweep-1-3-5/`` (the
jobs the default structured sweep reruns on that run: the structured prune and the control;
``--sweep default-sweep-1-3-6`` for the same to 6 epochs). Rows
(one CSV, metric / value / target / met):

- the single-seed preset: seconds of all its jobs, of the new ones (control, chain prune and deploy, and
  the chain's share of the timing and memory jobs), and their ratio to the rest;
- the default run (``--seeds`` seeds, the default sweep): the same ratio, from the per-seed jobs of the
  preset times the seeds plus the shared jobs (an estimate from one seed's jobs; the timing and memory
  jobs are split evenly over the models they time). Target: under 30 % of the run without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgecompress.results import write_csv  # noqa: E402

NEW = ("finetune_control/", "prune/chain/", "deploy_model/chain/")
PER_MODEL = ("time_models", "measure_memory")  # one job over every deployed model
TARGET = 0.30


def seconds(folder: Path) -> dict[str, float]:
    """Job (the benchmark file's path without ``.tsv``) -> wall seconds (column ``s``)."""
    out = {}
    for path in sorted(folder.rglob("*.tsv")):
        header, *rows = path.read_text().splitlines()
        if not rows or header.split("\t")[0] != "s":
            raise ValueError(f"{path}: not a Snakemake benchmark file (header {header!r})")
        out[path.relative_to(folder).with_suffix("").as_posix()] = float(rows[-1].split("\t")[0])
    return out


def costs(preset: dict[str, float], sweep: dict[str, float], seeds: int) -> list[dict]:
    missing = [
        job for job in (*PER_MODEL, "finetune_control/seed42", "prune/structured/amount0.5/seed42") if job not in preset
    ]
    if missing:
        raise ValueError(f"the preset's benchmark files lack {missing}")
    deployed = [j for j in preset if j.startswith("deploy_model/")]
    models = len(deployed) + 1  # and the CNN
    per_model = sum(preset[j] for j in PER_MODEL) / models
    is_new = lambda job: job.startswith(NEW)  # noqa: E731
    chain_models = sum(j.startswith("deploy_model/chain/") for j in deployed)
    new_preset = sum(s for j, s in preset.items() if is_new(j)) + chain_models * per_model
    total_preset = sum(preset.values())
    rows = [
        {"metric": "single-seed preset: seconds of all jobs", "value": round(total_preset, 1)},
        {
            "metric": "single-seed preset: seconds of the control, the chain and its timing and memory share",
            "value": round(new_preset, 1),
        },
        {
            "metric": "single-seed preset: extra cost (share of the run without them)",
            "value": round(new_preset / (total_preset - new_preset), 3),
        },
    ]
    per_seed = {j: s for j, s in preset.items() if "/seed" in j}
    shared = sum(s for j, s in preset.items() if "/seed" not in j and j not in PER_MODEL)
    old_seed = sum(s for j, s in per_seed.items() if not is_new(j))  # the structured prune at the paper's 3 epochs
    new_seed = (
        sum(s for j, s in per_seed.items() if is_new(j) and j != "finetune_control/seed42")
        + sweep["finetune_control/seed42"]
        + sweep["prune/structured/amount0.5/seed42"]
        - preset["prune/structured/amount0.5/seed42"]
        + chain_models * per_model
    )
    old_models = seeds * (len(deployed) - chain_models) + 1
    old_run = seeds * old_seed + shared + old_models * per_model
    rows += [
        {
            "metric": f"default run, {seeds} seeds: estimated seconds without the control, sweep and chain",
            "value": round(old_run, 1),
        },
        {"metric": f"default run, {seeds} seeds: estimated seconds they add", "value": round(seeds * new_seed, 1)},
        {
            "metric": "default run: extra cost (share of the run without them)",
            "value": round(seeds * new_seed / old_run, 3),
            "target": f"< {TARGET}",
            "met": seeds * new_seed / old_run < TARGET,
        },
    ]
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="holds single-seed-preset/ and the sweep's folder")
    parser.add_argument("--sweep", default="default-sweep-1-3-5", help="the sweep's jobs (default-sweep-1-3-6: to 6)")
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/conclusions_cost.csv"))
    args = parser.parse_args(argv)
    rows = costs(seconds(args.folder / "single-seed-preset"), seconds(args.folder / args.sweep), args.seeds)
    write_csv(args.out, rows)
    for r in rows:
        print(f"{r['metric']}: {r['value']}" + (f" (target {r['target']}, met: {r['met']})" if "target" in r else ""))
    return rows


if __name__ == "__main__":
    main()
