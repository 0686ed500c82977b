"""The distillation loss and its statistics: Hinton's soft loss scaled by T squared, alpha, a frozen teacher,
the paired sign-flip test, the parameter counts of Table 2."""

import pytest
import torch
import torch.nn.functional as F

from edgecompress.stats import mean_std, paired_sign_flip_p
from edgecompress.training import models
from edgecompress.training.kd import distillation_loss, kd_loss


def logits(seed, n=8):
    return torch.randn(n, 10, generator=torch.Generator().manual_seed(seed))


def test_identical_logits_give_zero_soft_loss():
    z = logits(0)
    y = torch.randint(0, 10, (8,))
    assert float(kd_loss(z, z.clone(), y, temperature=4.0, alpha=1.0)) == pytest.approx(0.0, abs=1e-6)


def test_alpha_zero_is_plain_cross_entropy():
    s, t, y = logits(0), logits(1), torch.randint(0, 10, (8,))
    assert torch.allclose(kd_loss(s, t, y, 3.0, 0.0), F.cross_entropy(s, y))


def test_soft_loss_is_scaled_by_t_squared():
    s, t, y = logits(0), logits(1), torch.randint(0, 10, (8,))
    T = 5.0
    kl = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean")
    assert torch.allclose(kd_loss(s, t, y, T, 1.0), kl * T * T, atol=1e-6)


def test_no_gradient_reaches_the_teacher():
    teacher = torch.nn.Linear(4, 10)
    student = torch.nn.Linear(4, 10)
    loss_fn = distillation_loss(teacher, 4.0, 0.9)
    x, y = torch.randn(8, 4), torch.randint(0, 10, (8,))
    loss_fn(student(x), y, x).backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(p.grad is not None for p in student.parameters())
    assert not teacher.training


@pytest.mark.parametrize(
    "T, alpha, message",
    [(0.0, 0.5, "temperature must be > 0, got 0.0"), (2.0, 1.5, r"alpha must be in \[0, 1\], got 1.5")],
)
def test_bad_hyperparameters(T, alpha, message):
    with pytest.raises(ValueError, match=message):
        kd_loss(logits(0), logits(1), torch.zeros(8, dtype=torch.long), T, alpha)


def test_parameter_counts_of_table_2():
    assert models.count_parameters(models.build("mobilenet_v2")) == 2_236_682
    # the 1000-class counts the tables print beside ours are counted, not copied: the paper's "≈3.5 M"
    for arch, n in models.IMAGENET_PARAMETERS.items():
        assert models.count_parameters(models.build(arch, num_classes=1000)) == n, arch
    assert round(models.IMAGENET_PARAMETERS["mobilenet_v2"] / 1e6, 1) == 3.5


def test_paired_sign_flip_test():
    assert paired_sign_flip_p([2.3]) == 1.0  # one seed can never be significant
    assert paired_sign_flip_p([1.0, 1.2, 0.9, 1.1, 1.3]) == pytest.approx(2 / 32)
    assert paired_sign_flip_p([1.0, -1.0, 1.0, -1.0]) == 1.0
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))
