"""The config and its schema, without Snakemake: defaults, clear errors naming the key, every preset valid,
the demo differing from the paper's config only in sizes, and docs that cannot drift."""

import copy

import pytest
import yaml

from edgecompress.config import ConfigError, load_schema, validate_config
from edgecompress.configdocs import markdown_table, render_readme, schema_rows
from helpers import (
    PRESETS,
    REPO,
    SCHEMA,
    paper_config,
    write_yaml,
)


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


def test_every_preset_is_listed():
    """A new preset is picked up by the test below by itself; this only keeps the list from being empty."""
    assert {"test.yaml", "gpu.yaml", "paper-single-seed.yaml"} <= set(PRESETS)


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
