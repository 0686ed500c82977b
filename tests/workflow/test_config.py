"""The schema: defaults, clear errors naming the key, and docs that cannot drift."""

import copy

import pytest
import yaml

from edgecompress.config import ConfigError, load_schema, validate_config
from edgecompress.configdocs import markdown_table, render_readme, schema_rows
from helpers import REPO, env_without_the_package, snakemake, snakemake_command, write_yaml

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def paper_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_shipped_configs_are_valid(tmp_path):
    validate_config(paper_config(), SCHEMA)
    merged = paper_config()
    test = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    merged["threads"] = test["threads"]
    merged["data"].update({k: v for k, v in test["data"].items() if not isinstance(v, dict)})
    with pytest.raises(ConfigError, match="data.mirror: folder 'resources/fixtures' does not exist"):
        validate_config(copy.deepcopy(merged), SCHEMA, workdir=tmp_path)  # before `make fixtures`
    (tmp_path / "resources" / "fixtures").mkdir(parents=True)
    validate_config(merged, SCHEMA, workdir=tmp_path)


def test_defaults_are_filled():
    config = {"seed": 1, "threads": 1, "data": {"fashion_mnist": {}, "cifar10": {}, "weights": {}}}
    validate_config(config, SCHEMA)
    assert config["data"]["cifar10"]["test_size"] == 1000
    assert config["data"]["fashion_mnist"]["train_images"]["md5"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert config["data"]["mirror"] == ""
    assert config["data"] == paper_config()["data"]


def _set(config, dotted, value):
    *parents, leaf = dotted.split(".")
    node = config
    for p in parents:
        node = node[p]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value


DELETE = object()

BAD = [
    ("typo'd key", "data.cifar10.trian_size", 100, "data.cifar10: Additional properties are not allowed ('trian_size'"),
    ("typo'd top-level key", "seeed", 1, "Additional properties are not allowed ('seeed'"),
    ("wrong type", "seed", "forty-two", "seed: 'forty-two' is not of type 'integer'"),
    ("negative size", "data.cifar10.train_size", -5, "data.cifar10.train_size: -5 is less than the minimum of 10"),
    ("negative retries", "data.retries", -1, "data.retries: -1 is less than the minimum of 0"),
    ("zero threads", "threads", 0, "threads: 0 is less than the minimum of 1"),
    ("ratio-like value too large", "data.cifar10.test_size", 10001, "greater than the maximum of 10000"),
    ("bad URL scheme", "data.cifar10.archive.url", "ftp://example.org/c.tar.gz", "data.cifar10.archive.url: 'ftp://"),
    ("bad mirror scheme", "data.mirror", "s3://bucket/x", "data.mirror: 's3://bucket/x' does not match"),
    ("bad checksum", "data.fashion_mnist.train_images.md5", "XYZ", "data.fashion_mnist.train_images.md5: 'XYZ'"),
    ("missing checksum", "data.weights.resnet18", {"url": "https://x.org/r.pth"}, "needs one of: md5, sha256"),
    ("missing required section", "data", DELETE, "'data' is a required property"),
    ("source without url", "data.weights.resnet18", {"sha256_prefix": "abcd1234"}, "'url' is a required property"),
    ("wrong type of section", "data.weights", [], "data.weights: [] is not of type 'object'"),
    ("NaN learning rate", "torch.learning_rate", float("nan"), "torch.learning_rate: nan is not a finite number"),
    (
        "infinite flash budget",
        "devices",
        [{"name": "mcu", "hardware": "mcu", "flash_mib": float("inf"), "ram_mib": 1, "precisions": ["int8"]}],
        "devices.0.flash_mib: inf is not a finite number",
    ),
    ("NaN in a sweep", "pruning.structured.amounts", [0.5, float("nan")], "pruning.structured.amounts.1: nan is not"),
    (
        "two devices, one name",
        "devices",
        [{"name": "a", "hardware": "cpu", "flash_mib": 1, "ram_mib": 1, "precisions": ["int8"]}] * 2,
        "devices: the name 'a' is given to 2",
    ),
    (
        "layer ResNet-18 lacks",
        "pruning.unstructured.layers",
        ["conv1", "layer5.0.conv1"],
        "pruning.unstructured.layers: ResNet-18 has no conv or linear layer 'layer5.0.conv1'",
    ),
    (
        "ignored layer ResNet-18 lacks",
        "pruning.structured.ignored_layers",
        ["classifier"],
        "pruning.structured.ignored_layers: ResNet-18 has no conv or linear layer 'classifier'",
    ),
    ("layer listed twice", "pruning.unstructured.layers", ["fc", "fc"], "'fc' listed more than once"),
    (
        "fewer rounds at most than at least",
        "deployment.max_rounds",
        5,
        "deployment.max_rounds: 5 is below deployment.rounds 20",
    ),
    (
        "an interval width of zero",
        "deployment.ratio_ci",
        0,
        "deployment.ratio_ci: 0 is less than or equal to the minimum",
    ),
]


def test_the_resnet18_layer_list_is_the_models_own():
    import torch
    import torchvision

    from edgecompress.config import RESNET18_LAYERS

    model = torchvision.models.resnet18()
    names = [n for n, m in model.named_modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert sorted(RESNET18_LAYERS) == sorted(names) and len(names) == 21


@pytest.mark.parametrize("what, key, value, message", BAD, ids=[b[0] for b in BAD])
def test_bad_configs_are_rejected_naming_the_key(what, key, value, message):
    config = paper_config()
    _set(config, key, value if value is DELETE else copy.deepcopy(value))
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert message in str(err.value)


def test_every_problem_is_listed_at_once():
    config = paper_config()
    config["seed"] = -1
    config["data"]["retries"] = "many"
    with pytest.raises(ConfigError, match="2 problems") as err:
        validate_config(config, SCHEMA)
    assert "seed:" in str(err.value) and "data.retries:" in str(err.value)


def test_every_key_is_documented_in_the_schema():
    for key, kind, _allowed, default, description in schema_rows(load_schema(SCHEMA)):
        assert kind, f"{key} has no type"
        assert description, f"{key} has no description"
        assert default, f"{key} has neither a default nor is required"


def test_config_readme_matches_the_schema():
    readme = (REPO / "config" / "README.md").read_text()
    schema = load_schema(SCHEMA)
    assert render_readme(readme, schema) == readme, "config/README.md is out of date: run `make config-docs`"
    assert markdown_table(schema) in readme


@pytest.mark.workflow
@pytest.mark.parametrize(
    "what, override, message",
    [
        ("typo", {"data": {"cifar10": {"trian_size": 10}}}, "data.cifar10: Additional properties"),
        ("enum-like bound", {"threads": 0}, "threads: 0 is less than the minimum of 1"),
        ("bad URL", {"data": {"mirror": "gopher://x"}}, "data.mirror: 'gopher://x' does not match"),
    ],
)
def test_snakemake_stops_before_any_job(tmp_path, what, override, message):
    bad = write_yaml(tmp_path / "bad.yaml", override)
    result = snakemake(tmp_path, "-n", configs=(bad,))
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert "Job stats" not in result.stdout + result.stderr
    assert not (tmp_path / "resources" / "downloads").exists() and not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_missing_section_stops_snakemake(tmp_path):
    config = paper_config()
    del config["data"]
    bad = write_yaml(tmp_path / "bad.yaml", config)
    result = snakemake(tmp_path, "-n", "--replace-workflow-config", configs=(bad,), base=False)
    assert result.returncode != 0 and "'data' is a required property" in result.stderr + result.stdout


@pytest.mark.workflow
def test_a_snakemake_without_the_package_stops_saying_how_to_install_it(tmp_path):
    """The workflow puts nothing on the Python path: a Snakemake that cannot import edgecompress stops at once,
    before any job, naming the package and the command that installs it."""
    import os
    import subprocess

    env_dir = tmp_path / "env"
    env_without_the_package(env_dir)
    cmd, env = snakemake_command(tmp_path, "-n")
    cmd = [str(env_dir / "bin" / "python"), "-m", "snakemake", *cmd[1:]]
    result = subprocess.run(cmd, cwd=tmp_path, env=dict(env, PATH=os.environ["PATH"]), capture_output=True, text=True)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the package edgecompress is not installed in the Python that runs Snakemake" in said, said
    assert "make venv" in said and "Job stats" not in said
    assert not (tmp_path / "results").exists()


# Each bad value is refused by `snakemake -n` before any job, with a message naming the key.
PLAN_TIME = [
    ("float epochs", {"pruning": {"epochs": 2.0}}, "pruning.epochs: 2.0 is not of type 'integer'"),
    ("boolean threads", {"threads": True}, "threads: True is not of type 'integer'"),
    ("seed beyond 2^32 - 1", {"seed": 2**32}, "seed: 4294967296 is greater than the maximum of 4294967295"),
    ("seed list beyond 2^32 - 1", {"distillation": {"seeds": [2**32]}}, "distillation.seeds.0: 4294967296 is greater"),
    (
        "CNN kernel larger than the map",
        {"quantization": {"kernel_size": 7, "conv_filters": [8, 16, 32]}},
        "quantization.kernel_size: 7 with conv_filters [8, 16, 32] leaves no pixels after block 3",
    ),
    (
        "URL ending in /..",
        {"data": {"cifar10": {"archive": {"url": "https://example.org/data/.."}}}},
        "data.cifar10.archive.url: the file name '..'",
    ),
    (
        "URL with a wildcard",
        {"data": {"cifar10": {"archive": {"url": "https://example.org/{x}.tar.gz"}}}},
        "data.cifar10.archive.url: the file name '{x}.tar.gz'",
    ),
    (
        "two sources, one file name",
        {"data": {"weights": {"mobilenet_v2": {"url": "https://download.pytorch.org/models/resnet18-f37072fd.pth"}}}},
        "data.weights.mobilenet_v2.url: file name 'resnet18-f37072fd.pth' is also the file of "
        "data.weights.resnet18.url",
    ),
    (
        "missing local mirror",
        {"data": {"mirror": "no/such/folder"}},
        "data.mirror: folder 'no/such/folder' does not exist",
    ),
    (
        "missing notebook kernel",
        {"report": {"kernel": "no-such-kernel"}},
        "report.kernel: no Jupyter kernel 'no-such-kernel' is installed",
    ),
    (
        "table T outside the grid",
        {"distillation": {"table_temperature": 7.0}},
        "distillation.table_temperature: 7.0 is not among distillation.temperatures",
    ),
    ("no int8 variant", {"quantization": {"variants": ["float32"]}}, "(must include 'int8')"),
    (
        "NaN in a config file",
        {"torch": {"learning_rate": float("nan")}},
        "torch.learning_rate: nan is not a finite number",
    ),
]


@pytest.mark.workflow
@pytest.mark.parametrize("what, override, message", PLAN_TIME, ids=[c[0] for c in PLAN_TIME])
def test_bad_values_are_refused_at_plan_time(tmp_path, what, override, message):
    bad = write_yaml(tmp_path / "bad.yaml", override)
    result = snakemake(tmp_path, "-n", configs=(bad,))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "Job stats" not in output and not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_key_given_twice_in_a_config_file_is_refused(tmp_path):
    bad = tmp_path / "twice.yaml"
    bad.write_text("threads: 0\nseed: 1\nthreads: 1\n", encoding="utf-8")  # YAML alone would keep threads: 1
    result = snakemake(tmp_path, "-n", configs=(bad,))
    assert result.returncode != 0
    assert f"{bad}: key 'threads' appears twice in one mapping (lines 1 and 3)" in result.stdout + result.stderr


@pytest.mark.workflow
@pytest.mark.parametrize(
    "key, values, labels",
    [
        ("amounts", [0.1234561, 0.1234562], ["0.1234561", "0.1234562"]),
        ("temperatures", [4.0000001, 4.0000002], ["4.0000001", "4.0000002"]),
    ],
)
def test_close_sweep_values_stay_two_jobs(tmp_path, key, values, labels):
    override = (
        {"pruning": {"unstructured": {"amounts": values}}}
        if key == "amounts"
        else {"distillation": {"temperatures": values, "table_temperature": values[0]}}
    )
    result = snakemake(tmp_path, "-n", configs=(write_yaml(tmp_path / "sweep.yaml", override),))
    assert result.returncode == 0, result.stderr[-3000:]
    for label in labels:
        assert (f"amount{label}/" if key == "amounts" else f"/T{label}_alpha") in result.stdout


def test_sweep_labels_read_back_as_the_same_value():
    from edgecompress.config import sweep_label

    for value in (0.5, 4.0, 0.1, 0.1234561, 0.1234562, 1e-7, 2.5e-3, 0.9999999):
        assert float(sweep_label(value)) == value
    assert sweep_label(4.0) == "4" and sweep_label(0.5) == "0.5"


def test_tools_read_a_config_exactly_as_the_workflow_does(tmp_path):
    """A deep override (one checksum of one source) keeps the source's URL, as Snakemake's merge does."""
    from edgecompress.config import load_config

    override = write_yaml(tmp_path / "o.yaml", {"data": {"cifar10": {"archive": {"md5": "0" * 32}}}})
    config = load_config([REPO / "config" / "config.yaml", override], SCHEMA)
    archive = config["data"]["cifar10"]["archive"]
    assert archive["md5"] == "0" * 32 and archive["url"].endswith("cifar-10-python.tar.gz")
    assert config["evidence"]["tie_points"] == 0.5  # schema defaults filled
    bad = write_yaml(tmp_path / "b.yaml", {"deployment": {"rounds": 1}})
    with pytest.raises(ConfigError, match="deployment.rounds: 1 is less than the minimum of 3"):
        load_config([REPO / "config" / "config.yaml", bad], SCHEMA)


PRESETS = sorted(p.name for p in (REPO / "config").glob("*.yaml") if p.name != "config.yaml")


def test_every_preset_is_listed():
    """A new preset is picked up by the test below by itself; this only keeps the list from being empty."""
    assert {"test.yaml", "gpu.yaml", "paper-single-seed.yaml"} <= set(PRESETS)


@pytest.mark.workflow
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_validates_and_plans(tmp_path, preset):
    """Each preset of config/, merged over config.yaml as its header says, passes the schema and
    Snakemake plans the whole DAG with it (a dry run: nothing is downloaded or trained)."""
    from edgecompress.config import load_config

    files = [REPO / "config" / "config.yaml", REPO / "config" / preset]
    if preset == "test.yaml":  # its mirror folder, which `make fixtures` creates
        (tmp_path / "resources" / "fixtures").mkdir(parents=True)
    config = load_config(files, SCHEMA, workdir=tmp_path)  # a preset's relative paths are the run folder's
    assert config["evidence"]["alpha"] > 0  # defaults filled
    rules = planned_rules(tmp_path, files)
    assert {"render_report", "time_models"} <= rules
    # no rule only a preset reaches: the demo (test.yaml) plans every rule a preset plans
    demo = tmp_path / "demo"
    (demo / "resources" / "fixtures").mkdir(parents=True)
    only_here = rules - planned_rules(demo, [REPO / "config" / "config.yaml", REPO / "config" / "test.yaml"])
    assert not only_here, f"{preset} plans rules the demo never runs: {sorted(only_here)}"


def planned_rules(workdir, files) -> set[str]:
    """The rules of every job a dry run from clean plans with ``files``."""
    import re

    result = snakemake(workdir, "-n", configs=tuple(files), base=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(re.findall(r"^(?:local)?rule (\w+):", result.stdout, flags=re.M))


# The demo (config/test.yaml over config.yaml) may differ from the paper's config only in sizes: these keys
# (dotted paths, fnmatch patterns). Everything else (variants, methods, amounts, device classes, precisions,
# optional stages, statistics) must be the paper's, so the demo takes every path the paper's run takes.
SIZE_KEYS = {
    "threads": "cores per job (a test machine has two)",
    "data.mirror": "where the files come from: the generated fixtures",
    "data.description": "says that the data are fixtures",
    "data.retries": "download retries against a local mirror",
    "data.backoff_seconds": "download back-off against a local mirror",
    "data.fashion_mnist.*": "the fixtures' own files and checksums",
    "data.cifar10.archive.*": "the fixtures' own archive and checksums",
    "data.weights.*": "the fixtures' own weights and checksums",
    "data.cifar10.train_size": "images",
    "data.cifar10.test_size": "images",
    "quantization.conv_filters": "the CNN's width (same number of layers)",
    "quantization.epochs": "epochs",
    "quantization.representative_samples": "images",
    "torch.batch_size": "images per step (fewer images, fewer steps)",
    "pruning.seeds": "seeds",
    "pruning.epochs": "epochs",
    "pruning.finetune_epochs": "epochs",
    "pruning.*.finetune_sweep": "fine-tuning lengths in epochs (a sweep of several lengths in both)",
    "distillation.seeds": "seeds",
    "distillation.epochs": "epochs",
    "deployment.calibration_samples": "images",
    "deployment.rounds": "timing rounds",
    "deployment.max_rounds": "timing rounds",
    "deployment.runs": "timed calls per round",
    "deployment.warmup": "untimed calls",
    "deployment.throughput_batch": "images per batch",
    "deployment.benchmark_runs": "calls of LiteRT's benchmark tool",
    "deployment.arm.images": "test images run on aarch64 under emulation",
}
SAME_LENGTH = ("quantization.conv_filters",)  # a size list whose length is a path (the CNN's layers)


def flatten(node, path=""):
    """Dotted path -> value; lists of mappings (the device classes) by index, lists of values whole."""
    if isinstance(node, dict):
        return {
            k: v for key, value in node.items() for k, v in flatten(value, f"{path}.{key}" if path else key).items()
        }
    if isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        return {k: v for i, value in enumerate(node) for k, v in flatten(value, f"{path}[{i}]").items()}
    return {path: node}


def test_the_demo_differs_from_the_papers_config_only_in_sizes(tmp_path):
    import fnmatch

    from edgecompress.config import load_config

    (tmp_path / "resources" / "fixtures").mkdir(parents=True)
    paper = flatten(load_config([REPO / "config" / "config.yaml"], SCHEMA, workdir=tmp_path))
    demo = flatten(
        load_config([REPO / "config" / "config.yaml", REPO / "config" / "test.yaml"], SCHEMA, workdir=tmp_path)
    )
    sized = lambda key: any(fnmatch.fnmatchcase(key, p) for p in SIZE_KEYS)  # noqa: E731
    assert not [k for k in paper.keys() ^ demo.keys() if not sized(k)], sorted(paper.keys() ^ demo.keys())
    differ = sorted(k for k in paper.keys() & demo.keys() if paper[k] != demo[k] and not sized(k))
    assert not differ, "the demo takes another path than the paper's config: " + ", ".join(
        f"{k}: {paper[k]!r} vs {demo[k]!r}" for k in differ
    )
    for key in SAME_LENGTH:
        assert len(paper[key]) == len(demo[key]), key
    assert demo["quantization.variants"] == ["float32", "int8", "dynamic_range", "float16"]
    # every size key exists (a renamed key would leave its pattern matching nothing)
    assert all(any(fnmatch.fnmatchcase(k, p) for k in paper) for p in SIZE_KEYS)


# Schema keys with a default that config/config.yaml may leave out: where things are, not what a run computes.
LOCATIONS_ONLY = {"deployment.arm.sysroot": "where the aarch64 sysroot is (default: the checkout's .arm/sysroot)"}


def test_config_yaml_writes_out_every_key_a_result_depends_on():
    """config/config.yaml is the whole protocol: every schema key with a default is written there."""
    from edgecompress.configdocs import schema_rows  # the one walk over the schema (config/README.md's table)

    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())

    def written(path: str) -> bool:
        node = config
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    with_default = [
        key for key, _, _, default, _ in schema_rows(schema) if default not in ("", "required", "(per key below)")
    ]
    assert len(with_default) > 50, "the schema walk found too few keys: it is broken"
    missing = [key for key in with_default if not written(key)]
    assert sorted(set(missing) - set(LOCATIONS_ONLY)) == [], "keys config/config.yaml leaves to schema defaults"
