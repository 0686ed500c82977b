"""Rule pruning_tables: per-epoch tables beside the paper's, the summary over seeds and amounts, the layer lists."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")

from edgecompress.logs import setup_logging
from edgecompress.pruning.tables import write_tables

setup_logging()
write_tables(list(snakemake.input.baseline), list(snakemake.input.runs), snakemake.output.epochs,
             snakemake.output.summary, snakemake.output.layers, snakemake.params.layers, snakemake.params.amount)
