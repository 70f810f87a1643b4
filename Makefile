# The two commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run cli test lint typecheck unit bench bench-cli system system-test clean

run: system $(RUN_STAMP) web/node_modules/.package-lock.json
	$(VENV)/bin/cratedig serve

# The command line without activating the venv: make cli ARGS="submit URL --wait"
cli: $(RUN_STAMP)
	$(VENV)/bin/cratedig $(ARGS)

test: system-test $(DEV_STAMP) lint typecheck unit

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check --no-cache src tests bench scripts
	$(VENV)/bin/ruff format --no-cache --check src tests bench scripts

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

unit: system-test $(DEV_STAMP) web/node_modules/.package-lock.json
	$(VENV)/bin/pytest -n 2 tests

bench: system-test $(BENCH_STAMP) web/node_modules/.package-lock.json
	$(PY) -m bench.run

# `cratedig` start-up against the commit before it was made lazy (BASE=rev for another).
bench-cli: system $(RUN_STAMP)
	$(PY) -m bench.cli_startup $(if $(BASE),--base $(BASE))

system:
	@scripts/install-system-deps.sh

system-test:
	@scripts/install-system-deps.sh --test

# hls.js and the other front-end packages, from the lock file.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(BENCH_STAMP): pyproject.toml $(DEV_STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info web/node_modules
