"""Rule quantization_table: the paper's table of experiment 1 beside ours."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.logs import setup_logging
from edgecompress.quantization.tables import quantization_table

setup_logging()
quantization_table(
    keras_metrics=list(snakemake.input.keras),
    variant_metrics=list(snakemake.input.variants),
    variants=list(snakemake.params.variants),
    seeds=list(snakemake.params.seeds),
    out=snakemake.output.table,
    out_seeds=snakemake.output.seeds,
)
