"""Did run B reproduce run A? ``make compare A=<run> B=<run>`` (or ``python -m edgecompress.compare``).

A run is the folder a workflow ran in (its ``results/`` and ``resources/data/``). Every metric of
every JSON and CSV file the workflow writes there is matched by file, row key (the model key and
the other identifying columns of a table) and field, and judged by the kind of number it is
(``KINDS``, the one table of tolerances, printed in docs/reproducibility.md). A kind says what a
value depends on:

- the structure (files, fields present, counts, shapes, parameters, MACs, identifiers) depends on
  the config and the code only: equal on any machine;
- trained values (accuracies, losses, logit differences, anything computed from weights, Vela's
  compressed bytes) must be equal when both runs trained on the same CPU (same model and
  instruction sets); a run on a GPU or on another CPU takes another path through SGD, so they
  differ the way another seed's would: listed against a stated tolerance, never failing;
- the machine (its roofs and their levels, cache sizes, ISA) is a measurement of one machine,
  never a difference between two; measured times only as ratios, on the same CPU: B/A differs when
  it is off by more than the larger of 15 % and the spread the two runs recorded for that row;
  times and process memory of two different CPUs are not comparable and are listed as such;
- the environment (commit, packages, platform) and flags that follow from times are listed, and
  never fail a comparison.

A field on one side only (but a machine's), a missing or unreadable file, is a difference of its
own. The config diff (every key of the metrics files' recorded configs that differs) comes first.
Nothing is written into either run folder; the table goes to ``--out`` as CSV and Markdown, and the
exit status is 1 when any difference fails its kind's rule.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .results import atomic_path

# What a run holds that is compared: metrics, tables and data summaries (small text files).
PATTERNS = ("results/**/*.json", "results/**/*.csv", "resources/data/*.json")
MACHINE = "results/deployment/machine.json"
# Columns that name a row rather than measure it: a table's row key is those of its header (and the
# row's number where they do not tell rows apart).
KEY_COLUMNS = (
    "model",
    "column",
    "run",
    "role",
    "name",
    "metric",
    "method",
    "family",
    "runtime",
    "precision",
    "batch",
    "amount",
    "temperature",
    "alpha",
    "seed",
    "epoch",
    "epochs",
    "arch",
)
TIME_NOISE = 0.15  # a ratio of times differs when off by more than this, or by the recorded spread

ACCURACY_ATOL = 0.05  # another platform: an accuracy or agreement (a fraction) within 5 points
POINTS_ATOL = 5.0  # ... a percentage, a gap or a difference in points within 5 points
OTHER_RTOL = 0.10  # ... any other trained value (loss, std, p-value, gzip size) within 10 %


@dataclass(frozen=True)
class Kind:
    name: str
    fields: str  # a regex over the field's path (JSON path or CSV column), lower case
    same_platform: str  # the rule where both runs ran on the same CPU, in words
    other_platform: str  # ... and where not
    files: str = ""  # a regex over the file's path: the row applies only there (empty: every file)


# Fields that name, count or set rather than measure: the same on any machine (the structure row below).
IDENTIFIERS = (
    r"(^|\.)(file|model|arch|family|method|variant|dataset|task|precision|unit|core|output_type|pretrained"
    r"|layers?|candidate_layers|tensor|tflite_dtype|accelerator|system_config|memory_mode|clock_mhz"
    r"|npu_operators|cpu_operators|npu_share|cpu_fallback|alpha|temperature|threads|warmup|ratio_ci"
    r"|benchmark_agreement|deployed|tests_in_family)$|\.path$|^paper_|_paper$|_unit$"
)
# The one table of tolerances, first match wins (docs/reproducibility.md).
KINDS = (
    Kind(
        "config",
        r"^provenance\.config(\.|$)|^provenance\.config_sha256$",
        "listed in the config diff",
        "listed in the config diff",
    ),
    Kind(
        "environment",
        r"^provenance\.(git_commit|packages|python|platform|cpu|cpu_count|device|threads)(\.|$)"
        r"|^(packages|vela_version)(\.|$)",
        "listed, never fails",
        "listed, never fails",
    ),
    Kind(
        "machine",
        r"^(cpu_model|isa|logical_cpus|cores_reserved|kernels|benchmark_kernels)(\.|$)|^roofline\.",
        f"rates (bandwidth, MACs per second) as a ratio within {TIME_NOISE:.0%}; levels, caches and a level "
        "on one side only listed",
        "listed: a property of each machine, never a difference",
    ),
    Kind(
        "trained",
        r"^(sram_bytes|weights_bytes|inference_ms)$",
        "equal",
        "Vela compresses the weights, so its bytes, SRAM and cycles follow the trained values: listed "
        f"against {OTHER_RTOL:.0%}, never fails",
        files=r"^results/deployment/vela\.csv$",
    ),
    Kind(
        "time",
        r"(^|_|\.)ms($|_)|seconds|latency|throughput|speedup|_per_s($|\.)",
        f"ratio B/A within the larger of {TIME_NOISE:.0%} and the summed recorded spread",
        "not comparable (times of two CPUs)",
    ),
    Kind(
        "from times",
        r"spread|suspect|benchmark_agrees|benchmark_verdict|calls_per_sample|load_average|^note$"
        r"|roof|rounds",
        "listed, never fails (follows from measured times)",
        "listed, never fails",
    ),
    Kind(
        "memory",
        r"process_rss",
        f"ratio B/A within {TIME_NOISE:.0%}",
        "not comparable (another machine's allocator and kernels)",
    ),
    Kind("checksum", r"sha256|md5", "equal", "equal for data; trained files not comparable"),
    Kind(
        "structure",
        r"parameters|macs|(?<!gzip_state_dict_)bytes|mib|shape|per_class|images|sparsity|weights"
        r"|^seeds?$|epoch|amount|runs|dtype|removed|" + IDENTIFIERS,
        "equal",
        "equal",
    ),
    Kind(
        "trained",
        r".",
        "equal",
        f"accuracies within {ACCURACY_ATOL:g}, points within {POINTS_ATOL:g}, per-image outcomes differing on at most "
        f"{ACCURACY_ATOL:.0%} of images, other values within {OTHER_RTOL:.0%}: beyond it listed, never fails",
    ),
)
# The kinds that are measurements: judged by their own tolerance; a test of determinism leaves them out.
MEASURED_KINDS = ("machine", "time", "from times", "memory")
# Machine rates: on the same CPU compared as ratios, like times.
MACHINE_RATES = r"bandwidth|per_s|seconds"
SEVERITY = {
    "missing": 0,
    "differs": 1,
    "only in A": 1,
    "only in B": 1,
    "beyond tolerance": 2,
    "not comparable": 3,
    "listed": 4,
    "within tolerance": 5,
    "equal": 6,
}
FAILING = ("missing", "differs", "only in A", "only in B")
COLUMNS = ("file", "key", "field", "a", "b", "change", "kind", "verdict")


def kinds_markdown() -> str:
    """The tolerance table as docs/reproducibility.md prints it (a test keeps the two the same)."""
    lines = ["| kind | fields (regex, first match wins) | same CPU | GPU or another CPU |", "|---|---|---|---|"]
    for k in KINDS:
        where = f" in `{k.files.replace('|', chr(92) + '|')}`" if k.files else ""
        lines.append(
            f"| {k.name} | `{k.fields.replace('|', chr(92) + '|')}`{where} | {k.same_platform} | {k.other_platform} |"
        )
    return "\n".join(lines) + "\n"


def kind_of(field: str, file: str = "") -> Kind:
    """The first kind whose field regex matches ``field`` (and whose file regex, if any, matches ``file``)."""
    low = field.lower()
    return next(k for k in KINDS if re.search(k.fields, low) and (not k.files or re.search(k.files, file)))


@dataclass
class Row:
    file: str
    key: str
    field: str
    a: str
    b: str
    change: str
    kind: str
    verdict: str

    @property
    def failing(self) -> bool:
        return self.verdict in FAILING


class Unreadable(Exception):
    pass


# ---------------------------------------------------------------- reading a run
def run_files(run: Path) -> set[str]:
    return {p.relative_to(run).as_posix() for pattern in PATTERNS for p in run.glob(pattern) if p.is_file()}


def _flatten(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{path}[{i}]"))
        return out
    return {path: value}


def _table_key(header: list[str]) -> list[str]:
    return [c for c in header if c in KEY_COLUMNS]


def read_fields(path: Path) -> dict[tuple[str, str], tuple[object, object, str]]:
    """(row key, field) -> (value, the row's recorded spread or None, the name its kind is read from).

    In a long table (a ``metric`` column: one row per metric), a value's kind is its metric's.
    Raises Unreadable.
    """
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return {("", f): (v, None, f) for f, v in _flatten(json.loads(text)).items()}
        reader = csv.DictReader(io.StringIO(text))
        header = list(reader.fieldnames or [])
        rows = list(reader)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
    if not header:
        raise Unreadable("empty file (no header)")
    if any(None in r or any(v is None for v in r.values()) for r in rows):
        raise Unreadable("a row has another number of cells than the header (truncated?)")
    key_cols = _table_key(header)
    out: dict[tuple[str, str], tuple[object, object]] = {}
    for i, r in enumerate(rows):
        key = ",".join(f"{c}={r[c]}" for c in key_cols) or f"row {i + 1}"
        if (key, header[0]) in out:
            key += f" (row {i + 1})"
        spread = _number(r.get("spread", ""))
        for c in header:
            if c not in key_cols:
                out[(key, c)] = (r[c], spread, f"{r['metric']}_{c}" if "metric" in r else c)
    return out


def platform(run: Path) -> dict:
    """What decides whether trained values can be equal: devices that trained, CPU and its ISA."""
    devices, cpus = set(), set()
    for rel in sorted(run_files(run)):
        if rel.endswith(".json"):
            try:
                prov = json.loads((run / rel).read_text(encoding="utf-8")).get("provenance") or {}
            except (OSError, ValueError, AttributeError):
                continue
            if prov:
                devices.add(str(prov.get("device") or "cpu"))
                cpus.add(str(prov.get("cpu")))
    machine = {}
    if (run / MACHINE).is_file():
        try:
            m = json.loads((run / MACHINE).read_text(encoding="utf-8"))
            machine = {"cpu_model": m.get("cpu_model"), "isa": m.get("isa")}
        except ValueError:
            pass
    return {"devices": sorted(devices), "cpus": sorted(cpus), **machine}


def same_platform(a: Mapping, b: Mapping) -> bool:
    return a == b and a.get("devices", []) in ([], ["cpu"])


# ---------------------------------------------------------------- judging one field
def _number(text) -> float | None:
    if isinstance(text, bool) or text is None:
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _cell(value) -> str:
    """A value as a row prints it: a long string (per-image outcomes) by its start and length."""
    text = _show(value)
    return text if len(text) <= 80 else f"{text[:24]}... ({len(text)} characters)"


def _trained_tolerance(field: str, a: float) -> float:
    low = field.lower()
    if re.search(r"_pct|points|^gain_|_difference$", low):
        return POINTS_ATOL
    if re.search(r"accuracy|agreement", low):
        return ACCURACY_ATOL
    return OTHER_RTOL * abs(a)


def judge_field(
    field: str, a, b, spread_a, spread_b, same: bool, path_a: str = "", file: str = ""
) -> tuple[str, str, str]:
    """(kind, change, verdict) of one field present in both runs (``file``: the run-relative path it is in)."""
    kind = kind_of(field, file)
    na, nb = _number(a), _number(b)
    change = "" if na is None or nb is None else _show(nb - na)
    if kind.name == "time" and na and nb is not None:
        change = f"{nb / na - 1:+.1%}"
    if _show(a) == _show(b):
        return kind.name, change, "equal"
    if kind.name in ("environment", "from times", "config"):
        return kind.name, change, "listed"
    if kind.name == "machine":
        if same and na and nb is not None and re.search(MACHINE_RATES, field.lower()):
            ratio = nb / na - 1
            return kind.name, f"{ratio:+.1%}", "within tolerance" if abs(ratio) <= TIME_NOISE else "differs"
        return kind.name, change, "listed"
    if kind.name in ("time", "memory"):
        if not same:
            return kind.name, change, "not comparable"
        if not na or nb is None:
            return kind.name, change, "differs"
        allowed = TIME_NOISE if kind.name == "memory" else max(TIME_NOISE, (spread_a or 0) + (spread_b or 0))
        return kind.name, f"{nb / na - 1:+.1%}", "within tolerance" if abs(nb / na - 1) <= allowed else "differs"
    if same or kind.name == "structure":
        return kind.name, change, "differs"
    if kind.name == "checksum":
        trained = not path_a.startswith("resources/")
        return kind.name, change, "not comparable" if trained else "differs"
    # a trained value on another CPU or a GPU: another path through SGD, like another seed's
    beyond = "beyond tolerance"
    if field.endswith("correct_by_image") and isinstance(a, str) and isinstance(b, str) and len(a) == len(b) and a:
        # 0/1 outcomes per test image: the share of images whose outcome changed, like an accuracy
        changed = sum(x != y for x, y in zip(a, b)) / len(a)
        return kind.name, f"{changed:.2%} of images", "within tolerance" if changed <= ACCURACY_ATOL else beyond
    if na is None or nb is None:
        return kind.name, change, beyond
    return kind.name, change, "within tolerance" if abs(nb - na) <= _trained_tolerance(field, na) else beyond


# ---------------------------------------------------------------- two runs
@dataclass
class RunComparison:
    rows: list[Row]
    config: list[Row]
    same_platform: bool
    platforms: tuple[dict, dict]

    @property
    def failing(self) -> list[Row]:
        return [r for r in self.rows if r.failing]

    def counts(self, kinds: Iterable[str] | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            if kinds is None or r.kind in kinds:
                out[r.verdict] = out.get(r.verdict, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: SEVERITY[kv[0]]))


def _input_path(flat: Mapping, field: str) -> str:
    """For ``provenance.inputs.<name>.sha256``, the recorded path of that input."""
    if field.endswith(".sha256"):
        return str(flat.get(field[: -len("sha256")] + "path", ""))
    return ""


def compare(a: str | Path, b: str | Path, files: Iterable[str] | None = None) -> RunComparison:
    """Compare run folders ``a`` and ``b`` (only ``files``, relative paths, when given)."""
    a, b = Path(a), Path(b)
    for run, name in ((a, "A"), (b, "B")):
        if not run.is_dir():
            raise FileNotFoundError(f"run {name}: {run} is not a folder")
    names = sorted(set(files) if files is not None else run_files(a) | run_files(b))
    pa, pb = platform(a), platform(b)
    same = same_platform(pa, pb)
    rows: list[Row] = []
    for rel in names:
        sides = []
        for run, name in ((a, "A"), (b, "B")):
            path = run / rel
            if not path.is_file():
                sides.append(f"missing in {name}")
                continue
            try:
                sides.append(read_fields(path))
            except Unreadable as exc:
                sides.append(f"unreadable in {name} ({exc})")
        problems = [s for s in sides if isinstance(s, str)]
        if problems:
            rows.append(Row(rel, "", "(file)", "", "", "", "file", "missing"))
            rows[-1].change = "; ".join(problems)
            continue
        fa, fb = sides
        flat_a = {f: v for (_, f), (v, _, _) in fa.items()}
        for key_field in sorted(fa.keys() | fb.keys()):
            key, field = key_field
            if key_field not in fb or key_field not in fa:
                side = "only in A" if key_field in fa else "only in B"
                value, _, kind_field = fa.get(key_field) or fb[key_field]
                kind = kind_of(kind_field, rel).name
                if kind == "machine":  # a measurement of one machine (a level its sweep found): not a difference
                    side = "listed"
                rows.append(
                    Row(
                        rel,
                        key,
                        field,
                        _cell(value) if key_field in fa else "",
                        _cell(value) if key_field not in fa else "",
                        "",
                        kind,
                        side,
                    )
                )
                continue
            (va, sa, kind_field), (vb, sb, _) = fa[key_field], fb[key_field]
            kind, change, verdict = judge_field(
                kind_field, va, vb, _number(sa), _number(sb), same, _input_path(flat_a, field), rel
            )
            rows.append(Row(rel, key, field, _cell(va), _cell(vb), change, kind, verdict))
    config = [r for r in rows if r.kind == "config" and r.verdict != "equal" and r.field != "provenance.config_sha256"]
    rows.sort(key=lambda r: (SEVERITY[r.verdict], r.file, r.key, r.field))
    return RunComparison(rows, _config_diff(config), same, (pa, pb))


def _config_diff(rows: list[Row]) -> list[Row]:
    """Each differing config key once (many metrics files record the same section)."""
    seen: dict[tuple[str, str, str], Row] = {}
    for r in rows:
        key = r.field.removeprefix("provenance.config.")
        seen.setdefault((key, r.a, r.b), Row(r.file, "", key, r.a, r.b, "", "config", r.verdict))
    return sorted(seen.values(), key=lambda r: r.field)


# ---------------------------------------------------------------- writing it out
def _platform_name(p: Mapping) -> str:
    isa = p.get("isa") or {}
    flags = ", ".join(sorted(k for k, v in isa.items() if v)) if isinstance(isa, dict) else str(isa)
    devices = "/".join(p.get("devices") or ["cpu"])
    cpu = p.get("cpu_model") or ", ".join(c for c in p.get("cpus", []) if c != "None") or "an unrecorded CPU"
    return f"{cpu} ({flags or 'no ISA recorded'}; trained on {devices})"


def platform_lines(result: RunComparison) -> list[str]:
    """What the reader must know first: whether the two runs can be equal, and why not."""
    pa, pb = result.platforms
    if result.same_platform:
        return [f"Same platform, {_platform_name(pa)}: every trained value must be equal."]
    beyond = sum(r.verdict == "beyond tolerance" for r in result.rows)
    return [
        f"**Different platforms: A ran on {_platform_name(pa)}, B on {_platform_name(pb)}.** Another CPU or a "
        "GPU takes another path through SGD, so the trained values (accuracies, losses, logit differences, "
        "Vela's compressed bytes) differ the way another seed's would: they are listed against the stated "
        f"tolerances ({beyond} beyond them here) and never fail the comparison; a single run cannot say more. "
        "Times and process memory of two machines are not comparable, and the machine's own measurements "
        "(its roofs, their levels, caches, ISA) are listed. What must still be equal is the structure: "
        "the files, the fields present, counts, shapes, parameters, MACs and the data's checksums.",
    ]


def markdown(result: RunComparison, a: str, b: str, limit: int | None = None) -> str:
    lines = [f"# Comparison: A = `{a}`, B = `{b}`", ""]
    lines += platform_lines(result)
    lines += ["", "## Config diff", ""]
    if result.config:
        lines += ["| key | A | B | first recorded in |", "|---|---|---|---|"]
        lines += [f"| {r.field} | {r.a} | {r.b} | {r.file} |" for r in result.config]
    else:
        lines.append("The recorded configs agree.")
    counts = result.counts()
    lines += ["", "## Summary", "", ", ".join(f"{n} {v}" for v, n in counts.items()), ""]
    shown = [r for r in result.rows if r.verdict != "equal"]
    lines += [
        "## Every field that is not equal, most severe first",
        "",
        "| field | A | B | change | kind | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in shown[:limit]:
        name = f"{r.file} {r.key} {r.field}".replace("  ", " ").replace("|", "/")
        lines.append(f"| {name} | {r.a} | {r.b} | {r.change} | {r.kind} | {r.verdict} |")
    if limit is not None and len(shown) > limit:
        lines.append(f"| ... {len(shown) - limit} more in the CSV | | | | | |")
    return "\n".join(lines) + "\n"


def write(result: RunComparison, out: Path, a: str, b: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in result.rows:
        writer.writerow([getattr(r, c) for c in COLUMNS])
    with atomic_path(out / "comparison.csv") as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")
    with atomic_path(out / "comparison.md") as tmp:
        tmp.write_text(markdown(result, a, b), encoding="utf-8")


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgecompress.compare", description=__doc__.splitlines()[0])
    parser.add_argument("a", nargs="?", help="the first run folder (the reference)")
    parser.add_argument("b", nargs="?", help="the second run folder")
    parser.add_argument("--kinds", action="store_true", help="print the table of kinds and tolerances and exit")
    parser.add_argument("--out", default="comparison", help="folder for comparison.csv and .md (default: %(default)s)")
    parser.add_argument("--show", type=int, default=40, help="rows printed (default: %(default)s; all in the CSV)")
    args = parser.parse_args(argv)
    if args.kinds:
        echo(kinds_markdown())
        return 0
    if not (args.a and args.b):
        echo("error: two run folders are needed: python -m edgecompress.compare A B [--out DIR]")
        return 2
    a, b, out = Path(args.a), Path(args.b), Path(args.out)
    for run, name in ((a, "A"), (b, "B")):
        if not run.is_dir():
            echo(f"error: run {name}: {run} is not a folder")
            return 2
        if not run_files(run):
            echo(f"error: run {name}: {run} holds no results/ or resources/data/ files: not a finished run")
            return 2
        if _inside(out, run):
            echo(f"error: --out {out} is inside run {name} ({run}); nothing is written into a run folder")
            return 2
    result = compare(a, b)
    write(result, out, str(a), str(b))
    echo(markdown(result, str(a), str(b), limit=args.show))
    bad = result.failing
    what = "difference(s) beyond tolerance" if result.same_platform else "structural difference(s)"
    echo(f"{len(bad)} {what}; table: {out / 'comparison.csv'}, {out / 'comparison.md'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
