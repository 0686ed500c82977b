"""Device safety of the PyTorch code, proven on a CPU-only machine with PyTorch's ``meta`` device.

A model on ``meta`` refuses CPU tensors exactly as a model on CUDA does ("Tensor on device meta
is not on the expected device cpu"), so every function that makes a tensor or moves a model is run
here with the model on ``meta``: a tensor made on the CPU by mistake fails the test. What needs
real values (an optimizer's loss read back, CPU timing) cannot run on ``meta``; the fixture DAG on
a real GPU covers those (see the closing notes of the GPU issue).
"""

import pytest
import torch

from edgecompress.pruning import methods as pruning
from edgecompress.training import loop as training
from edgecompress.training import models
from edgecompress.training.kd import distillation_loss
from edgecompress.training.loop import cross_entropy, make_optimizer, predict_batch, train_step

pytestmark = pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter")

META = torch.device("meta")


def on_meta(arch="resnet18"):
    return models.build(arch).to(META)


def assert_all_on(model, device):
    wrong = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.device != device]
    assert not wrong, f"not on {device}: {wrong[:5]}"


def test_meta_catches_a_cpu_tensor_given_to_a_model_elsewhere():
    with pytest.raises(RuntimeError, match="meta"):
        on_meta()(torch.randn(1, 3, 32, 32))


@pytest.mark.parametrize("arch", ["resnet18", "mobilenet_v2"])
def test_macs_are_counted_on_the_models_device(arch):
    cpu_macs = models.macs_and_params(models.build(arch), 32)
    assert models.macs_and_params(on_meta(arch), 32) == cpu_macs


def test_structured_pruning_traces_its_graph_on_the_models_device():
    model = on_meta()
    pruner = pruning.structured_pruner(model, 0.5, 32, ["fc"])
    assert pruner.DG is not None
    assert_all_on(model, META)


def test_structured_model_loads_onto_the_fresh_models_device(tmp_path):
    model = models.build("resnet18")
    pruning.structured(model, 0.5, 32, ["fc"])
    models.save_state_dict(model, tmp_path / "s.pt")
    fresh = models.load_structured(on_meta(), tmp_path / "s.pt")
    assert_all_on(fresh, META)
    assert fresh.conv1.out_channels == model.conv1.out_channels
    assert fresh(torch.randn(2, 3, 32, 32, device=META)).shape == (2, 10)


def test_head_init_works_wherever_the_model_is():
    model = on_meta("mobilenet_v2")
    models.head_init(model, 3)
    assert_all_on(model, META)


def test_a_training_step_moves_the_cpu_batch_to_the_device():
    model = on_meta()
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))  # batches live on the CPU
    opt = make_optimizer(model.parameters(), "sgd", 0.1, 0.9, 5e-4)
    loss = train_step(model, x, y, opt, cross_entropy, META)
    assert loss.device == META and not loss.requires_grad
    assert predict_batch(model.eval(), x, META).shape == (4,)


def test_distillation_runs_the_teacher_on_the_training_device():
    teacher, student = on_meta(), on_meta("mobilenet_v2")
    loss_fn = distillation_loss(teacher, 4.0, 0.9)
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    opt = make_optimizer(student.parameters(), "sgd", 0.1, 0.9, 0.0)
    assert train_step(student, x, y, opt, loss_fn, META).device == META
    assert all(not p.requires_grad for p in teacher.parameters())


def test_model_report_counts_where_the_model_is_and_times_nothing():
    report = training.model_report(on_meta(), {"resolution": 32})
    assert report["macs"] > 0 and report["parameters"] > 0
    assert "speed" not in report  # timed only in the deployment stage's one job
