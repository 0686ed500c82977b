"""Experiment 2's tables: the paper's per-epoch tables beside ours, and the sweep summary."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping, Sequence

import numpy as np

from .. import paper
from ..paper import beside_paper
from ..results import read_jsons, write_csv, write_json
from ..stats import mean_std
from ..training.models import build, count_parameters
from .methods import named_layers, prunable_layers


def epoch_rows(baseline: Sequence[Mapping], runs: Sequence[Mapping]) -> list[dict]:
    """One row per (run, epoch), the paper's value beside ours where the paper has the run."""
    rows = []
    for m in baseline:
        rows += beside_paper(
            m["history"], paper.PRUNING["baseline"]["epochs"], method="baseline", amount=0.0, seed=m["seed"]
        )
    for m in runs:
        ref = paper.PRUNING[m["method"]]
        rows += beside_paper(
            m["history"],
            ref["epochs"] if m["amount"] == ref["amount"] else None,
            method=m["method"],
            amount=m["amount"],
            seed=m["seed"],
        )
    return rows


def summary_rows(baseline: Sequence[Mapping], runs: Sequence[Mapping]) -> list[dict]:
    """Per (method, amount): mean ± std over seeds, against the dense baseline of the same seeds."""
    base = {m["seed"]: m for m in baseline}
    groups: dict[tuple, list] = defaultdict(list)
    for m in runs:
        groups[(m["method"], m["amount"])].append(m)
    rows = [_summary("baseline", 0.0, list(base.values()), base)]
    for (method, amount), ms in sorted(groups.items()):
        rows.append(_summary(method, amount, ms, base))
    return rows


def _summary(method, amount, ms, base):
    final = [m["accuracy"] for m in ms]
    before = [m.get("accuracy_before_finetune", m["accuracy"]) for m in ms]
    mac_reduction = [base[m["seed"]]["report"]["macs"] / m["report"]["macs"] for m in ms]
    ref = paper.PRUNING.get(method, {})
    matches_paper = method == "baseline" or ref.get("amount") == amount
    acc_mean, acc_std = mean_std(final)
    before_mean, before_std = mean_std(before)
    return {
        "method": method,
        "amount": amount,
        "seeds": len(ms),
        "model_sparsity_pct": 100 * float(np.mean([m.get("sparsity", {}).get("model_sparsity", 0.0) for m in ms])),
        "paper_sparsity_pct": ref.get("sparsity_pct") if matches_paper else None,
        "accuracy_before_finetune_pct": 100 * before_mean,
        "accuracy_before_finetune_std": 100 * before_std,
        "paper_before_finetune_pct": ref.get("before_finetune_pct") if matches_paper else None,
        "accuracy_pct": 100 * acc_mean,
        "accuracy_std": 100 * acc_std,
        "paper_accuracy_pct": ref["epochs"][-1][1] if matches_paper and "epochs" in ref else None,
        "parameters": ms[0]["report"]["parameters"],
        "macs": ms[0]["report"]["macs"],
        # speed is not here: every model is timed in the deployment stage's one job (results/deployment)
        "macs_reduction": float(np.mean(mac_reduction)),
        "parameters_removed_pct": 100
        * float(np.mean([1 - m["report"]["parameters"] / base[m["seed"]]["report"]["parameters"] for m in ms])),
        "macs_removed_pct": 100 * float(np.mean([1 - 1 / r for r in mac_reduction])),
        # the size effect, honestly: a masked model's dense file does not shrink; compression helps a little
        "dense_state_dict_bytes": ms[0].get("sizes", {}).get("dense_state_dict_bytes", ms[0].get("state_dict_bytes")),
        "gzip_state_dict_bytes": ms[0].get("sizes", {}).get("gzip_state_dict_bytes"),
        "sparse_state_dict_bytes": ms[0].get("sizes", {}).get("sparse_state_dict_bytes"),
        # what a sparse kernel could skip: the MACs whose weight the masks zeroed (none for filter removal)
        "zero_macs_pct": (
            100 * float(np.mean([m["sparsity"]["zero_macs"] / m["report"]["macs"] for m in ms]))
            if all("zero_macs" in m.get("sparsity", {}) for m in ms)
            else None
        ),
    }


def sweep_rows(
    baseline: Sequence[Mapping],
    control: Sequence[Mapping],
    runs: Sequence[Mapping],
    sweeps: Mapping[str, Sequence[int]],
    deployed: int,
) -> list[dict]:
    """One row per fine-tuned model and length of its sweep: its test accuracy after that many epochs,
    beside the dense control's after as many (same code, schedule, data order and seed, no pruning)
    and the baseline's (which trained none of them). A method without a sweep (the chain) has the
    deployed length only; the control's own rows are there too, at every length any method sweeps.
    """
    base = {m["seed"]: m["accuracy"] for m in baseline}
    ctrl = {m["seed"]: {r["epoch"]: r["test_accuracy"] for r in m["history"]} for m in control}
    longest = sorted({e for lengths in sweeps.values() for e in lengths} | {deployed})
    rows = []
    for m in [*control, *runs]:
        lengths = longest if m["method"] == "control" else sweeps.get(m["method"], [deployed])
        at = {r["epoch"]: r["test_accuracy"] for r in m["history"]}
        if deployed == 0:
            at[0] = m["accuracy"]
        for e in lengths:
            if e not in at:
                raise ValueError(
                    f"{m['method']} amount {m['amount']} seed {m['seed']}: no test accuracy after "
                    f"{e} fine-tuning epochs (trained {max(at, default=0)})"
                )
            c = base.get(m["seed"]) if e == 0 else ctrl.get(m["seed"], {}).get(e)  # 0 epochs: the baseline itself
            rows.append(
                {
                    "method": m["method"],
                    "amount": m["amount"],
                    "seed": m["seed"],
                    "epochs": e,
                    "deployed": e == deployed,
                    "accuracy": at[e],
                    "control_accuracy": c,
                    "baseline_accuracy": base.get(m["seed"]),
                    "gap_control_points": None if c is None else 100 * (at[e] - c),
                    "gap_baseline_points": 100 * (at[e] - base[m["seed"]]) if m["seed"] in base else None,
                }
            )
    return rows


def layer_lists(weights: Sequence[int], total: int, amount: float, target_pct: float) -> int:
    """How many subsets of the layers (``weights``: each layer's weight count) give ``target_pct`` % of
    ``total`` parameters masked at ``amount`` (each layer loses round(amount x its weights), as
    torch.nn.utils.prune does), rounded to the paper's two decimals."""
    sums = np.zeros(1, dtype=np.int64)
    for w in weights:
        sums = np.concatenate([sums, sums + int(round(amount * w))])
    return int(np.sum(np.round(100 * sums / total, 2) == round(target_pct, 2)))


def layer_list_summary(layers: Sequence[str], amount: float) -> dict:
    """The configured layer list against every list of ResNet-18's conv and linear layers that gives the
    paper's sparsity: it is one of K (K computed here)."""
    model = build("resnet18")
    everything = prunable_layers(model)
    ours = sum(int(round(amount * m.weight.numel())) for _, m in named_layers(model, layers))
    total = count_parameters(model)
    target = paper.PRUNING["unstructured"]["sparsity_pct"]
    return {
        "layers": list(layers),
        "amount": amount,
        "candidate_layers": len(everything),
        "parameters": total,
        "ours_pct": 100 * ours / total,
        "paper_pct": target,
        "lists_giving_paper_pct": layer_lists([m.weight.numel() for _, m in everything], total, amount, target),
    }


def pruning_tables(
    baseline_paths,
    run_paths,
    epochs_csv: str,
    summary_csv: str,
    layers_json: str | None = None,
    layers: Sequence[str] = (),
    amount: float = 0.5,
    control_paths=(),
    chain_paths=(),
    sweep_csv: str | None = None,
    sweeps: Mapping[str, Sequence[int]] | None = None,
    deployed: int = 3,
) -> None:
    """Rule pruning_tables: the per-epoch tables beside the paper's, the summary over seeds, the layer lists
    and the fine-tuning sweep against the dense control."""
    baseline, runs = read_jsons(baseline_paths), read_jsons(run_paths)
    write_csv(epochs_csv, epoch_rows(baseline, runs))
    write_csv(summary_csv, summary_rows(baseline, runs))
    if layers_json:
        write_json(layers_json, layer_list_summary(layers, amount))
    if sweep_csv:
        write_csv(
            sweep_csv,
            sweep_rows(baseline, read_jsons(control_paths), [*runs, *read_jsons(chain_paths)], sweeps or {}, deployed),
        )
