"""Rule prune: prune the trained baseline (unstructured masks or structured filter removal), fine-tune, measure."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.pruning.methods import prune

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    prune(
        baseline=snakemake.input.baseline,
        baseline_metrics=snakemake.input.baseline_metrics,
        arrays=snakemake.input.arrays,
        paths=dict(snakemake.output.items()),
        method=snakemake.wildcards.method,
        amount=float(snakemake.wildcards.amount),
        seed=int(snakemake.wildcards.seed),
        cfg=dict(snakemake.params.torch),
        spec=dict(snakemake.params.method_settings),
        finetune_epochs=snakemake.params.finetune_epochs,
        threads=snakemake.threads,
    )
