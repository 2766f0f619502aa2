# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help install install-dev run test lint bench demo clean

help:
	@echo "make run    - install, migrate, seed demo data, start Redis if needed, web + worker"
	@echo "make test   - install (with test tools) and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make bench  - measure requests/s, p50, p99 per scenario against a bare Django baseline"
	@echo "make demo   - watch the whole story run against a fresh web + worker + SendGrid stand-in"

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

bench: install-dev
	$(PY) -m benchmarks.run $(BENCH_ARGS)

demo: install-dev
	$(PY) -m devstack.demo.walkthrough

clean:
	rm -rf var .pytest_cache .ruff_cache
