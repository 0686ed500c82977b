"""Rule measure_memory: TFLM arena, peak live tensors and process memory of every .tflite of the run."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.memory import measure_memory
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.modelkey import tflite_files

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    measure_memory(
        files=tflite_files(
            snakemake.params.models,
            snakemake.input.float32,
            snakemake.input.int8,
            snakemake.params.variants,
            snakemake.input.cnn,
        ),
        cifar_arrays=snakemake.params.cifar,
        fashion_arrays=snakemake.input.fashion,
        resolution=snakemake.params.resolution,
        out_csv=snakemake.output.memory,
        threads=snakemake.threads,
        max_arena_mib=snakemake.params.max_arena_mib,
        mcu_flash_mib=snakemake.params.mcu_flash_mib,
    )
