"""Rule time_models: every model of the run timed in one process, interleaved in rounds."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")

from edgecompress.deployment.timing import time_models
from edgecompress.logs import setup_logging

setup_logging()
models = snakemake.params.models
litert = {m: {"float32": f, "int8": i} for m, f, i in zip(models, snakemake.input.float32, snakemake.input.int8)}
litert["cnn"] = dict(zip(snakemake.params.variants, snakemake.input.cnn))
time_models(
    litert=litert,
    pytorch=dict(zip(models, snakemake.input.pytorch)),
    out_csv=snakemake.output.latency,
    out_machine=snakemake.output.machine,
    dcfg=dict(snakemake.params.timing),
    resolution=snakemake.params.resolution,
    cores=snakemake.threads,
)
