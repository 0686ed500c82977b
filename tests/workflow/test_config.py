"""The schema: defaults, clear errors naming the key, and docs that cannot drift."""

import pytest

from helpers import (
    PRESETS,
    REPO,
    SCHEMA,
    env_without_the_package,
    paper_config,
    snakemake,
    snakemake_command,
    write_yaml,
)


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
