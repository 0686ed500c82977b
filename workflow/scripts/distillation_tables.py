"""Rule distillation_tables: Table 2 beside the paper's, the T x alpha grid over seeds, per-epoch rows."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.kdtables import epoch_rows, grid_rows, table2_rows  # noqa: E402
from edgecompress.atomic import read_jsons  # noqa: E402
from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.tables import write_csv  # noqa: E402


def main(teacher, student, kd, table2, grid, epochs, temperature, alpha):
    setup_logging()
    teacher, student, kd = read_jsons(teacher), read_jsons(student), read_jsons(kd)
    write_csv(table2, table2_rows(teacher, student, kd, temperature, alpha))
    write_csv(grid, grid_rows(student, kd))
    write_csv(epochs, epoch_rows(teacher, student, kd))


main(list(snakemake.input.teacher), list(snakemake.input.student), list(snakemake.input.kd),  # noqa: F821
     snakemake.output.table2, snakemake.output.grid, snakemake.output.epochs,  # noqa: F821
     snakemake.params.temperature, snakemake.params.alpha)  # noqa: F821
