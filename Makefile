# The two commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV_STAMP := $(VENV)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test lint typecheck unit bench system system-test clean

run: system $(DEV_STAMP)
	$(VENV)/bin/cratedig demo

test: system-test $(DEV_STAMP) lint typecheck unit

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

unit: system-test $(DEV_STAMP)
	$(VENV)/bin/pytest -n 2 tests

bench: system-test $(BENCH_STAMP)
	$(PY) -m bench.run

system:
	@scripts/install-system-deps.sh

# Tests and benchmarks also render labelled music with fluidsynth.
system-test:
	@CRATEDIG_NEED_SYNTH=1 scripts/install-system-deps.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(BENCH_STAMP): pyproject.toml $(DEV_STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
