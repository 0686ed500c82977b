"""A run killed with SIGKILL (the machine's OOM killer, a lost node, a laptop lid) leaves nothing half
written: after ``snakemake --unlock`` the same command finishes, no ``.part`` file remains, and every
deterministic metric equals the uninterrupted demo's (the session's ``run``).

On a copy of the finished demo: less the timing job's outputs, a run to the timing table is killed in
the middle of the timing job; then, less the student's training, a run to that model is killed in the
middle of its training. Each time the lock is left behind, `--unlock` clears it and the next start
finishes. (Two runs with one target each: a retrained student would otherwise be converted again.)
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from edgecompress import compare
from helpers import BIN, CORES, REPO, deterministic_differences, snakemake

pytestmark = pytest.mark.workflow
TARGET = "results/deployment/latency.csv"
STUDENT = "results/distillation/student/seed42/metrics.json"
TRAINING_LOG = "logs/distillation/student/seed42.log"
TIMING_LOG = "logs/deployment/time_models.log"


def start(run, workdir, mirror, target):
    files = [REPO / "config" / "config.yaml", REPO / "config" / "test.yaml", mirror]
    cmd = [str(BIN / "snakemake"), target, "--snakefile", str(run["repo"] / "Snakefile"), "--directory",
           str(workdir), "--cores", str(CORES), "--configfile", *map(str, files)]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # its own process group: the kill reaches Snakemake and every job it started, as a lost node would
    return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def kill_when(proc, log, pattern, timeout=900):
    """SIGKILL the whole run once ``log`` matches ``pattern`` (the job is then in the middle of its work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and re.search(pattern, log.read_text(errors="replace")):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            return
        assert proc.poll() is None, f"the run ended before {log.name} showed {pattern!r}:\n{proc.stderr.read()[-3000:]}"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"{log} never showed {pattern!r}")


def test_a_run_killed_mid_training_and_mid_timing_finishes_equal_after_unlock(run, tmp_path):
    workdir = tmp_path / "killed"
    shutil.copytree(run["dir"], workdir, symlinks=True)  # times kept: everything else stays up to date
    mirror = workdir / run["config"].name
    again = lambda *args: snakemake(workdir, *args, configs=(mirror,), repo=run["repo"])  # noqa: E731

    # as if the run had been stopped before the timing job: only it is to do
    for name in ("latency.csv", "ratios.csv", "machine.json"):
        (workdir / "results/deployment" / name).unlink()
    planned = again(TARGET, "-n").stdout
    assert "time_models" in planned and "deploy_model" not in planned
    (workdir / TIMING_LOG).unlink()
    kill_when(start(run, workdir, mirror, TARGET), workdir / TIMING_LOG, r"round 1 done")
    assert not (workdir / TARGET).exists()
    locked = again(TARGET)
    assert locked.returncode != 0 and "Directory cannot be locked" in locked.stdout + locked.stderr
    assert again("--unlock").returncode == 0
    done = again(TARGET)
    assert done.returncode == 0, done.stderr[-4000:]

    # as if it had been stopped before the student was trained
    shutil.rmtree(workdir / "results/distillation/student/seed42")
    planned = again(STUDENT, "-n").stdout
    assert "train_student" in planned and "finetune_baseline" not in planned
    (workdir / TRAINING_LOG).unlink()
    kill_when(start(run, workdir, mirror, STUDENT), workdir / TRAINING_LOG, r"student epoch 1: \d+/\d+ batches")
    assert not (workdir / "results/distillation/student/seed42/model.pt").exists()
    assert again("--unlock").returncode == 0
    done = again(STUDENT)
    assert done.returncode == 0, done.stderr[-4000:]

    assert not [str(p) for p in workdir.rglob("*.part*")]
    ours = compare.run_files(workdir)
    assert {STUDENT, TARGET} <= ours
    found = compare.compare(run["dir"], workdir, files=ours)
    assert found.same_platform
    assert not deterministic_differences(found), "\n".join(deterministic_differences(found)[:40])
    student = [r for r in found.rows if r.file == STUDENT]
    assert any(r.field == "accuracy" and r.verdict == "equal" for r in student)  # retrained, and equal
    latency = [r for r in found.rows if r.file == TARGET]
    assert latency and all(r.verdict != "missing" for r in latency)  # every row of the timing table is there
