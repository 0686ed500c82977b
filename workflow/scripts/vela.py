"""Rule vela: every int8 .tflite of the run compiled for the configured Ethos-U NPUs (estimates)."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.vela import VelaFormatError, int8_files, vela
from edgecompress.logs import one_line_errors, setup_logging

setup_logging()
with one_line_errors(VelaFormatError):  # a Vela whose output this module cannot read: one line naming the column
    vela(
        files=int8_files(snakemake.params.models, snakemake.input.int8, snakemake.params.variants, snakemake.input.cnn),
        accelerators=snakemake.params.vela["accelerators"],
        enabled=snakemake.params.vela["enabled"],
        out_csv=snakemake.output.vela,
    )
