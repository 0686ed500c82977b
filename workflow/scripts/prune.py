"""Rule prune: prune the fine-tuned baseline (unstructured masks or structured filter removal), fine-tune, measure."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402


def main(baseline, arrays, out_model, out_history, out_metrics, method, amount, seed, cfg, pcfg, threads):
    log = setup_logging()
    import torch

    from edgecompress import models, pruning, torchrun
    from edgecompress.atomic import write_json
    from edgecompress.history import write_history
    from edgecompress.provenance import collect
    from edgecompress.training import accuracy, cross_entropy, fit

    device = torchrun.setup(cfg, seed, threads)
    model = models.build("resnet18")
    model.load_state_dict(torch.load(baseline, map_location="cpu", weights_only=True))
    train, test = torchrun.splits(arrays, cfg, seed)
    targets = []
    if method == "unstructured":
        spec = pcfg["unstructured"]
        targets = pruning.unstructured(model, amount, spec["mode"], spec["layers"])
    else:
        pruning.structured(model, amount, cfg["resolution"], pcfg["structured"]["ignored_layers"])
    sparsity = pruning.sparsity(model, targets)
    model.to(device)
    before = accuracy(model, test, device)
    log.info("%s %.2f: model sparsity %.4f %%, accuracy before fine-tuning %.4f", method, amount,
             100 * sparsity["model_sparsity"], before)
    optimizer = torchrun.optimizer(model, cfg)
    rows = fit(model, train, test, pcfg["finetune_epochs"], optimizer, cross_entropy, device, method)
    final = accuracy(model, test, device)
    masks = pruning.masks_of(targets)
    pruning.make_permanent(targets)
    model.cpu()
    saved = {}  # for unstructured pruning: the masked weights are checked in the file, not in memory
    models.save_state_dict(model, out_model, check=lambda tmp: saved.update(pruning.check_saved_masks(tmp, masks))
                           if masks else None)
    write_history(out_history, rows)
    write_json(out_metrics, {
        "method": method, "amount": amount, "seed": seed, "arch": "resnet18", "pretrained": cfg["pretrained"],
        "sparsity": sparsity, "accuracy_before_finetune": before, "accuracy": final, "test_images": len(test.y),
        "history": rows,
        "saved_mask_check": saved or None,
        "report": torchrun.model_report(model, cfg),
        "sizes": pruning.serialised_sizes(model),
        "provenance": collect(torchrun.used_config(cfg, pruning=pcfg, method=method, amount=amount, seed=seed),
                              {"baseline": baseline, "arrays": arrays}, threads=threads, device=str(device),
                              pretrained=cfg["pretrained"], packages=("numpy", "torch", "torchvision", "torch-pruning")),
    })


main(
    snakemake.input.baseline,  # noqa: F821
    snakemake.input.arrays,  # noqa: F821
    snakemake.output.model,  # noqa: F821
    snakemake.output.history,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    snakemake.wildcards.method,  # noqa: F821
    float(snakemake.wildcards.amount),  # noqa: F821
    int(snakemake.wildcards.seed),  # noqa: F821
    dict(snakemake.params.torch),  # noqa: F821
    dict(snakemake.params.pruning),  # noqa: F821
    snakemake.threads,  # noqa: F821
)
