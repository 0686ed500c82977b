"""Rule arm_parity: every deployed .tflite on aarch64 LiteRT (qemu-user) against x86, on a test sample."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.arm import arm_parity, default_sysroot
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.modelkey import tflite_files

setup_logging()
arm = snakemake.params.arm
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    arm_parity(
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
        arm_cfg=arm,
        kernels=snakemake.params.kernels,
        seed=snakemake.params.seed,
        sysroot=Path(arm["sysroot"]) if arm.get("sysroot") else default_sysroot(),
        out_csv=snakemake.output.parity,
    )
