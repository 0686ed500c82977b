"""Rule pruning_tables: per-epoch tables (the paper's beside ours) and the sweep summary, as CSV."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.atomic import read_jsons  # noqa: E402
from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.prunetables import epoch_rows, summary_rows  # noqa: E402
from edgecompress.tables import write_csv  # noqa: E402


def main(baseline_paths, run_paths, epochs_csv, summary_csv):
    setup_logging()
    baseline, runs = read_jsons(baseline_paths), read_jsons(run_paths)
    write_csv(epochs_csv, epoch_rows(baseline, runs))
    write_csv(summary_csv, summary_rows(baseline, runs))


main(list(snakemake.input.baseline), list(snakemake.input.runs),  # noqa: F821
     snakemake.output.epochs, snakemake.output.summary)  # noqa: F821
