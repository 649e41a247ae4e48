# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from the hash-pinned lock first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped

.PHONY: bootstrap demo test lint unit container bench system-deps docs lock clean

bootstrap: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: bootstrap
	$(BIN)/testrun demo

test: bootstrap system-deps lint unit container

lint: bootstrap
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src benchmarks
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint

unit: bootstrap
	$(BIN)/pytest -n 2 --ignore=tests/container

# The action's image, built from the Dockerfile and run as GitHub's runner runs it, and workflows that
# use it run by act through podman's Docker API (tests/container; act comes with the dev lock).
# One process: the tests share one image build, and each container wants a core of its own.
container: bootstrap system-deps
	$(BIN)/pytest tests/container

# Start-up, waiting, scale and image figures, side by side with what they are compared with; the
# tables go to benchmarks/results/latest.md, and from there to docs/performance.md. Not part of `make test`.
bench: bootstrap
	$(BIN)/python -m benchmarks
	$(BIN)/python tools/gen_docs.py

# Debian packages the tests need: podman and runc build and run the image, debootstrap makes the
# stand-in for its base image, shellcheck lets actionlint check the workflows' shell steps, openssl makes
# the self-signed certificates of the TLS tests (tests/test_error_messages.py).
# Installed only when missing, so a machine that has them needs neither root nor the network.
SYSTEM_TOOLS := podman:podman runc:runc debootstrap:debootstrap shellcheck:shellcheck openssl:openssl
system-deps:
	@missing=""; \
	for pair in $(SYSTEM_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null || [ -x "/usr/sbin/$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; \
	done; \
	[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing="$$missing debian-archive-keyring"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing:$$missing; run 'sudo make system-deps'" >&2; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Regenerate action.yml, docs/inputs.md and the README's list of services from src/testrun_action/inputs.py
# and the providers' specs, and docs/performance.md's tables from benchmarks/results/latest.md.
docs: bootstrap
	$(BIN)/python tools/gen_docs.py

# Re-resolve the hash-pinned locks (needs uv: `pip install uv`).
# The image's lock leaves out what the action never imports: cryptography (PyJWT imports it only to sign
# GitHub App tokens; the action authenticates with a token) and pycparser (cffi needs it only to compile
# C declarations; PyNaCl's bindings are compiled into its wheel). The image installs with --no-deps.
IMAGE_UNUSED := --no-emit-package cryptography --no-emit-package pycparser
lock:
	cd requirements && uv pip compile --universal --python-version 3.11 --generate-hashes $(IMAGE_UNUSED) runtime.in -o runtime.lock
	cd requirements && uv pip compile --universal --python-version 3.11 --generate-hashes dev.in -o dev.lock
	cd requirements && uv pip compile --universal --python-version 3.11 --generate-hashes build.in -o build.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
