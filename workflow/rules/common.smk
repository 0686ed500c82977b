# Config validation, helpers that turn config into targets, and wildcard constraints.
import os
import re
from pathlib import Path

# The package is installed (make venv: `pip install -e .`; under --sdm conda, each env's post-deploy script):
# this process plans the DAG with it, and every job imports it like any other package.
try:
    from edgecompress import modelkey
except ImportError as error:
    raise WorkflowError(
        "the package edgecompress is not installed in the Python that runs Snakemake: run `make venv` and use "
        "its snakemake (.venv/bin/snakemake), or `pip install --no-deps -e .` in the checkout"
    ) from error
# under --sdm conda the notebooks run in the report env's kernel, which this process cannot see
_USES_CONDA = "conda" in str(getattr(workflow.deployment_settings, "deployment_method", "")).lower()
from edgecompress.config import (
    ConfigError,
    check_config_files,
    check_kernel,
    sweep_label,
    training_seeds,
    validate_config,
)
from edgecompress.deployment.machine import oversubscribed, usable_cpus
from edgecompress.sources import checksums, file_name, official_checksums, official_urls, sources, without_locations

SCHEMA = Path(workflow.current_basedir).parent / "schemas" / "config.schema.yaml"

try:
    check_config_files(workflow.configfiles)
    validate_config(config, SCHEMA)
    if not _USES_CONDA:
        check_kernel(config["report"]["kernel"])
except ConfigError as err:
    raise WorkflowError(str(err)) from None


_OFFICIAL_URLS = official_urls(SCHEMA)
# torchvision's published SHA-256 prefixes: a run's metrics say "pretrained" only when its file matches
OFFICIAL_WEIGHT_PREFIX = official_checksums(SCHEMA)[0]["weights"]
SOURCE_BY_FILE = {}
OFFICIAL_URL_BY_FILE = {}
for _key, _source in sources(config["data"]).items():
    _name = file_name(_source["url"])  # unique and well-formed: validate_config checked it
    SOURCE_BY_FILE[_name] = _source
    OFFICIAL_URL_BY_FILE[_name] = _OFFICIAL_URLS[_key]


def download_path(key):
    """Where the verified copy of source ``key`` lands."""
    return f"resources/downloads/{file_name(sources(config['data'])[key]['url'])}"


def stable(value):
    """``value`` with every mapping's keys sorted: a param whose content is unchanged compares equal
    however the config files were merged (Snakemake compares params as they print)."""
    if isinstance(value, dict):
        return {k: stable(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def checksums_of(wildcards):
    source = SOURCE_BY_FILE[wildcards.filename]
    return stable(checksums(source))


def pruning_keys():
    """Key of every (method, amount, seed) the config asks for."""
    pcfg = config["pruning"]
    return [
        modelkey.key(method, seed, f"amount{sweep_label(a)}")
        for method in modelkey.PRUNING
        for a in pcfg[method]["amounts"]
        for seed in pcfg["seeds"]
    ]


def distillation_keys():
    """Key of every (T, alpha, seed) of the distillation grid."""
    dcfg = config["distillation"]
    return [
        modelkey.key("kd", seed, f"T{sweep_label(t)}_alpha{sweep_label(a)}")
        for t in dcfg["temperatures"]
        for a in dcfg["alphas"]
        for seed in dcfg["seeds"]
    ]


def chain_keys():
    """Key of every model of the full chain (structured pruning fine-tuned with the teacher's soft targets)."""
    pcfg = config["pruning"]
    return [
        modelkey.key("chain", seed, f"amount{sweep_label(a)}")
        for a in pcfg["chain"]["amounts"]
        for seed in pcfg["seeds"]
    ]


def pruning_runs():
    """Metrics of every pruned model."""
    return [modelkey.parse(k).path("metrics.json") for k in pruning_keys()]


def chain_runs():
    """Metrics of every model of the full chain."""
    return [modelkey.parse(k).path("metrics.json") for k in chain_keys()]


def sweeps():
    """Per pruning method, the fine-tuning lengths the report compares (the deployed length among them)."""
    pcfg = config["pruning"]
    return {m: sorted({pcfg["finetune_epochs"], *pcfg[m]["finetune_sweep"]}) for m in modelkey.PRUNING}


def control_epochs():
    """The dense control trains as long as the longest fine-tuning of any method."""
    return max(max(lengths) for lengths in sweeps().values())


def distillation_runs():
    """Metrics of every distilled student."""
    return [modelkey.parse(k).path("metrics.json") for k in distillation_keys()]


def deployed_models():
    """Key of every trained PyTorch model the deployment stage converts and times."""
    dcfg = config["distillation"]
    return (
        [modelkey.key("baseline", s) for s in all_seeds()]
        + pruning_keys()
        + chain_keys()
        + [modelkey.key("student", s) for s in dcfg["seeds"]]
        + distillation_keys()
    )


def trained_model(key):
    """The model.pt a deployed model's key names (its experiment's folder, then the key)."""
    return modelkey.parse(key).path("model.pt")


def trained_metrics(key):
    """The training run's metrics.json beside that model.pt: its test accuracy is the model's one accuracy."""
    return modelkey.parse(key).path("metrics.json")


def unstructured_keys():
    return [k for k in pruning_keys() if modelkey.parse(k).family == "unstructured"]


def deployed_metrics():
    """The metrics file of every deploy_model job."""
    return expand(rules.deploy_model.output.metrics, model=deployed_models())


def deployed_files(precision):
    """The ``precision`` .tflite of every deploy_model job."""
    return expand(getattr(rules.deploy_model.output, precision), model=deployed_models())


def report_figures():
    """Each report figure: its PNG relative to results/report (where paper.typ is) and its notebook."""
    import os

    figures = {
        "quantization": (rules.notebook_quantization.output.figure[0], rules.notebook_quantization.input.notebook),
        "pruning_curves": (rules.notebook_pruning.output.curves[0], rules.notebook_pruning.input.notebook),
        "pruning_sweep": (rules.notebook_pruning.output.sweep[0], rules.notebook_pruning.input.notebook),
        "pruning_finetune": (rules.notebook_pruning.output.finetune[0], rules.notebook_pruning.input.notebook),
        "kd_curves": (rules.notebook_distillation.output.curves[0], rules.notebook_distillation.input.notebook),
        "kd_grid": (rules.notebook_distillation.output.grid[0], rules.notebook_distillation.input.notebook),
        "pareto": (rules.notebook_deployment.output.figure[0], rules.notebook_deployment.input.notebook),
        "memory": (rules.notebook_deployment.output.memory[0], rules.notebook_deployment.input.notebook),
        "roofline": (rules.notebook_deployment.output.roofline[0], rules.notebook_deployment.input.notebook),
    }
    return {
        name: {
            "image": os.path.relpath(str(png), "results/report"),
            "file": str(png),
            "notebook": os.path.relpath(str(notebook), workflow.basedir),
        }
        for name, (png, notebook) in figures.items()
    }


def reference_files():
    """The metrics and tables of ``report.reference`` that the report compares this run with (none when unset)."""
    from edgecompress.compare import run_files

    folder = config.get("report", {}).get("reference")
    if not folder:
        return []
    if not Path(folder).is_dir():
        raise ConfigError(f"report.reference: {folder} is not a folder (a finished run, or docs/reference/demo)")
    return [str(Path(folder) / rel) for rel in sorted(run_files(Path(folder))) if not rel.startswith("results/report/")]


def repo_path(relative):
    """A file of the workflow itself (template, notebook, schema), wherever the working directory is."""
    return str(Path(workflow.basedir) / relative)


def cnn_seeds():
    """The seeds Experiment 1's CNN is trained and converted over: the run's training seeds."""
    return all_seeds()


def cnn_seed():
    """The seed whose CNN files are deployed (timed, measured, run on aarch64, compiled by Vela: a time
    belongs to the graph, the same for every seed) and paired image by image in the device choices: the
    first seed the config lists, so that adding a seed leaves the deployed files as they are."""
    return (config["pruning"]["seeds"] + config["distillation"]["seeds"])[0]


def quantization_metrics():
    """The deployed seed's metrics of every CNN variant."""
    return expand(rules.evaluate_tflite.output.metrics, seed=cnn_seed(), variant=config["quantization"]["variants"])


def cnn_files():
    """The deployed seed's .tflite of every CNN variant."""
    return expand(rules.convert_tflite.output.tflite, seed=cnn_seed(), variant=config["quantization"]["variants"])


def notebook_parameters(**parameters):
    """Papermill parameters as one JSON (YAML) string (the kernel imports the installed package)."""
    import json

    return json.dumps(parameters)


def method_settings(method):
    """A pruning method's settings that its prune jobs read: everything but the sweep of amounts."""
    return stable({k: v for k, v in config["pruning"][method].items() if k != "amounts"})


def largest_mcu_flash():
    """The largest flash budget of the config's microcontroller classes (None without one)."""
    flash = [d["flash_mib"] for d in config["devices"] if d["hardware"] == "mcu"]
    return max(flash) if flash else None


TIMING_KEYS = (
    "threads",
    "kernels",
    "rounds",
    "max_rounds",
    "ratio_ci",
    "runs",
    "warmup",
    "throughput_batch",
    "benchmark_runs",
)


def timing_settings():
    """The deployment keys the timing job reads (not the calibration size or the arena bound)."""
    return {k: config["deployment"][k] for k in TIMING_KEYS}


def pretrained():
    """torch.pretrained, decided here once, when the DAG is planned: a training rule gets the weights
    file as an input or none, and its code starts from what it is given (no rule reads the key)."""
    return bool(config["torch"]["pretrained"])


def pretrained_weights(arch):
    """Input function: the verified ImageNet weights of ``arch`` when torch.pretrained is true."""

    def inputs(wildcards):
        if pretrained():
            return {"weights": download_path(f"weights.{arch}")}
        return {}

    return inputs


def all_seeds():
    """Every training seed of the run (pruning and distillation), sorted."""
    return training_seeds(config)


def cifar_draw(seed):
    """The CIFAR-10 subset draw that training seed ``seed`` trains and is tested on: the seed itself
    (data.cifar10.subset_seed: per_seed, the default) or the one fixed draw."""
    fixed = config["data"]["cifar10"]["subset_seed"]
    return int(seed) if fixed == "per_seed" else int(fixed)


def cifar_arrays(seed):
    """The prepared subset of ``seed``'s draw."""
    return rules.prepare_cifar10.output.arrays.format(draw=cifar_draw(seed))


def seed_arrays(wildcards):
    """Input function: the subset of the job's {seed}."""
    return cifar_arrays(wildcards.seed)


def model_arrays(wildcards):
    """Input function: the subset of the deployed {model}'s seed."""
    return cifar_arrays(modelkey.parse(wildcards.model).seed)


def cifar_draws():
    """Every draw the run's seeds use, once (a fixed draw: one)."""
    return sorted({cifar_draw(s) for s in all_seeds()})


def models_arrays():
    """Deployed PyTorch model key -> the subset it is tested on (the memory and ARM jobs read them)."""
    return {m: cifar_arrays(modelkey.parse(m).seed) for m in deployed_models()}


def all_targets():
    """What a plain ``snakemake`` builds; the ImageNet weights only when a rule will load them."""
    weights = [download_path(f"weights.{arch}") for arch in ("resnet18", "mobilenet_v2")]
    return [
        rules.prepare_fashion_mnist.output.arrays,
        *expand(rules.prepare_cifar10.output.arrays, draw=cifar_draws()),
        *(weights if pretrained() else []),
        rules.quantization_table.output.table,
        rules.pruning_tables.output.summary,
        rules.distillation_tables.output.table2,
        rules.deployment_table.output.table,
        rules.compile_report.output.pdf,
    ]


wildcard_constraints:
    filename="|".join(re.escape(name) for name in sorted(SOURCE_BY_FILE)),
    variant="|".join(config["quantization"]["variants"]),
    method="unstructured|structured|chain",
    amount="|".join(
        re.escape(sweep_label(a)) for m in modelkey.PRUNING_METHODS for a in config["pruning"][m]["amounts"]
    ),
    model="|".join(re.escape(m) for m in deployed_models()),
    seed="|".join(str(s) for s in all_seeds()),
    draw=r"\d+",
    temperature="|".join(re.escape(sweep_label(t)) for t in config["distillation"]["temperatures"]),
    alpha="|".join(re.escape(sweep_label(a)) for a in config["distillation"]["alphas"]),


# Snakemake keeps the running jobs' threads within --cores; where --cores is above the CPUs this process may
# use, jobs share cores, and a training job whose threads wait on a descheduled peer loses more than its share.
onstart:
    _cpus = usable_cpus()
    if workflow.local_exec and oversubscribed(workflow.cores, _cpus):
        logger.warning(
            f"--cores {workflow.cores} is more than the {_cpus} CPUs this machine lets the run use: jobs "
            f"will share cores and multi-threaded ones slow each other down (benchmarks/training_threads.py "
            f"measures it): run with --cores {_cpus} or fewer"
        )
