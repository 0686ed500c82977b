# Experiment 3: MobileNetV2 trained alone and distilled from the fine-tuned ResNet-18 (the pruning
# baseline of the same seed), over a grid of temperatures and soft-loss weights.


rule train_student:
    input:
        unpack(pretrained_weights("mobilenet_v2")),
        arrays=seed_arrays,
    output:
        model="results/distillation/student/seed{seed}/model.pt",
        history="results/distillation/student/seed{seed}/history.csv",
        metrics="results/distillation/student/seed{seed}/metrics.json",
    log:
        "logs/distillation/student/seed{seed}.log",
    benchmark:
        "benchmarks/rules/train_student/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 20 s, 1.2 GB max RSS; gpu-preset-h200 (224 px): 23 s, 1.5 GB
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        torch=lambda wildcards: stable(config["torch"]),
        epochs=lookup(dpath="distillation/epochs", within=config),
        weights_prefix=OFFICIAL_WEIGHT_PREFIX["mobilenet_v2"],
    script:
        "../scripts/train_student.py"


rule distill_student:
    input:
        unpack(pretrained_weights("mobilenet_v2")),
        arrays=seed_arrays,
        teacher=rules.finetune_baseline.output.model,
    output:
        model="results/distillation/kd/T{temperature}_alpha{alpha}/seed{seed}/model.pt",
        history="results/distillation/kd/T{temperature}_alpha{alpha}/seed{seed}/history.csv",
        metrics="results/distillation/kd/T{temperature}_alpha{alpha}/seed{seed}/metrics.json",
    log:
        "logs/distillation/kd/T{temperature}_alpha{alpha}/seed{seed}.log",
    benchmark:
        "benchmarks/rules/distill_student/T{temperature}_alpha{alpha}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 25 s, 1.24 GB max RSS; gpu-preset-h200 (224 px): 23 s, 1.6 GB
    resources:
        mem_mb=4000,
        runtime=90,
    params:
        torch=lambda wildcards: stable(config["torch"]),
        epochs=lookup(dpath="distillation/epochs", within=config),
        weights_prefix=OFFICIAL_WEIGHT_PREFIX["mobilenet_v2"],
    script:
        "../scripts/distill_student.py"


rule distillation_tables:
    input:
        teacher=expand(rules.finetune_baseline.output.metrics, seed=config["distillation"]["seeds"]),
        student=expand(rules.train_student.output.metrics, seed=config["distillation"]["seeds"]),
        kd=distillation_runs(),
    output:
        table2="results/distillation/table2.csv",
        grid="results/distillation/grid.csv",
        epochs="results/distillation/epochs.csv",
    log:
        "logs/distillation/tables.log",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    # sized from the demo and paper-scale runs: reads the metrics JSON files (no benchmark: under a second)
    resources:
        mem_mb=500,
        runtime=5,
    params:
        temperature=lookup(dpath="distillation/table_temperature", within=config),
        alpha=lookup(dpath="distillation/table_alpha", within=config),
    script:
        "../scripts/distillation_tables.py"
