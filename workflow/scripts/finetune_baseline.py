"""Rule finetune_baseline: ResNet-18 (ImageNet weights or random init) fine-tuned on the CIFAR-10 subset."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402


def main(arrays, weights, out_model, out_history, out_metrics, cfg, epochs, seed, threads):
    log = setup_logging()
    import os

    from edgecompress import models, torchrun
    from edgecompress.atomic import write_json
    from edgecompress.history import write_history
    from edgecompress.provenance import collect
    from edgecompress.training import accuracy, cross_entropy, fit

    device = torchrun.setup(cfg, seed, threads)
    model = models.build("resnet18", weights=weights if cfg["pretrained"] else None)
    models.head_init(model, seed)
    log.info("ResNet-18, %s, %d parameters, device %s", "ImageNet weights" if cfg["pretrained"] else
             "random initialisation (no pretrained weights)", models.count_parameters(model), device)
    model.to(device)
    train, test = torchrun.splits(arrays, cfg, seed)
    optimizer = torchrun.optimizer(model, cfg)
    rows = fit(model, train, test, epochs, optimizer, cross_entropy, device, "baseline")
    final = accuracy(model, test, device)
    model.cpu()  # saved and measured from the CPU, whatever device trained it
    write_history(out_history, rows)
    models.save_state_dict(model, out_model)
    inputs = {"arrays": arrays, **({"weights": weights} if cfg["pretrained"] else {})}
    write_json(out_metrics, {
        "method": "baseline", "amount": 0.0, "seed": seed, "arch": "resnet18",
        "pretrained": cfg["pretrained"],
        "accuracy": final, "test_images": len(test.y),
        "state_dict_bytes": os.path.getsize(out_model),
        "history": rows,
        "report": torchrun.model_report(model, cfg),
        "provenance": collect(torchrun.used_config(cfg, epochs=epochs, seed=seed), inputs, threads=threads,
                              device=str(device), pretrained=cfg["pretrained"],
                              packages=("numpy", "torch", "torchvision", "torch-pruning")),
    })


main(
    snakemake.input.arrays,  # noqa: F821
    snakemake.input.get("weights"),  # noqa: F821
    snakemake.output.model,  # noqa: F821
    snakemake.output.history,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    dict(snakemake.params.torch),  # noqa: F821
    snakemake.params.epochs,  # noqa: F821
    int(snakemake.wildcards.seed),  # noqa: F821
    snakemake.threads,  # noqa: F821
)
