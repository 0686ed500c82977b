"""What a finished run cost, by stage and per seed, from its rules' Snakemake ``benchmark:`` files.

    .venv/bin/python benchmarks/run_cost.py <run>/benchmarks/rules [--compare-seeds 6]
        [--log <run>/.snakemake/log/<the run's>.snakemake.log] [--out benchmarks/results/run_cost.csv]

Every job writes ``benchmarks/rules/<rule>/<wildcards>.tsv`` (wall seconds in column ``s``). Rows (one
CSV, metric / value / target / met like every benchmark script; no targets here):

- per stage: the seconds of every rule, summed over its jobs, and of all jobs;
- per seed: the jobs whose wildcards name a seed (``seed<n>``) against the shared ones (data,
  Experiment 1, tables, timing, report), and the mean seconds of one seed's jobs;
- with ``--compare-seeds k``: the run with ``k`` seeds instead, estimated from the shared jobs plus
  ``k`` times the mean seed (the timing and memory jobs, which time every model, count as shared, so
  the difference is slightly underestimated), and what ``k`` seeds add to this run, in seconds and as a share.

The seconds are job-seconds: on a machine that runs two jobs at once the wall time is about half.
With ``--log`` (Snakemake's log of the run, which stamps every job's start and end to the second), the
run's wall seconds from its first stamp to its last, and the job-seconds per wall second.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from edgecompress.results import write_csv  # noqa: E402

SEED = re.compile(r"seed(\d+)")
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def wall_seconds(log: Path) -> float:
    """Seconds from the first to the last ``[Sun Dec  6 21:05:52 2026]`` stamp of a Snakemake log."""
    stamps = [
        datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        for m in map(STAMP.match, log.read_text().splitlines())
        if m
    ]
    if len(stamps) < 2:
        raise ValueError(f"{log}: fewer than two job stamps (not the log of a Snakemake run that ran jobs)")
    return (stamps[-1] - stamps[0]).total_seconds()


def jobs(folder: Path) -> list[tuple[str, str, float]]:
    """(rule, the job's wildcards path, wall seconds) of every benchmark file under ``folder``."""
    out = []
    for path in sorted(folder.rglob("*.tsv")):
        header, *rows = path.read_text().splitlines()
        if not rows or header.split("\t")[0] != "s":
            raise ValueError(f"{path}: not a Snakemake benchmark file (header {header!r})")
        rel = path.relative_to(folder).with_suffix("")
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.name
        out.append((rule, rel.as_posix(), float(rows[-1].split("\t")[0])))
    if not out:
        raise ValueError(f"{folder}: no benchmark files")
    return out


def rows(
    found: list[tuple[str, str, float]], compare_seeds: int | None = None, wall: float | None = None
) -> list[dict]:
    """The table (metric / value / target / met, as every benchmark script writes; no targets here)."""
    total = sum(s for _, _, s in found)
    by_rule: dict[str, list[float]] = defaultdict(list)
    by_seed: dict[int, float] = defaultdict(float)
    shared, shared_jobs = 0.0, 0
    for rule, job, s in found:
        by_rule[rule].append(s)
        m = SEED.search(job)
        if m:
            by_seed[int(m.group(1))] += s
        else:
            shared, shared_jobs = shared + s, shared_jobs + 1
    out = [
        (f"{rule}: seconds of {len(v)} job(s)", round(sum(v), 1))
        for rule, v in sorted(by_rule.items(), key=lambda kv: -sum(kv[1]))
    ]
    out.append((f"all {len(found)} jobs: seconds", round(total, 1)))
    if wall is not None:
        out += [
            ("the run's wall seconds (Snakemake's log)", round(wall, 1)),
            ("job-seconds per wall second", round(total / wall, 3)),
        ]
    per_seed = sum(by_seed.values()) / len(by_seed) if by_seed else 0.0
    out += [
        (f"shared jobs (no seed, {shared_jobs}): seconds", round(shared, 1)),
        (f"one seed's jobs (mean of {len(by_seed)} seeds): seconds", round(per_seed, 1)),
    ]
    if compare_seeds is not None and by_seed:
        other = shared + compare_seeds * per_seed
        out += [
            (f"the same run with {compare_seeds} seeds: seconds (estimate)", round(other, 1)),
            (f"{compare_seeds} seeds instead of {len(by_seed)}: seconds added", round(other - total, 1)),
            (
                f"{compare_seeds} seeds instead of {len(by_seed)}: share of this run added",
                round((other - total) / total, 4),
            ),
        ]
    return [{"metric": m, "value": v, "target": "", "met": ""} for m, v in out]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a run's benchmarks/rules folder (or a copy under docs/sizing/)")
    parser.add_argument("--compare-seeds", type=int, help="estimate the same run with this many seeds")
    parser.add_argument("--log", type=Path, help="the run's Snakemake log: its wall seconds")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/run_cost.csv"))
    args = parser.parse_args(argv)
    table = rows(jobs(args.folder), args.compare_seeds, wall_seconds(args.log) if args.log else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, table, ["metric", "value", "target", "met"])
    for r in table:
        print(f"{r['metric']:60} {r['value']:>10}")


if __name__ == "__main__":
    main()
