"""How long each tier of the test suite took, from the JUnit XML files pytest wrote (``--junitxml``).

    .venv/bin/python benchmarks/test_times.py <label>=<junit.xml> ... [--baseline <label>]
        [--out benchmarks/results/test_times.csv]
    .venv/bin/python benchmarks/test_times.py --readme README.md <test_times.csv>   (make sizing-docs)

One row per file and metric (metric / value / target / met, like every benchmark script): the tests
that ran and passed, the suite's wall seconds (pytest's own ``time``), and its share of the
``--baseline`` file's seconds with the issue's targets (make test at most 40 %, make test-all at most
75 % of the whole suite before the tiers, on the same machine); then the five longest tests of each
file (setup, call and teardown: the test that first waits for a demo carries the demo's time).
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from pathlib import Path

from edgecompress.results import write_csv  # noqa: E402

# label -> the largest share of the baseline's time (issue 36); labels without one get no target
TARGETS = {"make test": 0.40, "make test-all": 0.75}


def read(path: Path) -> dict:
    """The suite's counts and seconds, and every test's seconds, from one JUnit XML file."""
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        raise ValueError(f"{path}: no <testsuite> element (not pytest's --junitxml output)")
    cases = [(f"{c.get('classname')}::{c.get('name')}", float(c.get("time", 0))) for c in suite.iter("testcase")]
    return {
        "tests": int(suite.get("tests")),
        "failures": int(suite.get("failures")) + int(suite.get("errors")),
        "skipped": int(suite.get("skipped")),
        "seconds": float(suite.get("time")),
        "cases": cases,
    }


def rows(files: dict[str, Path], baseline: str | None) -> list[dict]:
    found = {label: read(path) for label, path in files.items()}
    base = found[baseline]["seconds"] if baseline else None
    out = []
    for label, f in found.items():
        out.append(
            {
                "metric": f"{label}: tests passed",
                "value": f["tests"] - f["failures"] - f["skipped"],
                "target": "",
                "met": "",
            }
        )
        out.append({"metric": f"{label}: wall seconds", "value": round(f["seconds"], 1), "target": "", "met": ""})
        if base and label != baseline:
            share = f["seconds"] / base
            target = TARGETS.get(label)
            out.append(
                {
                    "metric": f"{label}: share of {baseline}",
                    "value": round(share, 3),
                    "target": f"<= {target}" if target else "",
                    "met": (share <= target) if target else "",
                }
            )
        for name, seconds in sorted(f["cases"], key=lambda c: -c[1])[:5]:
            out.append({"metric": f"{label}: longest: {name}", "value": round(seconds, 1), "target": "", "met": ""})
    return out


START, END = "<!-- test-times:start -->", "<!-- test-times:end -->"


def readme_block(table: list[dict]) -> str:
    """The README's lines for a test_times.csv: per label, the tests passed, the seconds and the share."""
    value = {r["metric"]: r["value"] for r in table}
    lines = []
    for label in dict.fromkeys(r["metric"].split(": ", 1)[0] for r in table):
        seconds = float(value[f"{label}: wall seconds"])
        line = f"- {label}: {value[f'{label}: tests passed']} tests passed in {seconds:,.0f} s"
        share = next((r for r in table if r["metric"].startswith(f"{label}: share of ")), None)
        if share:
            line += f", {100 * float(share['value']):.1f} % of {share['metric'].split(': share of ', 1)[1]}" + (
                f" (target: at most {100 * float(share['target'].removeprefix('<= ')):.0f} %)"
                if share["target"]
                else ""
            )
        lines.append(line)
    return "\n".join([START, *lines, END])


def write_readme(readme: Path, table_csv: Path) -> None:
    """Replace the block between the markers of ``readme`` with ``readme_block`` of ``table_csv``."""
    import csv

    with open(table_csv, newline="") as fh:
        table = list(csv.DictReader(fh))
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    readme.write_text(head + readme_block(table) + rest.split(END, 1)[1], encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="label=path of a JUnit XML file")
    parser.add_argument("--baseline", help="the label whose seconds the others are a share of")
    parser.add_argument("--out", default="benchmarks/results/test_times.csv")
    parser.add_argument("--readme", help="fill this file's test-times block from the one CSV given instead")
    args = parser.parse_args(argv)
    if args.readme:
        write_readme(Path(args.readme), Path(args.files[0]))
        return
    files = dict(item.split("=", 1) for item in args.files)
    if args.baseline and args.baseline not in files:
        parser.error(f"--baseline {args.baseline!r} is not one of the labels {sorted(files)}")
    table = rows({k: Path(v) for k, v in files.items()}, args.baseline)
    write_csv(args.out, table, ["metric", "value", "target", "met"])
    for r in table:
        print(f"{r['metric']}: {r['value']} {r['target']} {r['met']}".rstrip())


if __name__ == "__main__":
    main()
