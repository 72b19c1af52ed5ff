# Every target installs what it needs: a fresh machine needs only Python (>= 3.11) and pip.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else the one pip installs; never download a Python (no internet but PyPI)
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: setup demo test lint unit suite bench clean

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

# The tests that need a Prefect server, a child process (the CLI or the demo as a command,
# a server, LibreOffice) or a browser; tests/classify.py marks them from what they use.
SLOW_MARKERS := prefect or process or browser or scaleout
# pytest-xdist workers for the whole suite (`make suite WORKERS=2`); 0 runs it in one process:
# under xdist the longer temporary paths wrap the CLI's output that some tests read
WORKERS ?= 0

unit: setup  ## the inner loop: every test that needs no server, child process or browser
	$(UV) run pytest -m "not ($(SLOW_MARKERS))"

suite: setup  ## the whole suite (no lint)
	$(UV) run pytest -n $(WORKERS) --dist worksteal

test: lint suite  ## what CI runs

bench: setup  ## benchmarks (not part of `make test`); each prints its figures and baseline
	for b in tests/benchmarks/bench_*.py; do $(UV) run python $$b || exit 1; done

clean:
	rm -rf .learning-district .venv
