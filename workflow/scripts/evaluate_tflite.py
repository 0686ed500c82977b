"""Rule evaluate_tflite: accuracy, size, latency of one TFLite variant; for int8, the formula check."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402


def main(tflite_path, keras_path, arrays, out, variant, latency, seed):
    log = setup_logging()
    import numpy as np

    from edgecompress import tflite
    from edgecompress.atomic import write_json
    from edgecompress.cnn import to_input
    from edgecompress.measure import file_size
    from edgecompress.provenance import collect

    data = np.load(arrays)
    interp = tflite.interpreter(tflite_path, latency["threads"], latency["kernels"])
    result = tflite.evaluate(interp, to_input(data["x_test"]), data["y_test"], latency["warmup"], latency["runs"])
    log.info("%s: accuracy %.4f, median latency %.4f ms", variant, result["accuracy"], result["latency"]["median_ms"])
    metrics = {
        "variant": variant,
        **result,
        "size": file_size(tflite_path),
        "tensor_dtypes": tflite.tensor_dtypes(interp),
        "kernels": f"{latency['kernels']} (OpResolverType.{tflite.KERNELS[latency['kernels']]})",
        "threads": latency["threads"],
    }
    if variant == "int8":
        import keras

        checks = tflite.check_weights(interp, keras.models.load_model(keras_path))
        metrics["weight_check"] = checks
        log.info("formula check: max error %.3g quantization steps",
                 max(c["max_error_in_steps"] for c in checks))
    metrics["provenance"] = collect({"variant": variant, "latency": latency, "seed": seed},
                                    {"tflite": tflite_path, "arrays": arrays}, threads=latency["threads"],
                                    packages=("numpy", "tensorflow-cpu", "ai-edge-litert"))
    write_json(out, metrics)


main(
    snakemake.input.tflite,  # noqa: F821
    snakemake.input.model,  # noqa: F821
    snakemake.input.arrays,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    snakemake.wildcards.variant,  # noqa: F821
    dict(snakemake.params.latency),  # noqa: F821
    snakemake.params.seed,  # noqa: F821
)
