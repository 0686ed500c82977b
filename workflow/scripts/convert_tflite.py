"""Rule convert_tflite: one TFLite variant (float32, int8, dynamic range, float16) of the base CNN."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.quantization.tflite import convert_tflite

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    convert_tflite(
        model_path=snakemake.input.model,
        arrays=snakemake.input.arrays,
        out=snakemake.output.tflite,
        variant=snakemake.wildcards.variant,
        samples=snakemake.params.samples,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
