"""Rules train_student / distill_student: MobileNetV2 (ImageNet weights, 10-class head), alone or taught by ResNet-18."""

import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821 - set by Snakemake
sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821

from edgecompress.logs import setup_logging  # noqa: E402


def main(arrays, weights, teacher_path, out_model, out_history, out_metrics, cfg, epochs, seed, kd, threads):
    log = setup_logging()
    import torch

    from edgecompress import models, torchrun
    from edgecompress.atomic import write_json
    from edgecompress.distillation import distillation_loss
    from edgecompress.history import write_history
    from edgecompress.provenance import collect
    from edgecompress.training import accuracy, cross_entropy, fit

    device = torchrun.setup(cfg, seed, threads)
    student = models.build("mobilenet_v2", weights=weights if cfg["pretrained"] else None)
    models.head_init(student, seed)  # the same initial weights with and without distillation
    student.to(device)
    train, test = torchrun.splits(arrays, cfg, seed)  # the same data order too
    loss_fn, desc = cross_entropy, "student"
    if kd:
        teacher = models.build("resnet18")
        teacher.load_state_dict(torch.load(teacher_path, map_location="cpu", weights_only=True))
        teacher.to(device)
        loss_fn = distillation_loss(teacher, kd["temperature"], kd["alpha"])
        desc = f"KD T={kd['temperature']:g} alpha={kd['alpha']:g}"
    log.info("%s: MobileNetV2, %d parameters, %s", desc, models.count_parameters(student),
             "ImageNet weights" if cfg["pretrained"] else "random initialisation (no pretrained weights)")
    optimizer = torchrun.optimizer(student, cfg)
    rows = fit(student, train, test, epochs, optimizer, loss_fn, device, desc)
    final = accuracy(student, test, device)
    student.cpu()  # saved and measured from the CPU, whatever device trained it
    size = models.save_state_dict(student, out_model)
    write_history(out_history, rows)
    inputs = {"arrays": arrays, **({"weights": weights} if cfg["pretrained"] else {}),
              **({"teacher": teacher_path} if kd else {})}
    write_json(out_metrics, {
        "model": "mobilenet_v2_kd" if kd else "mobilenet_v2", "seed": seed, "pretrained": cfg["pretrained"],
        "distillation": kd or None,
        "accuracy": final, "test_images": len(test.y), "history": rows,
        "parameters_1000_class_head": models.IMAGENET_PARAMETERS["mobilenet_v2"],
        "state_dict_bytes": size,
        "report": torchrun.model_report(student, cfg),
        "provenance": collect(torchrun.used_config(cfg, epochs=epochs, seed=seed, distillation=kd or None), inputs,
                              threads=threads, device=str(device), pretrained=cfg["pretrained"],
                              packages=("numpy", "torch", "torchvision")),
    })


main(
    snakemake.input.arrays,  # noqa: F821
    snakemake.input.get("weights"),  # noqa: F821
    snakemake.input.get("teacher"),  # noqa: F821
    snakemake.output.model,  # noqa: F821
    snakemake.output.history,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    dict(snakemake.params.torch),  # noqa: F821
    snakemake.params.epochs,  # noqa: F821
    int(snakemake.wildcards.seed),  # noqa: F821
    dict(snakemake.params.kd) if snakemake.params.kd else None,  # noqa: F821
    snakemake.threads,  # noqa: F821
)
