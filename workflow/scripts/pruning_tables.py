"""Rule pruning_tables: per-epoch tables beside the paper's, the summary over seeds and amounts, the layer lists,
the fine-tuning sweep against the dense control."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.logs import setup_logging
from edgecompress.pruning.tables import pruning_tables

setup_logging()
pruning_tables(
    baseline_paths=list(snakemake.input.baseline),
    run_paths=list(snakemake.input.runs),
    epochs_csv=snakemake.output.epochs,
    summary_csv=snakemake.output.summary,
    layers_json=snakemake.output.layers,
    layers=snakemake.params.layers,
    amount=snakemake.params.amount,
    control_paths=list(snakemake.input.control),
    chain_paths=list(snakemake.input.chain),
    sweep_csv=snakemake.output.sweep,
    sweeps=dict(snakemake.params.sweeps),
    deployed=snakemake.params.finetune_epochs,
)
