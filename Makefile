# Two entry points: `make demo` and `make test`. Both create .venv when missing and install the project.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.uhdvd-installed

.PHONY: demo test lint bench clean-demo

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,ray]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/uhdvd-pipeline pipelines/demo.yaml

test: $(STAMP)
	$(PY) -m pytest -q tests

lint: $(STAMP)
	$(VENV)/bin/ruff check uhdvd_data uhdvd_model tests benchmarks

clean-demo:
	rm -rf demo_run
