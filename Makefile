# wenmai: `make demo` runs the whole pipeline on the shipped sample; `make test` runs the tests.
# Each recipe is one CLI call, so people, CI and this file run the same commands.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
WORK   ?= work
CONFIG ?= data/sample/wenmai.toml
WENMAI := $(BIN)/wenmai --config $(CONFIG) --workdir $(WORK)
SAMPLE := $(wildcard data/sample/docs/*)

.PHONY: setup demo test lint check status figures clean

# The venv is a file target: it is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# The whole pipeline on data/sample; stages whose inputs and options did not change are skipped.
demo: setup
	$(WENMAI) run
	$(WENMAI) report
	$(WENMAI) status
	@echo "tables are in $(WORK)/<stage>/, figures in $(WORK)/figures/, the report is $(WORK)/report.html"

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check cli pipelines tests bench

check: lint test

status: setup
	$(WENMAI) status

# Stage by stage as file targets, for a thesis Makefile: `make figures` rebuilds what is out of date.
$(WORK)/ingest/documents.parquet: $(SAMPLE) $(CONFIG) | setup
	$(WENMAI) ingest
$(WORK)/segment/tokens.parquet: $(WORK)/ingest/documents.parquet
	$(WENMAI) segment
$(WORK)/terms/terms.parquet: $(WORK)/segment/tokens.parquet
	$(WENMAI) terms
$(WORK)/topics/model_selection.parquet: $(WORK)/segment/tokens.parquet
	$(WENMAI) topics
$(WORK)/network/edges.parquet: $(WORK)/segment/tokens.parquet
	$(WENMAI) network
# `run --until code`, not `code`: without a codebook it writes the empty code tables
$(WORK)/code/codings.parquet: $(WORK)/segment/tokens.parquet
	$(WENMAI) run --until code
$(WORK)/figures/manifest.json: $(WORK)/terms/terms.parquet $(WORK)/topics/model_selection.parquet $(WORK)/network/edges.parquet $(WORK)/code/codings.parquet
	$(WENMAI) figures

figures: $(WORK)/figures/manifest.json

$(WORK)/report.html: $(WORK)/figures/manifest.json
	$(WENMAI) report

clean:
	rm -rf $(WORK)
