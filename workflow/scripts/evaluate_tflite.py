"""Rule evaluate_tflite: accuracy, size and tensor types of one TFLite variant with LiteRT."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.quantization.tflite import evaluate_tflite

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    evaluate_tflite(
        tflite_path=snakemake.input.tflite,
        keras_path=snakemake.input.model,
        arrays=snakemake.input.arrays,
        out=snakemake.output.metrics,
        variant=snakemake.wildcards.variant,
        threads=snakemake.threads,
        seed=snakemake.params.seed,
    )
