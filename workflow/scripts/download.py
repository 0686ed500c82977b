"""Rule download: fetch one source (from its URL or the mirror) and verify its checksums."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.checksums import ChecksumError  # noqa: E402
from edgecompress.download import DownloadError, fetch  # noqa: E402
from edgecompress.logs import one_line_errors, setup_logging  # noqa: E402
from edgecompress.sources import file_name, locate, sources  # noqa: E402


def main(filename, dest, checksums, official_url, data):
    log = setup_logging()
    key, source = next((k, s) for k, s in sources(data).items() if file_name(s["url"]) == filename)
    where = locate(key, source["url"], data["mirror"], {key: official_url})
    log.info("%s: fetching from %s (%s)", key, where.source, where.why)
    fetch(source["url"], dest, checksums, mirror=where.mirror, retries=data["retries"],
          backoff=data["backoff_seconds"], timeout=data["timeout_seconds"])


# The location is read from the config here, not from params: see the comment in rules/data.smk.
with one_line_errors(DownloadError, ChecksumError):
    main(
        snakemake.wildcards.filename,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        dict(snakemake.params.checksums),  # noqa: F821
        snakemake.params.official_url,  # noqa: F821
        snakemake.config["data"],  # noqa: F821
    )
