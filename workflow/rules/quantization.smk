# Experiment 1: the base CNN on Fashion-MNIST, TFLite float32 / int8 (full integer PTQ) and extras, trained and
# converted once per seed of the run (its initialisation, training order and calibration sample), so the int8
# cost is judged over trainings like every other claim; one seed's files (cnn_seed) are deployed and timed.


rule train_base_cnn:
    input:
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        model="results/quantization/seed{seed}/models/base_cnn.keras",
        bare="results/quantization/seed{seed}/models/base_cnn_without_optimizer.keras",
        history="results/quantization/seed{seed}/history.csv",
        metrics="results/quantization/seed{seed}/metrics/keras.json",
    log:
        "logs/quantization/train_base_cnn/seed{seed}.log",
    benchmark:
        "benchmarks/rules/train_base_cnn/seed{seed}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 17 s, 1.3 GB max RSS (real Fashion-MNIST, 1 epoch)
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        model=lambda wildcards: {
            k: config["quantization"][k]
            for k in (
                "conv_filters",
                "kernel_size",
                "dense_units",
                "epochs",
                "batch_size",
                "optimizer",
                "learning_rate",
            )
        },
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/train_base_cnn.py"


rule convert_tflite:
    input:
        model=rules.train_base_cnn.output.model,
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        tflite="results/quantization/seed{seed}/models/base_cnn_{variant}.tflite",
    log:
        "logs/quantization/convert_tflite/seed{seed}/{variant}.log",
    benchmark:
        "benchmarks/rules/convert_tflite/seed{seed}/{variant}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    # sized from docs/sizing/paper-scale-cpu: under 5 s, 0.7 GB max RSS per variant
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        samples=lookup(dpath="quantization/representative_samples", within=config),
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/convert_tflite.py"


rule evaluate_tflite:
    input:
        tflite=rules.convert_tflite.output.tflite,
        model=rules.train_base_cnn.output.model,
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        metrics="results/quantization/seed{seed}/metrics/{variant}.json",
    log:
        "logs/quantization/evaluate_tflite/seed{seed}/{variant}.log",
    benchmark:
        "benchmarks/rules/evaluate_tflite/seed{seed}/{variant}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 5 s, 0.65 GB max RSS (int8; its 1,000 timed runs since moved to time_models)
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/evaluate_tflite.py"


rule quantization_table:
    input:
        keras=expand(rules.train_base_cnn.output.metrics, seed=cnn_seeds()),
        variants=expand(
            rules.evaluate_tflite.output.metrics,
            seed=cnn_seeds(),
            variant=config["quantization"]["variants"],
        ),
    output:
        table="results/quantization/table.csv",
        seeds="results/quantization/seeds.csv",
    log:
        "logs/quantization/table.log",
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    # sized from the demo and paper-scale runs: reads a few JSON files (no benchmark: under a second)
    resources:
        mem_mb=500,
        runtime=5,
    params:
        variants=lookup(dpath="quantization/variants", within=config),
        seeds=lambda wildcards: cnn_seeds(),
    script:
        "../scripts/quantization_table.py"
