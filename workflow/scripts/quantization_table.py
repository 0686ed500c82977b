"""Rule quantization_table: the paper's table 1 beside ours (CSV), from the metrics files."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.atomic import read_json, read_jsons  # noqa: E402
from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.quantization import table_rows, write_table  # noqa: E402


def main(keras_metrics, variant_metrics, variants, out):
    setup_logging()
    loaded = dict(zip(variants, read_jsons(variant_metrics)))
    write_table(out, table_rows(read_json(keras_metrics), loaded))


main(snakemake.input.keras, list(snakemake.input.variants), list(snakemake.params.variants),  # noqa: F821
     snakemake.output.table)  # noqa: F821
