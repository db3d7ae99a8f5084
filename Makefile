# Everything a fresh clone needs: `make run` and `make test` create the environment themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RECIPE ?= recipes/default.yaml
ARGS   ?=

.PHONY: setup run test bench validate stages clean
.DEFAULT_GOAL := run

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test,torch,jax]"
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/python -m pipeline run $(RECIPE) $(ARGS)

validate: setup
	$(BIN)/python -m pipeline validate $(RECIPE)

stages: setup
	$(BIN)/python -m pipeline stages

test: setup
	$(BIN)/python -m pytest -q $(ARGS)

bench: setup
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf runs .pytest_cache
