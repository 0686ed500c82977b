"""The conda env files parse, pin exactly the lock's versions, and every rule names one."""

import re

import pytest
import yaml

from conftest import REPO

ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"requirements.lock: {line!r} is not an exact pin"
            pins[normalise(name.split("[")[0])] = version
    return pins


def test_lock_pins_the_stack():
    pins = lock_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert pins["tensorflow-cpu"] == "2.21.0"
    assert pins["snakemake"].startswith("9.")
    for name in ("ai-edge-litert", "torch-pruning", "snakemake-executor-plugin-slurm", "papermill", "ipykernel",
                 "nbconvert", "jinja2", "pandas", "matplotlib", "typst", "pypdf", "pytest", "jsonschema"):
        assert name in pins, f"{name} missing from requirements.lock"


def test_expected_env_files_exist():
    assert {p.stem for p in ENV_FILES} >= {"tensorflow", "torch", "report", "data"}


@pytest.mark.parametrize("env_file", ENV_FILES, ids=lambda p: p.name)
def test_env_file_agrees_with_lock(env_file):
    env = yaml.safe_load(env_file.read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip_deps = next(d["pip"] for d in deps if isinstance(d, dict))
    pins = lock_pins()
    assert pip_deps, f"{env_file.name} pins nothing"
    for spec in pip_deps:
        name, sep, version = spec.partition("==")
        assert sep, f"{env_file.name}: {spec!r} is not an exact pin"
        assert pins.get(normalise(name)) == version, (
            f"{env_file.name}: {name}=={version} but requirements.lock has {pins.get(normalise(name))}"
        )


def rule_blocks():
    """(file, rule name, directive lines) of every rule in workflow/rules and the Snakefile."""
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        name, block = None, []
        for line in path.read_text().splitlines() + ["END"]:
            match = re.match(r"^(?:rule|checkpoint) (\w+):", line)
            if match or (line and not line[0].isspace() and name):
                if name:
                    yield path.name, name, block
                name, block = (match.group(1), []) if match else (None, [])
            elif name:
                block.append(line.strip())


def test_every_rule_that_runs_code_names_a_conda_env():
    seen = 0
    for file, name, block in rule_blocks():
        runs = any(d.startswith(("script:", "shell:", "notebook:", "run:", "wrapper:")) for d in block)
        if runs:
            seen += 1
            assert "conda:" in block, f"{file}: rule {name} runs code but has no conda: env"
            env = block[block.index("conda:") + 1].strip('"')
            assert (REPO / "workflow" / "rules" / env).resolve().is_file(), f"{file}: rule {name}: {env} missing"
            assert "log:" in block, f"{file}: rule {name} has no log:"
    assert seen >= 3
