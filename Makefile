# `make run`, `make test` and `make bench`. Each builds the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test install demo-tokens clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run [PORT=8000]: load the demo agreements, print demo tokens, serve the API on var/ledger.sqlite
run: $(STAMP)
	mkdir -p var
	$(BIN)/ledger demo --tokens
	$(BIN)/ledger serve --port $(PORT)

## make test: every test, on SQLite and on PostgreSQL
test: $(STAMP)
	$(BIN)/python -m pytest

## make bench: journal rebuild against read-and-decode, balances latency at 10k and 100k events, the
## audit chain's sealing and verifying rates, writes at 500 parties against 10, and figures of a
## 500-party agreement beside a 10-party one, on PostgreSQL (the tests' server)
bench: $(STAMP)
	$(BIN)/python benchmarks/projection_rebuild.py
	$(BIN)/python benchmarks/balances_latency.py
	$(BIN)/python benchmarks/audit_verify.py
	$(BIN)/python benchmarks/writes.py
	$(BIN)/python benchmarks/figures_scale.py

clean:
	rm -rf $(VENV) var/*.sqlite* .pytest_cache .hypothesis
