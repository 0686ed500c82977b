"""The conda env files parse, pin exactly the lock's versions, and every rule names one."""

import re
from pathlib import Path

import pytest
import yaml

from helpers import REPO, env_without_the_package

ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(lock: str = "requirements.lock") -> dict[str, str]:
    pins = {}
    for line in (REPO / lock).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"{lock}: {line!r} is not an exact pin"
            pins[normalise(name.split("[")[0])] = version
    return pins


def test_lock_pins_the_stack():
    pins = lock_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert pins["tensorflow-cpu"] == "2.21.0"
    assert pins["snakemake"].startswith("9.")
    for name in (
        "ai-edge-litert",
        "torch-pruning",
        "snakemake-executor-plugin-slurm",
        "papermill",
        "ipykernel",
        "nbconvert",
        "jinja2",
        "pandas",
        "matplotlib",
        "typst",
        "pypdf",
        "jsonschema",
    ):
        assert name in pins, f"{name} missing from requirements.lock"


def test_the_test_and_lint_tools_are_a_dev_group_of_their_own():
    pins = lock_pins()
    dev = lock_pins("requirements-dev.lock")
    tools = ("pytest", "hypothesis", "vulture", "ruff", "snakefmt")
    assert all(t in dev for t in tools), f"requirements-dev.lock lacks {[t for t in tools if t not in dev]}"
    assert not set(tools) & set(pins), "a test or lint tool is in the runtime lock"
    assert not set(dev) & set(pins), f"pinned in both locks: {sorted(set(dev) & set(pins))}"
    for env_file in ENV_FILES:  # no rule's env carries them
        text = env_file.read_text()
        assert not [t for t in tools if re.search(rf"\b{t}\b", text)], env_file.name


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


def _imports(path) -> set[str]:
    """Top-level modules imported anywhere in a Python file (or a notebook's code cells)."""
    import ast
    import json

    text = path.read_text()
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code")
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "edgecompress":
            found |= {f"edgecompress.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module if node.module.startswith("edgecompress.") else node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level >= 1:  # relative: resolved from the file's package
            package = (
                _package_of(path)[: len(_package_of(path)) - (node.level - 1)] if node.level > 1 else _package_of(path)
            )
            base = ".".join(["edgecompress", *package, *([node.module] if node.module else [])])
            found |= {base} if node.module else {f"{base}.{a.name}" for a in node.names}
    return found


def _package_of(path) -> list[str]:
    """The sub-package of edgecompress a file is in, as parts ([] for the package root)."""
    root = REPO / "workflow" / "edgecompress"
    try:
        return list(path.parent.relative_to(root).parts)
    except ValueError:
        return []


def _module_file(name: str):
    """The file of module ``edgecompress.a.b``: a/b.py or a/b/__init__.py, else the nearest package above."""
    parts = name.split(".")[1:] or ["__init__"]
    root = REPO / "workflow" / "edgecompress"
    while parts:
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
        parts = parts[:-1]
    return root / "__init__.py"


# Imports that a module makes only when its caller asks for them (seed_everything's frameworks=...).
OPTIONAL_IMPORTS = {"seeding.py": {"tensorflow", "torch"}}


def _third_party(path, seen=None) -> set[str]:
    """Third-party top-level modules a file needs, following edgecompress imports."""
    import sys

    seen = set() if seen is None else seen
    needed = set()
    for mod in _imports(path) - OPTIONAL_IMPORTS.get(path.name, set()):
        if mod.startswith("edgecompress.") or mod == "edgecompress":
            target = _module_file(mod)
            if target.exists() and target not in seen:
                seen.add(target)
                needed |= _third_party(target, seen)
        elif mod not in sys.stdlib_module_names and mod not in ("snakemake", "_codecs"):
            needed.add(mod)
    return needed


def _closure(names: set[str]) -> set[str]:
    """The given distributions and everything they require (from this venv's metadata)."""
    import re as _re
    from importlib import metadata

    todo, done = [normalise(n) for n in names], set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(normalise(_re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0]))
    return done


def test_each_rules_env_provides_what_its_code_imports():
    """What conda would build for a rule (its env's pins and their dependencies) covers every import of its
    script (or, for the notebook rules, of its notebook), followed through the edgecompress package."""
    from importlib import metadata

    dists_of = metadata.packages_distributions()
    checked = 0
    for file, name, block in rule_blocks():
        if "conda:" not in block:
            continue
        env_file = (REPO / "workflow" / "rules" / block[block.index("conda:") + 1].strip('"')).resolve()
        env = yaml.safe_load(env_file.read_text())
        pins = {spec.partition("==")[0] for d in env["dependencies"] if isinstance(d, dict) for spec in d["pip"]}
        available = _closure(pins)
        code = []
        if "script:" in block:
            code.append((REPO / "workflow" / "rules" / block[block.index("script:") + 1].strip('"')).resolve())
        code += [REPO / "notebooks" / f"{n}.ipynb" for n in re.findall(r"notebooks/(\w+)\.ipynb", "\n".join(block))]
        for path in code:
            for module in _third_party(path):
                dists = {normalise(d) for d in dists_of.get(module, [module])}
                assert dists & available, f"rule {name}: {path.name} imports {module}, not in {env_file.name}"
            checked += 1
    assert checked >= 15


def test_every_env_installs_the_package_after_it_is_built():
    """Each env's post-deploy script (Snakemake runs envs/<env>.post-deploy.sh once in the new env) is the one
    script that installs the package, and each env pins the setuptools it builds with."""
    for env_file in ENV_FILES:
        script = env_file.with_name(f"{env_file.stem}.post-deploy.sh")
        assert script.is_file(), f"{env_file.name} has no post-deploy script: its jobs could not import edgecompress"
        assert script.resolve() == REPO / "envs" / "install-package.sh", f"{script.name} is not the shared script"
        pins = next(d["pip"] for d in yaml.safe_load(env_file.read_text())["dependencies"] if isinstance(d, dict))
        assert f"setuptools=={lock_pins()['setuptools']}" in pins, env_file.name


def test_the_post_deploy_script_installs_the_checkout_offline_and_refuses_another_folder(tmp_path):
    """Run as Snakemake runs it (bash, from the working directory, inside a fresh env whose python is first on
    PATH), with no index: it installs the package editable into that env, which then imports this checkout's
    package on its own. From a folder that is not the checkout it fails, naming the folder, installing nothing.
    (The fresh env borrows pip and setuptools from this venv through a .pth file, as conda would provide them;
    pip leaves this venv's own install alone, outside the env.)"""
    import os
    import subprocess

    env_dir = tmp_path / "env"
    borrowed = env_without_the_package(env_dir)
    site = borrowed.parent
    env = dict(
        os.environ,
        PATH=f"{env_dir / 'bin'}:/usr/bin:/bin",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    script = REPO / "envs" / "install-package.sh"
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    refused = subprocess.run(["bash", str(script)], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and f"{elsewhere} is not the edgecompress checkout" in refused.stderr
    assert not list(site.glob("edgecompress*"))

    done = subprocess.run(["bash", str(script)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    borrowed.unlink()  # the env on its own now
    probe = "import edgecompress; print(edgecompress.__file__)"
    imported = subprocess.run(
        [str(env_dir / "bin" / "python"), "-I", "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).resolve() == REPO / "workflow" / "edgecompress" / "__init__.py"
    from importlib import metadata

    assert metadata.distribution("edgecompress").read_text("direct_url.json")  # this venv's install is untouched
