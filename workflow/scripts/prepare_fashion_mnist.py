"""Rule prepare_fashion_mnist: four IDX archives to one uint8 .npz, plus a summary."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.atomic import write_json  # noqa: E402
from edgecompress.idx import IdxError  # noqa: E402
from edgecompress.logs import PINNED_FILE_HINT, one_line_errors, setup_logging  # noqa: E402
from edgecompress.prepare import prepare_fashion_mnist  # noqa: E402
from edgecompress.provenance import collect  # noqa: E402


def main(inputs, arrays, summary):
    log = setup_logging()
    info = prepare_fashion_mnist(
        inputs["train_images"], inputs["train_labels"], inputs["test_images"], inputs["test_labels"], arrays
    )
    log.info("wrote %s: %s", arrays, info)
    write_json(summary, {"dataset": "fashion_mnist", **info, "provenance": collect({}, inputs, packages=("numpy",))})


with one_line_errors(IdxError, hint=PINNED_FILE_HINT):
    main(dict(snakemake.input.items()), snakemake.output.arrays, snakemake.output.summary)  # noqa: F821
