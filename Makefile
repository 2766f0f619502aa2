# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help install install-dev run test lint bench demo cluster loadtest clean

help:
	@echo "make run    - install, migrate, seed demo data, start Redis if needed, web + worker"
	@echo "make test   - install (with test tools) and run the whole test suite"
	@echo "make lint   - ruff (lint and format check)"
	@echo "make bench  - measure requests/s, p50, p99 per scenario against a bare Django baseline"
	@echo "make demo   - watch the whole story run against a fresh web + worker + SendGrid stand-in"
	@echo "make cluster  - the production shape here: HAProxy, 3 gunicorns, 2 workers, sweeper, 2 Redis, PostgreSQL"
	@echo "make loadtest - a school morning with locust against a running make cluster; fails on a missed gate"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(PY) -m devstack.launcher

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install-dev
	$(PY) -m benchmarks.run $(BENCH_ARGS)

demo: install-dev
	$(PY) -m devstack.demo.walkthrough

cluster: install
	$(PY) -m devstack.cluster $(CLUSTER_ARGS)

# Headless against `make cluster` (in another terminal): LOADTEST_USERS students for LOADTEST_TIME.
LOADTEST_USERS ?= 60
LOADTEST_TIME ?= 60s
loadtest: install-dev
	$(PY) -m loadtest.run --users $(LOADTEST_USERS) --run-time $(LOADTEST_TIME) $(LOADTEST_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
