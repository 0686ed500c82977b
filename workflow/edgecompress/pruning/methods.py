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

import copy
import gzip
import io
import logging
from typing import Iterable, Mapping, Sequence

import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from ..results import read_json
from ..training.kd import distillation_loss
from ..training.loop import accuracy, cross_entropy, fit_and_keep, optimizer_for, save_run, setup, splits, train_new
from ..training.models import build, example_input, load_state_dict

log = logging.getLogger(__name__)

PRUNABLE = (nn.Conv2d, nn.Linear)
MODES = ("layers", "global")


def named_layers(model: nn.Module, names: Iterable[str]) -> list[tuple[str, nn.Module]]:
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise ValueError(
            f"unknown layers {missing}; e.g. {[n for n, m in modules.items() if isinstance(m, PRUNABLE)][:8]}"
        )
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
            torch_prune.l1_unstructured(module, "weight", amount=amount)
    elif mode == "global":
        targets = prunable_layers(model)
        torch_prune.global_unstructured([(m, "weight") for _, m in targets], torch_prune.L1Unstructured, amount=amount)
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
        if torch_prune.is_pruned(module):
            torch_prune.remove(module, "weight")


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
        model,
        example_input(model, resolution),
        importance=tp.importance.GroupMagnitudeImportance(p=1),
        pruning_ratio=amount,
        ignored_layers=[m for _, m in named_layers(model, ignored)],
    )


def zero_macs(model: nn.Module, targets: Sequence[tuple[str, nn.Module]], resolution: int) -> int:
    """Multiply-accumulates per image whose weight is zero in the pruned layers: what a sparse kernel could skip.

    A conv layer does (output height x width) MACs per weight; a linear layer one. Counted on the
    masked weights the forward pass uses.
    """
    shapes: dict[str, tuple] = {}
    hooks = [
        m.register_forward_hook(lambda mod, i, out, name=name: shapes.__setitem__(name, tuple(out.shape)))
        for name, m in targets
    ]
    try:
        with torch.no_grad():
            model.eval()(example_input(model, resolution))
    finally:
        for h in hooks:
            h.remove()
    total = 0
    for name, m in targets:
        zeros = int((m.weight == 0).sum())
        total += zeros * (shapes[name][2] * shapes[name][3] if isinstance(m, nn.Conv2d) else 1)
    return total


def run_length(finetune_epochs: int, sweep: Sequence[int] = ()) -> int:
    """Epochs a fine-tuning run trains: the longest of the sweep and of the deployed length."""
    return max([int(finetune_epochs), *(int(e) for e in sweep)])


def finetune_baseline(
    arrays: str,
    weights: str | None,
    paths: Mapping[str, str],
    cfg: Mapping,
    epochs: int,
    seed: int,
    threads: int,
    weights_prefix: str,
) -> None:
    """Rule finetune_baseline: ResNet-18 (ImageNet weights or random init), new head, trained on the subset.

    The dense model every pruning method starts from, and the teacher of the distillation stage."""
    trained = train_new("resnet18", arrays, weights, weights_prefix, cfg, epochs, seed, threads, "baseline")
    metrics = {
        "method": "baseline",
        "amount": 0.0,
        "seed": seed,
        "arch": "resnet18",
        "accuracy": trained.accuracy,
        "test_images": trained.test_images,
    }
    inputs = {"arrays": arrays, **({"weights": trained.weights} if trained.weights else {})}
    save_run(
        trained.model,
        paths,
        trained.rows,
        metrics,
        cfg,
        {"epochs": epochs, "seed": seed},
        inputs,
        threads,
        trained.device,
        trained.pretrained,
    )


def _from_baseline(baseline: str, baseline_metrics: str, cfg, seed: int, threads: int):
    """Seed, device, the trained dense baseline and whether its weights were ImageNet's (its checksum verdict)."""
    imagenet = read_json(baseline_metrics)["pretrained"]  # the baseline's checksum verdict carries over
    device = setup(cfg, seed, threads)
    model = build("resnet18")
    model.load_state_dict(load_state_dict(baseline))
    return model, imagenet, device


def prune(
    baseline: str,
    baseline_metrics: str,
    arrays: str,
    paths,
    method: str,
    amount: float,
    seed: int,
    cfg,
    spec: Mapping,
    finetune_epochs: int,
    threads: int,
) -> None:
    """Rule prune: prune the trained baseline (masks or filters), fine-tune it, save and measure it.

    ``spec`` is the method's own settings (unstructured: mode, layers; structured: ignored_layers;
    chain: ignored_layers, temperature, alpha; each may carry ``finetune_sweep``). ``chain`` is
    the paper's methods combined: structured pruning fine-tuned with the baseline's soft targets
    (the baseline is its own teacher). A sweep trains to its longest length, records the test
    accuracy after every epoch and keeps (and saves) the model of ``finetune_epochs``.
    """
    model, imagenet, device = _from_baseline(baseline, baseline_metrics, cfg, seed, threads)
    train, test = splits(arrays, cfg, seed)
    loss_fn, targets = cross_entropy, []
    if method == "chain":
        teacher = copy.deepcopy(model).to(device)  # the dense baseline, frozen, teaches its pruned self
        loss_fn = distillation_loss(teacher, spec["temperature"], spec["alpha"])
    if method == "unstructured":
        targets = unstructured(model, amount, spec["mode"], spec["layers"])
    else:
        structured(model, amount, cfg["resolution"], spec["ignored_layers"])
    removed = sparsity(model, targets)
    model.to(device)
    before = accuracy(model, test, device)
    log.info(
        "%s %.2f: model sparsity %.4f %%, accuracy before fine-tuning %.4f",
        method,
        amount,
        100 * removed["model_sparsity"],
        before,
    )
    epochs = run_length(finetune_epochs, spec.get("finetune_sweep", ()))
    rows = fit_and_keep(model, train, test, epochs, finetune_epochs, optimizer_for(model, cfg), loss_fn, device, method)
    final = accuracy(model, test, device)
    if targets:
        removed["zero_macs"] = zero_macs(model, targets, cfg["resolution"])
    masks = masks_of(targets)
    make_permanent(targets)
    saved: dict = {}  # unstructured: filled by the check of the written file (not of the model in memory)
    metrics = {
        "method": method,
        "amount": amount,
        "seed": seed,
        "arch": "resnet18",
        "sparsity": removed,
        "accuracy_before_finetune": before,
        "accuracy": final,
        "test_images": len(test.y),
        "finetune_epochs": finetune_epochs,
        "trained_epochs": epochs,
        "sizes": serialised_sizes(model.cpu()),
        "saved_mask_check": saved if masks else None,
    }
    save_run(
        model,
        paths,
        rows,
        metrics,
        cfg,
        {"method": method, method: dict(spec), "finetune_epochs": finetune_epochs, "amount": amount, "seed": seed},
        {"baseline": baseline, "arrays": arrays},
        threads,
        device,
        imagenet,
        check=lambda tmp: saved.update(check_saved_masks(tmp, masks)) if masks else None,
    )


def finetune_control(
    baseline: str,
    baseline_metrics: str,
    arrays: str,
    paths,
    seed: int,
    cfg,
    epochs: int,
    finetune_epochs: int,
    threads: int,
) -> None:
    """Rule finetune_control: the dense baseline fine-tuned exactly as a pruned model is, without pruning.

    Same code, optimizer, schedule, data order and seed as rule prune, for ``epochs`` (the longest
    fine-tuning of any method), keeping the model of ``finetune_epochs``: a pruned model's gain or
    loss against it is pruning's, not the extra epochs'.
    """
    model, imagenet, device = _from_baseline(baseline, baseline_metrics, cfg, seed, threads)
    train, test = splits(arrays, cfg, seed)
    model.to(device)
    before = accuracy(model, test, device)
    rows = fit_and_keep(
        model, train, test, epochs, finetune_epochs, optimizer_for(model, cfg), cross_entropy, device, "control"
    )
    metrics = {
        "method": "control",
        "amount": 0.0,
        "seed": seed,
        "arch": "resnet18",
        "accuracy_before_finetune": before,
        "accuracy": accuracy(model, test, device),
        "test_images": len(test.y),
        "finetune_epochs": finetune_epochs,
        "trained_epochs": epochs,
    }
    save_run(
        model,
        paths,
        rows,
        metrics,
        cfg,
        {"finetune_epochs": finetune_epochs, "trained_epochs": epochs, "seed": seed},
        {"baseline": baseline, "arrays": arrays},
        threads,
        device,
        imagenet,
    )
