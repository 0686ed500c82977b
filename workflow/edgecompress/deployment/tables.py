"""The deployment table: every model as it runs on the edge runtime, one row each.

Sizes, parameters, MACs and accuracies come from the deploy_model metrics (and Experiment 1's
variant metrics); every latency and every speed-up comes from ``latency.csv``, the one timing
job, so a speed-up is always a ratio of two numbers measured in the same process, interleaved.
A latency measured faster than its roofline bound (``roofline``: the CPU's measured roofs, the
model's MACs and bytes) that LiteRT's own benchmark tool disagrees with is suspect (where the tool
agrees, the roof model is what is wrong, and the latency stands: :func:`.roofline.check`), and an unstructured
model's ratio to its dense
baseline outside 0.8-1.25x is suspect too (its masked weights are stored and computed densely, so
it should run like the baseline): the latencies of such a ratio are then suspect, and so is every
other ratio that divides by one of them (the int8-vs-float32 speed-up of a model whose float32
latency is suspect, say); the columns ``litert_<precision>_suspect`` carry this to the
recommendations. A speed-up whose 95 % interval over the timing rounds is wider than
``deployment.ratio_ci`` is flagged as uncertain (that ratio only: its latencies are sound).

Beside the table: ``roofline.csv`` (every timed latency on the roofline) and ``speedups.csv``
(every speed-up, its interval over rounds, the roofline's prediction and why).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .. import modelkey
from ..results import read_csv, read_json, read_jsons, write_csv
from .flags import SUSPECT_KINDS, UNSTRUCTURED_RANGE
from .graph import read_graph
from .levels import SUSPECT, WITHIN, check, faster_than_bound, misfit_text, roof_fit
from .roofline import NOT_MEASURED, NoRoof, attainable, explain

COLUMNS = (
    "model",
    "family",
    "seed",
    "parameters",
    "macs",
    "macs_reduction",
    "bytes_float32",
    "mib_float32",
    "bytes_int8",
    "mib_int8",
    "accuracy_torch",
    "accuracy_float32",
    "accuracy_int8",
    "litert_float32_ms",
    "litert_int8_ms",
    "int8_speedup",
    "pytorch_batch1_ms",
    "pytorch_batchN_ms_per_image",
    "batch",
    "speedup_litert_float32",
    "speedup_litert_int8",
    "speedup_pytorch_batch1",
    "speedup_pytorch_batchN",
    "litert_float32_suspect",
    "litert_int8_suspect",
    "suspect",
    "suspect_columns",
    "arena_bytes_float32",
    "arena_bytes_int8",
    "peak_live_bytes_float32",
    "peak_live_bytes_int8",
    "process_rss_bytes_float32",
    "process_rss_bytes_int8",
    "tflm_float32",
    "tflm_int8",
    "note",
)
MEMORY = {"arena_bytes": "arena_bytes", "peak_live_bytes": "peak_live_bytes", "process_rss_bytes": "process_rss_bytes"}
SPEEDUPS = {
    "speedup_litert_float32": ("litert", "float32", 1),
    "speedup_litert_int8": ("litert", "int8", 1),
    "speedup_pytorch_batch1": ("pytorch", "float32", 1),
    "speedup_pytorch_batchN": ("pytorch", "float32", "N"),
}
ROOFLINE_COLUMNS = (
    "model",
    "runtime",
    "precision",
    "batch",
    "macs",
    "weight_bytes",
    "activation_bytes",
    "intensity_macs_per_byte",
    "roof_level",
    "roof_compute_ms",
    "roof_memory_ms",
    "roof_attainable_ms",
    "roof_bound",
    "measured_ms",
    "roof_fraction",
    "roof_faster_than_bound",
    "roof_check",
    "roof_status",
)
SPEEDUP_COLUMNS = (
    "model",
    "column",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "speedup_ci_halfwidth",
    "speedup_certain",
    "speedup_predicted",
    "speedup_measured_over_predicted",
    "speedup_explained",
)
DENSE_NOTE = (
    "masks stored as dense zeros: LiteRT and PyTorch run dense kernels, so size and speed are the "
    "dense model's; gzip {gzip:.1f} MiB, sparse {sparse:.1f} MiB"
)


def latency_index(rows: Iterable[Mapping]) -> dict:
    """(model, runtime, precision, 1 | "N") -> median ms of one call."""
    index = {}
    for r in rows:
        batch = 1 if int(r["batch"]) == 1 else "N"
        index[(r["model"], r["runtime"], r["precision"], batch)] = float(r["median_ms"])
    return index


def suspect_kinds(row: Mapping, too_fast: set = frozenset(), uncertain: set = frozenset()) -> list[tuple[str, str]]:
    """(column, kind) of each speed-up of ``row`` that the measurements cannot support.

    ``too_fast``: latencies (model, runtime, precision, batch) below their roofline bound that a second
    timing disagrees with; ``uncertain``: (model, column) of ratios whose interval over rounds is too wide.
    """
    found = []
    for col, ops in operands(row).items():
        s = row.get(col)
        if s is None:
            continue
        if any(op in too_fast for op in ops):
            found.append((col, "roofline"))
        if (
            col in SPEEDUPS
            and row["family"] == "unstructured"
            and not UNSTRUCTURED_RANGE[0] <= s <= UNSTRUCTURED_RANGE[1]
        ):
            found.append((col, "unstructured"))
        if (row["model"], col) in uncertain:
            found.append((col, "uncertain"))
    return found


def operands(row: Mapping) -> dict[str, list[tuple]]:
    """The two latencies (model, runtime, precision, batch) each ratio column of ``row`` divides."""
    out = {"int8_speedup": [(row["model"], "litert", "float32", 1), (row["model"], "litert", "int8", 1)]}
    if row["model"] == modelkey.CNN:
        return out
    base_key = modelkey.parse(row["model"]).baseline
    for col, spec in SPEEDUPS.items():
        out[col] = [(base_key, *spec), (row["model"], *spec)]
    return out


def flag_suspects(rows: list[dict], too_fast: set = frozenset(), uncertain: set = frozenset()) -> None:
    """Flag every ratio the measurements cannot support, then every ratio that shares a latency with one (in place).

    An uncertain ratio is flagged alone: its latencies are sound, only their ratio is not settled.
    """
    first = {id(r): suspect_kinds(r, too_fast, uncertain) for r in rows}
    # a latency below its bound that the benchmark tool disagrees with is itself the error; a ratio outside the
    # unstructured band does not
    # say which of its two latencies is off, so both are suspect
    suspect_latencies = set(too_fast) | {
        lat for r in rows for col, kind in first[id(r)] if kind == "unstructured" for lat in operands(r)[col]
    }
    for r in rows:
        kinds = list(first[id(r)])
        flagged = {col for col, _ in kinds}
        for col, ops in operands(r).items():
            if col not in flagged and r.get(col) is not None and any(op in suspect_latencies for op in ops):
                kinds.append((col, "operand"))
        r["suspect"] = "; ".join(f"{col} {r[col]:.2f}x: {SUSPECT_KINDS[kind]}" for col, kind in kinds)
        r["suspect_columns"] = ";".join(f"{col}:{kind}" for col, kind in kinds)
        for precision in ("float32", "int8"):
            r[f"litert_{precision}_suspect"] = (r["model"], "litert", precision, 1) in suspect_latencies


def cifar_rows(
    deployed: Mapping[str, Mapping], latency: Mapping, batch: int, pruning: Mapping[str, Mapping] | None = None
) -> list[dict]:
    """One row per deployed PyTorch model; speed-ups against the dense ResNet-18 baseline of its seed."""
    pruning = pruning or {}
    rows = []
    for key, m in deployed.items():
        seed = modelkey.parse(key).seed
        lat = {spec: latency.get((key, *spec)) for spec in SPEEDUPS.values()}
        r = {
            "model": key,
            "family": m["family"],
            "seed": seed,
            "parameters": m["parameters"],
            "macs": m["macs"],
            "bytes_float32": m["float32"]["size"]["bytes"],
            "mib_float32": m["float32"]["size"]["mib"],
            "bytes_int8": m["int8"]["size"]["bytes"],
            "mib_int8": m["int8"]["size"]["mib"],
            "accuracy_torch": m["accuracy_torch"],
            "accuracy_float32": m["float32"]["accuracy"],
            "accuracy_int8": m["int8"]["accuracy"],
            "litert_float32_ms": lat[("litert", "float32", 1)],
            "litert_int8_ms": lat[("litert", "int8", 1)],
            "pytorch_batch1_ms": lat[("pytorch", "float32", 1)],
            "batch": batch,
            "note": "",
        }
        bn = lat[("pytorch", "float32", "N")]
        r["pytorch_batchN_ms_per_image"] = bn / batch if bn is not None else None
        r["int8_speedup"] = _ratio(r["litert_float32_ms"], r["litert_int8_ms"])
        base_key = modelkey.parse(key).baseline
        base = deployed.get(base_key)
        r["macs_reduction"] = base["macs"] / m["macs"] if base and key != base_key else None
        for col, spec in SPEEDUPS.items():
            r[col] = _ratio(latency.get((base_key, *spec)), latency.get((key, *spec))) if r["macs_reduction"] else None
        if m["family"] == "unstructured" and key in pruning:
            sizes = pruning[key]["sizes"]
            r["note"] = DENSE_NOTE.format(
                gzip=sizes["gzip_state_dict_bytes"] / 2**20, sparse=sizes["sparse_state_dict_bytes"] / 2**20
            )
        rows.append(r)
    return rows


def cnn_row(variants: Mapping[str, Mapping], latency: Mapping) -> dict:
    """Experiment 1's CNN: its float32 and int8 .tflite (from the Keras converter) as one row."""
    f32, i8 = variants.get("float32"), variants.get("int8")
    r = {"model": "cnn", "family": "cnn", "seed": None, "note": "Experiment 1 (Fashion-MNIST, Keras -> TFLite)"}
    if f32:
        r.update(
            bytes_float32=f32["size"]["bytes"],
            mib_float32=f32["size"]["mib"],
            accuracy_float32=f32["accuracy"],
            litert_float32_ms=latency.get(("cnn", "litert", "float32", 1)),
        )
    if i8:
        r.update(
            bytes_int8=i8["size"]["bytes"],
            mib_int8=i8["size"]["mib"],
            accuracy_int8=i8["accuracy"],
            litert_int8_ms=latency.get(("cnn", "litert", "int8", 1)),
        )
    r["int8_speedup"] = _ratio(r.get("litert_float32_ms"), r.get("litert_int8_ms"))
    return r


def add_memory(rows: list[dict], memory: Iterable[Mapping]) -> None:
    """The memory job's numbers per precision beside each row (in place); "not measured" where it has none."""
    index = {(m["model"], m["precision"]): m for m in memory}
    for r in rows:
        for precision in ("float32", "int8"):
            m = index.get((r["model"], precision))
            for column in MEMORY:
                r[f"{column}_{precision}"] = float(m[column]) if m and m[column] not in (None, "") else None
            r[f"tflm_{precision}"] = (
                "not measured"
                if m is None
                else "runs"
                if str(m["tflm_runnable"]) == "True"
                else m["tflm_reason"] or "not runnable on TFLM"
            )


def _ratio(a, b):
    return a / b if a is not None and b else None


def roofline_rows(latency_rows: Iterable[Mapping], roofs: Mapping) -> list[dict]:
    """Every timed latency on the roofline: LiteRT rows from their own graph, PyTorch rows from the
    model's float32 graph (the same weights) at their batch; "not measured" columns when the roofs are not,
    and a row that says why where a precision has no roof (``roof_status``). ``roof_check`` says what
    the latency and its bound say together, with LiteRT's benchmark tool as the second timing."""
    rows = list(latency_rows)
    graphs = {}
    for r in rows:
        if r["runtime"] == "litert":
            graphs[(r["model"], r["precision"])] = read_graph(r["file"])
    out = []
    for r in rows:
        g = graphs.get((r["model"], r["precision"] if r["runtime"] == "litert" else "float32"))
        if g is None:
            continue
        batch, measured = int(r["batch"]), float(r["median_ms"])
        row = {
            "model": r["model"],
            "runtime": r["runtime"],
            "precision": r["precision"],
            "batch": batch,
            "macs": g.macs,
            "weight_bytes": g.weight_bytes,
            "activation_bytes": g.activation_bytes,
            "intensity_macs_per_byte": batch * g.macs / (g.weight_bytes + batch * g.activation_bytes),
            "measured_ms": measured,
            "roof_status": roofs.get("status", NOT_MEASURED),
        }
        if roofs.get("status") != "measured":
            row["roof_status"] = f"{NOT_MEASURED}: {roofs.get('reason') or 'no roofs recorded'}"
        else:
            try:
                bound = attainable(g.macs_by_kind, g.weight_bytes, g.activation_bytes, r["precision"], roofs, batch)
            except NoRoof as exc:
                row["roof_status"] = str(exc)
            else:
                second = r.get("benchmark_verdict", "") if r["runtime"] == "litert" else ""
                row.update(
                    roof_level=bound["level"],
                    roof_compute_ms=bound["compute_ms"],
                    roof_memory_ms=bound["memory_ms"],
                    roof_attainable_ms=bound["attainable_ms"],
                    roof_bound=bound["bound"],
                    roof_fraction=bound["attainable_ms"] / measured,
                    roof_faster_than_bound=faster_than_bound(measured, bound["attainable_ms"]),
                    roof_check=check(measured, bound["attainable_ms"], second),
                )
        out.append(row)
    return out


def speedup_rows(table: Iterable[Mapping], ratios: Iterable[Mapping], roofline: Iterable[Mapping]) -> list[dict]:
    """Every speed-up of the table with its interval over rounds, the roofline's prediction and its reason.

    A roof model that does not fit the machine explains nothing ("not explained here"), and neither does
    a bound that one of the two latencies runs below."""
    roofline = list(roofline)
    fitted = roof_fit(roofline)
    bounds = {(r["model"], r["runtime"], r["precision"], 1 if int(r["batch"]) == 1 else "N"): r for r in roofline}
    ci = {(r["model"], r["column"]): r for r in ratios}
    out = []
    for row in table:
        for col, (ref, mine) in operands(row).items():
            if row.get(col) is None:
                continue
            c = ci.get((row["model"], col), {})
            r = {
                "model": row["model"],
                "column": col,
                "speedup": row[col],
                **{k: _number(c.get(k)) for k in ("speedup_ci_low", "speedup_ci_high", "speedup_ci_halfwidth")},
                "speedup_certain": c.get("speedup_certain", "") == "True" if c else None,
            }
            a, b = bounds.get(ref, {}), bounds.get(mine, {})
            if a.get("roof_attainable_ms") not in (None, "") and b.get("roof_attainable_ms") not in (None, ""):
                r["speedup_predicted"] = float(a["roof_attainable_ms"]) / float(b["roof_attainable_ms"])
                r["speedup_measured_over_predicted"] = row[col] / r["speedup_predicted"]
                below = [
                    name
                    for name, side in (("this model", b), ("the reference", a))
                    if side.get("roof_check") not in (None, "", WITHIN)
                ]
                if not fitted["fits"]:
                    r["speedup_explained"] = misfit_text(fitted)
                elif below:
                    r["speedup_explained"] = (
                        f"not explained here: {' and '.join(below)} run"
                        f"{'s' if len(below) == 1 else ''} below the roofline bound"
                    )
                else:
                    r["speedup_explained"] = explain(
                        {"bound": b["roof_bound"], "level": b["roof_level"], "fraction": b["roof_fraction"]},
                        {"bound": a["roof_bound"], "level": a["roof_level"], "fraction": a["roof_fraction"]},
                    )
            else:
                r["speedup_explained"] = (b or a).get("roof_status") or NOT_MEASURED
            out.append(r)
    return out


def use_ratios(rows: list[dict], ratios: Iterable[Mapping]) -> None:
    """Each speed-up column as the timing job computed it with its interval (``timing.ratio_interval``: the
    geometric mean of per-round ratios), so that a speed-up and its interval are one statistic (in place).
    A ratio the timing job did not compute keeps the ratio of the two medians."""
    by = {(r["model"], r["column"]): float(r["speedup"]) for r in ratios if r.get("speedup") not in (None, "")}
    for row in rows:
        for col in operands(row):
            if row.get(col) is not None and (row["model"], col) in by:
                row[col] = by[(row["model"], col)]


def _number(value):
    return None if value in (None, "") else float(value)


def deployment_table(
    deployed_keys,
    deployed_metrics,
    pruning_keys,
    pruning_metrics,
    variants,
    variant_metrics,
    latency_csv: str,
    ratios_csv: str,
    machine_json: str,
    memory_csv: str,
    batch: int,
    out: Mapping[str, str],
) -> None:
    """Rule deployment_table: the table above, the roofline of every latency and every speed-up explained."""
    latency_rows = read_csv(latency_csv)
    latency = latency_index(latency_rows)
    rows = cifar_rows(
        dict(zip(deployed_keys, read_jsons(deployed_metrics))),
        latency,
        batch,
        dict(zip(pruning_keys, read_jsons(pruning_metrics))),
    )
    rows.append(cnn_row(dict(zip(variants, read_jsons(variant_metrics))), latency))
    roofs = read_json(machine_json).get("roofline") or {"status": NOT_MEASURED, "reason": "no roofs recorded"}
    roofline = roofline_rows(latency_rows, roofs)
    ratios = read_csv(ratios_csv)
    use_ratios(rows, ratios)
    # a bound is evidence against a latency only where the roof model fits this CPU (most latencies at or
    # above their bounds); where it does not, no latency is flagged by it (the report says so once)
    too_fast = (
        {
            (r["model"], r["runtime"], r["precision"], 1 if r["batch"] == 1 else "N")
            for r in roofline
            if r.get("roof_check") == SUSPECT
        }
        if roof_fit(roofline)["fits"]
        else set()
    )
    uncertain = {(r["model"], r["column"]) for r in ratios if r["speedup_certain"] != "True"}
    flag_suspects(rows, too_fast, uncertain)
    add_memory(rows, read_csv(memory_csv))
    write_csv(out["table"], rows, COLUMNS)
    write_csv(out["roofline"], roofline, ROOFLINE_COLUMNS)
    write_csv(out["speedups"], speedup_rows(rows, ratios, roofline), SPEEDUP_COLUMNS)
