"""Rule finetune_control: the dense baseline fine-tuned as long as the pruned models, without pruning
(the fair control)."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.pruning.methods import finetune_control

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    finetune_control(
        baseline=snakemake.input.baseline,
        baseline_metrics=snakemake.input.baseline_metrics,
        arrays=snakemake.input.arrays,
        paths=dict(snakemake.output.items()),
        seed=int(snakemake.wildcards.seed),
        cfg=dict(snakemake.params.torch),
        epochs=snakemake.params.epochs,
        finetune_epochs=snakemake.params.finetune_epochs,
        threads=snakemake.threads,
    )
