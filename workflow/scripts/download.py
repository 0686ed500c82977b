"""Rule download: fetch one source (from its URL or the mirror) and verify its checksums."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.checksums import ChecksumError
from edgecompress.data.download import DownloadError, download
from edgecompress.logs import one_line_errors, setup_logging
from edgecompress.sources import file_name, official_sources

setup_logging()
with one_line_errors(DownloadError, ChecksumError):
    download(
        filename=snakemake.wildcards.filename,
        dest=snakemake.output[0],
        checksums=dict(snakemake.params.checksums),
        official_url=snakemake.params.official_url,
        data=snakemake.config["data"],  # the location, deliberately not a param: see rules/data.smk
        official=next(
            s
            for s in official_sources(snakemake.scriptdir + "/../schemas/config.schema.yaml").values()
            if file_name(s["url"]) == snakemake.wildcards.filename
        ),
    )
