"""Pruning on small models: masks and their sparsity, structured filter removal, MACs by hand, the layer list,
seeded batches, the fine-tuning sweep's rows and the model of the deployed length."""

import numpy as np
import pytest
import torch

from edgecompress.pruning import methods as pruning
from edgecompress.training import models
from edgecompress.training.data import Batches
from edgecompress.training.loop import cross_entropy, fit, fit_and_keep, make_optimizer, resolve_device

PAPER_LAYERS = ["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer2.0.conv1", "layer3.0.conv1", "fc"]


def tiny_batches(n=32, resolution=32, seed=0, augment=True):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, size=n).astype(np.uint8)
    return Batches(x, y, 16, resolution, shuffle=True, augment=augment, seed=seed)


def test_parameter_counts():
    assert models.count_parameters(models.build("resnet18")) == 11_181_642
    assert models.count_parameters(models.build("mobilenet_v2")) == 2_236_682
    assert models.count_parameters(models.build("mobilenet_v2", num_classes=1000)) == 3_504_872


def test_resnet18_macs_at_32_px_match_a_hand_count():
    """Multiply-accumulates summed by hand over ResNet-18's layers for one 32 px image: the 7x7/2 stem
    gives 16 x 16 (the max-pool 8 x 8); each stage has four 3x3 convolutions, the first of stages 2-4
    with stride 2 and a 1x1/2 downsample beside it; then the 512 x 10 head."""
    conv = lambda hw, c_in, c_out, k: hw * hw * c_out * c_in * k * k  # noqa: E731
    stem = conv(16, 3, 64, 7)
    stage1 = 4 * conv(8, 64, 64, 3)
    later = sum(
        conv(hw, c // 2, c, 3) + 3 * conv(hw, c, c, 3) + conv(hw, c // 2, c, 1)
        for hw, c in ((4, 128), (2, 256), (1, 512))
    )
    by_hand = stem + stage1 + later + 512 * 10
    assert by_hand == 37_016_576
    macs, params = models.macs_and_params(models.build("resnet18"), 32)
    assert (macs, params) == (by_hand, 11_181_642)
    # at 64 px every feature map has 4x the pixels (the head stays 512 x 10)
    assert models.macs_and_params(models.build("resnet18"), 64)[0] == 4 * (by_hand - 5120) + 5120


def test_default_layers_give_the_papers_sparsity():
    model = models.build("resnet18")
    targets = pruning.unstructured(model, 0.5, "layers", PAPER_LAYERS)
    s = pruning.sparsity(model, targets)
    assert s["removed_weights"] == 228_448 and s["target_sparsity"] == 0.5
    assert round(100 * s["model_sparsity"], 3) == 2.043


def test_global_mode_prunes_every_conv_and_linear():
    model = models.build("resnet18")
    targets = pruning.unstructured(model, 0.3, "global", [])
    s = pruning.sparsity(model, targets)
    assert len(targets) == 21 and s["target_sparsity"] == pytest.approx(0.3, abs=1e-6)
    assert 0.28 < s["model_sparsity"] < 0.3


def test_unknown_layer_is_named():
    with pytest.raises(ValueError, match=r"unknown layers \['layer9.conv1'\]"):
        pruning.unstructured(models.build("resnet18"), 0.5, "layers", ["layer9.conv1"])
    with pytest.raises(ValueError, match="not Conv2d or Linear"):
        pruning.unstructured(models.build("resnet18"), 0.5, "layers", ["bn1"])


def test_masks_survive_fine_tuning_and_the_saved_file_holds_the_zeros(tmp_path):
    torch.manual_seed(0)
    model = models.build("resnet18")
    targets = pruning.unstructured(model, 0.5, "layers", PAPER_LAYERS)
    removed = pruning.sparsity(model, targets)["removed_weights"]
    before = {n: m.weight_orig.detach().clone() for n, m in targets}
    opt = make_optimizer(model.parameters(), "sgd", 0.05, 0.9, 5e-4)
    fit(model, tiny_batches(), tiny_batches(augment=False), 1, opt, cross_entropy, torch.device("cpu"))
    assert any(not torch.equal(before[n], m.weight_orig) for n, m in targets)  # training did move weights
    masks = pruning.masks_of(targets)
    pruning.make_permanent(targets)
    assert not any(hasattr(m, "weight_mask") for _, m in targets)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    check = pruning.check_saved_masks(tmp_path / "m.pt", masks)
    assert check["masked_weights"] == check["zero_in_saved_file"] == removed
    # a file whose masked weights are not zero is refused
    state = model.state_dict()
    name = PAPER_LAYERS[0]
    state[f"{name}.weight"][masks[name] == 0] = 1.0
    torch.save(state, tmp_path / "broken.pt")
    with pytest.raises(AssertionError, match="are not zero"):
        pruning.check_saved_masks(tmp_path / "broken.pt", masks)
    sizes = pruning.serialised_sizes(model)
    assert sizes["gzip_state_dict_bytes"] < sizes["dense_state_dict_bytes"]


def test_a_longer_run_keeps_the_model_of_the_deployed_length():
    """Training 2 epochs and keeping epoch 1 gives exactly the model a 1-epoch run gives (same seed, same
    data order), and the rows still hold both epochs' test accuracy."""

    def trained(epochs, keep=None):
        torch.manual_seed(0)
        model = models.build("resnet18")
        opt = make_optimizer(model.parameters(), "sgd", 0.05, 0.9, 5e-4)
        args = (model, tiny_batches(), tiny_batches(augment=False), epochs)
        rows = (
            fit_and_keep(*args, keep, opt, cross_entropy, torch.device("cpu"))
            if keep is not None
            else fit(*args, opt, cross_entropy, torch.device("cpu"))
        )
        return model, rows

    short, _ = trained(1)
    kept, rows = trained(2, keep=1)
    longer, _ = trained(2)
    assert [r["epoch"] for r in rows] == [1, 2]
    state = kept.state_dict()
    assert all(torch.equal(v, short.state_dict()[k]) for k, v in state.items())
    assert not all(torch.equal(v, longer.state_dict()[k]) for k, v in state.items())
    with pytest.raises(ValueError, match="must be within the 2 trained"):
        fit_and_keep(kept, tiny_batches(), tiny_batches(), 2, 3, None, cross_entropy, torch.device("cpu"))


def test_zero_macs_count_output_pixels_per_zero_weight():
    """A 3x3 conv (3 -> 4 channels, padding 1) on a 32 x 32 input does 32 x 32 MACs per weight: masking
    half of its 108 weights zeroes 54 x 1024 MACs; the 10 x 4 linear layer's 20 masked weights one each."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 10)
    )
    targets = pruning.unstructured(model, 0.5, "layers", ["0", "3"])
    assert pruning.zero_macs(model, targets, 32) == 54 * 32 * 32 + 20


def test_structured_model_is_smaller_runs_and_round_trips(tmp_path):
    model = models.build("resnet18")
    macs0, params0 = models.macs_and_params(model, 32)
    pruning.structured(model, 0.5, 32, ["fc"])
    macs1, params1 = models.macs_and_params(model, 32)
    assert params1 < params0 / 3 and macs1 < macs0 / 3
    assert model.fc.out_features == 10
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    path = tmp_path / "structured.pt"
    models.save_state_dict(model, path)
    with pytest.raises(RuntimeError, match="size mismatch"):
        models.build("resnet18").load_state_dict(torch.load(path, weights_only=True))
    loaded = models.load_structured(models.build("resnet18"), path).eval()
    assert torch.equal(loaded(x), model(x))


def test_batches_are_seeded_and_resize():
    a = [y.tolist() for _, y in tiny_batches(seed=3).epoch(1)]
    b = [y.tolist() for _, y in tiny_batches(seed=3).epoch(1)]
    c = [y.tolist() for _, y in tiny_batches(seed=3).epoch(2)]
    assert a == b and a != c
    x, _ = next(tiny_batches(resolution=224).epoch(0))
    assert x.shape == (16, 3, 224, 224)
    model = models.build("resnet18").eval()
    with torch.inference_mode():
        assert model(x[:2]).shape == (2, 10)


def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    """Both paths on every machine: the one this machine takes, and the other one, simulated."""
    has_cuda = torch.cuda.is_available()
    assert resolve_device("auto").type == ("cuda" if has_cuda else "cpu")
    assert resolve_device("cpu").type == "cpu"
    if has_cuda:  # a GPU host: "cuda" resolves, and a tensor lands there
        assert torch.zeros(1, device=resolve_device("cuda")).device.type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


def test_sweep_rows_count_removed_parameters_per_method():
    from edgecompress.report.figures import sweep_points

    summary = [
        {
            "method": "baseline",
            "amount": "0",
            "parameters": "1000",
            "model_sparsity_pct": "0",
            "accuracy_pct": "70",
            "accuracy_std": "0",
            "macs": "100",
        },
        {
            "method": "structured",
            "amount": "0.5",
            "parameters": "250",
            "model_sparsity_pct": "0",
            "accuracy_pct": "60",
            "accuracy_std": "1",
            "macs": "25",
        },
        {
            "method": "unstructured",
            "amount": "0.5",
            "parameters": "1000",
            "model_sparsity_pct": "2.04",
            "accuracy_pct": "71",
            "accuracy_std": "0",
            "macs": "100",
        },
    ]
    removed = {r["method"]: r["removed_pct"] for r in sweep_points(summary)}
    assert removed == {"baseline": 0.0, "structured": 75.0, "unstructured": 2.04}
