"""Rule roof_models: the compute-bound models whose timing gives the CPU's peak MAC rates."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.roofs import roof_models
from edgecompress.logs import setup_logging

setup_logging()
roof_models(out=dict(snakemake.output.items()), seed=snakemake.params.seed)
