"""The fixture generator: byte-identical to the checksums pinned in config/test.yaml, and learnable."""

import numpy as np
import pytest
import yaml

from edgecompress.checksums import file_digests
from edgecompress.data.cifar import load_cifar10
from edgecompress.data.download import resolve_source
from edgecompress.training.models import load_state_dict
from helpers import REPO, fashion_fixture


def pinned_sources():
    data = yaml.safe_load((REPO / "config" / "test.yaml").read_text())["data"]
    yield from data["fashion_mnist"].values()
    yield data["cifar10"]["archive"]
    yield from data["weights"].values()


def test_generator_reproduces_the_pinned_checksums(fixture_dir):
    for source in pinned_sources():
        name = resolve_source(source["url"], "m").split("/")[-1]
        digests = file_digests(fixture_dir / name)
        assert digests["sha256"] == source["sha256"], f"{name} changed: update config/test.yaml"
        assert digests["md5"] == source["md5"]


def _accuracy(x_train, y_train, x_test, y_test):
    from sklearn.linear_model import LogisticRegression

    flat = lambda x: x.reshape(len(x), -1).astype(np.float32) / 255.0  # noqa: E731
    model = LogisticRegression(max_iter=300).fit(flat(x_train), y_train)
    return model.score(flat(x_test), y_test)


def test_fashion_fixture_is_learnable(fixture_dir):
    data = fashion_fixture(fixture_dir)
    assert np.bincount(data["y_train"], minlength=10).min() > 0
    assert _accuracy(data["x_train"], data["y_train"], data["x_test"], data["y_test"]) > 0.8  # chance: 0.1


def test_cifar_fixture_is_learnable(fixture_dir):
    data = load_cifar10(fixture_dir / "cifar-10-python.tar.gz")
    gray = lambda x: x.mean(axis=3)  # noqa: E731 - colours are random per image; shapes carry the class
    assert _accuracy(gray(data["x_train"]), data["y_train"], gray(data["x_test"]), data["y_test"]) > 0.5


@pytest.mark.parametrize("arch", ["resnet18", "mobilenet_v2"])
def test_weight_fixtures_load_strictly_into_torchvision(fixture_dir, arch):
    import torchvision

    from edgecompress.data.fixtures import WEIGHT_FILES

    state = load_state_dict(fixture_dir / WEIGHT_FILES[arch])
    model = getattr(torchvision.models, arch)(weights=None)
    model.load_state_dict(state, strict=True)


def test_weights_with_code_are_refused(tmp_path):
    import torch

    path = tmp_path / "evil.pth"
    torch.save({"x": torch.zeros(1), "code": print}, path)
    with pytest.raises(ValueError, match="not a loadable weights file"):
        load_state_dict(path)
