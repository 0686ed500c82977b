"""Seeding: the same seed gives the same draws in Python, NumPy, PyTorch and TensorFlow."""

import random

import numpy as np
import pytest

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


@pytest.mark.parametrize(
    "seed, threads, frameworks, message",
    [
        (-1, 1, (), "seed must be a non-negative integer, got -1"),
        (1, 0, (), "threads must be a positive integer, got 0"),
        (1, 1, ("jax",), r"unknown frameworks \['jax'\]"),
    ],
)
def test_bad_seeding_arguments(seed, threads, frameworks, message):
    with pytest.raises(ValueError, match=message):
        seed_everything(seed, threads, frameworks)
