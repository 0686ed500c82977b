"""A run killed with SIGKILL (the machine's OOM killer, a lost node, a laptop lid) leaves nothing half
written: after ``snakemake --unlock`` the same command finishes, no ``.part`` file remains, and every
deterministic metric equals the uninterrupted demo's (the session's ``run``).

On one copy of the finished demo, less the timing job's outputs, a run to the timing table is killed in
the middle of the timing job; on another, at the same time, less the student's training, a run to that
model is killed in the middle of its training. Each time the lock is left behind, `--unlock` clears it
and the next start finishes. (Two runs with one target each: a retrained student would otherwise be
converted again.)
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from edgecompress import compare
from helpers import deterministic_differences, snakemake, snakemake_command

pytestmark = pytest.mark.workflow
TARGET = "results/deployment/latency.csv"
STUDENT = "results/distillation/student/seed42/metrics.json"
TRAINING_LOG = "logs/distillation/student/seed42.log"
TIMING_LOG = "logs/deployment/time_models.log"


def start(run, workdir, mirror, target):
    cmd, env = snakemake_command(workdir, target, configs=(mirror,), repo=run["repo"])
    # its own process group: the kill reaches Snakemake and every job it started, as a lost node would
    return subprocess.Popen(
        cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


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


def killed_and_finished(run, workdir, target, log, pattern, remove, rule, upstream) -> None:
    """On a copy of the finished demo, less what ``remove`` deletes (only ``rule`` is to do, nothing
    ``upstream``), a run to ``target`` is killed once ``log`` shows ``pattern``; the lock is left behind,
    `--unlock` clears it and the next start finishes."""
    shutil.copytree(run["dir"], workdir, symlinks=True)  # times kept: everything else stays up to date
    mirror = workdir / run["config"].name
    again = lambda *args: snakemake(workdir, *args, configs=(mirror,), repo=run["repo"])  # noqa: E731
    remove(workdir)
    planned = again(target, "-n").stdout
    assert rule in planned and upstream not in planned, planned[-2000:]
    (workdir / log).unlink()
    kill_when(start(run, workdir, mirror, target), workdir / log, pattern)
    assert not (workdir / target).exists()
    locked = again(target)
    assert locked.returncode != 0 and "Directory cannot be locked" in locked.stdout + locked.stderr
    assert again("--unlock").returncode == 0
    done = again(target)
    assert done.returncode == 0, done.stderr[-4000:]
    assert not [str(p) for p in workdir.rglob("*.part*")]


def before_timing(workdir):
    """As if the run had been stopped before the timing job: only it is to do."""
    for name in ("latency.csv", "ratios.csv", "machine.json"):
        (workdir / "results/deployment" / name).unlink()


def before_student(workdir):
    """As if it had been stopped before the student was trained."""
    shutil.rmtree(workdir / "results/distillation/student/seed42")


def test_a_run_killed_mid_training_and_mid_timing_finishes_equal_after_unlock(run, tmp_path):
    # the two kills on two copies at once: each run takes a core or two, and waits on its log
    from concurrent.futures import ThreadPoolExecutor

    cases = {
        "timing": (TARGET, TIMING_LOG, r"round 1 done", before_timing, "time_models", "deploy_model"),
        "training": (
            STUDENT,
            TRAINING_LOG,
            r"student epoch 1: \d+/\d+ batches",
            before_student,
            "train_student",
            "finetune_baseline",
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(killed_and_finished, run, tmp_path / name, *case) for name, case in cases.items()]
        for future in futures:
            future.result()
    for name, (target, *_rest) in cases.items():
        workdir = tmp_path / name
        ours = compare.run_files(workdir)
        assert target in ours
        found = compare.compare(run["dir"], workdir, files=ours)
        assert found.same_platform
        assert not deterministic_differences(found), "\n".join(deterministic_differences(found)[:40])
        rows = [r for r in found.rows if r.file == target]
        if target == STUDENT:
            assert any(r.field == "accuracy" and r.verdict == "equal" for r in rows)  # retrained, and equal
        else:
            assert rows and all(r.verdict != "missing" for r in rows)  # every row of the timing table is there
