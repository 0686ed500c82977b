"""Rule compile_report: the Typst source to PDF, offline, with Typst's bundled fonts."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.render import compile_pdf  # noqa: E402


def main(source, out):
    setup_logging().info("compiling %s", source)
    compile_pdf(source, out)


main(snakemake.input.typst, snakemake.output.pdf)  # noqa: F821
