# Two commands a newcomer needs: `make run` (the paper's protocol) and `make test` (`make test-all` is what CI runs).
PYTHON      ?= python3.11
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.lock-stamp
KERNEL      := edgecompress
# snakemake --cores 4, or the CPUs this machine lets a process use where they are fewer (jobs above them share cores)
CORES       ?= $(shell n=$$(nproc 2>/dev/null || echo 4); if [ "$$n" -lt 4 ]; then echo "$$n"; else echo 4; fi)
SNAKEMAKE   := $(BIN)/snakemake
FIXTURES    := resources/fixtures
# Rules that run shell commands (papermill, jupyter) find them in the venv.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv arm run test test-all test-fast demo fixtures dag lock lint config-docs sizing-docs readme-picture compare reference clean

# Rebuilt only when missing or when a lock or pyproject.toml changed (the stamp keeps their hashes); the
# package is installed editable (pip install -e .), so rule scripts, notebooks and benchmarks import it.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name $(KERNEL) --display-name "edgecompress (.venv)"
	sha256sum requirements.lock requirements-dev.lock pyproject.toml > $(STAMP)

# The aarch64 sysroot of ARM parity (qemu-user, Debian's arm64 Python, the aarch64 LiteRT wheel): root
# for apt-get. Where it cannot be built the arm_parity rule writes "not run" rows and the rest runs.
ARM_SYSROOT := .arm/sysroot
arm: $(STAMP)
	$(BIN)/python -m edgecompress.deployment.armsetup $(ARM_SYSROOT)

venv: $(STAMP)
	@$(BIN)/python -m edgecompress.deployment.armsetup $(ARM_SYSROOT) || \
		echo "make venv: no aarch64 sysroot here (above: why); ARM parity will say 'not run'. Everything else is ready."

run: venv
	$(SNAKEMAKE) --cores $(CORES)

# Three tiers of the suite, selected by what a test needs (pytest markers, pyproject.toml; conftest.py
# adds demo, second_demo and slurm from the fixtures a test uses). tests/unit/test_layout.py checks that every
# marker is named here and that no test is in a tier whose needs it does not declare.
# make test: the unit tests, the session's demo and every test reading it, the rerun table, the
# interrupted run, the real-data branch. make test-all (what CI runs) adds the second clean demo through
# SLURM, the reproducibility comparison, the SLURM failure, the branch runs outside the demo and the
# benchmark scripts that measure on their own (the conversion profile).
FAST_TIER := not (workflow or demo or real_data or branch_run or benchmark or second_demo or slurm)
TEST_TIER := not (branch_run or benchmark or second_demo or slurm)

test: venv
	$(BIN)/python -m pytest -m "$(TEST_TIER)"

test-all: venv
	$(BIN)/python -m pytest

# The unit tests only (no Snakemake run, no SLURM, no model trained and converted).
test-fast: venv
	$(BIN)/python -m pytest -m "$(FAST_TIER)"

# The whole DAG offline on fixture data generated in the official formats.
fixtures: venv
	$(BIN)/python -m edgecompress.data.fixtures $(FIXTURES)

demo: fixtures
	$(SNAKEMAKE) --cores $(CORES) --configfile config/test.yaml
	$(SNAKEMAKE) --cores $(CORES) --configfile config/test.yaml --report results/report.html

# ruff (pycodestyle, pyflakes, import order, formatting; pyproject.toml), snakefmt, Snakemake's own linter.
lint: fixtures
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow
	$(SNAKEMAKE) --lint
	$(SNAKEMAKE) --lint --configfile config/test.yaml

# The DAG as a picture for the README (graphviz's `dot`: apt-get install graphviz).
dag: fixtures
	$(SNAKEMAKE) --rulegraph --configfile config/test.yaml | dot -Tsvg > docs/rulegraph.svg

# Did run B reproduce run A? Every metric matched and judged by its kind (docs/reproducibility.md).
OUT ?= comparison
compare: venv
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make compare A=<run folder> B=<run folder> [OUT=comparison]"; exit 2; }
	$(BIN)/python -m edgecompress.compare "$(A)" "$(B)" --out "$(OUT)"

# The demo's metrics and tables, from a clean run in a scratch folder, into docs/reference/demo
# (docs/reference/demo/README.md says when to).
REFERENCE_RUN := .reference-run
reference: fixtures
	rm -rf $(REFERENCE_RUN) && mkdir -p $(REFERENCE_RUN)
	printf 'data:\n  mirror: "%s"\n' "$(abspath $(FIXTURES))" > $(REFERENCE_RUN)/mirror.yaml
	$(SNAKEMAKE) --cores 2 --directory $(REFERENCE_RUN) --configfile config/config.yaml config/test.yaml $(REFERENCE_RUN)/mirror.yaml
	$(BIN)/python -m edgecompress.reference $(REFERENCE_RUN) docs/reference/demo
	rm -rf $(REFERENCE_RUN)

# Regenerate the key table of config/README.md from the schema (a test checks it is current).
config-docs: venv
	$(BIN)/python -m edgecompress.configdocs workflow/schemas/config.schema.yaml config/README.md

# Regenerate the README's measured test times from the committed sizing table (a test checks it is current).
TEST_TIMES := docs/sizing/test-tiers-xeon-2vcpu/test_times.csv
sizing-docs: venv
	$(BIN)/python benchmarks/test_times.py --readme README.md $(TEST_TIMES)
	$(BIN)/python benchmarks/sizing_numbers.py

# The README's picture of the report's first page, from a finished run (RUN=<its folder>, default: here).
RUN ?= .
readme-picture: venv
	$(BIN)/python -m edgecompress.report.render "$(RUN)/results/report/paper.typ" docs/report-first-page.png

# Re-resolve the lock from requirements.in in a scratch venv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip==26.3
	.lock-venv/bin/python -m pip install --quiet -r requirements.in
	{ head -n 2 requirements.lock; .lock-venv/bin/python -m pip freeze --all --exclude pip; } > requirements.lock.new
	.lock-venv/bin/python -m pip install --quiet -r requirements-dev.in
	{ head -n 2 requirements-dev.lock; .lock-venv/bin/python -m pip freeze --all --exclude pip | grep -vxFf requirements.lock.new; } \
		> requirements-dev.lock.new
	mv requirements.lock.new requirements.lock && mv requirements-dev.lock.new requirements-dev.lock && rm -rf .lock-venv

clean:
	rm -rf .snakemake results logs benchmarks/results resources comparison $(REFERENCE_RUN)
