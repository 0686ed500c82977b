"""Rule deploy_model: one trained PyTorch model as float32 and int8 LiteRT files, evaluated."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from edgecompress.deployment.convert import deploy_model
from edgecompress.inputs import InputError
from edgecompress.logs import one_line_errors, setup_logging

setup_logging()
with one_line_errors(InputError):  # a truncated or malformed input file: one line naming it
    deploy_model(
        key=snakemake.wildcards.model,
        model_path=snakemake.input.model,
        trained_metrics=snakemake.input.trained,
        arrays=snakemake.input.arrays,
        out=dict(snakemake.output.items()),
        resolution=snakemake.params.resolution,
        calibration_samples=snakemake.params.calibration_samples,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
