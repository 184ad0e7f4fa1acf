# Two commands a newcomer needs: `make run` and `make test`. Only python3 and make are assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when the packaging or the compiled kernel's source changes.
BUILD_INPUTS := pyproject.toml setup.py src/backprop/_kernels.c

$(VENV)/.installed-run: $(BUILD_INPUTS) | $(BIN)/python
	$(PIP) install -q -e '.[all]'
	@touch $@

$(VENV)/.installed-dev: $(BUILD_INPUTS) | $(BIN)/python
	$(PIP) install -q -e '.[dev]'
	@touch $@

run: $(VENV)/.installed-run
	$(BIN)/backprop example

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
