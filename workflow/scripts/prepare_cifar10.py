"""Rule prepare_cifar10: a stratified subset of CIFAR-10 as uint8 arrays with the indices drawn."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.data.cifar import UnsafeArchiveError
from edgecompress.data.prepare import DataError, prepare_cifar10
from edgecompress.logs import PINNED_FILE_HINT, one_line_errors, setup_logging

setup_logging()
with one_line_errors(DataError), one_line_errors(UnsafeArchiveError, hint=PINNED_FILE_HINT):
    prepare_cifar10(
        archive=snakemake.input.archive,
        arrays=snakemake.output.arrays,
        summary=snakemake.output.summary,
        train_size=snakemake.params.train_size,
        test_size=snakemake.params.test_size,
        seed=snakemake.params.seed,
    )
