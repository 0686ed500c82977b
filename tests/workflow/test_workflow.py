"""The workflow itself: plans, lint, and the data stage end to end on fixtures and over HTTP."""

import hashlib
import json
import pickle

import numpy as np
import pytest

from edgecompress.data import fixtures
from edgecompress.data.cifar import FOLDER
from edgecompress.deployment import machine
from helpers import REPO, mirror_config, snakemake, write_yaml

pytestmark = pytest.mark.workflow

DATA_RULES = {"download", "prepare_fashion_mnist", "prepare_cifar10", "all"}


def planned_rules(output: str) -> set[str]:
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip()}


@pytest.mark.parametrize("test_config", [False, True], ids=["config.yaml", "test.yaml"])
def test_dry_run_plans_the_whole_dag(tmp_path, test_config):
    result = snakemake(
        tmp_path,
        "-n",
        base=False,
        configs=(REPO / "config" / "config.yaml",) + ((REPO / "config" / "test.yaml",) if test_config else ()),
    )
    assert result.returncode == 0, result.stderr
    assert planned_rules(result.stdout) >= DATA_RULES


@pytest.mark.parametrize("test_config", [False, True], ids=["config.yaml", "test.yaml"])
def test_lint_is_clean(tmp_path, test_config):
    configs = (REPO / "config" / "config.yaml",) + ((REPO / "config" / "test.yaml",) if test_config else ())
    result = snakemake(tmp_path, "--lint", base=False, configs=configs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_plain_snakemake_uses_the_default_profile(tmp_path):
    """Plain ``snakemake -n`` in a checkout (a copy: no test writes into this one)."""
    import subprocess

    from helpers import SNAKEMAKE, copy_workflow

    repo = copy_workflow(tmp_path / "checkout")
    result = subprocess.run([SNAKEMAKE, "-n"], cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Using workflow specific profile profiles/default" in result.stdout + result.stderr


DATA_TARGETS = (
    "resources/data/fashion_mnist.npz",
    "resources/data/cifar10_subset_draw42.npz",
    "resources/downloads/resnet18-f37072fd.pth",
    "resources/downloads/mobilenet_v2-b0353104.pth",
)


def run_data_stage(workdir, mirror, *extra):
    targets = () if any(not e.startswith("-") for e in extra) else DATA_TARGETS
    return snakemake(workdir, *targets, *extra, configs=(mirror_config(workdir, mirror),))


def test_data_stage_of_the_demo(run, fixture_dir):
    """The data stage of the session's demo: the subset, the inputs' checksums, the arrays, the mirror's copy.
    That a second clean run writes the same bytes is tests/workflow/test_reproducible.py's to check (every output)."""
    d = run["dir"]
    summary = json.loads((d / "resources/data/cifar10_subset_draw42.json").read_text())
    assert summary["draw"] == 42  # the demo's one seed draws its own subset
    assert summary["train"]["per_class"] == [100] * 10 and summary["test"]["per_class"] == [20] * 10
    assert (
        summary["provenance"]["inputs"]["archive"]["sha256"]
        == hashlib.sha256((fixture_dir / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    )
    arrays = np.load(d / "resources/data/fashion_mnist.npz")
    assert arrays["x_train"].shape == (1200, 28, 28) and arrays["x_train"].dtype == np.uint8
    assert (d / "resources/downloads/resnet18-f37072fd.pth").is_file()
    assert "copy train-images-idx3-ubyte.gz" in (d / "logs/download/train-images-idx3-ubyte.gz.log").read_text()
    again = snakemake(d, *DATA_TARGETS, "-n", configs=(run["config"],), repo=run["repo"])
    assert "Nothing to be done" in again.stdout + again.stderr


def serve_fixtures(server, fixture_dir, skip=()):
    routes = {}
    for path in fixture_dir.iterdir():
        if path.name not in skip:
            routes[path.name] = server.serve_file(f"/mirror/{path.name}", path)
    return routes


def test_downloads_over_http_with_a_retry(tmp_path, fixture_dir, server):
    routes = serve_fixtures(server, fixture_dir)
    body = (fixture_dir / "train-labels-idx1-ubyte.gz").read_bytes()
    flaky = server.serve("/mirror/train-labels-idx1-ubyte.gz", (500, b"busy", None), (200, body, None))
    result = run_data_stage(tmp_path, f"{server.url}/mirror")
    assert result.returncode == 0, result.stderr
    assert flaky.hits == 2
    assert routes["cifar-10-python.tar.gz"].hits == 1
    log = (tmp_path / "logs/download/train-labels-idx1-ubyte.gz.log").read_text()
    assert "HTTP 500" in log and "retrying" in log and "verified" in log


TARGET = "resources/downloads/train-images-idx3-ubyte.gz"


def test_more_cores_than_cpus_are_named_before_the_jobs_share_them(tmp_path, fixture_dir):
    """--cores above the CPUs the run may use lets jobs share cores: the run says so, and how many to give;
    within them it says nothing."""
    cpus = machine.usable_cpus()
    config = (mirror_config(tmp_path, fixture_dir),)
    over = snakemake(tmp_path, TARGET, configs=config, cores=cpus + 2)
    assert over.returncode == 0, over.stderr[-2000:]
    assert (
        f"--cores {cpus + 2} is more than the {cpus} CPUs" in over.stderr and f"--cores {cpus} or fewer" in over.stderr
    )
    within = snakemake(tmp_path, TARGET, "--force", configs=config, cores=cpus)
    assert within.returncode == 0, within.stderr[-2000:]
    assert "Execute 1 jobs" in within.stdout + within.stderr and "CPUs this machine" not in within.stderr


def assert_one_error_line(log: str) -> None:
    """An expected data error: one ERROR line naming file, problem and what to do; no traceback."""
    assert "Traceback" not in log, log
    errors = [line for line in log.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, log


@pytest.mark.parametrize(
    "failure, message",
    [
        ("404", "HTTP 404 Not Found"),
        ("checksum", "checksum mismatch for http://127.0.0.1"),
        ("truncated", "giving up after 2 attempts"),
    ],
)
def test_bad_downloads_fail_the_rule_and_leave_nothing(tmp_path, fixture_dir, server, failure, message):
    serve_fixtures(server, fixture_dir, skip=("train-images-idx3-ubyte.gz",))
    body = (fixture_dir / "train-images-idx3-ubyte.gz").read_bytes()
    if failure == "checksum":
        server.serve(
            "/mirror/train-images-idx3-ubyte.gz", (200, body[:100] + bytes([body[100] ^ 0xFF]) + body[101:], None)
        )
    elif failure == "truncated":
        server.serve("/mirror/train-images-idx3-ubyte.gz", (200, body[: len(body) // 2], len(body)))
    result = run_data_stage(tmp_path, f"{server.url}/mirror", TARGET)
    assert result.returncode != 0
    log = (tmp_path / "logs/download/train-images-idx3-ubyte.gz.log").read_text()
    assert message in log
    assert_one_error_line(log)
    assert not (tmp_path / TARGET).exists()
    assert not list((tmp_path / "resources/downloads").glob("*part*"))


class CreatesFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_malicious_pickle_fails_the_prepare_rule(tmp_path, server):
    pwned = tmp_path / "pwned"
    members = fixtures.cifar_members(20, 20, seed=0)
    members[f"{FOLDER}/data_batch_1"] = pickle.dumps({"data": CreatesFile(str(pwned))}, protocol=2)
    archive = tmp_path / "cifar-10-python.tar.gz"
    fixtures.write_tar_gz(archive, members)
    server.serve_file("/cifar-10-python.tar.gz", archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    config = write_yaml(
        tmp_path / "evil.yaml",
        {
            "data": {
                "mirror": "",
                "cifar10": {
                    "archive": {
                        "url": f"{server.url}/cifar-10-python.tar.gz",
                        "md5": hashlib.md5(archive.read_bytes()).hexdigest(),
                        "sha256": digest,
                    }
                },
            }
        },
    )
    result = snakemake(tmp_path, "resources/data/cifar10_subset_draw42.npz", configs=(config,))
    assert result.returncode != 0
    log = (tmp_path / "logs/prepare_cifar10/draw42.log").read_text()
    assert "refused global" in log and "check the data.* source and checksums" in log
    assert_one_error_line(log)
    assert not pwned.exists()
    assert not (tmp_path / "resources/data/cifar10_subset_draw42.npz").exists()


def planned_outputs(output: str) -> set[str]:
    return {line.split("output:", 1)[1].strip() for line in output.splitlines() if line.strip().startswith("output:")}


@pytest.mark.parametrize("pretrained", [True, False])
def test_default_target_asks_for_weights_only_when_pretrained(tmp_path, pretrained):
    config = write_yaml(tmp_path / "weights.yaml", {"torch": {"pretrained": pretrained}})
    result = snakemake(tmp_path, "-n", base=False, configs=(REPO / "config" / "config.yaml", config))
    assert result.returncode == 0, result.stderr
    planned = " ".join(planned_outputs(result.stdout))
    assert ("resnet18-f37072fd.pth" in planned) is pretrained
    assert ("mobilenet_v2-b0353104.pth" in planned) is pretrained
    assert "cifar-10-python.tar.gz" in planned  # the rest of the DAG is still planned


def test_an_explicit_url_wins_over_the_mirror_and_the_log_says_so(tmp_path, fixture_dir):
    partial = tmp_path / "partial-mirror"  # a mirror without the CIFAR archive
    partial.mkdir()
    own = tmp_path / "own" / "cifar-10-python.tar.gz"
    own.parent.mkdir()
    own.write_bytes((fixture_dir / "cifar-10-python.tar.gz").read_bytes())
    config = write_yaml(
        tmp_path / "explicit.yaml", {"data": {"mirror": str(partial), "cifar10": {"archive": {"url": own.as_uri()}}}}
    )
    result = snakemake(tmp_path, "resources/downloads/cifar-10-python.tar.gz", configs=(config,))
    assert result.returncode == 0, result.stderr[-3000:]
    log = (tmp_path / "logs/download/cifar-10-python.tar.gz.log").read_text()
    assert f"fetching from {own.as_uri()} (data.cifar10.archive.url set explicitly" in log
    assert f"data.mirror '{partial}' applies only to official URLs" in log


@pytest.mark.parametrize("profile", ["slurm", "slurm-gpu"])
def test_gpu_preset_plans_on_both_cluster_profiles(tmp_path, profile):
    import subprocess

    from helpers import SNAKEMAKE

    cmd = [
        SNAKEMAKE,
        "-n",
        "--profile",
        str(REPO / "profiles" / profile),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(REPO / "config/config.yaml"),
        str(REPO / "config/gpu.yaml"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = result.stdout.split("\nrule ")
    baseline = next(j for j in jobs if j.startswith("finetune_baseline:"))
    assert ("gres=gpu:1" in baseline) is (profile == "slurm-gpu")
    timing = next(j for j in jobs if j.startswith("time_models:"))
    assert "--exclusive" in timing  # the one timing job gets a node to itself
    assert "mem_mb=4000" in baseline  # from the rule, not the profile
