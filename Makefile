# `make demo` and `make test` are the only commands a fresh machine needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test lint sandbox-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is pinned to the CPU build that lies on disk here; GPU users install their own first.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0" || $(BIN)/pip install -q torch
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) sandbox-deps

# The jail needs bubblewrap; install it where we can, else say what to install.
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq bubblewrap)); \
	  else \
	    echo "hackgym's sandbox needs bubblewrap: install it (e.g. 'sudo apt-get install bubblewrap')" >&2; exit 1; \
	  fi; }

demo: install
	$(BIN)/hackgym demo

test: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks scripts

clean:
	rm -rf $(VENV) runs .cache
