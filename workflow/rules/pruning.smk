# Experiment 2: ResNet-18 fine-tuned on the CIFAR-10 subset, then pruned (unstructured masks or
# structured filter removal) and fine-tuned again, for every amount and seed in the config; the full
# chain (structured pruning fine-tuned with the baseline's soft targets, deployed in int8 as every
# model is); and the fair control: the dense baseline fine-tuned as long, without pruning.


rule finetune_baseline:
    input:
        unpack(pretrained_weights("resnet18")),
        arrays=seed_arrays,
    output:
        model="results/pruning/baseline/seed{seed}/model.pt",
        history="results/pruning/baseline/seed{seed}/history.csv",
        metrics="results/pruning/baseline/seed{seed}/metrics.json",
    log:
        "logs/pruning/baseline/seed{seed}.log",
    benchmark:
        "benchmarks/rules/finetune_baseline/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 22 s, 1.25 GB max RSS; gpu-preset-h200 (224 px): 16 s, 1.7 GB
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        torch=lambda wildcards: stable(config["torch"]),
        epochs=lookup(dpath="pruning/epochs", within=config),
        weights_prefix=OFFICIAL_WEIGHT_PREFIX["resnet18"],
    script:
        "../scripts/finetune_baseline.py"


rule prune:
    input:
        baseline=rules.finetune_baseline.output.model,
        baseline_metrics=rules.finetune_baseline.output.metrics,
        arrays=seed_arrays,
    output:
        model="results/pruning/{method}/amount{amount}/seed{seed}/model.pt",
        history="results/pruning/{method}/amount{amount}/seed{seed}/history.csv",
        metrics="results/pruning/{method}/amount{amount}/seed{seed}/metrics.json",
    log:
        "logs/pruning/{method}/amount{amount}/seed{seed}.log",
    benchmark:
        "benchmarks/rules/prune/{method}/amount{amount}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 25 s, 1.27 GB max RSS; gpu-preset-h200 (224 px): 19 s, 1.73 GB
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        torch=lambda wildcards: stable(config["torch"]),
        # the method's own settings, without the sweep of amounts (the amount is the wildcard)
        method_settings=lambda wildcards: method_settings(wildcards.method),
        finetune_epochs=lookup(dpath="pruning/finetune_epochs", within=config),
    script:
        "../scripts/prune.py"


rule finetune_control:
    input:
        baseline=rules.finetune_baseline.output.model,
        baseline_metrics=rules.finetune_baseline.output.metrics,
        arrays=seed_arrays,
    output:
        model="results/pruning/control/seed{seed}/model.pt",
        history="results/pruning/control/seed{seed}/history.csv",
        metrics="results/pruning/control/seed{seed}/metrics.json",
    log:
        "logs/pruning/control/seed{seed}.log",
    benchmark:
        "benchmarks/rules/finetune_control/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu (finetune_baseline: 22 s for 3 epochs, 1.25 GB): the same model, up to 2x the epochs
    resources:
        mem_mb=4000,
        runtime=90,
    params:
        torch=lambda wildcards: stable(config["torch"]),
        epochs=control_epochs(),
        finetune_epochs=lookup(dpath="pruning/finetune_epochs", within=config),
    script:
        "../scripts/finetune_control.py"


rule pruning_tables:
    input:
        baseline=expand(rules.finetune_baseline.output.metrics, seed=config["pruning"]["seeds"]),
        control=expand(rules.finetune_control.output.metrics, seed=config["pruning"]["seeds"]),
        runs=pruning_runs(),
        chain=chain_runs(),
    output:
        epochs="results/pruning/epochs.csv",
        summary="results/pruning/summary.csv",
        layers="results/pruning/layer_lists.json",
        sweep="results/pruning/finetune_sweep.csv",
    log:
        "logs/pruning/tables.log",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    # sized from the demo and paper-scale runs: reads the metrics JSON files, counts layer lists (3 s, 0.5 GB)
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        layers=lookup(dpath="pruning/unstructured/layers", within=config),
        amount=lambda wildcards: config["pruning"]["unstructured"]["amounts"][0],
        sweeps=lambda wildcards: sweeps(),
        finetune_epochs=lookup(dpath="pruning/finetune_epochs", within=config),
    script:
        "../scripts/pruning_tables.py"
