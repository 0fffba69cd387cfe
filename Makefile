# The one list of commands. README.md and .ci/run call these targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
RUST_SRC := $(shell find rust_core/src -name '*.rs' 2>/dev/null) rust_core/Cargo.toml Cargo.toml Cargo.lock
NODE_COMPAT := tests/compat
ADMIN_SRC := admin/package-lock.json admin/vite.config.js $(wildcard admin/src/*)
ADMIN_OUT := python/commerce/admin_ui/index.html

.DEFAULT_GOAL := help
.PHONY: help install serve test lint rust-test py-test bench bench-engine load clean wheel test-deps admin-ui chromium

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

install: $(VENV)/.native-stamp admin-ui ## create .venv, install pinned dependencies, build the engine (release) and the admin UI; no-op when unchanged
	@# Bytecode for the package, as a wheel install has it: with PYTHONDONTWRITEBYTECODE every start compiled it.
	@$(PY) -m compileall -q python/commerce >/dev/null

admin-ui: ## build Medusa's admin dashboard (admin/) into python/commerce/admin_ui/, served at /app; skipped without npm
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(ADMIN_OUT); \
	else echo "npm not found: the admin UI (/app) is not built; install node 20.19+ and npm, then run make install"; fi

admin/node_modules/.package-lock.json: admin/package-lock.json
	cd admin && npm ci --no-audit --no-fund --ignore-scripts

$(ADMIN_OUT): admin/node_modules/.package-lock.json $(ADMIN_SRC)
	cd admin && node_modules/.bin/vite build

$(VENV)/.deps-stamp: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check maturin==1.16.0
	$(BIN)/maturin develop --release -q --extras dev
	touch $@ $(VENV)/.native-stamp

$(VENV)/.native-stamp: $(VENV)/.deps-stamp $(RUST_SRC)
	$(BIN)/maturin develop --release -q --skip-install
	touch $@

# -i $(PY): the interpreter `make install` builds for, so cargo reuses that build instead of compiling again.
wheel: install ## a release wheel in target/wheels (manylinux tag for the glibc its symbols need; see README)
	$(BIN)/maturin build --release -i $(PY) -o target/wheels

serve: install ## serve on HOST:PORT (127.0.0.1:9000), embedded PostgreSQL unless DATABASE_URL is set
	$(BIN)/commerce serve

lint: install ## cargo fmt --check, clippy -D warnings, ruff, mypy, stubtest
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	$(BIN)/ruff check python tests bench
	$(BIN)/ruff format --check python tests bench
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest commerce._native --allowlist stubtest-allowlist.txt

rust-test: ## cargo test (pure domain code, no Python)
	cargo test --quiet
	cargo test --quiet --features python --lib python::  # the conversion tests, which need libpython

test-deps: ## Debian's pgbouncer for tests/scale (installed when missing; needs root, as CI runs)
	command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer)

chromium: ## Debian's chromium for tests/admin_ui (apt-get as root when /usr/bin/chromium is missing; skipped otherwise)
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "no /usr/bin/chromium and not root with apt-get: tests/admin_ui will be skipped"; fi

py-test: install test-deps chromium ## pytest: unit, db, api over real HTTP, engine properties, JS SDK compat, scale, admin UI
	$(BIN)/pytest

test: lint rust-test py-test ## everything CI runs

bench: install ## engine and HTTP benchmarks; writes bench/RESULTS.md (needs wrk)
	bash bench/run.sh

load: install ## locust (bench/locustfile.py) headless against a local server; writes bench/RESULTS.md and bench/load.png
	$(PY) bench/load.py

clean: ## remove build outputs and the venv (keeps .commerce/ data)
	rm -rf $(VENV) target
