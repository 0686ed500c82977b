# Stage 1: checksummed downloads (public URLs or a mirror) and compact uint8 arrays.


rule download:
    output:
        "resources/downloads/{filename}",
    log:
        "logs/download/{filename}.log",
    params:
        url=lambda wildcards: SOURCE_BY_FILE[wildcards.filename]["url"],
        checksums=checksums_of,
        mirror=lookup(dpath="data/mirror", within=config),
        retries=lookup(dpath="data/retries", within=config),
        backoff=lookup(dpath="data/backoff_seconds", within=config),
        timeout=lookup(dpath="data/timeout_seconds", within=config),
    threads: 1
    resources:
        mem_mb=256,
        runtime=30,
    conda:
        "../../envs/data.yaml"
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
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/prepare_fashion_mnist.py"


rule prepare_cifar10:
    input:
        archive=download_path("cifar10.archive"),
    output:
        arrays="resources/data/cifar10_subset.npz",
        summary="resources/data/cifar10_subset.json",
    log:
        "logs/prepare_cifar10.log",
    benchmark:
        "benchmarks/rules/prepare_cifar10.tsv"
    params:
        train_size=lookup(dpath="data/cifar10/train_size", within=config),
        test_size=lookup(dpath="data/cifar10/test_size", within=config),
        seed=lookup(dpath="data/cifar10/subset_seed", within=config),
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/prepare_cifar10.py"
