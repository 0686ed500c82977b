"""Rule deployment_table: every deployed model, its accuracies and sizes, its latencies from the one timing job."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.tables import deployment_table
from edgecompress.logs import setup_logging

setup_logging()
deployment_table(
    deployed_keys=snakemake.params.models,
    deployed_metrics=snakemake.input.deployed,
    pruning_keys=snakemake.params.unstructured,
    pruning_metrics=snakemake.input.pruning,
    variants=snakemake.params.variants,
    variant_metrics=snakemake.input.variants,
    latency_csv=snakemake.input.latency,
    ratios_csv=snakemake.input.ratios,
    machine_json=snakemake.input.machine,
    memory_csv=snakemake.input.memory,
    batch=snakemake.params.batch,
    out=dict(snakemake.output.items()),
)
