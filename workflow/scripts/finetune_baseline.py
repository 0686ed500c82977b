"""Rule finetune_baseline: ResNet-18 (ImageNet weights or random init) trained on the CIFAR-10 subset."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.pruning.methods import finetune_baseline

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    finetune_baseline(
        arrays=snakemake.input.arrays,
        weights=snakemake.input.get("weights"),
        paths=dict(snakemake.output.items()),
        cfg=dict(snakemake.params.torch),
        epochs=snakemake.params.epochs,
        seed=int(snakemake.wildcards.seed),
        threads=snakemake.threads,
        weights_prefix=snakemake.params.weights_prefix,
    )
