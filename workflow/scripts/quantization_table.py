"""Rule quantization_table: the paper's table 1 beside ours (CSV), from the metrics files."""

import json
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.quantization import table_rows, write_table  # noqa: E402


def main(keras_metrics, variant_metrics, variants, out):
    setup_logging()
    with open(keras_metrics) as fh:
        keras = json.load(fh)
    loaded = {}
    for name, path in zip(variants, variant_metrics):
        with open(path) as fh:
            loaded[name] = json.load(fh)
    write_table(out, table_rows(keras, loaded))


main(snakemake.input.keras, list(snakemake.input.variants), list(snakemake.params.variants),  # noqa: F821
     snakemake.output.table)  # noqa: F821
