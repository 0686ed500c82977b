"""The data stage (rules in workflow/rules/data.smk): download with checksums, the IDX and CIFAR readers,
the prepared arrays, and the fixtures in the official formats."""
