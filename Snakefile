# Reproduction of Marchuk (2025), "Analysis of convolutional neural network compression methods
# for effective deployment in Edge AI environments", DOI 10.32689/maup.it.2025.4.17.
# A table of contents: the stages live in workflow/rules/, the logic in workflow/edgecompress/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/quantization.smk"
include: "workflow/rules/pruning.smk"
include: "workflow/rules/distillation.smk"
include: "workflow/rules/deployment.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
