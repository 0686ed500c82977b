"""Rule distill_student: MobileNetV2 (10-class head) taught by the fine-tuned ResNet-18 of its seed."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.distillation.methods import distill_student
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    distill_student(
        arrays=snakemake.input.arrays,
        weights=snakemake.input.get("weights"),
        teacher=snakemake.input.teacher,
        paths=dict(snakemake.output.items()),
        cfg=dict(snakemake.params.torch),
        epochs=snakemake.params.epochs,
        seed=int(snakemake.wildcards.seed),
        temperature=float(snakemake.wildcards.temperature),
        alpha=float(snakemake.wildcards.alpha),
        threads=snakemake.threads,
        weights_prefix=snakemake.params.weights_prefix,
    )
