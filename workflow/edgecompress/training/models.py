"""torchvision models with a new 10-class head (the paper's "architectural adaptation"), and the one
way their weights are loaded (without executing code from the file) and saved (byte-stable)."""

from __future__ import annotations

import io
import os

import torch
from torch import nn

from ..checksums import file_digests
from ..inputs import InputError
from ..results import atomic_path

# Parameter counts with a 10-class head (the paper's ResNet-18 figure; MobileNetV2 is
# 3,504,872 with its 1000-class ImageNet head, the paper's "≈3.5 M").
EXPECTED_PARAMETERS = {"resnet18": 11_181_642, "mobilenet_v2": 2_236_682}
IMAGENET_PARAMETERS = {"resnet18": 11_689_512, "mobilenet_v2": 3_504_872}


def load_state_dict(path: str | os.PathLike) -> dict:
    """A torchvision-format state_dict, loaded with ``weights_only=True``.

    Pickled code in the file is refused by PyTorch's restricted unpickler;
    anything that is not a mapping of names to tensors is refused here.
    """
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, ...
        raise InputError(f"{path}: not a loadable weights file ({err})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path}: expected a state_dict (a mapping of names to tensors)")
    return state


def device_of(model: nn.Module) -> torch.device:
    """The device holding ``model``'s parameters (CPU for a model without any)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build(arch: str, num_classes: int = 10, weights: str | None = None) -> nn.Module:
    """``arch`` from torchvision, ImageNet weights loaded from ``weights`` (a file) if given, new head."""
    import torchvision

    if arch not in EXPECTED_PARAMETERS:
        raise ValueError(f"arch must be one of {sorted(EXPECTED_PARAMETERS)}, got {arch!r}")
    model = getattr(torchvision.models, arch)(weights=None)
    if weights is not None:
        model.load_state_dict(load_state_dict(weights), strict=True)
    if arch == "resnet18":
        model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:
        model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, num_classes)
    if num_classes == 10:
        got = count_parameters(model)
        if got != EXPECTED_PARAMETERS[arch]:
            raise AssertionError(
                f"{arch} with a 10-class head has {got:,} parameters, expected {EXPECTED_PARAMETERS[arch]:,}"
            )
    return model


def save_state_dict(model: nn.Module, path, check=None) -> int:
    """The one way a trained model is saved: its state_dict, byte-identical for equal weights.

    ``torch.save`` to a file name puts that name (here a random temporary one) into the zip as
    its root folder; through an in-memory buffer the root is always ``archive``. The bytes are
    then written atomically; ``check(tmp_path)``, if given, reads the written file back before it
    is moved into place. Returns the file's size in bytes.
    """

    state = model.state_dict()
    if any(t.device.type != "cpu" for t in state.values()):
        raise ValueError("save_state_dict saves from the CPU: move the model there first (model.cpu())")
    buf = io.BytesIO()
    torch.save(state, buf)
    with atomic_path(path, suffix=".pt") as tmp:
        tmp.write_bytes(buf.getvalue())
        if check is not None:
            check(tmp)
    return buf.tell()


def head_init(model: nn.Module, seed: int) -> None:
    """Re-initialise the new head from ``seed`` so runs differ only where the seed says.

    The values are drawn on the CPU (a CPU generator) and copied to the head's device, so they are
    the same wherever the model is.
    """
    gen = torch.Generator().manual_seed(seed)
    head = model.fc if hasattr(model, "fc") else model.classifier[-1]
    bound = 1.0 / head.in_features**0.5
    with torch.no_grad():
        head.weight.copy_(torch.empty(head.weight.shape).uniform_(-bound, bound, generator=gen))
        head.bias.copy_(torch.empty(head.bias.shape).uniform_(-bound, bound, generator=gen))


def is_imagenet(weights: str | None, sha256_prefix: str) -> bool:
    """Whether ``weights`` is torchvision's published file: its SHA-256 starts with the published prefix.

    This, not the config's ``torch.pretrained``, is what a metrics file records as ``pretrained``:
    a run on other files in torchvision's format (the fixtures) is not an ImageNet fine-tuning.
    """

    return weights is not None and file_digests(weights, ("sha256",))["sha256"].startswith(sha256_prefix)


def example_input(model: nn.Module, resolution: int) -> torch.Tensor:
    """One random image of ``resolution`` px, on the device that holds ``model``."""
    return torch.randn(1, 3, resolution, resolution, device=device_of(model))


def macs_and_params(model: nn.Module, resolution: int) -> tuple[int, int]:
    """Multiply-accumulates of one image of ``resolution`` px, and the parameter count.

    The MACs of the convolutions and linear layers, each output element costing its kernel's
    inputs (``in_channels / groups`` x kernel area): what the deployed graph computes, where batch
    norm is folded into the convolutions. Batch norm, activations, additions and pooling are not
    multiply-accumulates and are not counted (Torch-Pruning's counter adds them: 0.4 % more on
    ResNet-18, 6.7 % on MobileNetV2). Counted from the output shapes of one forward pass on the
    model's device (``meta`` too: it moves no inputs).
    """
    total = 0

    def count(module: nn.Module, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        per_image = output.numel() // output.shape[0]
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += per_image * (module.in_channels // module.groups) * kh * kw
        else:
            total += per_image * module.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example_input(model, resolution))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return int(total), count_parameters(model)


def load_structured(fresh: nn.Module, path) -> nn.Module:
    """Shrink the layers of a fresh model of the same architecture to the saved shapes, then load.

    A structurally pruned state_dict does not load into a fresh model (the shapes differ), and
    Torch-Pruning's own ``state_dict`` pickles module objects, which ``weights_only`` refuses.
    The layers stay on the device ``fresh`` is on; the saved tensors are copied there.
    """
    device = device_of(fresh)
    state = load_state_dict(path)
    for name, module in fresh.named_modules():
        weight = state.get(f"{name}.weight")
        if weight is None:
            continue
        if isinstance(module, nn.Conv2d):
            depthwise = module.groups > 1 and module.groups == module.in_channels
            module.out_channels = weight.shape[0]
            module.groups = weight.shape[0] if depthwise else module.groups
            module.in_channels = weight.shape[1] * module.groups
        elif isinstance(module, nn.BatchNorm2d):
            module.num_features = weight.shape[0]
            module.register_buffer("running_mean", torch.zeros(weight.shape[0], device=device))
            module.register_buffer("running_var", torch.ones(weight.shape[0], device=device))
        elif isinstance(module, nn.Linear):
            module.out_features, module.in_features = weight.shape
        else:
            continue
        module.weight = nn.Parameter(torch.empty_like(weight, device=device))
        if getattr(module, "bias", None) is not None:
            module.bias = nn.Parameter(torch.empty_like(state[f"{name}.bias"], device=device))
    fresh.load_state_dict(state, strict=True)
    return fresh
