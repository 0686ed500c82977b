"""Shared test helpers: paths, the shared data, a Snakemake runner and a loopback HTTP server.

Tests import these from here; ``conftest.py`` holds only pytest fixtures (and the import order
that keeps torchvision and TensorFlow apart)."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")


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
        reason = ("no real Fashion-MNIST: set EDGECOMPRESS_SHARED or put shared/data/fashion-mnist beside the "
                  "checkout (../shared)")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found




def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def snakemake(workdir: Path, *args: str, configs: tuple[Path, ...] = (), timeout: int = 900,
              base: bool = True, repo: Path = REPO) -> subprocess.CompletedProcess:
    """Run the workflow of ``repo`` (this checkout, or a copy of it) in ``workdir``.

    Configs: config.yaml + test.yaml (if ``base``) + ``configs``.
    """
    files = [repo / "config" / "config.yaml", repo / "config" / "test.yaml"] if base else []
    files += list(configs)
    if any(Path(f).name == "test.yaml" for f in files):  # its mirror, which `make fixtures` creates;
        (workdir / "resources" / "fixtures").mkdir(parents=True, exist_ok=True)  # tests that download name theirs
    cmd = [SNAKEMAKE, *args, "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir), "--cores", "2"]
    if files:  # last: --configfile takes every following argument
        cmd += ["--configfile", *map(str, files)]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # run from the run folder: Snakemake writes some state (.snakemake/iocache) into the current one
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=workdir)


def mirror_config(tmp_path: Path, mirror: str | Path, **data) -> Path:
    return write_yaml(tmp_path / "mirror.yaml", {"data": {"mirror": str(mirror), **data}})


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
    return dst


CHANCE = 0.1  # ten balanced classes
LEARNED = 0.5  # "well above chance": five times chance (on the fixtures' 200 or 300 test images)


def assert_learned(accuracy: float, what: str) -> None:
    """A trained model learned: its test accuracy is at least LEARNED (chance is CHANCE)."""
    assert accuracy >= LEARNED, (f"{what}: test accuracy {accuracy:.3f} is not well above chance ({CHANCE}): "
                                 f"needs >= {LEARNED}")
