"""Rule compile_report: Typst to PDF with the bundled fonts only (byte-identical for the same source)."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.logs import setup_logging
from edgecompress.report.render import compile_report

setup_logging().info("compiling %s", snakemake.input.typst)
compile_report(source=snakemake.input.typst, out=snakemake.output.pdf)
