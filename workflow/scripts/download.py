"""Rule download: fetch one source (or its mirror copy) and verify its checksums."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.download import fetch  # noqa: E402
from edgecompress.logs import setup_logging  # noqa: E402


def main(url, dest, checksums, mirror, retries, backoff, timeout):
    setup_logging()
    fetch(url, dest, checksums, mirror=mirror, retries=retries, backoff=backoff, timeout=timeout)


main(
    snakemake.params.url,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    dict(snakemake.params.checksums),  # noqa: F821
    snakemake.params.mirror,  # noqa: F821
    snakemake.params.retries,  # noqa: F821
    snakemake.params.backoff,  # noqa: F821
    snakemake.params.timeout,  # noqa: F821
)
