"""The package reads like the DAG: one sub-package per stage, imports pointing only downward.

- The root modules (config, seeding, provenance, logs, measurement, statistics, the paper's numbers,
  the result files, ...) import only each other.
- A stage imports the root and its own modules; where it must, the shared PyTorch side
  (``training``). It never imports another stage, except ``report``, which reads every stage.
- Each stage's folder carries the name of its rule file (workflow/rules/<stage>.smk).
"""

import ast
import re
from pathlib import Path

import pytest

from helpers import REPO

PKG = REPO / "workflow" / "edgecompress"
STAGES = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
SHARED_STAGE = "training"  # the PyTorch side that pruning, distillation and deployment share


def module_of(path: Path, pkg: Path = PKG) -> list[str]:
    parts = list(path.relative_to(pkg).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imports(path: Path, pkg: Path = PKG) -> list[tuple[int, list[str]]]:
    """Every edgecompress module ``path`` imports, as parts below the package ``pkg`` (line number first)."""
    mod = module_of(path, pkg)
    package = mod if path.name == "__init__.py" else mod[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "edgecompress":
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # "from . import paper" imports a module
                sub = target + [alias.name]
                is_module = (
                    pkg.joinpath(*sub).with_suffix(".py").exists() or (pkg.joinpath(*sub) / "__init__.py").exists()
                )
                found.append((node.lineno, sub if is_module else target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "edgecompress":
                    found.append((node.lineno, alias.name.split(".")[1:]))
    return found


def stage_of(parts: list[str]) -> str | None:
    return parts[0] if parts and parts[0] in STAGES else None


def allowed(source: str | None, target: str | None) -> bool:
    if target is None:
        return True  # the root: every module may import it
    if source == target or source == "report":
        return True
    if source is None:
        return False  # the root imports no stage
    return target == SHARED_STAGE and source != SHARED_STAGE


def violations(pkg: Path = PKG) -> list[str]:
    """Every import across stages in the package ``pkg`` (a folder named like workflow/edgecompress)."""
    found = []
    for path in sorted(pkg.rglob("*.py")):
        source = stage_of(module_of(path, pkg))
        for line, target in imports(path, pkg):
            if not allowed(source, stage_of(target)):
                found.append(
                    f"{path.relative_to(pkg.parent.parent)}:{line} ({source or 'root'}) imports "
                    f"edgecompress.{'.'.join(target)} ({stage_of(target) or 'root'})"
                )
    return found


def test_imports_point_only_downward():
    assert not violations(), "\n".join(violations())


def test_the_rule_catches_an_import_across_stages(tmp_path):
    """On a copy of the package (no test writes into the checkout) with one module added."""
    import shutil

    pkg = tmp_path / "workflow" / "edgecompress"
    shutil.copytree(PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    probe = pkg / "pruning" / "_layout_probe.py"
    probe.write_text(
        "from ..distillation.methods import train_student\nfrom ..training.models import build\nfrom .. import paper\n"
    )
    found = [v for v in violations(pkg) if "_layout_probe" in v]
    assert found == [
        "workflow/edgecompress/pruning/_layout_probe.py:1 (pruning) imports "
        "edgecompress.distillation.methods (distillation)"
    ]
    assert not allowed(None, "pruning") and allowed("report", "pruning") and allowed("deployment", "training")


def test_stage_folders_mirror_the_rule_files():
    rules = {p.stem for p in (REPO / "workflow" / "rules").glob("*.smk")} - {"common"}
    assert rules <= STAGES, f"stages without a sub-package: {sorted(rules - STAGES)}"
    assert STAGES - rules == {SHARED_STAGE}, (
        f"sub-packages without a rule file: {sorted(STAGES - rules - {SHARED_STAGE})}"
    )


def test_every_notebook_cell_has_a_fixed_id():
    """A cell without an id gets a random one when papermill runs it: two clean runs would differ."""
    import json

    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        ids = [c.get("id") for c in cells]
        assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: cell ids {ids}"


def rule_scripts() -> dict[str, tuple[str, Path]]:
    """Rule name -> (its rule file's stage, its script), for every rule that runs a script."""
    found = {}
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for name, body in re.findall(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), re.M | re.S):
            script = re.search(r'script:\s*\n\s*"\.\./scripts/(\w+\.py)"', body)
            if script:
                found[name] = (smk.stem, REPO / "workflow" / "scripts" / script.group(1))
    return found


def test_every_rule_calls_the_function_named_after_it_in_its_stage():
    """From a rule to its logic in one hop: its script calls ``edgecompress.<stage>.<module>.<rule>``,
    whose docstring starts with ``Rule <rule>:``."""
    scripts = rule_scripts()
    assert len(scripts) >= 20 and {"download", "prune", "render_report", "time_models"} <= set(scripts)
    wrong = []
    for rule, (stage, script) in sorted(scripts.items()):
        origin = {
            alias.name: node.module
            for node in ast.walk(ast.parse(script.read_text()))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("edgecompress.")
            for alias in node.names
        }
        module = origin.get(rule)
        if module is None or module.split(".")[1] != stage:
            wrong.append(f"rule {rule} ({stage}.smk): {script.name} imports {rule!r} from {module}")
            continue
        tree = ast.parse((PKG.parent / Path(*module.split("."))).with_suffix(".py").read_text())
        doc = next((ast.get_docstring(f) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == rule), None)
        if not (doc or "").startswith(f"Rule {rule}:"):
            wrong.append(f"rule {rule}: {module}.{rule}'s docstring does not start with 'Rule {rule}:'")
    assert not wrong, "\n".join(wrong)


# Environment variables set for the aarch64 interpreter under qemu: its own site folder (the unpacked
# LiteRT wheel), not this package.
FOREIGN_INTERPRETER = {"workflow/edgecompress/deployment/arm.py", "workflow/edgecompress/deployment/armsetup.py"}


def test_nothing_puts_the_package_on_the_python_path():
    """The package is installed (pip install -e .): no rule file, script, notebook, benchmark, module or test
    edits sys.path or PYTHONPATH to reach it."""
    files = [
        REPO / "Snakefile",
        *(REPO / "workflow").rglob("*.py"),
        *(REPO / "workflow" / "rules").glob("*.smk"),
        *(REPO / "notebooks").glob("*.ipynb"),
        *(REPO / "benchmarks").glob("*.py"),
        *(REPO / "tests").rglob("*.py"),
        REPO / "Makefile",
        REPO / ".ci" / "run",
    ]
    setters = sorted(
        p.relative_to(REPO).as_posix()
        for p in files
        if p != Path(__file__) and re.search(r"sys\.path\b|PYTHONPATH|package_dir", p.read_text())
    )
    assert setters == sorted(FOREIGN_INTERPRETER), setters
    assert 'pythonpath = ["tests"]' in (REPO / "pyproject.toml").read_text()  # the tests' helpers only


def test_the_package_is_installed_editable_from_this_checkout():
    """make venv installs it with pip install -e .: the modules imported are this checkout's files."""
    import json
    from importlib import metadata

    import edgecompress

    assert Path(edgecompress.__file__).resolve() == REPO / "workflow" / "edgecompress" / "__init__.py"
    direct = json.loads(metadata.distribution("edgecompress").read_text("direct_url.json"))
    assert direct["dir_info"] == {"editable": True}, direct
    assert Path(direct["url"].removeprefix("file://")).resolve() == REPO


def tiers() -> dict[str, str]:
    """The marker expressions of the Makefile's tiers (make test-fast, make test); make test-all runs all."""
    text = (REPO / "Makefile").read_text()
    return {name: re.search(rf"^{name}_TIER := (.+)$", text, re.M).group(1) for name in ("FAST", "TEST")}


def registered_markers() -> set[str]:
    import tomllib

    ini = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    return {m.split(":", 1)[0] for m in ini["markers"]}


# What a test's own code does -> the markers of which it must carry one (a need it does not declare would
# put it in a faster tier than it is).
DOES = {
    re.compile(r"\bsnakemake\(|\bSNAKEMAKE\b|\bslurm_run\("): {"workflow", "demo", "second_demo", "slurm"},
    re.compile(r"\brequire_shared_data\("): {"real_data"},
    re.compile(r"\bslurm_run\("): {"slurm"},
}


def test_every_marker_is_a_need_the_fast_tier_leaves_out_and_the_tiers_nest():
    named = {t: set(re.findall(r"\w+", expr)) - {"not", "or", "and"} for t, expr in tiers().items()}
    assert named["FAST"] == registered_markers(), (
        "a marker the Makefile's FAST_TIER does not name runs in make test-fast"
    )
    assert named["TEST"] < named["FAST"]  # make test leaves out less than make test-fast: the tiers nest


def test_each_test_of_this_session_declares_what_it_does(request):
    """Over the tests this session selected (CI's make test-all: every test): a test whose code runs
    Snakemake, SLURM or reads the shared data carries the marker that keeps it out of the faster tiers."""
    import inspect

    from _pytest.mark.expression import Expression

    fast, test = (Expression.compile(expr) for expr in tiers().values())
    wrong = []
    for item in request.session.items:
        marks = {m.name for m in item.iter_markers()}
        source = inspect.getsource(item.function) if hasattr(item, "function") else ""
        for pattern, needs in DOES.items():
            if pattern.search(source) and not marks & needs:
                wrong.append(
                    f"{item.nodeid}: its code matches {pattern.pattern!r} but it carries none of {sorted(needs)}"
                )
        in_fast, in_test = (e.evaluate(lambda name, **_: name in marks) for e in (fast, test))
        if in_fast and not in_test:
            wrong.append(f"{item.nodeid}: in make test-fast but not in make test")
    assert len(request.session.items) >= 1 and not wrong, "\n".join(wrong)


def test_tests_live_in_folders_that_say_what_they_need():
    """tests/unit: no Snakemake (its conftest refuses a test with a workflow marker); tests/workflow: the rest."""
    tests = REPO / "tests"
    assert sorted(p.name for p in tests.glob("test_*.py")) == [], "a test module outside tests/unit and tests/workflow"
    assert len(list((tests / "unit").glob("test_*.py"))) > 10 and len(list((tests / "workflow").glob("test_*.py"))) > 5
    for folder in ("unit", "workflow"):
        assert (tests / folder / "conftest.py").exists(), f"tests/{folder} has no conftest"


@pytest.mark.parametrize(
    "folder, test, refusal",
    [
        ("workflow", "def test_plain():\n    assert 1\n", "tests/workflow holds tests that need no Snakemake"),
        (
            "unit",
            "import pytest\n\n\n@pytest.mark.workflow\ndef test_runs_snakemake():\n    assert 1\n",
            "tests/unit holds tests that need Snakemake or a demo",
        ),
    ],
)
def test_each_folders_conftest_refuses_a_test_that_belongs_in_the_other(tmp_path, folder, test, refusal):
    """On a copy of the suite: a plain test put in tests/workflow, or a workflow test in tests/unit, stops the
    collection naming it."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(REPO / "tests", tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__", "machines"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "tests" / folder / "test_misplaced.py").write_text(test)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", f"tests/{folder}/test_misplaced.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and refusal in result.stdout + result.stderr, result.stdout + result.stderr
    assert "test_misplaced.py" in result.stdout + result.stderr
