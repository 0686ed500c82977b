"""Experiment 2 (workflow/rules/pruning.smk): unstructured masks and structured filter removal, and their tables."""
