"""A run killed with SIGKILL (the machine's OOM killer, a lost node, a laptop lid) leaves nothing half
written: after ``snakemake --unlock`` the same command finishes, no ``.part`` file remains, and every
deterministic metric equals the uninterrupted demo's (the session's ``run``).

One run is killed twice: in the middle of training the ResNet-18 baseline, then in the middle of the
timing job (every model already deployed); the third start finishes it.
"""

import os
import re
import signal
import subprocess
import time

import pytest

from edgecompress import compare
from helpers import BIN, REPO, deterministic_differences, mirror_config, snakemake

pytestmark = pytest.mark.workflow
TARGET = "results/deployment/latency.csv"


def start(workdir, mirror):
    files = [REPO / "config" / "config.yaml", REPO / "config" / "test.yaml", mirror]
    cmd = [str(BIN / "snakemake"), TARGET, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--cores", "2", "--configfile", *map(str, files)]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # its own process group: the kill reaches Snakemake and every job it started, as a lost node would
    return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def kill_when(proc, log, pattern, timeout=900):
    """SIGKILL the whole run once ``log`` matches ``pattern`` (the job is then in the middle of its work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and re.search(pattern, log.read_text(errors="replace")):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            return
        assert proc.poll() is None, f"the run ended before {log.name} showed {pattern!r}:\n{proc.stderr.read()[-3000:]}"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"{log} never showed {pattern!r}")


def test_a_run_killed_mid_training_and_mid_timing_finishes_equal_after_unlock(run, tmp_path, fixture_dir):
    workdir = tmp_path / "killed"
    workdir.mkdir()
    mirror = mirror_config(workdir, fixture_dir)
    (workdir / "resources" / "fixtures").mkdir(parents=True)
    kill_when(start(workdir, mirror), workdir / "logs/pruning/baseline/seed42.log", r"baseline epoch 1: 8/\d+ batches")
    assert not (workdir / "results/pruning/baseline/seed42/model.pt").exists()
    again = snakemake(workdir, TARGET, configs=(mirror,))
    assert again.returncode != 0 and "Directory cannot be locked" in again.stdout + again.stderr  # the kill left its lock
    assert snakemake(workdir, "--unlock", configs=(mirror,)).returncode == 0
    kill_when(start(workdir, mirror), workdir / "logs/deployment/time_models.log", r"round 1 done")
    assert not (workdir / TARGET).exists()
    assert snakemake(workdir, "--unlock", configs=(mirror,)).returncode == 0
    done = snakemake(workdir, TARGET, configs=(mirror,))
    assert done.returncode == 0, done.stderr[-4000:]
    assert not [str(p) for p in workdir.rglob("*.part*")]
    ours = compare.run_files(workdir)
    assert "results/pruning/baseline/seed42/metrics.json" in ours and TARGET in ours
    found = compare.compare(run["dir"], workdir, files=ours)
    assert found.same_platform
    assert not deterministic_differences(found), "\n".join(deterministic_differences(found)[:40])
