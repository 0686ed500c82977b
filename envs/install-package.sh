#!/usr/bin/env bash
# The post-deploy script of every rule's conda env (envs/<env>.post-deploy.sh link here): Snakemake runs it
# once, inside the new env, from its working directory. It installs this workflow's package, edgecompress,
# editable from the checkout: without dependencies (the env file pins them) and without build isolation
# (the env pins setuptools, so nothing is downloaded). A rule's script and the report env's kernel then
# import it like any package; nothing puts it on PYTHONPATH.
set -euo pipefail
if ! grep -qsx 'name = "edgecompress"' pyproject.toml; then
    echo "post-deploy: $PWD is not the edgecompress checkout (no pyproject.toml naming the package):" \
        "run snakemake --sdm conda from the checkout's root, where the Snakefile is" >&2
    exit 1
fi
python -m pip install --no-deps --no-build-isolation --editable .
