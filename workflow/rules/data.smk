# Stage 1: checksummed downloads (public URLs or a mirror) and compact uint8 arrays.


rule download:
    output:
        "resources/downloads/{filename}",
    log:
        "logs/download/{filename}.log",
    conda:
        "../../envs/data.yaml"
    threads: 1
    # sized from: network-bound (170 MB for CIFAR-10 on a slow link); streams 64 KiB chunks
    resources:
        mem_mb=256,
        runtime=30,
    # Only the checksums define a download. Where the file comes from (URL, mirror) and how it is
    # fetched (retries, timeouts) are read from the config by the script, deliberately not as
    # params: a changed mirror or URL must not re-plan the download and every job after it.
    params:
        checksums=checksums_of,
        official_url=lambda wildcards: OFFICIAL_URL_BY_FILE[wildcards.filename],
    script:
        "../scripts/download.py"


rule prepare_fashion_mnist:
    input:
        train_images=download_path("fashion_mnist.train_images"),
        train_labels=download_path("fashion_mnist.train_labels"),
        test_images=download_path("fashion_mnist.test_images"),
        test_labels=download_path("fashion_mnist.test_labels"),
    output:
        arrays="resources/data/fashion_mnist.npz",
        summary="resources/data/fashion_mnist.json",
    log:
        "logs/prepare_fashion_mnist.log",
    benchmark:
        "benchmarks/rules/prepare_fashion_mnist.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    # sized from docs/sizing/paper-scale-cpu: 0.4 s, 8 MB max RSS (real Fashion-MNIST)
    resources:
        mem_mb=1024,
        runtime=10,
    script:
        "../scripts/prepare_fashion_mnist.py"


# One stratified draw of the subset per {draw}: by default each training seed's own (cifar_draw in common.smk).
rule prepare_cifar10:
    input:
        archive=download_path("cifar10.archive"),
    output:
        arrays="resources/data/cifar10_subset_draw{draw}.npz",
        summary="resources/data/cifar10_subset_draw{draw}.json",
    log:
        "logs/prepare_cifar10/draw{draw}.log",
    benchmark:
        "benchmarks/rules/prepare_cifar10/draw{draw}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    # sized from docs/sizing/paper-scale-cpu: 0.4 s, 4 MB; gpu-preset-h200: 0.8 s, 44 MB
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        train_size=lookup(dpath="data/cifar10/train_size", within=config),
        test_size=lookup(dpath="data/cifar10/test_size", within=config),
        seed=lambda wildcards: int(wildcards.draw),
    script:
        "../scripts/prepare_cifar10.py"
