# Every target installs what it needs: a fresh machine needs only Python (>= 3.11) and pip.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the one pip installs; never download a Python (no internet but PyPI)
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: setup demo test lint unit bench clean

setup:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --user uv
	$(UV) sync --frozen

demo: setup  ## the pilot year on embedded defaults
	$(UV) run learning-district demo

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .

unit: setup
	$(UV) run pytest

test: lint unit  ## what CI runs

bench: setup  ## benchmarks (not part of `make test`); each prints its figures and baseline
	for b in tests/benchmarks/bench_*.py; do $(UV) run python $$b || exit 1; done

clean:
	rm -rf .learning-district .venv
