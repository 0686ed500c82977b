"""The report: every number in the PDF comes from the workflow's files; reproducible; incremental; HTML report."""

import math
import os
import re
import time

import pytest

from edgecompress.report.context import TITLE_UK, num, read_csv
from helpers import REPO, assert_every_model_learned, demo_config, snakemake

pytestmark = pytest.mark.workflow


def again(run, *args, configs=None):
    return snakemake(run["dir"], *args, configs=configs or (run["config"],), repo=run["repo"])


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# a printed value: #"...";, or #measured("..."); for a measured one (render.measured)
LITERAL = re.compile(r'#(?:measured\()?"((?:[^"\\]|\\.)*)"\)?;')


def _cell_text(cell: str) -> str:
    """A cell's text: its Typst string literals unescaped, emphasis stars and markup escapes dropped."""
    cell = LITERAL.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), cell)
    return cell.strip().strip("*").replace("\\_", "_").strip()


def _cells(source: str, start: int) -> tuple[list[str], int]:
    """The ``[...]`` cells of the call whose arguments start at ``start``, and where the call ends."""
    cells, depth, i, begin = [], 1, start, None
    while depth:
        literal = LITERAL.match(source, i)
        if literal:  # brackets inside a string literal are text
            i = literal.end()
            continue
        ch = source[i]
        if ch in "([":
            depth += 1
            if ch == "[" and depth == 2:
                begin = i + 1
        elif ch in ")]":
            depth -= 1
            if ch == "]" and depth == 1:
                cells.append(_cell_text(source[begin:i]))
        i += 1
    return cells, i


def typst_tables(typ: str) -> list[dict]:
    """Every ``#table(...)`` of a rendered Typst source: its header cells and its rows of cell texts."""
    tables = []
    for match in re.finditer(r"#table\(", typ):
        body, end = _cells(typ, match.end())  # the table's own cells: the header's are one level deeper
        header_at = typ.find("table.header(", match.end(), end)
        header = _cells(typ, header_at + len("table.header("))[0] if header_at >= 0 else []
        width = len(header) or 1
        assert len(body) % width == 0, f"table {header}: {len(body)} cells do not fill rows of {width}"
        tables.append(
            {"header": header, "rows": [dict(zip(header, body[k : k + width])) for k in range(0, len(body), width)]}
        )
    return tables


def table_with(tables, *columns) -> list[dict]:
    found = [t for t in tables if t["header"][: len(columns)] == list(columns)]
    assert found, f"no rendered table with columns {columns}; headers: {[t['header'] for t in tables]}"
    return found


def rows_of(tables, *columns) -> list[dict]:
    return [row for t in table_with(tables, *columns) for row in t["rows"]]


def test_rendered_table_cells_equal_the_workflow_files(run):
    """Cell by cell: each row of the workflow's CSVs is a row of a rendered table, in the right columns."""
    d = run["dir"]
    tables = typst_tables((d / "results/report/paper.typ").read_text(encoding="utf-8"))
    digits = {"MiB": 4, "x": 2, "fraction": 4, "ms/image": 4}
    quant = {(r["metric"], r["model"]): r for r in rows_of(tables, "metric", "model", "unit")}
    for r in read_csv(d / "results/quantization/table.csv"):
        cell = quant[(r["metric"], r["model"])]
        n = digits[r["unit"]]
        assert (cell["ours"], cell["paper"], cell["difference"]) == (
            num(r["ours"], n),
            num(r["paper"], n),
            num(r["difference"], n),
        ), r
    summary = {(c["method"], c["amount"]): c for c in rows_of(tables, "method", "amount", "seeds")}
    for r in read_csv(d / "results/pruning/summary.csv"):
        cell = summary[(r["method"], num(r["amount"], 2))]
        removed = r["parameters_removed_pct"] if r["method"] == "structured" else r["model_sparsity_pct"]
        assert cell["removed % (ours)"] == num(removed, 2)
        assert cell["± std"] == ("–" if int(r["seeds"]) == 1 else num(r["accuracy_std"], 2))
        assert cell["before FT % (ours)"] == num(r["accuracy_before_finetune_pct"], 2)
        assert cell["final % (ours)"] == num(r["accuracy_pct"], 2)
        assert cell["final % (paper)"] == num(r["paper_accuracy_pct"], 2)
        assert cell["parameters"] == f"{int(r['parameters']):,}"
    epoch_tables = [
        [(row["epoch"], row["loss (ours)"], row["accuracy % (ours)"]) for row in t["rows"]]
        for t in table_with(tables, "epoch", "loss (paper)", "loss (ours)")
    ]
    # the report prints the per-epoch tables of the paper's runs: three pruning runs, teacher and student
    for path, key, shown in (
        ("results/pruning/epochs.csv", "method", {"baseline", "unstructured", "structured"}),
        ("results/distillation/epochs.csv", "run", {"teacher", "student"}),
    ):
        runs: dict = {}
        for r in read_csv(d / path):
            runs.setdefault(r[key], []).append((r["epoch"], num(r["loss"]), num(r["test_accuracy_pct"], 2)))
        assert set(runs) >= shown, f"{path} lacks runs {shown - set(runs)}"
        for name, expected in ((n, runs[n]) for n in shown):
            assert expected in epoch_tables, f"{path}: no rendered per-epoch table equals {name}'s rows {expected}"
    table2 = {c["model"]: c for c in rows_of(tables, "model", "seeds", "accuracy % (paper)")}
    for r in read_csv(d / "results/distillation/table2.csv"):
        cell = table2[r["model"]]
        assert cell["accuracy % (ours)"] == num(r["accuracy_pct"], 2)
        assert cell["accuracy % (paper)"] == num(r["paper_accuracy_pct"], 2)
        assert cell["parameters (ours, 10 classes)"] == f"{int(r['parameters']):,}"
        assert cell["1000-class head"] == f"{int(r['parameters_1000_class_head']):,}"
    grid = {(c["T"], c["α (soft)"]): c for c in rows_of(tables, "T", "α (soft)")}
    for r in read_csv(d / "results/distillation/grid.csv"):
        cell = grid[(r["temperature"], r["alpha"])]
        assert (cell["KD %"], cell["no KD %"], cell["p (sign flip)"], cell["p (Holm)"]) == (
            num(r["kd_accuracy_pct"], 2),
            num(r["no_kd_accuracy_pct"], 2),
            num(r["gain_p_value"], 3),
            num(r["gain_p_holm"], 3),
        )
        assert r["p_family"] == "distillation" and r["tests_in_family"] == str(len(grid))


def test_the_pdf_shows_the_rendered_tables(run):
    """The PDF is compiled from that source: its text holds the rendered cells and the paper's numbers."""
    text = squash(pdf_text(run["dir"] / "results/report/paper.pdf"))
    tables = typst_tables((run["dir"] / "results/report/paper.typ").read_text(encoding="utf-8"))
    for row in rows_of(tables, "metric", "model", "unit"):
        assert squash(row["model"] + row["unit"] + row["paper"] + row["ours"]) in text, row
    for paper_value in ("11.06", "0.8280", "0.8310", "0.193", "72.80", "73.80", "45.70", "66.50", "89.50", "91.80"):
        assert paper_value in text


def test_title_page_has_the_ukrainian_title_as_text(run):
    text = pdf_text(run["dir"] / "results/report/paper.pdf")
    assert squash(TITLE_UK) in squash(text)
    assert "NOT torchvision" in text and "ImageNet files" in text  # the fixture weights are not the published ones


def test_every_page_and_figure_of_a_fixture_run_carries_the_mark(run):
    from pypdf import PdfReader

    mark = "NON-OFFICIAL DATA · NO IMAGENET WEIGHTS"
    pages = PdfReader(run["dir"] / "results/report/paper.pdf").pages
    assert all(mark in page.extract_text() for page in pages)
    typ = (run["dir"] / "results/report/paper.typ").read_text(encoding="utf-8")
    figures = re.findall(r"#figure\((\w+)\(image", typ)
    assert figures and set(figures) == {"marked"}
    assert squash("generated fixtures in the official file formats") in squash(
        pdf_text(run["dir"] / "results/report/paper.pdf")
    )


def test_fixture_weights_are_not_recorded_as_pretrained(run):
    import json

    # every PyTorch model trained from the (fixture) ImageNet weights records what it started from
    trained = sorted(
        p for stage in ("pruning", "distillation") for p in (run["dir"] / "results" / stage).rglob("metrics.json")
    )
    assert {p.relative_to(run["dir"] / "results").parts[1] for p in trained} == {
        "baseline",
        "control",
        "unstructured",
        "structured",
        "chain",
        "student",
        "kd",
    }
    for path in trained:
        data = json.loads(path.read_text())
        assert data["provenance"]["config"]["torch"]["pretrained"] is True, path  # the config asks for them
        # ... but the fixture files are not torchvision's: the checksum says no, in the metrics and provenance
        assert data["pretrained"] is False and data["provenance"]["pretrained"] is False, path


def test_every_model_of_the_demo_learned_and_every_deployed_file_agrees(run):
    assert assert_every_model_learned(run["dir"]) >= 16


def test_the_fixture_demo_supports_no_claim_and_says_why(run):
    text = squash(pdf_text(run["dir"] / "results/report/paper.pdf"))
    assert squash("not supported by this run") in text
    assert squash("cannot decide with 1 seed") in text
    assert squash("is not the official data") in text


def test_a_reader_can_recompute_every_recommendation_from_the_printed_tables(run):
    """The rule table's choices, recomputed by hand here from table.csv rows and the config's budgets.

    The most accurate fitting model (mean over seeds) is chosen whatever the seeds can show; every
    fitting model less than ``evidence.tie_points`` below the leader ties with it, and the class's own
    measure breaks the tie: on a CPU class the fastest when no other is within the timing noise of it
    (``evidence.speedup_noise``), else the smallest of those within it; on an NPU class the lowest
    Vela estimate; on a microcontroller the smallest TFLM arena; elsewhere the smallest file.
    """
    import yaml

    d = run["dir"]
    tables = typst_tables((d / "results/report/paper.typ").read_text(encoding="utf-8"))
    shown = {(c["task"], c["class"]): c for c in rows_of(tables, "task", "class", "chosen")}
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    noise, tie = (
        config["evidence"].get(k, schema["properties"]["evidence"]["properties"][k]["default"])
        for k in ("speedup_noise", "tie_points")
    )
    devices = config["devices"]
    rows = read_csv(d / "results/deployment/table.csv")
    # RAM: on a microcontroller the TFLM tensor arena (and TFLM must run the file), elsewhere the
    # measured process memory of LiteRT, both read from memory.csv (never the file size)
    memory = {(m["model"], m["precision"]): m for m in read_csv(d / "results/deployment/memory.csv")}
    # an npu class: flash, RAM and latency against Vela's estimates for its accelerator (vela.csv)
    vela = {(v["model"], v["accelerator"]): v for v in read_csv(d / "results/deployment/vela.csv")}
    assert len(shown) == 2 * len(devices)
    for task, models in (
        ("CIFAR-10", [r for r in rows if r["model"] != "cnn"]),
        ("Fashion-MNIST", [r for r in rows if r["model"] == "cnn"]),
    ):
        options = [
            (
                r["model"].rsplit("/seed", 1)[0] + " " + p,
                100 * float(r[f"accuracy_{p}"]),
                float(r[f"mib_{p}"]),
                float(r[f"litert_{p}_ms"]),
                memory[(r["model"], p)],
                r["model"],
            )
            for r in models
            for p in ("float32", "int8")
        ]

        def npu_fits(o, device):
            v = vela.get((o[5], device["npu"]))
            return (
                v is not None
                and v["status"] == "compiled"
                and int(v["weights_bytes"]) / 2**20 <= device["flash_mib"]
                and int(v["sram_bytes"]) / 2**20 <= device["ram_mib"]
                and (device["latency_ms"] is None or float(v["inference_ms"]) <= device["latency_ms"])
            )

        def ram_fits(o, device):
            m = o[4]
            if device["hardware"] == "mcu":
                return m["tflm_runnable"] == "True" and int(m["arena_bytes"]) / 2**20 <= device["ram_mib"]
            return int(m["process_rss_bytes"]) / 2**20 <= device["ram_mib"]

        if task == "CIFAR-10":  # the measured memory, not the file size, decides here: they disagree
            assert any((o[2] <= dv["ram_mib"]) != ram_fits(o, dv) for o in options for dv in devices)
        for device in devices:
            budget = device.get("latency_ms") if device["hardware"] == "cpu" else None
            if device["hardware"] == "npu":
                fit = [o for o in options if o[0].split()[-1] in device["precisions"] and npu_fits(o, device)]
            else:
                fit = [
                    o
                    for o in options
                    if o[0].split()[-1] in device["precisions"]
                    and o[2] <= device["flash_mib"]
                    and ram_fits(o, device)
                    and (budget is None or o[3] <= budget)
                ]
            fit.sort(key=lambda o: (-o[1], o[2]))
            tied = [o for o in fit if round(fit[0][1] - o[1], 9) < tie]
            smallest = lambda options: min(options, key=lambda o: (o[2], o[0]))  # noqa: E731
            if len(tied) < 2:
                expected = fit[0] if fit else None
            elif device["hardware"] == "cpu":
                fastest = min(o[3] for o in tied)
                expected = smallest([o for o in tied if o[3] <= fastest * (1 + noise)])
            elif device["hardware"] == "npu":
                ms = {o[0]: float(vela[(o[5], device["npu"])]["inference_ms"]) for o in tied}
                expected = smallest([o for o in tied if ms[o[0]] <= min(ms.values())])
            elif device["hardware"] == "mcu":
                expected = min(tied, key=lambda o: (int(o[4]["arena_bytes"]), o[2], o[0]))
            else:
                expected = smallest(tied)
            cell = shown[(task, device["name"])]
            assert cell["chosen"] == (expected[0] if expected else "none"), (task, device["name"], cell)
            if expected:
                assert cell["acc. (%)"] == f"{expected[1]:.1f}" and cell["MiB"] == f"{expected[2]:.2f}"


def test_every_verdict_of_the_fixture_demo_is_not_supported_with_its_gates(run):
    typ = (run["dir"] / "results/report/paper.typ").read_text(encoding="utf-8")
    claims = rows_of(typst_tables(typ), "family (tests)", "claim")
    assert claims and all(c["verdict"] == "not supported by this run" for c in claims)
    assert all("data official: CIFAR-10 is not the official data" in c["why"] for c in claims)
    assert all("weights pretrained:" in c["why"] for c in claims)
    text = squash(pdf_text(run["dir"] / "results/report/paper.pdf"))
    assert text.count(squash("— not supported by this run (failed gates: data official")) >= 8
    assert squash("— supported") not in text


def test_the_report_opens_with_the_papers_conclusions_each_undecided_on_the_demo(run):
    """Five conclusions in the paper's words; on the fixture demo (non-official data, one seed) each reads
    "not supported by this run" and names the failed gates; the opening counts them."""
    from edgecompress import paper

    typ = (run["dir"] / "results/report/paper.typ").read_text(encoding="utf-8")
    rows = rows_of(typst_tables(typ), "\\#", "the paper's conclusion; our numbers")
    claims, details = rows[0::2], rows[1::2]
    assert [c["the paper's conclusion; our numbers"] for c in claims] == list(paper.CONCLUSIONS)
    assert all(c["our verdict; the test and why"] == "not supported by this run" for c in claims)
    assert all("gates failed: data official, weights pretrained" in d["our verdict; the test and why"] for d in details)
    assert "the dense control" in details[2]["the paper's conclusion; our numbers"]  # claim 3 rests on the control
    text = squash(pdf_text(run["dir"] / "results/report/paper.pdf"))
    # (Typst sets the apostrophe of "paper's" as a typographic one: the sentence is matched after it)
    assert squash("conclusions are supported by this run, 0 refuted and 5 not supported by this run") in text
    assert squash("0 of 5 of the paper") in text
    assert text.index(squash("conclusion hold here?")) < text.index(squash("Experiment 1"))


def test_same_inputs_give_a_byte_identical_pdf(run):
    d = run["dir"]
    first = (d / "results/report/paper.pdf").read_bytes()
    result = again(
        run, "results/report/paper.pdf", "--forcerun", "render_report", "compile_report", "notebook_quantization"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (d / "results/report/paper.pdf").read_bytes() == first
    assert b"CreationDate" not in first


def test_editing_the_template_reruns_only_render_and_compile(run):
    # Snakemake reruns on content, not on a bare touch: edit the template of the workflow's copy
    template = run["repo"] / "report" / "paper.typ.j2"
    original, stat = template.read_bytes(), template.stat()
    template.write_bytes(original + b"<# an edit by the incremental-build test #>\n")
    os.utime(template, (time.time(), time.time() + 5))
    result = again(run, "-n", "results/report/paper.pdf")
    template.write_bytes(original)  # the copy's template as it was, for the tests that follow
    os.utime(template, (stat.st_atime, stat.st_mtime))
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    rules = {line.split()[0] for line in table.splitlines()[3:] if line.strip()}
    assert rules == {"render_report", "compile_report"}


def test_a_new_mirror_with_the_same_checksums_reruns_nothing(run, tmp_path, fixture_dir):
    moved = tmp_path / "another-mirror"
    moved.mkdir()
    for f in fixture_dir.iterdir():
        (moved / f.name).symlink_to(f)
    result = again(run, "-n", configs=(demo_config(tmp_path, moved),))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout[-3000:]


def test_snakemakes_html_report(run, tmp_path):
    # written outside the run folder: the session's demo stays as a clean `snakemake` leaves it
    result = again(run, "--report", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / "report.html").read_text(errors="replace")
    for category in ("Experiment 1: quantization", "Experiment 2: pruning", "Experiment 3: distillation", "Report"):
        assert category in html


def test_notebooks_are_kept_executed_and_exported(run):
    d = run["dir"] / "results/report"
    for name in ("quantization", "pruning", "distillation", "deployment"):
        assert (d / name / f"{name}.html").stat().st_size > 1000
        assert '"papermill"' in (d / name / f"{name}.ipynb").read_text()
    assert (d / "deployment/pareto.png").stat().st_size > 10_000


def medians(d) -> dict:
    return {
        (r["model"], r["runtime"], r["precision"], int(r["batch"])): float(r["median_ms"])
        for r in read_csv(d / "results/deployment/latency.csv")
    }


def speedups(d) -> dict[tuple[str, str], dict]:
    """(model, column) -> the row of ratios.csv: the speed-up (the geometric mean over rounds) and its interval,
    each speed-up checked here to lie within its own interval."""
    found = {(r["model"], r["column"]): r for r in read_csv(d / "results/deployment/ratios.csv")}
    for r in found.values():
        assert float(r["speedup_ci_low"]) <= float(r["speedup"]) <= float(r["speedup_ci_high"]), r
    return found


def near(row: dict, of_medians: float) -> bool:
    """A printed speed-up (``row`` of ratios.csv: the geometric mean of the per-round ratios and its interval)
    against the ratio of the pooled medians of latency.csv: the same pair the same way round. On a shared
    machine over a demo's few rounds the two statistics differ by tens of percent (CI rehearsals: 6.84
    against 10.0, 7.51 against 12.06), so the ratio of medians must lie within a factor of 1.6 of the speed-up
    or inside the speed-up's own interval (the second case: [4.33, 13.01]); an inverted ratio of a 3x speed-up
    is off by 9x and outside any interval that does not also contain 1/3 and 3."""
    ratio, low, high = float(row["speedup"]), float(row["speedup_ci_low"]), float(row["speedup_ci_high"])
    return abs(math.log(ratio / of_medians)) < math.log(1.6) or low <= of_medians <= high


def test_deployment_table_cells_equal_the_workflow_files(run):
    """Cell by cell; every speed-up cell is the timing job's ratio (ratios.csv), which is near the ratio of the
    two medians of latency.csv, recomputed here (a ratio of a wrong pair or inverted is not)."""
    d = run["dir"]
    tables = typst_tables((d / "results/report/paper.typ").read_text(encoding="utf-8"))
    shown = {c["model"]: c for c in rows_of(tables, "model", "MiB f32", "MiB int8")}
    lat = medians(d)
    ratio = speedups(d)
    rows = read_csv(d / "results/deployment/table.csv")
    assert set(shown) == {r["model"] for r in rows}
    for r in rows:
        cell, m = shown[r["model"]], r["model"]
        assert cell["MiB f32"] == num(r["mib_float32"], 2) and cell["MiB int8"] == num(r["mib_int8"], 2)
        assert cell["acc. % f32"] == num(100 * float(r["accuracy_float32"]), 1)
        assert cell["acc. % int8"] == num(100 * float(r["accuracy_int8"]), 1)
        assert cell["LiteRT f32 ms"] == num(lat[(m, "litert", "float32", 1)], 3)
        assert cell["LiteRT int8 ms"] == num(lat[(m, "litert", "int8", 1)], 3)
        flagged = {c.split(":")[0] for c in r["suspect_columns"].split(";") if c}
        dagger = lambda column: " †" if column in flagged else ""  # noqa: E731
        assert cell["int8 speed-up"] == num(ratio[(m, "int8_speedup")]["speedup"], 2) + dagger("int8_speedup")
        of_medians = lat[(m, "litert", "float32", 1)] / lat[(m, "litert", "int8", 1)]
        assert near(ratio[(m, "int8_speedup")], of_medians), (m, ratio[(m, "int8_speedup")], of_medians)
        if m == "cnn" or m.startswith("baseline/"):
            continue
        base = "baseline/" + m.rsplit("/", 1)[1]
        batch = int(r["batch"])
        litert, torch_n = ratio[(m, "speedup_litert_float32")], ratio[(m, "speedup_pytorch_batchN")]
        for got, of_medians in (
            (litert, lat[(base, "litert", "float32", 1)] / lat[(m, "litert", "float32", 1)]),
            (torch_n, lat[(base, "pytorch", "float32", batch)] / lat[(m, "pytorch", "float32", batch)]),
        ):
            assert near(got, of_medians), (m, got, of_medians)
        key = next(k for k in cell if k.startswith("speed-up LiteRT"))
        assert cell[key] == (
            f"{num(litert['speedup'], 2)}{dagger('speedup_litert_float32')} / "
            f"{num(torch_n['speedup'], 2)}{dagger('speedup_pytorch_batchN')} / {num(r['macs_reduction'], 2)}"
        ), (m, cell[key])


def test_the_deployment_table_has_one_row_per_model_pooled_over_seeds(run):
    """The report's deployment table: one row per model, mean ± std over its seeds of the per-seed rows
    (the appendix's table), a ratio's dagger when any seed's is flagged, each model's note once."""
    from edgecompress.modelkey import config_of
    from edgecompress.stats import mean_std

    d = run["dir"]
    typ = (d / "results/report/paper.typ").read_text(encoding="utf-8")
    tables = typst_tables(typ)
    pooled = {c["model"]: c for c in rows_of(tables, "model", "seeds", "MiB f32")}
    rows = read_csv(d / "results/deployment/table.csv")
    by_model: dict[str, list] = {}
    for r in rows:
        by_model.setdefault(config_of(r["model"])[0], []).append(r)
    assert set(pooled) == set(by_model), (
        "one row per model"
    )  # (the demo has one seed: tests/unit/test_context.py pools)
    for model, members in by_model.items():
        cell = pooled[model]
        assert cell["seeds"] == str(len(members))
        acc = [100 * float(r["accuracy_int8"]) for r in members]
        mean, std = mean_std(acc)
        assert cell["acc. % int8"] == (num(mean, 1) if len(acc) == 1 else f"{num(mean, 1)} ± {num(std, 1)}")
        flagged = any("int8_speedup:" in r["suspect_columns"] for r in members)
        assert cell["int8 speed-up"].endswith(" †") == flagged
    notes = [r["note"] for r in rows if r["note"]]
    if notes:  # a model's note is printed once, not once per seed
        first = next(r for r in rows if r["note"])
        assert typ.count(first["note"]) == 1


def named_ratios(d) -> dict[str, str]:
    """Every ratio the report may print, computed here from rows named explicitly: {value: what it is}.

    Speed-ups of latency.csv medians, always reference over model (the dense baseline of the same
    seed, or the model's own float32 for its int8 speed-up; for the full chain, each method alone
    over the chain), MACs reductions, and the size ratios the conclusions print, the same way round.
    An inverted ratio or one of the wrong pair is not among them.
    """
    lat = medians(d)
    table = {r["model"]: r for r in read_csv(d / "results/deployment/table.csv")}
    found = {}

    def add(a, b, what):
        found.setdefault(num(a / b, 2), what)

    # the table's speed-ups: the timing job's geometric means over rounds (ratios.csv), reference over model
    for (m, column), row in speedups(d).items():
        found.setdefault(num(row["speedup"], 2), f"{m}: {column} (ratios.csv)")

    for m, r in table.items():
        add(lat[(m, "litert", "float32", 1)], lat[(m, "litert", "int8", 1)], f"{m}: int8 speed-up")
        if m == "cnn" or m.startswith("baseline/"):
            continue
        base, seed = "baseline/" + m.rsplit("/", 1)[1], m.rsplit("/", 1)[1]
        for p in ("float32", "int8"):
            add(lat[(base, "litert", p, 1)], lat[(m, "litert", p, 1)], f"{m}: LiteRT {p} speed-up")
            add(float(table[base][f"mib_{p}"]), float(r[f"mib_{p}"]), f"{m}: {p} size ratio")
        for batch in (1, int(r["batch"])):
            add(
                lat[(base, "pytorch", "float32", batch)],
                lat[(m, "pytorch", "float32", batch)],
                f"{m}: PyTorch b{batch}",
            )
        if r["macs_reduction"]:
            found.setdefault(num(r["macs_reduction"], 2), f"{m}: MACs reduction")
        if m.startswith("chain/"):  # each method alone against the chain in int8 (the conclusions)
            alone = [(base, "int8")] + [
                (o, "float32") for o in table if o.endswith(seed) and o.split("/")[0] in ("structured", "kd")
            ]
            for o, p in alone:
                add(lat[(o, "litert", p, 1)], lat[(m, "litert", "int8", 1)], f"{o} {p} over {m} int8")
                add(float(table[o][f"mib_{p}"]), float(r["mib_int8"]), f"{o} {p} size over {m} int8")
        if m.startswith("baseline/"):
            continue
    for b in (m for m in table if m.startswith("baseline/")):
        add(float(table[b]["mib_float32"]), float(table[b]["mib_int8"]), f"{b}: int8 size ratio")
    return found


def test_every_printed_speed_up_is_a_ratio_from_the_timing_file(run):
    """Each "N.NNx" of the timing paragraphs, recommendations and conclusions is one of the ratios
    computed here from named rows (``named_ratios``): never a number from elsewhere, an inverted one,
    or one of the wrong pair of models."""
    d = run["dir"]
    allowed = named_ratios(d)
    typ = (d / "results/report/paper.typ").read_text(encoding="utf-8")
    # every measured value is printed through #measured("..."): "#measured("3.64");#"x faster" reads "3.64x faster"
    lines = [re.sub(r'#measured\("([^"]*)"\);#"', r"\1", line) for line in typ.splitlines() if "#measured(" in line]
    ratio = re.compile(r'(?<![–\-0-9.])([0-9]+\.[0-9]{2})(?:";)?x')  # not the range "0.8–1.25x"
    found = [x for line in lines for x in ratio.findall(line)]
    assert len(found) >= 10, f"too few speed-ups printed: {found}"
    assert not [x for x in found if x not in allowed], [x for x in found if x not in allowed]
    # the check can fail: the inverse of a printed speed-up that is not 1 is none of them
    inverted = {num(1 / float(x), 2) for x in found if abs(float(x) - 1) > 0.05}
    assert inverted - set(allowed), "every inverted ratio is also allowed: the check proves nothing"
    assert "0.8–1.25x" in typ or "0.8-1.25x" in typ  # the suspect rule is stated


def test_memory_of_every_demo_model_is_measured_and_printed(run):
    """Arena >= peak live tensors for every file; TFLM runs the CNN int8 on the whole test split like LiteRT."""
    d = run["dir"]
    memory = read_csv(d / "results/deployment/memory.csv")
    table = read_csv(d / "results/deployment/table.csv")
    # every model, float32 and int8, and the CNN's dynamic-range and float16 variants (the paper's four)
    assert len(memory) == 2 * len(table) + 2
    other = {m["precision"]: m for m in memory if m["precision"] not in ("float32", "int8")}
    assert set(other) == {"dynamic_range", "float16"}
    for m in other.values():  # TFLM's reference kernels take neither: a row that says which kernel refused
        assert m["tflm_runnable"] == "False" and "fails to prepare" in m["tflm_reason"], m
        assert int(m["peak_live_bytes"]) > 0 and int(m["process_rss_bytes"]) > 0
    memory = [m for m in memory if m["precision"] in ("float32", "int8")]
    for m in memory:
        assert m["tflm_runnable"] == "True", m
        assert int(m["arena_bytes"]) >= int(m["peak_live_bytes"]) > 0, m
        assert int(m["process_rss_bytes"]) > 0
    cnn = next(m for m in memory if m["model"] == "cnn" and m["precision"] == "int8")
    assert int(cnn["tflm_images"]) == 300  # the fixture's whole test split
    assert abs(float(cnn["tflm_accuracy"]) - float(cnn["litert_accuracy"])) <= 0.005
    assert float(cnn["tflm_litert_agreement"]) >= 0.99
    shown = {
        (c["model"], c["precision"]): c
        for c in rows_of(
            typst_tables((d / "results/report/paper.typ").read_text(encoding="utf-8")),
            "model",
            "precision",
            "file (MiB)",
        )
    }
    for m in memory:
        cell = shown[(m["model"], m["precision"])]
        assert cell["TFLM arena (KiB)"] == f"{int(m['arena_bytes']) / 1024:.1f}"
        assert cell["process (MiB)"] == f"{int(m['process_rss_bytes']) / 2**20:.1f}"
    text = squash(pdf_text(d / "results/report/paper.pdf"))
    assert squash("RAM checked against") in text and squash("TFLM tensor arena") in text
