"""The same DAG on a real single-node SLURM through profiles/slurm (jobs really go through sbatch)."""

import os
import subprocess

import pytest

from edgecompress import compare
from helpers import BIN, REPO, SNAKEMAKE, assert_every_model_learned, deterministic_differences, mirror_config, write_yaml
from slurm_cluster import Cluster, ensure_installed

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]


ROOT_ONLY = ("the SLURM test installs Debian packages (apt-get), starts daemons and links /etc/slurm/slurm.conf "
             "for its lifetime: it runs as root only (CI runs as root and fails rather than skip it)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(ROOT_ONLY)
        pytest.skip(ROOT_ONLY)
    conf = Cluster.SYSTEM_CONF
    before = (conf.exists() or conf.is_symlink(), conf.parent.exists())
    ensure_installed()
    c = Cluster(tmp_path_factory.mktemp("slurm"))
    c.start()
    yield c
    c.stop()
    assert all(p.returncode is not None for p in c.procs)
    after = (conf.exists() or conf.is_symlink(), conf.parent.exists())
    # what the package install created under /etc stays; what the test itself linked is gone
    assert after[0] == before[0], f"{conf} left behind by the test"


def slurm_run(cluster, workdir, *configs, timeout=1200):
    files = [REPO / "config" / "config.yaml", REPO / "config" / "test.yaml", *configs]
    cmd = ["timeout", "-s", "INT", str(timeout), SNAKEMAKE, "--profile", str(REPO / "profiles" / "slurm"),
           "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1",
           "--seconds-between-status-checks", "2", "--retries", "0", "--jobs", "4",
           "--configfile", *map(str, files)]
    env = dict(cluster.env, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout + 60, cwd=workdir)



def test_whole_workflow_on_slurm_matches_the_local_run(cluster, run, tmp_path, fixture_dir):
    """The demo through sbatch against the same demo run locally (the session's ``run``)."""
    local, remote = run["dir"], tmp_path / "slurm"
    remote.mkdir()
    result = slurm_run(cluster, remote, mirror_config(remote, fixture_dir))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
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
    known = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %T"], capture_output=True, text=True,
                           env=cluster.env).stdout
    states = dict(line.split() for line in known.splitlines())
    assert all(states.get(str(i)) == "COMPLETED" for i in ids), states
    rules = {part for p in logs for part in p.relative_to(remote / "logs" / "slurm").parts if part.startswith("rule_")}
    assert {"rule_download", "rule_train_base_cnn", "rule_convert_tflite", "rule_finetune_baseline", "rule_prune",
            "rule_distill_student", "rule_pruning_tables"} <= rules


def test_a_failing_job_fails_the_run(cluster, tmp_path, fixture_dir):
    """A job that exits non-zero on a node fails the run: named by its rule, its SLURM state and exit code."""
    broken = write_yaml(tmp_path / "broken.yaml", {"data": {"cifar10": {"archive": {"sha256": "0" * 64}}}})
    result = slurm_run(cluster, tmp_path, mirror_config(tmp_path, fixture_dir), broken, timeout=600)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Error in rule download:" in text and "cifar-10-python.tar.gz" in text
    logs = sorted((tmp_path / "logs" / "slurm" / "rule_download").rglob("*.log"))
    failed = {}
    for path in logs:
        show = subprocess.run(["scontrol", "show", "job", path.stem], capture_output=True, text=True, env=cluster.env)
        fields = dict(f.split("=", 1) for f in show.stdout.split() if "=" in f)
        failed[path.parent.name] = (fields.get("JobState"), fields.get("ExitCode"))
    # the CIFAR-10 download's job: FAILED with the script's exit status 1 (the other downloads completed)
    cifar = next(v for k, v in failed.items() if "cifar-10" in k)
    assert cifar == ("FAILED", "1:0"), failed
    log = (tmp_path / "logs/download/cifar-10-python.tar.gz.log").read_text()
    assert "checksum mismatch" in log
    assert not (tmp_path / "resources/downloads/cifar-10-python.tar.gz").exists()
