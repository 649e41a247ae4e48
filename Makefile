# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from the hash-pinned lock first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped

.PHONY: bootstrap demo test lint unit docs lock clean

bootstrap: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: bootstrap
	$(BIN)/testrun demo

test: bootstrap lint unit

lint: bootstrap
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

unit: bootstrap
	$(BIN)/pytest -n 2

# Regenerate action.yml and the README tables from src/testrun_action/inputs.py.
docs: bootstrap
	$(BIN)/python tools/gen_docs.py

# Re-resolve the hash-pinned locks (needs uv: `pip install uv`).
lock:
	cd requirements && uv pip compile --universal --python-version 3.11 --generate-hashes runtime.in -o runtime.lock
	cd requirements && uv pip compile --universal --python-version 3.11 --generate-hashes dev.in -o dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
