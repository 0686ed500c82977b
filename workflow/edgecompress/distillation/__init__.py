"""Experiment 3 (workflow/rules/distillation.smk): the distillation loss, the student runs, and their tables."""
