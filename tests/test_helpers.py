"""Determinism, provenance and progress helpers."""

import io
import json
import random

import numpy as np
import pytest

from edgecompress import provenance
from edgecompress.logs import Progress, track
from edgecompress.seeding import seed_everything


def draws():
    return random.random(), float(np.random.rand())


def test_same_seed_same_draws_python_numpy_torch():
    import torch

    seed_everything(7, 1, frameworks=("torch",))
    first = draws() + (float(torch.rand(1)),)
    seed_everything(7, 1, frameworks=("torch",))
    assert draws() + (float(torch.rand(1)),) == first
    assert torch.are_deterministic_algorithms_enabled() and torch.get_num_threads() == 1
    seed_everything(8, 1, frameworks=("torch",))
    assert draws() + (float(torch.rand(1)),) != first


def test_same_seed_same_draws_tensorflow():
    import tensorflow as tf

    seed_everything(3, 1, frameworks=("tensorflow",))
    a = tf.random.uniform((3,)).numpy()
    seed_everything(3, 1, frameworks=("tensorflow",))
    assert np.array_equal(tf.random.uniform((3,)).numpy(), a)


@pytest.mark.parametrize("seed, threads, frameworks", [(-1, 1, ()), (1, 0, ()), (1, 1, ("jax",))])
def test_bad_seeding_arguments(seed, threads, frameworks):
    with pytest.raises(ValueError):
        seed_everything(seed, threads, frameworks)


def test_provenance_is_complete_and_stable(tmp_path):
    data = tmp_path / "in.bin"
    data.write_bytes(b"abc")
    a = provenance.collect({"b": 1, "a": [1, 2]}, {"data": data}, threads=2, pretrained=False)
    b = provenance.collect({"a": [1, 2], "b": 1}, {"data": data}, threads=2, pretrained=False)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # no timestamps, order-free
    assert a["inputs"]["data"]["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert a["pretrained"] is False and a["threads"] == 2 and a["python"].startswith("3.11")
    assert a["packages"]["numpy"] == np.__version__
    assert len(a["git_commit"]) >= 40 or a["git_commit"] == "unknown"
    assert a["config_sha256"] != provenance.config_hash({"b": 2, "a": [1, 2]})


def test_git_commit_outside_git_is_unknown(tmp_path):
    assert provenance.git_commit(tmp_path) == "unknown"


def test_progress_in_a_log_file_has_no_carriage_returns():
    stream = io.StringIO()
    for _ in track(range(1000), "batches", stream=stream, every=25.0):
        pass
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert 4 <= len(lines) <= 6 and lines[-1].startswith("batches: 1,000/1,000 it (100.0 %)")


def test_progress_in_a_terminal_redraws_one_line():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    with Progress(3, "epochs", stream=stream) as bar:
        for _ in range(3):
            bar.update()
    assert "\r" in stream.getvalue() and stream.getvalue().count("\n") == 1
