"""Rule train_base_cnn: train the paper's base CNN on Fashion-MNIST; save it with and without optimizer state."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402
from edgecompress.seeding import seed_everything  # noqa: E402


def main(arrays, model_path, bare_path, history_path, metrics_path, params, seed, threads):
    log = setup_logging()
    seed_everything(seed, threads, frameworks=("tensorflow",))
    import numpy as np

    from edgecompress import cnn
    from edgecompress.atomic import write_json
    from edgecompress.history import write_history
    from edgecompress.measure import file_size
    from edgecompress.provenance import collect

    data = np.load(arrays)
    x_train, x_test = cnn.to_input(data["x_train"]), cnn.to_input(data["x_test"])
    model = cnn.build_base_cnn(params["conv_filters"], params["kernel_size"], params["dense_units"])
    log.info("base CNN: %d parameters", model.count_params())
    rows = cnn.train(model, x_train, data["y_train"], x_test, data["y_test"], params["epochs"], params["batch_size"],
                     params["optimizer"], params["learning_rate"], seed)
    write_history(history_path, rows)
    cnn.save_keras(model, model_path)
    cnn.save_keras(model, bare_path, include_optimizer=False)
    write_json(metrics_path, {
        "model": "base_cnn (Keras, float32)",
        "parameters": int(model.count_params()),
        "accuracy": cnn.accuracy(model, x_test, data["y_test"]),
        "test_images": int(len(x_test)),
        "size": {"with_optimizer": file_size(model_path), "without_optimizer": file_size(bare_path)},
        "history": rows,
        "provenance": collect({**params, "seed": seed}, {"arrays": arrays}, threads=threads,
                              packages=("numpy", "tensorflow-cpu", "keras")),
    })


main(
    snakemake.input.arrays,  # noqa: F821
    snakemake.output.model,  # noqa: F821
    snakemake.output.bare,  # noqa: F821
    snakemake.output.history,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    dict(snakemake.params.model),  # noqa: F821
    snakemake.params.seed,  # noqa: F821
    snakemake.threads,  # noqa: F821
)
