"""Change one thing, rerun only what depends on it: every leaf key of the schema, on a finished demo.

For each leaf key (taken from the schema, not a hand list) the test changes the value, dry-runs the
finished fixture run and compares the rules Snakemake schedules with the rules declared here as
reading that key, closed over the rule graph (everything downstream of a reader reruns too).
render_report takes the config (less where files come from) to print it in the provenance
appendix, so every key but a location also reruns the report's last two rules.
"""

from __future__ import annotations

import copy
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from edgecompress.config import load_schema, merge
from helpers import REPO, snakemake, write_yaml

pytestmark = pytest.mark.workflow

REPORT = {"render_report"}
TRAIN = {"finetune_baseline", "prune", "finetune_control", "train_student", "distill_student"}
# key (dotted; "*" is any data source) -> the rules whose params or inputs read it
READERS = {
    # the CNN trains, converts and evaluates with its own {seed} (one per training seed), not this key
    "seed": {"deploy_model", "roof_models"},
    "threads": set(),
    "data.description": set(),
    "data.mirror": set(),
    "data.retries": set(),
    "data.backoff_seconds": set(),
    "data.timeout_seconds": set(),
    "data.*.url": set(),
    # a download's cut-off: where and how a file is fetched, not what it is (its checksums are)
    "data.max_download_mib": set(),
    "data.*.bytes": set(),
    # a checksum reruns the download of its own file and what reads that file
    **{f"data.fashion_mnist.*.{k}": {"download", "prepare_fashion_mnist"} for k in ("md5", "sha256", "sha256_prefix")},
    **{f"data.cifar10.*.{k}": {"download", "prepare_cifar10"} for k in ("md5", "sha256", "sha256_prefix")},
    **{f"data.weights.resnet18.{k}": {"download", "finetune_baseline"} for k in ("md5", "sha256", "sha256_prefix")},
    **{
        f"data.weights.mobilenet_v2.{k}": {"download", "train_student", "distill_student"}
        for k in ("md5", "sha256", "sha256_prefix")
    },
    "data.cifar10.train_size": {"prepare_cifar10"},
    "data.cifar10.test_size": {"prepare_cifar10"},
    "data.cifar10.subset_seed": {"prepare_cifar10"},
    **{
        f"quantization.{k}": {"train_base_cnn"}
        for k in ("conv_filters", "kernel_size", "dense_units", "epochs", "batch_size", "optimizer", "learning_rate")
    },
    "quantization.representative_samples": {"convert_tflite"},
    # the demo has all four variants (the schema's whole enum): the change drops one, so nothing is converted
    # or evaluated anew, and the rules that gather the variants rerun
    "quantization.variants": {
        "quantization_table",
        "notebook_quantization",
        "time_models",
        "measure_memory",
        "deployment_table",
        "arm_parity",
        "vela",
    },
    **{
        f"torch.{k}": TRAIN
        for k in (
            "device",
            "batch_size",
            "eval_batch_size",
            "optimizer",
            "learning_rate",
            "momentum",
            "weight_decay",
            "augment",
        )
    },
    "torch.pretrained": TRAIN,  # the demo downloads the weights already; turning it off loads none
    "torch.resolution": TRAIN | {"deploy_model", "time_models"},
    "pruning.epochs": {"finetune_baseline"},
    # the deployed length: the pruned models, the control (which keeps the same epoch) and the sweep table
    "pruning.finetune_epochs": {"prune", "finetune_control", "pruning_tables"},
    "pruning.seeds": {"finetune_baseline", "prune", "pruning_tables", "deploy_model", "time_models"},
    "pruning.unstructured.amounts": {"prune", "pruning_tables", "deploy_model"},
    "pruning.unstructured.mode": {"prune"},
    "pruning.unstructured.layers": {"prune", "pruning_tables"},
    "pruning.structured.amounts": {"prune", "pruning_tables", "deploy_model"},
    "pruning.structured.ignored_layers": {"prune"},
    # a longer sweep: the method's runs, the control (trained as long as the longest) and the sweep table
    "pruning.unstructured.finetune_sweep": {"prune", "finetune_control", "pruning_tables"},
    "pruning.structured.finetune_sweep": {"prune", "finetune_control", "pruning_tables"},
    "pruning.chain.amounts": {"prune", "pruning_tables", "deploy_model"},
    **{f"pruning.chain.{k}": {"prune"} for k in ("ignored_layers", "temperature", "alpha")},
    "distillation.epochs": {"train_student", "distill_student"},
    "distillation.seeds": {
        "train_student",
        "distill_student",
        "distillation_tables",
        "deploy_model",
        "finetune_baseline",
        "time_models",
    },
    "distillation.temperatures": {"distill_student", "distillation_tables", "deploy_model"},
    "distillation.alphas": {"distill_student", "distillation_tables", "deploy_model"},
    "distillation.table_temperature": {"distillation_tables", "notebook_distillation"},
    "distillation.table_alpha": {"distillation_tables", "notebook_distillation"},
    "deployment.calibration_samples": {"deploy_model"},
    **{
        f"deployment.{k}": {"time_models"}
        for k in ("threads", "rounds", "max_rounds", "ratio_ci", "runs", "warmup", "benchmark_runs")
    },
    "deployment.kernels": {"time_models", "arm_parity"},  # ARM parity runs the timing job's kernels
    **{f"deployment.arm.{k}": {"arm_parity"} for k in ("enabled", "images", "core", "sysroot")},
    **{f"deployment.vela.{k}": {"vela"} for k in ("enabled", "accelerators")},
    "deployment.throughput_batch": {"time_models", "deployment_table"},
    "deployment.max_arena_mib": {"measure_memory"},
    # measure_memory reads only the largest microcontroller flash, which dropping the last class keeps
    "devices": set(),
    **{
        f"evidence.{k}": set()
        for k in (
            "min_points_over_chance",
            "alpha",
            "max_cost_points",
            "tie_points",
            "int8_max_cost_points",
            "speedup_noise",
        )
    },
    "report.kernel": {"notebook_quantization", "notebook_pruning", "notebook_distillation", "notebook_deployment"},
    "report.reference": set(),  # compared in the provenance appendix: the report only
}
# a new seed adds that seed's jobs, which a rule-level closure over-states (the teacher of a distillation
# seed is a pruning baseline, but a new pruning seed trains no student): these are stated whole
AFTER_DEPLOY = {
    "deploy_model",
    "time_models",
    "measure_memory",
    "arm_parity",
    "vela",
    "deployment_table",
    "notebook_deployment",
    "render_report",
    "compile_report",
}
# ... and a new seed draws its own subset and trains and converts its own CNN (the table gathers every seed's;
# the deployed CNN stays the first listed seed's)
NEW_SEED = {"prepare_cifar10", "train_base_cnn", "convert_tflite", "evaluate_tflite", "quantization_table"}
EXACT = {
    "pruning.seeds": {"finetune_baseline", "prune", "finetune_control", "pruning_tables", "notebook_pruning"}
    | AFTER_DEPLOY
    | NEW_SEED,
    "distillation.seeds": {
        "finetune_baseline",
        "train_student",
        "distill_student",
        "distillation_tables",
        "notebook_distillation",
    }
    | AFTER_DEPLOY
    | NEW_SEED,
}
# keys that say where or how files are fetched: the config the report prints leaves them out
LOCATIONS = {
    "data.mirror",
    "data.retries",
    "data.backoff_seconds",
    "data.timeout_seconds",
    "data.*.url",
    "data.max_download_mib",
    "data.*.bytes",
}


def _resolve(node, schema):
    while "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def leaves(node, schema, path=()):
    node = _resolve(node, schema)
    if node.get("type") == "object" and "properties" in node:
        for key, sub in node["properties"].items():
            yield from leaves(sub, schema, (*path, key))
    else:
        yield ".".join(path), node


def pattern_of(key: str) -> str:
    """The READERS entry of a leaf key (a data source's own keys collapse to ``data.*.<key>``)."""
    if key in READERS:
        return key
    parts = key.split(".")
    for candidate in (f"data.{parts[1]}.*.{parts[-1]}" if len(parts) == 4 else "", f"data.*.{parts[-1]}"):
        if candidate in READERS:
            return candidate
    raise KeyError(key)


def changed(key: str, value, node: dict, workdir):
    """Another valid value for ``key`` (a plan that accepts it: sweeps grow, names stay unique)."""
    special = {
        "data.mirror": lambda: str(workdir / "other-mirror"),
        "report.kernel": lambda: "python3",
        "report.reference": lambda: str(workdir),  # the demo names the committed reference; a finished run instead
        "quantization.variants": lambda: value[:-1],
        "pruning.unstructured.layers": lambda: value[:-1],
        "pruning.structured.ignored_layers": lambda: [*value, "conv1"],
        "data.cifar10.subset_seed": lambda: 0,  # per_seed -> one fixed draw for every seed
        "pruning.seeds": lambda: [*value, 7],
        "distillation.seeds": lambda: [*value, 7],
        "pruning.unstructured.amounts": lambda: [*value, 0.3],
        "pruning.structured.amounts": lambda: [*value, 0.3],
        "pruning.chain.amounts": lambda: [*value, 0.3],
        "pruning.chain.ignored_layers": lambda: [*value, "conv1"],
        "pruning.unstructured.finetune_sweep": lambda: [*value, 3],
        "pruning.structured.finetune_sweep": lambda: [*value, 3],
        "distillation.temperatures": lambda: [*value, 2.0],
        "distillation.alphas": lambda: [*value, 0.5],
        "distillation.table_temperature": lambda: 2.0,  # with the grid extended in the same override (see below)
        "distillation.table_alpha": lambda: 0.5,
        "devices": lambda: value[:-1],
        "quantization.conv_filters": lambda: [4, *value[1:]],
        "quantization.dense_units": lambda: [16],
        "torch.device": lambda: "cuda" if value != "cuda" else "cpu",
        "deployment.arm.sysroot": lambda: str(workdir / "sysroot"),
        "deployment.vela.accelerators": lambda: value[:-1],  # the npu class's accelerator stays
    }
    if key in special:
        return special[key]()
    if key.endswith(".url"):
        return "https://example.org/elsewhere/" + value.rsplit("/", 1)[-1]
    if key.endswith((".md5", ".sha256", ".sha256_prefix")):  # also an optional one the config leaves out
        return "0" * (len(value) if value else 8)
    if key.endswith(".bytes"):  # also where the config pins no size
        return (value or 1000) + 1
    if "enum" in node:
        return next(v for v in node["enum"] if v != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 if value + 1 <= node.get("maximum", value + 1) else value - 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    if isinstance(value, str):
        return value + " (changed)"
    raise AssertionError(f"no change defined for {key} = {value!r}")


def nested(key: str, value) -> dict:
    out: dict = {}
    node = out
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value
    return out


def rule_graph(run) -> dict[str, set]:
    dot = snakemake(run["dir"], "--rulegraph", configs=(run["config"],), repo=run["repo"]).stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, re.M))
    down: dict[str, set] = {name: set() for name in names.values()}
    for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.M):
        down[names[a]].add(names[b])
    return down


def closure(rules: set, down: dict) -> set:
    """``rules`` and everything downstream of them in the rule graph, but ``all``.

    download is a wildcard rule that feeds every dataset: its declared readers name what reads the
    one file that reruns, so it is not expanded.
    """
    out, todo = set(rules & {"download"}), list(rules - {"download"})
    while todo:
        r = todo.pop()
        if r not in out:
            out.add(r)
            todo.extend(down.get(r, ()))
    return out - {"all"}


def scheduled(output: str) -> dict[str, int]:
    """Rule -> job count of a dry-run's "Job stats" table (empty when nothing is to be done)."""
    if "Job stats:" not in output:
        return {}
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def merged_config(run) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for extra in (REPO / "config" / "test.yaml", run["config"]):
        merge(config, yaml.safe_load(extra.read_text()))
    return config


def value_at(config, key):
    node = config
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def test_every_key_reruns_exactly_its_readers_and_their_downstream(run, tmp_path):
    (run["dir"] / "other-mirror").mkdir(exist_ok=True)
    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    config = merged_config(run)
    from edgecompress.config import fill_defaults

    fill_defaults(config, schema)
    down = rule_graph(run)
    assert "deploy_model" in down and "time_models" in down["deploy_model"]
    assert scheduled(snakemake(run["dir"], "-n", configs=(run["config"],), repo=run["repo"]).stdout) == {}
    keys = [(k, node) for k, node in leaves(schema, schema)]
    assert len(keys) > 60 and all(pattern_of(k) for k, _ in keys)  # every leaf is in the table

    def check(item):
        key, node = item
        value = changed(key, copy.deepcopy(value_at(config, key)), node, run["dir"])
        override = nested(key, value)
        if key in ("distillation.table_temperature", "distillation.table_alpha"):
            grid = "temperatures" if key.endswith("temperature") else "alphas"
            override["distillation"][grid] = [*config["distillation"][grid], value]
        path = write_yaml(tmp_path / (key.replace(".", "_").replace("*", "x") + ".yaml"), override)
        result = snakemake(run["dir"], "-n", configs=(run["config"], path), repo=run["repo"])
        assert result.returncode == 0, (key, result.stderr[-2000:])
        got = set(scheduled(result.stdout)) - {"all"}
        readers = READERS[pattern_of(key)]
        if key in ("distillation.table_temperature", "distillation.table_alpha"):
            readers = readers | READERS["distillation.temperatures"]  # the grid grew with it
        expected = EXACT.get(key) or closure(readers | (set() if pattern_of(key) in LOCATIONS else REPORT), down)
        return key, got, expected, scheduled(result.stdout)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(check, keys))
    wrong = {
        key: {"unexpected": sorted(got - exp), "missing": sorted(exp - got)}
        for key, got, exp, _ in results
        if got != exp
    }
    assert not wrong, wrong
    counts = {key: jobs for key, _, _, jobs in results}
    # a timing knob: no conversion, one timing job
    assert "deploy_model" not in counts["deployment.rounds"] and counts["deployment.rounds"]["time_models"] == 1
    # one seed more: only that seed's jobs (two pruning methods and the chain x one amount; one baseline; one
    # control), then tables and report
    seeds = counts["pruning.seeds"]
    assert seeds["prune"] == 3 and seeds["finetune_baseline"] == 1 and seeds["deploy_model"] == 4
    assert seeds["finetune_control"] == 1
    # ... its own subset draw and its own CNN (one training, a conversion and an evaluation per variant)
    variants = len(config["quantization"]["variants"])
    assert seeds["prepare_cifar10"] == 1 and seeds["train_base_cnn"] == 1
    assert seeds["convert_tflite"] == variants == seeds["evaluate_tflite"]
    # a longer structured sweep: the structured run and the control, no other pruned model
    sweep = counts["pruning.structured.finetune_sweep"]
    assert sweep["prune"] == 1 and sweep["finetune_control"] == 1 and "finetune_baseline" not in sweep
    # one amount more: that amount's prune and deploy jobs only
    amounts = counts["pruning.structured.amounts"]
    assert amounts["prune"] == 1 and amounts["deploy_model"] == 1 and "finetune_baseline" not in amounts
    assert set(counts["devices"]) - {"all"} == {"render_report", "compile_report"}
