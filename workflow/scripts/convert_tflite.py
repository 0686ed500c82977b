"""Rule convert_tflite: one TFLite variant of the trained base CNN."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.seeding import seed_everything  # noqa: E402


def main(model_path, arrays, out, variant, samples, seed, threads):
    log = setup_logging()
    seed_everything(seed, threads, frameworks=("tensorflow",))
    import keras
    import numpy as np

    from edgecompress.atomic import atomic_path
    from edgecompress.cnn import to_input
    from edgecompress.tflite import convert

    model = keras.models.load_model(model_path)
    x_train = np.load(arrays)["x_train"]
    pick = np.sort(np.random.default_rng(seed).choice(len(x_train), size=min(samples, len(x_train)), replace=False))
    flat = convert(model, variant, to_input(x_train[pick]))
    with atomic_path(out, suffix=".tflite") as tmp:
        tmp.write_bytes(flat)
    log.info("%s: %d bytes (representative images: %d)", out, len(flat), len(pick) if variant == "int8" else 0)


main(
    snakemake.input.model,  # noqa: F821
    snakemake.input.arrays,  # noqa: F821
    snakemake.output.tflite,  # noqa: F821
    snakemake.wildcards.variant,  # noqa: F821
    snakemake.params.samples,  # noqa: F821
    snakemake.params.seed,  # noqa: F821
    snakemake.threads,  # noqa: F821
)
