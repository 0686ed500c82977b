"""Rule train_base_cnn: the paper's base CNN on Fashion-MNIST, saved as .keras with and without optimizer state."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.quantization.cnn import train_base_cnn

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    train_base_cnn(
        arrays=snakemake.input.arrays,
        paths=dict(snakemake.output.items()),
        params=dict(snakemake.params.model),
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
