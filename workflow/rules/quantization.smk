# Experiment 1: the base CNN on Fashion-MNIST, TFLite float32 / int8 (full integer PTQ) and extras.


rule train_base_cnn:
    input:
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        model="results/quantization/models/base_cnn.keras",
        bare="results/quantization/models/base_cnn_without_optimizer.keras",
        history="results/quantization/history.csv",
        metrics="results/quantization/metrics/keras.json",
    log:
        "logs/quantization/train_base_cnn.log",
    benchmark:
        "benchmarks/rules/train_base_cnn.tsv"
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
        seed=lookup(dpath="seed", within=config),
    script:
        "../scripts/train_base_cnn.py"


rule convert_tflite:
    input:
        model=rules.train_base_cnn.output.model,
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        tflite="results/quantization/models/base_cnn_{variant}.tflite",
    log:
        "logs/quantization/convert_tflite/{variant}.log",
    benchmark:
        "benchmarks/rules/convert_tflite/{variant}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: 1
    # sized from docs/sizing/paper-scale-cpu: under 5 s, 0.7 GB max RSS per variant
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        samples=lookup(dpath="quantization/representative_samples", within=config),
        seed=lookup(dpath="seed", within=config),
    script:
        "../scripts/convert_tflite.py"


rule evaluate_tflite:
    input:
        tflite=rules.convert_tflite.output.tflite,
        model=rules.train_base_cnn.output.model,
        arrays=rules.prepare_fashion_mnist.output.arrays,
    output:
        metrics="results/quantization/metrics/{variant}.json",
    log:
        "logs/quantization/evaluate_tflite/{variant}.log",
    benchmark:
        "benchmarks/rules/evaluate_tflite/{variant}.tsv"
    conda:
        "../../envs/tensorflow.yaml"
    threads: config["threads"]
    # sized from docs/sizing/paper-scale-cpu: 5 s, 0.65 GB max RSS (int8; its 1,000 timed runs since moved to time_models)
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=lookup(dpath="seed", within=config),
    script:
        "../scripts/evaluate_tflite.py"


rule quantization_table:
    input:
        keras=rules.train_base_cnn.output.metrics,
        variants=expand(
            "results/quantization/metrics/{variant}.json",
            variant=config["quantization"]["variants"],
        ),
    output:
        table="results/quantization/table.csv",
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
    script:
        "../scripts/quantization_table.py"
