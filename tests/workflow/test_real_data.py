"""The real Fashion-MNIST archives (../shared/data/fashion-mnist) through the real download rule."""

import json

import numpy as np
import pytest

from helpers import REPO, require_shared_data, snakemake, write_yaml

pytestmark = [pytest.mark.workflow, pytest.mark.real_data]


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_real_fashion_mnist_via_the_mirror(tmp_path, form):
    folder = require_shared_data() / "data" / "fashion-mnist"
    mirror = str(folder) if form == "path" else folder.as_uri()
    # the paper's config (official checksums), only the mirror changed
    config = write_yaml(tmp_path / "mirror.yaml", {"data": {"mirror": mirror}})
    result = snakemake(
        tmp_path, "resources/data/fashion_mnist.npz", base=False, configs=(REPO / "config" / "config.yaml", config)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    arrays = np.load(tmp_path / "resources/data/fashion_mnist.npz")
    assert arrays["x_train"].shape == (60000, 28, 28) and arrays["x_test"].shape == (10000, 28, 28)
    assert arrays["x_train"].dtype == np.uint8
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10
    assert np.bincount(arrays["y_test"]).tolist() == [1000] * 10
    summary = json.loads((tmp_path / "resources/data/fashion_mnist.json").read_text())
    assert summary["provenance"]["inputs"]["train_images"]["sha256"] == (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
    )
    log = (tmp_path / "logs/download/train-images-idx3-ubyte.gz.log").read_text()
    assert "verified" in log and "md5 8d4fb7e6c68d591d4c3dfef9ec88bf0d" in log
