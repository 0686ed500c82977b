"""Unstructured (magnitude masks) and structured (filters removed) pruning of torchvision models.

Unstructured: ``torch.nn.utils.prune.l1_unstructured`` on a list of layers (the paper pruned
"only part of the layers"; our default list gives its 2.04 % whole-model sparsity), or one global
L1 threshold over every conv and linear weight. The masks stay in place while fine-tuning.

Structured: Torch-Pruning's dependency graph with L1 group magnitude importance removes whole
filters, coupled across residual connections, and leaves a physically smaller network. The
paper's ``group_remove`` is not an API of current Torch-Pruning; ``BasePruner.step()`` applies
the same group removals. A pruned model no longer fits a fresh ``resnet18``: it is saved with
a plain state_dict (tensors only, so it loads with ``weights_only=True``) and rebuilt by
:func:`edgecompress.training.models.load_structured`, which shrinks a fresh model's layers to the saved shapes.

Every tensor made here (the example input that traces the dependency graph and counts MACs, the
layers rebuilt on load) is made on the model's own device, so the same code serves CPU and CUDA.
"""

from __future__ import annotations

import gzip
import io
from typing import Iterable, Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils import prune

from ..training.models import example_input

PRUNABLE = (nn.Conv2d, nn.Linear)
MODES = ("layers", "global")


def named_layers(model: nn.Module, names: Iterable[str]) -> list[tuple[str, nn.Module]]:
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise ValueError(f"unknown layers {missing}; e.g. {[n for n, m in modules.items() if isinstance(m, PRUNABLE)][:8]}")
    chosen = [(n, modules[n]) for n in names]
    bad = [n for n, m in chosen if not isinstance(m, PRUNABLE)]
    if bad:
        raise ValueError(f"layers {bad} are not Conv2d or Linear")
    return chosen


def prunable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, PRUNABLE)]


def unstructured(model: nn.Module, amount: float, mode: str, layers: Sequence[str]) -> list[tuple[str, nn.Module]]:
    """Apply L1 magnitude masks; return the pruned (name, module) pairs."""
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"amount must be in [0, 1), got {amount}")
    if mode == "layers":
        targets = named_layers(model, layers)
        for _, module in targets:
            prune.l1_unstructured(module, "weight", amount=amount)
    elif mode == "global":
        targets = prunable_layers(model)
        prune.global_unstructured([(m, "weight") for _, m in targets], prune.L1Unstructured, amount=amount)
    else:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return targets


def sparsity(model: nn.Module, targets: Sequence[tuple[str, nn.Module]] = ()) -> dict:
    """Sparsity of a model whose masks are in place.

    ``model_sparsity`` is the paper's figure: weights removed by the masks over all parameters
    (2.04 % for its layer list). ``model_zero_fraction`` also counts parameters that are zero for
    other reasons (e.g. BatchNorm biases at initialisation).
    """
    params = list(_effective_parameters(model))
    total = sum(p.numel() for p in params)
    zeros = sum(int((p == 0).sum()) for p in params)
    masks = [m.weight_mask for _, m in targets if hasattr(m, "weight_mask")]
    removed = sum(int((mask == 0).sum()) for mask in masks)
    t_total = sum(m.weight.numel() for _, m in targets)
    return {
        "model_sparsity": removed / total,
        "target_sparsity": removed / t_total if t_total else 0.0,
        "model_zero_fraction": zeros / total,
        "removed_weights": removed,
        "parameters": total,
        "target_weights": t_total,
    }


def _effective_parameters(model: nn.Module):
    """Parameters as the forward pass sees them: masked weights where pruning masks are in place."""
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if name.endswith("_orig"):
                yield getattr(module, name[: -len("_orig")])
            else:
                yield param


def masks_of(targets: Sequence[tuple[str, nn.Module]]) -> dict[str, torch.Tensor]:
    """The pruning masks in place, by layer name (a CPU copy, kept to check the saved file)."""
    return {name: m.weight_mask.detach().cpu().clone() for name, m in targets if hasattr(m, "weight_mask")}


def check_saved_masks(path, masks: dict[str, torch.Tensor]) -> dict:
    """Reload the saved state_dict and count, per mask, the removed weights that are exactly zero in it.

    Raises AssertionError when one is not: the file would not be the pruned model the metrics describe.
    """
    from ..training.models import load_state_dict

    state = load_state_dict(path)
    removed = zero = 0
    for name, mask in masks.items():
        weight = state[f"{name}.weight"]
        removed += int((mask == 0).sum())
        zero += int((weight[mask == 0] == 0).sum())
    if zero != removed:
        raise AssertionError(f"{path}: {removed - zero} of the {removed} weights removed by the masks are not zero")
    return {"masked_weights": removed, "zero_in_saved_file": zero, "layers": sorted(masks)}


def make_permanent(targets: Sequence[tuple[str, nn.Module]]) -> None:
    for _, module in targets:
        if prune.is_pruned(module):
            prune.remove(module, "weight")


def serialised_sizes(model: nn.Module) -> dict:
    """Bytes of the dense state_dict, gzip-compressed, and with pruned tensors stored sparse (CSR-free COO)."""
    dense = io.BytesIO()
    torch.save(model.state_dict(), dense)
    sparse_state = {}
    for k, v in model.state_dict().items():
        if v.dtype.is_floating_point and v.dim() > 1 and float((v == 0).float().mean()) >= 0.5:
            sparse_state[k] = v.to_sparse()
        else:
            sparse_state[k] = v
    sparse = io.BytesIO()
    torch.save(sparse_state, sparse)
    return {
        "dense_state_dict_bytes": dense.tell(),
        "gzip_state_dict_bytes": len(gzip.compress(dense.getvalue(), compresslevel=6, mtime=0)),
        "sparse_state_dict_bytes": sparse.tell(),
    }


def structured(model: nn.Module, amount: float, resolution: int, ignored: Sequence[str]) -> None:
    """Remove ``amount`` of the filters of every conv layer (L1 group importance), in place."""
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"amount must be in [0, 1), got {amount}")
    structured_pruner(model, amount, resolution, ignored).step()


def structured_pruner(model: nn.Module, amount: float, resolution: int, ignored: Sequence[str]):
    """Torch-Pruning's pruner for ``model``; its dependency graph is traced with an input on the model's device."""
    import torch_pruning as tp

    return tp.pruner.BasePruner(
        model, example_input(model, resolution),
        importance=tp.importance.GroupMagnitudeImportance(p=1),
        pruning_ratio=amount,
        ignored_layers=[m for _, m in named_layers(model, ignored)],
    )


def prune_and_finetune(baseline: str, baseline_metrics: str, arrays: str, paths, method: str, amount: float, seed: int,
                       cfg, spec: Mapping, finetune_epochs: int, threads: int) -> None:
    """Rule prune: prune the trained baseline (masks or filters), fine-tune it, save and measure it.

    ``spec`` is the method's own settings (unstructured: mode, layers; structured: ignored_layers).
    """
    import logging

    from ..atomic import read_json
    from ..training.models import build, load_state_dict
    from ..training.loop import accuracy, cross_entropy, fit, optimizer_for, save_run, setup, splits

    log = logging.getLogger(__name__)
    imagenet = read_json(baseline_metrics)["pretrained"]  # the baseline's checksum verdict carries over
    device = setup(cfg, seed, threads)
    model = build("resnet18")
    model.load_state_dict(load_state_dict(baseline))
    train, test = splits(arrays, cfg, seed)
    targets = []
    if method == "unstructured":
        targets = unstructured(model, amount, spec["mode"], spec["layers"])
    else:
        structured(model, amount, cfg["resolution"], spec["ignored_layers"])
    removed = sparsity(model, targets)
    model.to(device)
    before = accuracy(model, test, device)
    log.info("%s %.2f: model sparsity %.4f %%, accuracy before fine-tuning %.4f", method, amount,
             100 * removed["model_sparsity"], before)
    rows = fit(model, train, test, finetune_epochs, optimizer_for(model, cfg), cross_entropy, device, method)
    final = accuracy(model, test, device)
    masks = masks_of(targets)
    make_permanent(targets)
    saved: dict = {}  # unstructured: filled by the check of the written file (not of the model in memory)
    metrics = {"method": method, "amount": amount, "seed": seed, "arch": "resnet18", "sparsity": removed,
               "accuracy_before_finetune": before, "accuracy": final, "test_images": len(test.y),
               "sizes": serialised_sizes(model.cpu()), "saved_mask_check": saved if masks else None}
    save_run(model, paths, rows, metrics, cfg, {"method": method, method: dict(spec), "finetune_epochs": finetune_epochs,
                                               "amount": amount, "seed": seed},
             {"baseline": baseline, "arrays": arrays}, threads, device, imagenet,
             check=lambda tmp: saved.update(check_saved_masks(tmp, masks)) if masks else None)
