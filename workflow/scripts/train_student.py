"""Rule train_student: MobileNetV2 (10-class head) trained alone, the control of distillation."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.distillation.methods import train_student
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    train_student(
        arrays=snakemake.input.arrays,
        weights=snakemake.input.get("weights"),
        paths=dict(snakemake.output.items()),
        cfg=dict(snakemake.params.torch),
        epochs=snakemake.params.epochs,
        seed=int(snakemake.wildcards.seed),
        threads=snakemake.threads,
        weights_prefix=snakemake.params.weights_prefix,
    )
