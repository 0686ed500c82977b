"""The same DAG on a real single-node SLURM through profiles/slurm (jobs really go through sbatch).

The cluster (``cluster``) and the demo run through it (``second_demo``) are session fixtures in
conftest.py: that run is also the second clean demo of the reproducibility test.
"""

import subprocess

import pytest

from edgecompress import compare
from helpers import assert_every_model_learned, deterministic_differences, mirror_config, slurm_run, write_yaml

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]


def test_whole_workflow_on_slurm_matches_the_local_run(cluster, run, second_demo):
    """The demo through sbatch against the same demo run locally (the session's ``run``)."""
    assert second_demo["slurm"]
    local, remote = run["dir"], second_demo["dir"]
    # every deterministic metric of every model and table (make compare's verdicts), not a sample of them
    found = compare.compare(local, remote)
    assert found.same_platform
    assert not deterministic_differences(found), "\n".join(deterministic_differences(found)[:40])
    assert len({r.file for r in found.rows}) >= 40 and any(r.kind == "trained" for r in found.rows)
    assert_every_model_learned(remote)
    # every job went through sbatch: its SLURM log is named by its job id, which squeue still knows
    logs = sorted((remote / "logs" / "slurm").rglob("*.log"))
    assert len(logs) >= 20, logs
    ids = {int(p.stem) for p in logs if p.stem.isdigit()}
    assert len(ids) == len(logs)
    known = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i %T"], capture_output=True, text=True, env=cluster.env
    ).stdout
    states = dict(line.split() for line in known.splitlines())
    assert all(states.get(str(i)) == "COMPLETED" for i in ids), states
    rules = {part for p in logs for part in p.relative_to(remote / "logs" / "slurm").parts if part.startswith("rule_")}
    assert {
        "rule_download",
        "rule_train_base_cnn",
        "rule_convert_tflite",
        "rule_finetune_baseline",
        "rule_prune",
        "rule_distill_student",
        "rule_pruning_tables",
    } <= rules


def test_a_failing_job_fails_the_run(cluster, tmp_path, fixture_dir):
    """A job that exits non-zero on a node fails the run: named by its rule, its SLURM state and exit code.

    The run asks for the CIFAR-10 archive only (one job), whose pinned checksum is wrong."""
    broken = write_yaml(tmp_path / "broken.yaml", {"data": {"cifar10": {"archive": {"sha256": "0" * 64}}}})
    result = slurm_run(
        cluster,
        tmp_path,
        mirror_config(tmp_path, fixture_dir),
        broken,
        timeout=600,
        targets=("resources/downloads/cifar-10-python.tar.gz",),
    )
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Error in rule download:" in text and "cifar-10-python.tar.gz" in text
    logs = sorted((tmp_path / "logs" / "slurm" / "rule_download").rglob("*.log"))
    failed = {}
    for path in logs:
        show = subprocess.run(["scontrol", "show", "job", path.stem], capture_output=True, text=True, env=cluster.env)
        fields = dict(f.split("=", 1) for f in show.stdout.split() if "=" in f)
        failed[path.parent.name] = (fields.get("JobState"), fields.get("ExitCode"))
    # the CIFAR-10 download's job, the run's only one: FAILED with the script's exit status 1
    ((folder, state),) = failed.items()
    assert "cifar-10" in folder and state == ("FAILED", "1:0"), failed
    log = (tmp_path / "logs/download/cifar-10-python.tar.gz.log").read_text()
    assert "checksum mismatch" in log
    assert not (tmp_path / "resources/downloads/cifar-10-python.tar.gz").exists()
