"""Experiment 3 (workflow/rules/distillation.smk): the student runs (alone and distilled) and their tables."""
