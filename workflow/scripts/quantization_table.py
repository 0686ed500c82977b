"""Rule quantization_table: the paper's table of experiment 1 beside ours."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")

from edgecompress.logs import setup_logging
from edgecompress.quantization.tables import write_table_file

setup_logging()
write_table_file(snakemake.input.keras, list(snakemake.input.variants), list(snakemake.params.variants),
                 snakemake.output.table)
