"""Rule distillation_tables: Table 2, the T x alpha grid (paired over seeds), per-epoch rows."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.distillation.tables import distillation_tables
from edgecompress.logs import setup_logging

setup_logging()
distillation_tables(
    teacher_paths=list(snakemake.input.teacher),
    student_paths=list(snakemake.input.student),
    kd_paths=list(snakemake.input.kd),
    table2=snakemake.output.table2,
    grid=snakemake.output.grid,
    epochs=snakemake.output.epochs,
    temperature=snakemake.params.temperature,
    alpha=snakemake.params.alpha,
)
