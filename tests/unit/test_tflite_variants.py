"""Experiment 1 on a tiny CNN: the TFLite variants, int8 really int8, dequantized weights, the table's rows."""

import numpy as np
import pytest

from edgecompress.quantization.tables import table_rows
from helpers import assert_learned, fashion_fixture


@pytest.fixture(scope="module")
def tiny(fixture_dir, tmp_path_factory):
    """A small base CNN trained one epoch on the Fashion-MNIST fixture, and its TFLite variants."""
    from edgecompress.quantization import cnn, tflite
    from edgecompress.seeding import seed_everything

    seed_everything(0, 1, frameworks=("tensorflow",))
    data = fashion_fixture(fixture_dir)
    x_train, x_test = cnn.to_input(data["x_train"]), cnn.to_input(data["x_test"])
    model = cnn.build_base_cnn([8, 16], 3)
    cnn.train(model, x_train, data["y_train"], x_test, data["y_test"], 2, 64, "adam", 1e-3, 0)
    out = tmp_path_factory.mktemp("tflite")
    paths = {}
    for variant in tflite.VARIANTS:
        paths[variant] = out / f"{variant}.tflite"
        paths[variant].write_bytes(tflite.convert(model, variant, x_train[:50]))
    model.save(out / "with.keras")
    cnn.save_keras(model, out / "without.keras", include_optimizer=False)
    return {"model": model, "paths": paths, "x_test": x_test, "y_test": data["y_test"], "dir": out}


def test_default_base_cnn_has_the_expected_parameters():
    from edgecompress.quantization.cnn import build_base_cnn

    assert build_base_cnn([32, 64], 3).count_params() == 34_826


def test_int8_model_is_really_int8_and_smaller(tiny):
    from edgecompress import litert
    from edgecompress.quantization import tflite

    interp = litert.interpreter(tiny["paths"]["int8"], 1)
    assert interp.get_input_details()[0]["dtype"] == np.int8
    assert interp.get_output_details()[0]["dtype"] == np.int8
    assert "float32" not in tflite.tensor_dtypes(interp)
    assert tiny["paths"]["int8"].stat().st_size < tiny["paths"]["float32"].stat().st_size / 2
    f32 = litert.interpreter(tiny["paths"]["float32"], 1)
    assert tflite.tensor_dtypes(f32).get("int8", 0) == 0


def test_dequantized_int8_weights_match_the_float_model(tiny):
    from edgecompress import litert
    from edgecompress.quantization import tflite

    checks = tflite.check_weights(litert.interpreter(tiny["paths"]["int8"], 1), tiny["model"])
    assert sorted((c["layer"], c["tensor"]) for c in checks) == [  # matched by name: 2 conv + 1 dense layers
        ("conv1", "bias"),
        ("conv1", "kernel"),
        ("conv2", "bias"),
        ("conv2", "kernel"),
        ("logits", "bias"),
        ("logits", "kernel"),
    ]
    for c in checks:
        assert c["within_one_step"], c
        assert c["max_error_in_steps"] <= 0.5 + 1e-3  # round to nearest: half a step


def test_weight_check_names_a_layer_it_could_not_check(tiny):
    from edgecompress import litert
    from edgecompress.quantization import cnn, tflite

    interp = litert.interpreter(tiny["paths"]["int8"], 1)
    ops = interp._get_ops_details()
    interp._get_ops_details = lambda: [op for op in ops if op["op_name"] != "FULLY_CONNECTED"]
    with pytest.raises(ValueError, match=r"no TFLite weight tensor found for Keras layers \['logits'\]"):
        tflite.check_weights(interp, tiny["model"])
    other = cnn.build_base_cnn([8, 16], 3, dense_units=[4])  # a different model: logits of another shape
    with pytest.raises(ValueError, match=r"logits.kernel: TFLite tensor .* has shape \(10, 400\), Keras \(10, 4\)"):
        tflite.check_weights(litert.interpreter(tiny["paths"]["int8"], 1), other)


def test_conversion_has_a_batch_one_input_and_no_dynamic_shape_ops(tiny):
    from edgecompress import litert

    for variant in ("float32", "int8"):
        interp = litert.interpreter(tiny["paths"][variant], 1)
        assert interp.get_input_details()[0]["shape"].tolist() == [1, 28, 28, 1]
        ops = [op["op_name"] for op in interp._get_ops_details()]
        assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(ops), ops
        assert ops.count("DELEGATE") <= 1, ops  # XNNPACK takes the graph as one partition


def test_every_variant_evaluates_and_int8_stays_close_to_float(tiny):
    from edgecompress import litert

    acc = {}
    for variant, path in tiny["paths"].items():
        result = litert.evaluate(litert.interpreter(path, 1), tiny["x_test"], tiny["y_test"], per_image=True)
        acc[variant] = result["accuracy"]
        assert result["test_images"] == len(tiny["y_test"]) == len(result["correct_by_image"])
        # the per-image outcomes (which pair the CNN's files in the report) give the same accuracy
        assert result["correct_by_image"].count("1") / len(tiny["y_test"]) == result["accuracy"]
    assert_learned(acc["float32"], "tiny CNN float32")
    assert_learned(acc["int8"], "tiny CNN int8")
    assert abs(acc["int8"] - acc["float32"]) < 0.05


def test_file_without_optimizer_state_is_smaller(tiny):
    assert (tiny["dir"] / "without.keras").stat().st_size < (tiny["dir"] / "with.keras").stat().st_size


def test_bad_conversion_requests(tiny):
    from edgecompress.quantization import tflite

    with pytest.raises(ValueError, match="variant must be one of"):
        tflite.convert(tiny["model"], "int4")
    with pytest.raises(ValueError, match="representative dataset"):
        tflite.convert(tiny["model"], "int8", None)


def test_table_follows_the_paper_rows():
    keras = {
        "accuracy": 0.85,
        "size": {
            "with_optimizer": {"bytes": 440_000, "mib": 0.42},
            "without_optimizer": {"bytes": 150_000, "mib": 0.14},
        },
    }
    variants = {
        "float32": {"size": {"bytes": 140_000, "mib": 0.13}, "accuracy": 0.85},
        "int8": {"size": {"bytes": 40_000, "mib": 0.04}, "accuracy": 0.84},
    }
    rows = table_rows(keras, variants)
    assert [r["metric"] for r in rows][0] == "size" and rows[-1]["metric"] == "accuracy"
    assert not any(r["metric"].startswith("latency") for r in rows)  # timed in the deployment stage
    ratio = next(r for r in rows if r["model"] == "int8 vs .keras with optimizer state")
    assert ratio["ours"] == 11.0 and ratio["paper"] == 11.06
    assert next(r for r in rows if r["model"] == "int8 vs float32 .tflite")["ours"] == 3.5
    acc = next(r for r in rows if r["metric"] == "accuracy" and r["model"] == "int8 (.tflite)")
    assert acc["difference"] == pytest.approx(0.84 - 0.831)


def test_the_quantization_table_is_the_mean_over_the_cnns_seeds():
    from edgecompress.quantization.tables import over_seeds

    def rows(acc):
        return [
            {
                "metric": "size",
                "model": "int8 (.tflite)",
                "paper": 0.04,
                "ours": 0.0093,
                "difference": None,
                "unit": "MiB",
                "note": "",
            },
            {
                "metric": "accuracy",
                "model": "int8 (.tflite)",
                "paper": 0.826,
                "ours": acc,
                "difference": None,
                "unit": "fraction",
                "note": "",
            },
        ]

    table = over_seeds([rows(0.80), rows(0.82), rows(0.84)])
    size, acc = table
    assert (size["ours"], size["ours_std"], size["seeds"]) == (pytest.approx(0.0093), 0.0, 3)
    assert acc["ours"] == pytest.approx(0.82) and acc["ours_std"] == pytest.approx(0.02)
    assert acc["difference"] == pytest.approx(0.82 - 0.826)
    with pytest.raises(ValueError, match="differ in their rows"):
        over_seeds([rows(0.8), rows(0.8)[::-1]])
