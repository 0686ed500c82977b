"""Experiment 1 (workflow/rules/quantization.smk): the base CNN, its TFLite conversion and evaluation, and its table."""
