# Everything a fresh clone needs: `make run` and `make test` create the environment themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RECIPE ?= recipes/default.yaml
ARGS   ?=

.PHONY: setup run test bench validate stages clean chromium
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

# The report test renders report.html in headless Chromium (Debian's package; CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Two pytest workers (xdist): most tests use one core. A test file runs whole on one worker (its
# module fixtures, e.g. the moto server, as in one process); the files with long tests start first.
TEST_WORKERS ?= 2
test: setup chromium
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(ARGS)

# Peers for `make bench` in their own env (never a dependency of run/test): datatrove and its extras.
PEER_VENV := .bench/venv
$(PEER_VENV)/.installed:
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q --upgrade pip
	$(PEER_VENV)/bin/python -m pip install -q "datatrove[processing,io]==0.10.1" lxml_html_clean==0.4.6 spacy==3.8.18 jieba==0.42.1
	touch $@

.bench/venv: $(PEER_VENV)/.installed

# NeMo Curator (second peer) in its own env: its CPU parts (heuristic filters, text pipeline on
# Ray; its exact dedup needs RAPIDS cudf, GPU only). Dolma gets an env of its own: dolma 1.2.1
# pins numpy<2, tokenizers 0.19 and an old huggingface-hub, which break nemo-curator 1.4's.
NEMO_VENV := .bench/nemo
$(NEMO_VENV)/.installed:
	test -x $(NEMO_VENV)/bin/python || $(PYTHON) -m venv $(NEMO_VENV)
	$(NEMO_VENV)/bin/python -m pip install -q --upgrade pip
	$(NEMO_VENV)/bin/python -m pip install -q nemo-curator==1.4.0
	touch $@

.bench/nemo: $(NEMO_VENV)/.installed

DOLMA_VENV := .bench/dolma
$(DOLMA_VENV)/.installed:
	test -x $(DOLMA_VENV)/bin/python || $(PYTHON) -m venv $(DOLMA_VENV)
	$(DOLMA_VENV)/bin/python -m pip install -q --upgrade pip
	$(DOLMA_VENV)/bin/python -m pip install -q dolma==1.2.1
	touch $@

.bench/dolma: $(DOLMA_VENV)/.installed

# megatron-core's own IndexedDataset, to read back our Megatron .bin/.idx (tests skip without it).
# --no-deps into a folder: it runs on the torch the project env already has, on CPU.
.bench/megatron-lib: setup
	$(BIN)/python -m pip install -q --no-deps --target $@ megatron-core==0.16.1

bench: setup $(PEER_VENV)/.installed $(NEMO_VENV)/.installed $(DOLMA_VENV)/.installed
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf runs .pytest_cache
