"""Rule render_report: the Typst source of the report, from the workflow's tables and metrics."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.logs import setup_logging
from edgecompress.report.render import render_report

setup_logging()
render_report(
    inputs={k: (list(v) if k == "metrics" else v) for k, v in snakemake.input.items()},
    template=snakemake.input.template,
    schema=snakemake.input.schema,
    config=dict(snakemake.params.config),
    figures=dict(snakemake.params.figures),
    out=snakemake.output.typst,
)
