# Zhiben — everything an operator or developer runs. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
export DJANGO_SETTINGS_MODULE ?= zhiben.config.settings.local

.DEFAULT_GOAL := help
.PHONY: help install lock lock-upgrade run dev setup demo serve test test-fast test-browser lint format check vendor fuzz bench clean

help: ## List every target
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

# The locked dependency set (exact versions with hashes) of Zhiben with its dev and redis extras; `make lock` refreshes it.
LOCK := requirements/dev.lock
LOCK_TOOLS := $(VENV)/lock-tools
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --extra dev --extra redis --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

$(STAMP): $(LOCK) pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PYTHON)，可用 make PYTHON=python3 ...）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Zhiben with its development tools (exact versions from requirements/dev.lock)

$(LOCK_TOOLS)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet 'pip-tools>=7.5'

lock: $(LOCK_TOOLS)/bin/pip-compile ## Re-resolve requirements/dev.lock after editing pyproject.toml (other versions stay)
	$(PIP_COMPILE)

lock-upgrade: $(LOCK_TOOLS)/bin/pip-compile ## Move every locked dependency to the newest version pyproject.toml allows
	$(PIP_COMPILE) --upgrade

setup: install ## Migrate the SQLite database, load the reference data, create the cache table, collect static files
	$(BIN)/zhiben setup

demo: setup ## Load the demo accounts and data (idempotent)
	$(BIN)/zhiben demo

run: demo ## Install, migrate, load reference + demo data and serve http://127.0.0.1:8000 (gunicorn, DEBUG off)
	@echo "治本已启动：http://$(HOST)/  （Ctrl+C 停止）"
	$(BIN)/zhiben serve $(HOST)

serve: install ## Serve (gunicorn) without touching the data
	$(BIN)/zhiben serve $(HOST)

dev: install ## Django's development server with code reloading and a task worker (ZHIBEN_DEBUG=1 for its debug pages)
	$(BIN)/zhiben dev $(HOST)

# Each run gets its own scratch directory (SQLite test database, media files).
TEST_ENV = DJANGO_SETTINGS_MODULE=zhiben.config.settings.test ZHIBEN_TEST_TMP=$${ZHIBEN_TEST_TMP:-$$(mktemp -d)}

test: install ## Run the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set)
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: install ## Run the tests except the real-browser ones
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 -q -m "not browser"

test-browser: install ## Run only the real-browser tests (needs Debian chromium)
	$(TEST_ENV) $(BIN)/python -m pytest -q -m browser

lint: install ## ruff (lint and format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## ruff format + autofix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install ## Django system checks and the missing-migrations check
	$(BIN)/zhiben check
	$(BIN)/zhiben makemigrations --check --dry-run

vendor: ## Refresh the vendored front-end packages from the npm registry (package.json)
	npm install --no-audit --no-fund
	bash scripts/vendor.sh

fuzz: install ## Schemathesis (every check) against a served demo as admin, officer and enterprise
	$(BIN)/python scripts/fuzz.py --max-examples $${FUZZ_EXAMPLES:-50}

bench: install ## Run the benchmarks in bench/ (see bench/RESULTS.md)
	DJANGO_SETTINGS_MODULE=zhiben.config.settings.test $(BIN)/python bench/run.py

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
