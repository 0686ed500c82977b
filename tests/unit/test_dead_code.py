"""No dead code in the package, the rule scripts or the benchmarks (vulture, 60 % confidence).

Names used only by the Snakefile, the rule files or the notebooks count as used (vulture cannot
read those files, so their identifiers are handed to it as a whitelist). KEPT lists what is used
by a framework, not by our code, or kept on purpose, each with its reason. Tests do not count as
users: a function only a test calls is dead.
"""

import json
import keyword
import re
import subprocess
import sys

from helpers import REPO

KEPT = {
    "on_epoch_begin": "Keras callback, called by Keras",
    "on_epoch_end": "Keras callback, called by Keras",
    "load_structured": "loads a structurally pruned model; the tests and the deployment stage's conversion use it",
    "params_from_range": "the paper's eq. (2)-(3), checked against its worked example by tests/unit/test_quantmath.py",
    "quantize": "the paper's eq. (1), checked against its worked example by tests/unit/test_quantmath.py",
}


def used_elsewhere() -> set[str]:
    names = set()
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        names |= set(re.findall(r"[A-Za-z_]\w*", path.read_text()))
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                names |= set(re.findall(r"[A-Za-z_]\w*", "".join(cell["source"])))
    return {n for n in names if not keyword.iskeyword(n) and not keyword.issoftkeyword(n)}


def test_no_unused_functions_classes_or_imports(tmp_path):
    whitelist = tmp_path / "whitelist.py"
    whitelist.write_text("\n".join(sorted(used_elsewhere() | set(KEPT))) + "\n")
    # a module with one dead function: vulture must find it, or the scan below proves nothing
    canary = tmp_path / "canary.py"
    canary.write_text("def canary_never_called():\n    return 1\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vulture",
            "workflow/edgecompress",
            "workflow/scripts",
            "benchmarks",
            str(whitelist),
            str(canary),
            "--min-confidence",
            "60",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    # vulture exits 0 (nothing found) or 3 (dead code found); anything else is a crash or a bad argument
    assert result.returncode in (0, 3), f"vulture failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
    found = [
        line
        for line in result.stdout.splitlines()
        if re.search(r"unused (function|method|class|import|property)", line)
    ]
    assert any("canary_never_called" in line and str(canary) in line for line in found), (
        f"vulture did not report the canary's dead function:\n{result.stdout[-2000:]}"
    )
    dead = [line for line in found if str(whitelist) not in line and str(canary) not in line]
    assert not dead, "dead code (remove it, or add it to KEPT with the reason):\n" + "\n".join(dead)


IMPORT = re.compile(r"^(?:from\s+[\w.]+\s+)?import\s+(.+)$", re.M)


def unused_smk_imports(files: dict[str, str]) -> list[str]:
    """Names the Snakefile and rule files import and never use: they share one namespace (include), so
    a name counts as used when any of them names it outside an import line."""
    bodies = {name: IMPORT.sub("", text) for name, text in files.items()}
    found = []
    for name, text in files.items():
        for clause in IMPORT.findall(text):
            for alias in clause.strip("() ").split(","):
                bound = alias.split(" as ")[-1].strip().split(".")[0]
                if bound and not any(re.search(rf"\b{re.escape(bound)}\b", body) for body in bodies.values()):
                    found.append(f"{name}: imports {bound!r}, which no rule file uses")
    return found


def test_no_unused_imports_in_the_snakefile_and_rule_files():
    files = {
        p.relative_to(REPO).as_posix(): p.read_text()
        for p in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    }
    assert not unused_smk_imports(files), "\n".join(unused_smk_imports(files))
    # the check finds what it is for
    assert unused_smk_imports({"a.smk": "import shlex\nfrom os import path as p\nrule x:\n    run: p.join()\n"}) == [
        "a.smk: imports 'shlex', which no rule file uses"
    ]
