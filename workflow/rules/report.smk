# The report: papermill notebooks (figures, tables), then Jinja2 -> Typst -> PDF.

# papermill runs the notebook; nbclean strips its clock times (same inputs, same bytes); nbconvert exports it
PAPERMILL = (  # every path quoted (:q): a checkout or run folder may hold spaces, quotes, any letters
    "papermill {input.notebook:q} {output.notebook:q} --kernel {params.kernel:q} --cwd . "
    "--parameters_yaml {params.parameters:q} --log-output > {log:q} 2>&1 && "
    "python -m edgecompress.report.nbclean {output.notebook:q} "
    ">> {log:q} 2>&1 && "
    'jupyter nbconvert --to html --output-dir "$(dirname {output.html:q})" {output.notebook:q} >> {log:q} 2>&1'
)


rule notebook_quantization:
    input:
        notebook=repo_path("notebooks/quantization.ipynb"),
        keras=expand(rules.train_base_cnn.output.metrics, seed=cnn_seed())[0],
        variants=quantization_metrics(),
    output:
        figure=report(
            multiext("results/report/quantization/quantization", ".png", ".svg"),
            caption="../../report/captions/quantization.rst",
            category="Experiment 1: quantization",
            labels={"figure": "size, accuracy, latency"},
        ),
        table=report(
            "results/report/quantization/variants.csv",
            caption="../../report/captions/quantization_table.rst",
            category="Experiment 1: quantization",
            labels={"table": "variants"},
        ),
        notebook="results/report/quantization/quantization.ipynb",
        html="results/report/quantization/quantization.html",
    log:
        "logs/report/notebook_quantization.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        kernel=lookup(dpath="report/kernel", within=config),
        parameters=lambda wildcards, input, output: notebook_parameters(
            keras_metrics=input.keras,
            variant_metrics=list(input.variants),
            out_dir="results/report/quantization",
        ),
    shell:
        PAPERMILL


rule notebook_pruning:
    input:
        notebook=repo_path("notebooks/pruning.ipynb"),
        epochs=rules.pruning_tables.output.epochs,
        summary=rules.pruning_tables.output.summary,
        sweep=rules.pruning_tables.output.sweep,
    output:
        curves=report(
            multiext("results/report/pruning/curves", ".png", ".svg"),
            caption="../../report/captions/pruning_curves.rst",
            category="Experiment 2: pruning",
            labels={"figure": "training curves"},
        ),
        sweep=report(
            multiext("results/report/pruning/sweep", ".png", ".svg"),
            caption="../../report/captions/pruning_sweep.rst",
            category="Experiment 2: pruning",
            labels={"figure": "accuracy vs sparsity and MACs"},
        ),
        finetune=report(
            multiext("results/report/pruning/finetune", ".png", ".svg"),
            caption="../../report/captions/pruning_finetune.rst",
            category="Experiment 2: pruning",
            labels={"figure": "accuracy vs fine-tuning epochs"},
        ),
        table="results/report/pruning/sweep.csv",
        notebook="results/report/pruning/pruning.ipynb",
        html="results/report/pruning/pruning.html",
    log:
        "logs/report/notebook_pruning.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        kernel=lookup(dpath="report/kernel", within=config),
        parameters=lambda wildcards, input, output: notebook_parameters(
            epochs_csv=input.epochs,
            summary_csv=input.summary,
            sweep_csv=input.sweep,
            seed=config["pruning"]["seeds"][0],
            amounts={m: config["pruning"][m]["amounts"][0] for m in modelkey.PRUNING},
            out_dir="results/report/pruning",
        ),
    shell:
        PAPERMILL


rule notebook_distillation:
    input:
        notebook=repo_path("notebooks/distillation.ipynb"),
        epochs=rules.distillation_tables.output.epochs,
        grid=rules.distillation_tables.output.grid,
    output:
        curves=report(
            multiext("results/report/distillation/curves", ".png", ".svg"),
            caption="../../report/captions/distillation_curves.rst",
            category="Experiment 3: distillation",
            labels={"figure": "training curves"},
        ),
        grid=report(
            multiext("results/report/distillation/grid", ".png", ".svg"),
            caption="../../report/captions/distillation_grid.rst",
            category="Experiment 3: distillation",
            labels={"figure": "T x alpha grid"},
        ),
        notebook="results/report/distillation/distillation.ipynb",
        html="results/report/distillation/distillation.html",
    log:
        "logs/report/notebook_distillation.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        kernel=lookup(dpath="report/kernel", within=config),
        parameters=lambda wildcards, input, output: notebook_parameters(
            epochs_csv=input.epochs,
            grid_csv=input.grid,
            seed=config["distillation"]["seeds"][0],
            temperature=config["distillation"]["table_temperature"],
            alpha=config["distillation"]["table_alpha"],
            out_dir="results/report/distillation",
        ),
    shell:
        PAPERMILL


rule notebook_deployment:
    input:
        notebook=repo_path("notebooks/deployment.ipynb"),
        table=rules.deployment_table.output.table,
        roofline=rules.deployment_table.output.roofline,
        machine=rules.time_models.output.machine,
    output:
        figure=report(
            multiext("results/report/deployment/pareto", ".png", ".svg"),
            caption="../../report/captions/deployment.rst",
            category="Deployment",
            labels={"figure": "accuracy vs LiteRT latency (Pareto)"},
        ),
        memory=report(
            multiext("results/report/deployment/memory", ".png", ".svg"),
            caption="../../report/captions/deployment_memory.rst",
            category="Deployment",
            labels={"figure": "accuracy vs process memory"},
        ),
        roofline=report(
            multiext("results/report/deployment/roofline", ".png", ".svg"),
            caption="../../report/captions/deployment_roofline.rst",
            category="Deployment",
            labels={"figure": "roofline of the timing job's CPU"},
        ),
        notebook="results/report/deployment/deployment.ipynb",
        html="results/report/deployment/deployment.html",
    log:
        "logs/report/notebook_deployment.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        kernel=lookup(dpath="report/kernel", within=config),
        parameters=lambda wildcards, input, output: notebook_parameters(
            table_csv=input.table,
            roofline_csv=input.roofline,
            machine_json=input.machine,
            out_dir="results/report/deployment",
        ),
    shell:
        PAPERMILL


rule render_report:
    input:
        template=repo_path("report/paper.typ.j2"),
        quant_table=rules.quantization_table.output.table,
        # the deployed seed's CNN: its worked example and weight check (the table holds every seed)
        quant_keras=expand(rules.train_base_cnn.output.metrics, seed=cnn_seed())[0],
        quant_int8=expand(rules.evaluate_tflite.output.metrics, seed=cnn_seed(), variant="int8")[0],
        quant_seeds=rules.quantization_table.output.seeds,
        pruning_epochs=rules.pruning_tables.output.epochs,
        pruning_summary=rules.pruning_tables.output.summary,
        pruning_layers=rules.pruning_tables.output.layers,
        pruning_sweep=rules.pruning_tables.output.sweep,
        kd_table2=rules.distillation_tables.output.table2,
        kd_grid=rules.distillation_tables.output.grid,
        kd_epochs=rules.distillation_tables.output.epochs,
        deployment_table=rules.deployment_table.output.table,
        deployment_machine=rules.time_models.output.machine,
        deployment_latency=rules.time_models.output.latency,
        deployment_memory=rules.measure_memory.output.memory,
        deployment_arm=rules.arm_parity.output.parity,
        deployment_vela=rules.vela.output.vela,
        deployment_roofline=rules.deployment_table.output.roofline,
        deployment_speedups=rules.deployment_table.output.speedups,
        # the chain over each method alone, with its interval over timing rounds (the fifth conclusion)
        deployment_ratios=rules.time_models.output.ratios,
        fashion_summary=rules.prepare_fashion_mnist.output.summary,
        cifar_summaries=expand(rules.prepare_cifar10.output.summary, draw=cifar_draws()),
        cifar_archive=download_path("cifar10.archive"),
        schema=repo_path("workflow/schemas/config.schema.yaml"),
        # report.reference's metrics and tables, compared in the provenance appendix (none when unset)
        reference=reference_files(),
        # every metrics file, for the provenance appendix (commit and device of each)
        metrics=expand(
            rules.evaluate_tflite.output.metrics, seed=cnn_seeds(), variant=config["quantization"]["variants"]
        )
        + expand(rules.train_base_cnn.output.metrics, seed=cnn_seeds())
        # the baselines of every seed: the pruning's and the distillation teachers' (the weights gate checks them all)
        + expand(
            rules.finetune_baseline.output.metrics,
            seed=list(dict.fromkeys(config["pruning"]["seeds"] + config["distillation"]["seeds"])),
        )
        + pruning_runs()
        + expand(rules.finetune_control.output.metrics, seed=config["pruning"]["seeds"])
        + chain_runs()
        + expand(rules.train_student.output.metrics, seed=config["distillation"]["seeds"])
        + distillation_runs()
        + deployed_metrics(),
    output:
        typst="results/report/paper.typ",
    log:
        "logs/report/render_report.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=500,
        runtime=5,
    params:
        # the config less the fetch locations: a new mirror or URL with the same checksums re-renders nothing
        config=lambda wildcards: stable(without_locations(config)),
        # each figure as the template includes it (relative to paper.typ) and the notebook that drew it
        figures=lambda wildcards: report_figures(),
    script:
        "../scripts/render_report.py"


rule compile_report:
    input:
        typst=rules.render_report.output.typst,
        # the figures paper.typ includes: the one list, common.smk's report_figures
        figures=lambda wildcards: [figure["file"] for figure in report_figures().values()],
    output:
        pdf=report(
            "results/report/paper.pdf",
            caption="../../report/captions/paper.rst",
            category="Report",
            labels={"document": "reproduction report (PDF)"},
        ),
    log:
        "logs/report/compile_report.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    # sized from the demo run: the report stage (4 notebooks, render, compile) took about 11 s in all
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/compile_report.py"
