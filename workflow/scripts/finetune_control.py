"""Rule finetune_control: the dense baseline fine-tuned as long as the pruned models, without pruning (the fair control)."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")

from edgecompress.logs import setup_logging
from edgecompress.pruning.methods import finetune_control

setup_logging()
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
