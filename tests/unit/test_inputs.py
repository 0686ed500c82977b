"""A rule handed a broken input (a truncated or corrupted model.pt or .tflite, a prepared .npz of the
wrong shape or dtype) stops with one line naming the file, and writes nothing.

The loaders are checked directly; then two real rule scripts run (outside Snakemake, with the object
Snakemake hands a script) on broken inputs, as the next rule of the DAG would get them.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from edgecompress import litert
from edgecompress.data.fixtures import cifar_arrays
from edgecompress.inputs import InputError, load_prepared
from edgecompress.training import models
from helpers import REPO


def cifar_npz(path, **change):
    x, y = cifar_arrays("train", 20, 0)
    arrays = {"x_train": x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), "y_train": np.asarray(y, np.uint8)}
    arrays |= {"x_test": arrays["x_train"][:10], "y_test": arrays["y_train"][:10]}
    arrays.update(change)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"x_train": np.zeros((20, 28, 28), np.uint8)},
            r"x_train must be uint8 images of shape \(N, 32, 32, 3\), got uint8 \(20, 28, 28\)",
        ),
        ({"x_test": np.zeros((10, 32, 32, 3), np.float32)}, r"x_test must be uint8 images .* got float32"),
        ({"y_test": np.full(10, 12, np.uint8)}, r"y_test must be 10 integer labels in 0\.\.9"),
        ({"y_train": np.zeros(7, np.uint8)}, r"y_train must be 20 integer labels"),
    ],
)
def test_a_prepared_file_of_the_wrong_shape_or_dtype_is_named(tmp_path, change, message):
    path = cifar_npz(tmp_path / "cifar10_subset.npz", **change)
    with pytest.raises(InputError, match=message) as err:
        load_prepared(path, "cifar10")
    assert str(err.value).startswith(str(path))
    assert load_prepared(cifar_npz(tmp_path / "good.npz"), "cifar10")["x_train"].shape == (20, 32, 32, 3)


def test_truncated_files_are_named(tmp_path):
    npz = cifar_npz(tmp_path / "a.npz")
    npz.write_bytes(npz.read_bytes()[:500])
    with pytest.raises(InputError, match=rf"^{tmp_path}/a\.npz: not a readable \.npz"):
        load_prepared(npz, "cifar10")
    pt = tmp_path / "model.pt"
    models.save_state_dict(models.build("mobilenet_v2"), pt)
    pt.write_bytes(pt.read_bytes()[: pt.stat().st_size // 2])
    with pytest.raises(InputError, match=rf"^{tmp_path}/model\.pt: not a loadable weights file"):
        models.load_state_dict(pt)
    garbage = tmp_path / "model2.pt"
    garbage.write_bytes(b"\x00" * 1000)
    with pytest.raises(InputError, match="model2.pt: not a loadable weights file"):
        models.load_state_dict(garbage)
    tflite = tmp_path / "int8.tflite"
    tflite.write_bytes(b"TFL3" + b"\x07" * 200)
    with pytest.raises(InputError, match=rf"^{tmp_path}/int8\.tflite: not a loadable \.tflite file"):
        litert.interpreter(tflite, 1)


def run_script(script, tmp_path, **spec):
    """Run workflow/scripts/<script>.py as Snakemake would (its ``snakemake`` object rebuilt from ``spec``; the
    package is installed, as in every job's env)."""
    harness = f"""
import json, runpy, sys
class Named(dict):
    def __getattr__(self, key):
        return self[key]
    def __getitem__(self, key):
        return list(self.values())[key] if isinstance(key, int) else dict.__getitem__(self, key)
spec = json.loads(sys.argv[1])
class Snakemake:
    pass
sm = Snakemake()
for k in ("input", "output", "params", "wildcards", "log"):
    setattr(sm, k, Named(spec.get(k, {{}})))
sm.threads, sm.scriptdir = 1, {str(REPO / "workflow" / "scripts")!r}
runpy.run_path({str(REPO / "workflow" / "scripts" / f"{script}.py")!r}, init_globals={{"snakemake": sm}})
"""
    return subprocess.run(
        [sys.executable, "-c", harness, json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )


@pytest.mark.parametrize("broken", ["model", "arrays", "trained"])
def test_deploy_model_stops_with_one_line_naming_the_broken_input(tmp_path, broken):
    model, arrays, trained = tmp_path / "model.pt", tmp_path / "cifar10_subset.npz", tmp_path / "metrics.json"
    models.save_state_dict(models.build("mobilenet_v2"), model)
    trained.write_text('{"accuracy": 0.5' + ("" if broken == "trained" else "}"))
    cifar_npz(arrays, **({"x_test": np.zeros((10, 3, 32, 32), np.uint8)} if broken == "arrays" else {}))
    if broken == "model":
        model.write_bytes(model.read_bytes()[:4096])
    out = {
        k: str(tmp_path / "out" / f)
        for k, f in (("float32", "float32.tflite"), ("int8", "int8.tflite"), ("metrics", "metrics.json"))
    }
    log = tmp_path / "deploy.log"
    done = run_script(
        "deploy_model",
        tmp_path,
        input={"model": str(model), "arrays": str(arrays), "trained": str(trained)},
        output=out,
        params={"resolution": 32, "calibration_samples": 4, "seed": 0},
        wildcards={"model": "student/seed0"},
        log={"log": str(log)},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
    assert len(errors) == 1 and str({"model": model, "arrays": arrays, "trained": trained}[broken]) in errors[0], (
        log.read_text()[-2000:]
    )
    assert "Traceback" not in log.read_text()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_evaluating_a_corrupted_tflite_names_it(tmp_path):
    tflite = tmp_path / "base_cnn_int8.tflite"
    tflite.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4)
    x, y = np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8)
    np.savez(tmp_path / "fashion_mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    log = tmp_path / "eval.log"
    done = run_script(
        "evaluate_tflite",
        tmp_path,
        input={"tflite": str(tflite), "model": "unused.keras", "arrays": str(tmp_path / "fashion_mnist.npz")},
        output={"metrics": str(tmp_path / "out" / "int8.json")},
        params={"seed": 0},
        wildcards={"variant": "int8"},
        log={"log": str(log)},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
    assert len(errors) == 1 and f"{tflite}: not a loadable .tflite file" in errors[0], log.read_text()[-2000:]
    assert not (tmp_path / "out").exists()
