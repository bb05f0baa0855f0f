# wenmai: `make demo` runs the whole pipeline on the shipped sample; `make test` runs the tests.
# Each recipe is one CLI call, so people, CI and this file run the same commands.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
WORK   ?= work
CONFIG ?= data/sample/wenmai.toml
WENMAI := $(BIN)/wenmai --config $(CONFIG) --workdir $(WORK)
SAMPLE := $(wildcard data/sample/docs/*)

STAGES := ingest segment terms topics network code figures report
# `make STAGE` targets depend on this; CI or a test may set it empty to use an existing venv.
SETUP  ?= setup

.PHONY: setup demo test lint check status clean example docs wheel-check $(STAGES)

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
	$(WENMAI) status
	@echo "tables are in $(WORK)/<stage>/, figures in $(WORK)/figures/, the report is $(WORK)/report/report.html"

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check cli pipelines tests bench

check: lint test

# docs/cli.md from the Click commands (tests/test_docs.py fails when it is out of date).
docs: $(SETUP)
	$(BIN)/python -m cli.reference docs/cli.md

# What `pip install wenmai` gives: build the sdist and the wheel, install the wheel alone into a
# new venv outside the checkout, run the sample there end to end (`wenmai init --example`,
# `run`, `status --check`), and check that a missing extra is one clear line (CI runs it).
wheel-check: $(SETUP)
	.ci/wheel-check $(BIN)/python $(PYTHON)

status: setup
	$(WENMAI) status

# Stage by stage, for a thesis Makefile: `make figures` brings the figures up to date and no
# further. wenmai knows freshness better than file times (parameters in wenmai.toml, input
# hashes, stages upstream), so make asks it which stages are stale (`wenmai status --stale`)
# and gives a stage a recipe, `wenmai run --until STAGE`, only when it is stale: `make -n
# figures` after a finished run prints nothing to do, and after a change of [topics] it runs
# topics and figures.
ifneq ($(filter $(STAGES),$(MAKECMDGOALS)),)
STALE := $(shell $(WENMAI) -q status --stale 2>/dev/null || echo $(STAGES))
endif

define stage_rule
$(1): $(SETUP) $(if $(filter $(1),$(STALE)),run-$(1))
.PHONY: run-$(1)
run-$(1): $(SETUP)
	$(WENMAI) run --until $(1)
endef
$(foreach stage,$(STAGES),$(eval $(call stage_rule,$(stage))))

# The second worked example: the government work reports 1954-2017 (examples/gov-reports/),
# the figure set of a thesis chapter in examples/gov-reports/work/figures/.
EXAMPLE := examples/gov-reports
example: $(SETUP)
	$(BIN)/wenmai --config $(EXAMPLE)/wenmai.toml --workdir $(EXAMPLE)/work run

clean:
	rm -rf $(WORK)
