"""Shared test helpers: paths, the shared data, a Snakemake runner and a loopback HTTP server.

Tests import these from here; ``conftest.py`` holds only pytest fixtures (and the import order
that keeps torchvision and TensorFlow apart)."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
CORES = 2  # a local test run's --cores (the timing job takes them all)
# What only tests/workflow may need (pyproject.toml's markers; the root conftest adds demo, second_demo and
# slurm from the fixtures a test uses): each test there carries one, no test in tests/unit does.
WORKFLOW_MARKERS = ("workflow", "demo", "real_data", "branch_run", "benchmark", "second_demo", "slurm")


def shared_dir() -> Path | None:
    """The project's shared/ folder (real Fashion-MNIST): $EDGECOMPRESS_SHARED, else ../shared beside the checkout."""
    for candidate in (os.environ.get("EDGECOMPRESS_SHARED"), REPO.parent / "shared"):
        if candidate and (Path(candidate) / "data" / "fashion-mnist").is_dir():
            return Path(candidate)
    return None


def require_shared_data() -> Path:
    """The shared/ folder, or a skip with the reason (a failure under CI=true, where it must be there)."""
    found = shared_dir()
    if found is None:
        reason = (
            "no real Fashion-MNIST: set EDGECOMPRESS_SHARED or put shared/data/fashion-mnist beside the "
            "checkout (../shared)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run_in_child(cmd: list[str], cwd: str, env: dict, timeout: int) -> tuple[int, str, str]:
    """One call of Snakemake's command line, in a process forked from the runner's server (which
    imported Snakemake once): its exit status, stdout and stderr. Killed by SIGALRM after ``timeout``."""
    import signal
    import tempfile

    import snakemake.cli

    signal.alarm(timeout)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            snakemake.cli.main(cmd[1:])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace")


_RUNNER = None


def runner():
    """A pool whose every task runs in a fresh process forked from a server that imported Snakemake once:
    a call costs its own work, not the second of imports a new interpreter pays (the rerun table plans
    about 80 runs). Each child serves one call only, so no state passes between calls."""
    global _RUNNER
    if _RUNNER is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["snakemake.cli"])
        _RUNNER = ProcessPoolExecutor(max_workers=CORES, mp_context=context, max_tasks_per_child=1)
    return _RUNNER


def snakemake_command(
    workdir: Path, *args: str, configs: tuple[Path, ...] = (), base: bool = True, repo: Path = REPO, cores: int = CORES
) -> tuple[list[str], dict]:
    """The command line and environment that run the workflow of ``repo`` in ``workdir``.

    Configs: config.yaml + test.yaml (if ``base``) + ``configs``.
    """
    files = [repo / "config" / "config.yaml", repo / "config" / "test.yaml"] if base else []
    files += list(configs)
    if any(Path(f).name == "test.yaml" for f in files):  # its mirror, which `make fixtures` creates;
        (workdir / "resources" / "fixtures").mkdir(parents=True, exist_ok=True)  # tests that download name theirs
    cmd = [SNAKEMAKE, *args, "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir), "--cores", str(cores)]
    if files:  # last: --configfile takes every following argument
        cmd += ["--configfile", *map(str, files)]
    return cmd, dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def snakemake(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    timeout: int = 900,
    base: bool = True,
    repo: Path = REPO,
    cores: int = CORES,
) -> subprocess.CompletedProcess:
    """Run the workflow of ``repo`` (this checkout, or a copy of it) in ``workdir`` (``snakemake_command``),
    in the runner's pool: the same command line, environment and folder as a new process would get.
    """
    cmd, env = snakemake_command(workdir, *args, configs=configs, base=base, repo=repo, cores=cores)
    # run from the run folder: Snakemake writes some state (.snakemake/iocache) into the current one
    global _RUNNER
    from concurrent.futures.process import BrokenProcessPool

    try:
        code, out, err = runner().submit(_run_in_child, cmd, str(workdir), env, timeout).result()
    except BrokenProcessPool:  # the child died: its alarm after ``timeout``, or a crash; the next call gets a new pool
        _RUNNER = None
        raise subprocess.TimeoutExpired(
            cmd, timeout, output="Snakemake's process ended without a result (killed after the timeout, or crashed)"
        ) from None
    return subprocess.CompletedProcess(cmd, code, out, err)


class Started:
    """A command started in the background (a demo the session will need), its output going to files;
    ``result()`` waits for it like ``subprocess.run`` would have, killing it after ``timeout`` seconds."""

    def __init__(self, cmd: list[str], env: dict, cwd: Path, timeout: int):
        import tempfile

        self.cmd, self.timeout, self.started = cmd, timeout, time.monotonic()
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, env=env, cwd=cwd)
        self.done: subprocess.CompletedProcess | None = None

    def result(self) -> subprocess.CompletedProcess:
        if self.done is None:
            left = self.timeout - (time.monotonic() - self.started)
            try:
                code = self.proc.wait(timeout=max(left, 1))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
            self.out.seek(0)
            self.err.seek(0)
            self.done = subprocess.CompletedProcess(
                self.cmd, code, self.out.read().decode(errors="replace"), self.err.read().decode(errors="replace")
            )
        return self.done


def mirror_config(tmp_path: Path, mirror: str | Path, **data) -> Path:
    return write_yaml(tmp_path / "mirror.yaml", {"data": {"mirror": str(mirror), **data}})


# The committed reference of the demo (make reference); the session's demos compare themselves with it.
REFERENCE = REPO / "docs" / "reference" / "demo"


def demo_config(tmp_path: Path, mirror: str | Path) -> Path:
    """The demo's own settings over config.yaml + test.yaml: the fixtures' mirror and the committed reference
    (whose comparison the report prints in its provenance appendix)."""
    return write_yaml(
        tmp_path / "demo.yaml", {"data": {"mirror": str(mirror)}, "report": {"reference": str(REFERENCE)}}
    )


class Route:
    """What the loopback server answers for one path: a queue of (status, body, claimed length)."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.hits = 0


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (random port) serving scripted answers."""

    def __init__(self):
        routes = self.routes = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                route.hits += 1
                status, body, length = route.responses[0] if len(route.responses) == 1 else route.responses.pop(0)
                self.send_response(status)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, *responses) -> Route:
        """Answer ``path`` with each response in turn, repeating the last one."""
        self.routes[path] = route = Route(responses)
        return route

    def serve_file(self, path: str, file: Path) -> Route:
        return self.serve(path, (200, file.read_bytes(), None))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


WORKFLOW_PARTS = ("Snakefile", "config", "envs", "notebooks", "profiles", "report", "workflow")


def copy_workflow(dst: Path) -> Path:
    """A copy of the workflow's own files, for a test that must edit one (tests never edit the checkout)."""
    dst.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dst / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dst / part)
    if (REPO / ".arm").is_dir():  # the checkout's aarch64 sysroot (make arm): linked, 180 MB is not copied
        (dst / ".arm").symlink_to(REPO / ".arm")
    return dst


CHANCE = 0.1  # ten balanced classes
LEARNED = 0.5  # "well above chance": five times chance (on the fixtures' 200 or 300 test images)


def assert_learned(accuracy: float, what: str) -> None:
    """A trained model learned: its test accuracy is at least LEARNED (chance is CHANCE)."""
    assert accuracy >= LEARNED, (
        f"{what}: test accuracy {accuracy:.3f} is not well above chance ({CHANCE}): needs >= {LEARNED}"
    )


# "Well above chance" for every model of a whole-DAG run: 3x chance. On the fixtures' 200 or 300 test
# images chance accuracy has a standard deviation of at most sqrt(0.1 x 0.9 / 200) = 0.021, so 0.3 is
# more than 9 standard deviations above it. (The branch tests ask LEARNED of the models they train.)
ABOVE_CHANCE = 0.3
# The deployed .tflite files against PyTorch on the whole test split: argmax agreement at least
AGREEMENT = {"float32": 0.99, "int8": 0.95}
TOOL_VERDICTS = re.compile(r"^(agrees|disagrees|not run|unresolved \(under [\d.]+ ms\)|not comparable \(.+\))$")


def assert_every_model_learned(workdir: Path) -> int:
    """Every trained model of a finished run is well above chance, every deployed file agrees with its
    PyTorch model, and LiteRT's benchmark tool judged every ``.tflite`` (agreeing or not: a verdict on
    speed, which no test asserts). Returns the number of models checked."""
    import csv
    import json

    results = workdir / "results"
    trained = sorted(results.glob("pruning/**/metrics.json")) + sorted(results.glob("distillation/**/metrics.json"))
    trained += sorted(results.glob("quantization/seed*/metrics/*.json"))
    assert len(trained) >= 10, [str(p) for p in trained]
    for path in trained:
        accuracy = json.loads(path.read_text())["accuracy"]
        assert accuracy >= ABOVE_CHANCE, f"{path.relative_to(workdir)}: accuracy {accuracy:.3f} < {ABOVE_CHANCE}"
    deployed = sorted(results.glob("deployment/models/**/metrics.json"))
    assert deployed
    for path in deployed:
        m = json.loads(path.read_text())
        for precision, least in AGREEMENT.items():
            agreement = m[precision]["argmax_agreement_with_torch"]
            assert agreement >= least, f"{path.relative_to(workdir)} {precision}: agreement {agreement} < {least}"
            assert m[precision]["accuracy"] >= ABOVE_CHANCE, (path, precision)
    with open(results / "deployment" / "latency.csv", newline="") as fh:
        litert = {r["file"]: r["benchmark_verdict"] for r in csv.DictReader(fh) if r["runtime"] == "litert"}
    files = {str(p.relative_to(workdir)) for p in results.glob("deployment/models/**/*.tflite")}
    cnn_seeds = {Path(f).parts[2] for f in litert if f.startswith("results/quantization/")}
    assert len(cnn_seeds) == 1, cnn_seeds  # one seed's CNN files are deployed and timed
    files |= {
        str(p.relative_to(workdir))
        for p in (results / "quantization" / cnn_seeds.pop() / "models").glob("base_cnn_*.tflite")
        if p.stem.rsplit("_", 1)[1] in AGREEMENT
    }  # the CNN's float32 and int8 are timed
    assert files and files <= set(litert), sorted(files - set(litert))
    bad = {f: v for f, v in litert.items() if not TOOL_VERDICTS.match(v)}
    assert not bad, f"a .tflite without a verdict of LiteRT's benchmark tool: {bad}"
    return len(trained) + len(deployed)


def deterministic_differences(result) -> list[str]:
    """The fields of an `edgecompress.compare` result that differ and are not measurements (nor listed
    environment records): two runs of the same inputs on one machine must have none. The measured kinds
    (``compare.MEASURED_KINDS``: the machine's roofs, times, flags from times, process memory) are judged
    by their own tolerance, not as equal."""
    from edgecompress.compare import MEASURED_KINDS

    return [
        f"{r.file} {r.key} {r.field}: {r.a!r} -> {r.b!r} ({r.kind}, {r.verdict})"
        for r in result.rows
        if r.kind not in MEASURED_KINDS
        and r.verdict not in ("equal",)
        and not (r.kind == "environment" and r.verdict == "listed")
    ]


def slurm_command(
    cluster,
    workdir: Path,
    *configs: Path,
    timeout: int = 1200,
    repo: Path = REPO,
    targets: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
) -> tuple[list[str], dict]:
    """The command line and environment that run the workflow of ``repo`` in ``workdir`` through
    ``profiles/slurm`` on the test ``cluster`` (configs: config.yaml + test.yaml + ``configs``; ``args``
    on top of the profile's), under ``timeout -s INT`` so that a hang fails."""
    files = [repo / "config" / "config.yaml", repo / "config" / "test.yaml", *configs]
    cmd = [
        "timeout",
        "-s",
        "INT",
        str(timeout),
        SNAKEMAKE,
        *targets,
        *args,
        "--profile",
        str(repo / "profiles" / "slurm"),
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
        "--retries",
        "0",
        "--jobs",
        "4",
        "--configfile",
        *map(str, files),
    ]
    return cmd, dict(cluster.env, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def slurm_run(
    cluster,
    workdir: Path,
    *configs: Path,
    timeout: int = 1200,
    repo: Path = REPO,
    targets: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """``slurm_command``, run to its end."""
    cmd, env = slurm_command(cluster, workdir, *configs, timeout=timeout, repo=repo, targets=targets, args=args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout + 60, cwd=workdir)


ROOT_ONLY = (
    "the SLURM test installs Debian packages (apt-get), starts daemons and links /etc/slurm/slurm.conf "
    "for its lifetime: it runs as root only (CI runs as root and fails rather than skip it)"
)


def slurm_possible() -> bool:
    """Whether this session can start the test cluster: as root. Under CI=true it must (a failure, not a skip)."""
    if os.geteuid() == 0:
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(ROOT_ONLY)
    return False


def benchmark_module(name: str):
    """A script of benchmarks/ imported as a module (registered, so that its dataclasses resolve)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def env_without_the_package(folder: Path) -> Path:
    """A fresh venv in ``folder`` that sees this venv's packages (a .pth file naming its site folder) except
    this package, whose editable install is a .pth of its own that Python does not follow from there. The env
    a conda job gets before its post-deploy script runs, or a Snakemake installed without the package.
    Returns the borrowing .pth (unlink it to leave the env with its own packages only)."""
    import sysconfig

    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    borrowed = next(folder.glob("lib/python3*/site-packages")) / "borrowed-tools.pth"
    borrowed.write_text(sysconfig.get_paths()["purelib"] + "\n")
    return borrowed


SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def paper_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


PRESETS = sorted(p.name for p in (REPO / "config").glob("*.yaml") if p.name != "config.yaml")


def deployed(family, macs):
    size = {"size": {"bytes": 1000, "mib": 0.001}, "accuracy": 0.9}
    return {"family": family, "parameters": 10, "macs": macs, "accuracy_torch": 0.9, "float32": size, "int8": size}


def fashion_fixture(fixture_dir: Path) -> dict:
    """The Fashion-MNIST fixture's arrays (x_train, y_train, x_test, y_test), read as the workflow reads them."""
    from edgecompress.data.fixtures import FASHION_FILES
    from edgecompress.data.prepare import load_fashion_mnist

    return load_fashion_mnist(*(fixture_dir / name for name in FASHION_FILES))
