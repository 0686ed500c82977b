# Deployment: every trained PyTorch model converted to LiteRT (float32, full-integer int8) and
# evaluated; then every model of the run, Experiment 1's included, timed interleaved in one job, and
# its memory measured (TFLM arena, peak live tensors, LiteRT process memory).


rule deploy_model:
    input:
        model=lambda wildcards: trained_model(wildcards.model),
        trained=lambda wildcards: trained_metrics(wildcards.model),
        arrays=model_arrays,
    output:
        float32="results/deployment/models/{model}/float32.tflite",
        int8="results/deployment/models/{model}/int8.tflite",
        metrics="results/deployment/models/{model}/metrics.json",
    log:
        "logs/deployment/deploy_model/{model}.log",
    benchmark:
        "benchmarks/rules/deploy_model/{model}.tsv"
    conda:
        "../../envs/deploy.yaml"
    # one thread: a job is mostly litert-torch's single-threaded graph work, so one-thread jobs side by side
    # finish the deployment stage sooner than multi-threaded ones one after the other, and its files no longer
    # change with the config's threads (benchmarks/deploy_threads.py, docs/sizing/deploy-threads-xeon-2vcpu)
    threads: 1
    # sized from docs/sizing/paper-scale-6-seeds-cpu: 18-30 s and 1.2-1.3 GB max RSS per model (1,000 test images)
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        resolution=lookup(dpath="torch/resolution", within=config),
        calibration_samples=lookup(dpath="deployment/calibration_samples", within=config),
        seed=lookup(dpath="seed", within=config),
    script:
        "../scripts/deploy_model.py"


rule roof_models:
    output:
        float32_dense="results/deployment/roofs/float32_dense.tflite",
        int8_dense="results/deployment/roofs/int8_dense.tflite",
        float32_depthwise="results/deployment/roofs/float32_depthwise.tflite",
        int8_depthwise="results/deployment/roofs/int8_depthwise.tflite",
    log:
        "logs/deployment/roof_models.log",
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    # sized from the demo run: two small conversions, about 5 s and 1 GB
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=lookup(dpath="seed", within=config),
    script:
        "../scripts/roof_models.py"


rule time_models:
    input:
        roofs=multiext(
            "results/deployment/roofs/",
            *(f"{p}_{k}.tflite" for p in ("float32", "int8") for k in ("dense", "depthwise")),
        ),
        float32=deployed_files("float32"),
        int8=deployed_files("int8"),
        pytorch=[trained_model(m) for m in deployed_models()],
        cnn=cnn_files(),
    output:
        latency="results/deployment/latency.csv",
        ratios="results/deployment/ratios.csv",
        machine="results/deployment/machine.json",
    log:
        "logs/deployment/time_models.log",
    benchmark:
        "benchmarks/rules/time_models.tsv"
    conda:
        "../../envs/deploy.yaml"
    # every core: nothing else runs beside the timing job (the SLURM profiles ask for an exclusive node)
    threads: workflow.cores
    # sized from docs/sizing/paper-scale-6-seeds-cpu: 209 s and 3.2 GB max RSS for 30 PyTorch models
    # and 64 .tflite files, 20 rounds (memory grows with the number of models: all are loaded at once);
    # the adaptive rounds may double that (max_rounds 40), the roofs add about 2 s and a 256 MiB buffer
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        models=deployed_models(),
        variants=lookup(dpath="quantization/variants", within=config),
        resolution=lookup(dpath="torch/resolution", within=config),
        # the timing knobs only: the calibration sample size is deploy_model's
        timing=lambda wildcards: timing_settings(),
    script:
        "../scripts/time_models.py"


rule measure_memory:
    input:
        float32=deployed_files("float32"),
        int8=deployed_files("int8"),
        cnn=cnn_files(),
        cifar=lambda wildcards: sorted(set(models_arrays().values())),
        fashion=rules.prepare_fashion_mnist.output.arrays,
    output:
        memory="results/deployment/memory.csv",
    log:
        "logs/deployment/measure_memory.log",
    benchmark:
        "benchmarks/rules/measure_memory.tsv"
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    # sized from the demo run: TFLM bisection and three fresh LiteRT processes per file (about 1-2 s each)
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        models=deployed_models(),
        # each model is tested on its seed's draw of the subset
        cifar=lambda wildcards: models_arrays(),
        variants=lookup(dpath="quantization/variants", within=config),
        resolution=lookup(dpath="torch/resolution", within=config),
        max_arena_mib=lookup(dpath="deployment/max_arena_mib", within=config),
        # int8 models within the largest microcontroller flash are classified by TFLM on the whole test split
        mcu_flash_mib=lambda wildcards: largest_mcu_flash(),
    script:
        "../scripts/measure_memory.py"


rule arm_parity:
    input:
        float32=deployed_files("float32"),
        int8=deployed_files("int8"),
        cnn=cnn_files(),
        cifar=lambda wildcards: sorted(set(models_arrays().values())),
        fashion=rules.prepare_fashion_mnist.output.arrays,
    output:
        parity="results/deployment/arm_parity.csv",
    log:
        "logs/deployment/arm_parity.log",
    benchmark:
        "benchmarks/rules/arm_parity.tsv"
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    # sized from the demo run: 16 files of 4 images in about 10 s under emulation; a float32 ResNet-18
    # at 32 px takes about 0.5 s per image (docs/sizing/)
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        models=deployed_models(),
        # each model is tested on its seed's draw of the subset
        cifar=lambda wildcards: models_arrays(),
        variants=lookup(dpath="quantization/variants", within=config),
        resolution=lookup(dpath="torch/resolution", within=config),
        kernels=lookup(dpath="deployment/kernels", within=config),
        seed=lookup(dpath="seed", within=config),
        arm=lookup(dpath="deployment/arm", within=config),
    script:
        "../scripts/arm_parity.py"


rule vela:
    input:
        int8=deployed_files("int8"),
        cnn=cnn_files(),
    output:
        vela="results/deployment/vela.csv",
    log:
        "logs/deployment/vela.log",
    benchmark:
        "benchmarks/rules/vela.tsv"
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    # sized from the demo run: under a second per model and accelerator
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        models=deployed_models(),
        variants=lookup(dpath="quantization/variants", within=config),
        vela=lookup(dpath="deployment/vela", within=config),
    script:
        "../scripts/vela.py"


rule deployment_table:
    input:
        deployed=deployed_metrics(),
        # the unstructured models' own metrics: their gzip and sparse sizes
        pruning=[modelkey.parse(m).path("metrics.json") for m in unstructured_keys()],
        variants=quantization_metrics(),
        latency=rules.time_models.output.latency,
        ratios=rules.time_models.output.ratios,
        machine=rules.time_models.output.machine,
        memory=rules.measure_memory.output.memory,
        # the graphs of the timed files: MACs and bytes for the roofline
        float32=deployed_files("float32"),
        int8=deployed_files("int8"),
        cnn=cnn_files(),
    output:
        table="results/deployment/table.csv",
        roofline="results/deployment/roofline.csv",
        speedups="results/deployment/speedups.csv",
    log:
        "logs/deployment/table.log",
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    # sized from the demo and paper-scale runs: reads JSON and CSV files (no benchmark: under a second)
    resources:
        mem_mb=500,
        runtime=5,
    params:
        models=deployed_models(),
        unstructured=unstructured_keys(),
        variants=lookup(dpath="quantization/variants", within=config),
        batch=lookup(dpath="deployment/throughput_batch", within=config),
    script:
        "../scripts/deployment_table.py"
