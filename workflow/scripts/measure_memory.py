"""Rule measure_memory: TFLM arena, peak live tensors and process memory of every .tflite of the run."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")

from edgecompress.deployment.memory import measure_memory
from edgecompress.logs import setup_logging

setup_logging()
models = snakemake.params.models
files = {m: {"float32": f, "int8": i} for m, f, i in zip(models, snakemake.input.float32, snakemake.input.int8)}
files["cnn"] = dict(zip(snakemake.params.variants, snakemake.input.cnn))
measure_memory(
    files=files,
    cifar_arrays=snakemake.input.cifar,
    fashion_arrays=snakemake.input.fashion,
    resolution=snakemake.params.resolution,
    out_csv=snakemake.output.memory,
    threads=snakemake.threads,
    max_arena_mib=snakemake.params.max_arena_mib,
    mcu_flash_mib=snakemake.params.mcu_flash_mib,
)
