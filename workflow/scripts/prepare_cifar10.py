"""Rule prepare_cifar10: a stratified subset of CIFAR-10 as uint8 arrays with the indices drawn."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.atomic import write_json  # noqa: E402
from edgecompress.cifar import UnsafeArchiveError  # noqa: E402
from edgecompress.prepare import DataError  # noqa: E402
from edgecompress.logs import PINNED_FILE_HINT, one_line_errors, setup_logging  # noqa: E402
from edgecompress.prepare import prepare_cifar10_subset  # noqa: E402
from edgecompress.provenance import collect  # noqa: E402


def main(archive, arrays, summary, train_size, test_size, seed):
    log = setup_logging()
    info = prepare_cifar10_subset(archive, arrays, train_size, test_size, seed)
    log.info("wrote %s: %s", arrays, info)
    used = {"train_size": train_size, "test_size": test_size, "subset_seed": seed}
    provenance = collect(used, {"archive": archive}, packages=("numpy",))
    write_json(summary, {"dataset": "cifar10_subset", **info, "provenance": provenance})


with one_line_errors(DataError), one_line_errors(UnsafeArchiveError, hint=PINNED_FILE_HINT):
    main(
        snakemake.input.archive,  # noqa: F821
        snakemake.output.arrays,  # noqa: F821
        snakemake.output.summary,  # noqa: F821
        snakemake.params.train_size,  # noqa: F821
        snakemake.params.test_size,  # noqa: F821
        snakemake.params.seed,  # noqa: F821
    )
