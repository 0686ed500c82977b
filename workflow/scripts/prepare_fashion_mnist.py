"""Rule prepare_fashion_mnist: four IDX archives to one uint8 .npz, plus a summary."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.data.idx import IdxError
from edgecompress.data.prepare import prepare_fashion_mnist
from edgecompress.logs import PINNED_FILE_HINT, one_line_errors, setup_logging

setup_logging()
with one_line_errors(IdxError, hint=PINNED_FILE_HINT):
    prepare_fashion_mnist(
        inputs=dict(snakemake.input.items()),
        arrays=snakemake.output.arrays,
        summary=snakemake.output.summary,
    )
