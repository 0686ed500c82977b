"""Rule time_models: every model of the run timed in one process, interleaved in rounds."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.timing import time_models
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.modelkey import tflite_files

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    time_models(
        litert=tflite_files(
            snakemake.params.models,
            snakemake.input.float32,
            snakemake.input.int8,
            snakemake.params.variants,
            snakemake.input.cnn,
        ),
        pytorch=dict(zip(snakemake.params.models, snakemake.input.pytorch)),
        roofs=dict(zip(("float32_dense", "float32_depthwise", "int8_dense", "int8_depthwise"), snakemake.input.roofs)),
        out_csv=snakemake.output.latency,
        out_ratios=snakemake.output.ratios,
        out_machine=snakemake.output.machine,
        dcfg=dict(snakemake.params.timing),
        resolution=snakemake.params.resolution,
        cores=snakemake.threads,
    )
