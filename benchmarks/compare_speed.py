"""How long `make compare` takes on two finished runs, and whether it meets its target (10 s).

    .venv/bin/python benchmarks/compare_speed.py <run A> <run B> [--repeats 3]
        [--out benchmarks/results/compare_speed.csv]

Times ``edgecompress.compare.compare`` (reading, matching and judging every metric of both runs;
the command adds only the writing of two small files) ``--repeats`` times in this process and
writes one CSV (metric / value / target / met): the files and fields compared, the fastest and
slowest wall time, and the CPU it ran on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from edgecompress import compare  # noqa: E402
from edgecompress.provenance import cpu_model  # noqa: E402
from edgecompress.results import write_csv  # noqa: E402

TARGET_S = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/compare_speed.csv")
    args = parser.parse_args(argv)
    times, result = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = compare.compare(args.a, args.b)
        times.append(time.perf_counter() - start)
    files = len({r.file for r in result.rows})
    seeds = {r.file.split("/seed")[1].split("/")[0] for r in result.rows if "/seed" in r.file}
    rows = [
        {"metric": "files compared", "value": files, "target": "", "met": ""},
        {"metric": "fields compared", "value": len(result.rows), "target": "", "met": ""},
        {"metric": "seeds in the runs", "value": len(seeds), "target": "", "met": ""},
        {
            "metric": "fastest compare (s)",
            "value": min(times),
            "target": f"< {TARGET_S:g}",
            "met": min(times) < TARGET_S,
        },
        {
            "metric": "slowest compare (s)",
            "value": max(times),
            "target": f"< {TARGET_S:g}",
            "met": max(times) < TARGET_S,
        },
        {
            "metric": "cpu",
            "value": f"{cpu_model()} ({os.cpu_count()} CPUs), load {os.getloadavg()[0]:.2f}",
            "target": "",
            "met": "",
        },
    ]
    write_csv(args.out, rows, ["metric", "value", "target", "met"])
    for r in rows:
        print(f"{r['metric']}: {r['value']} {r['target']} {r['met']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
