# `make run`, `make test`, `make bench`, `make drills` and `make soak`. Each builds the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test install demo-tokens clean bench drills soak

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

## make drills: the drills against two `ledger serve` replicas on loopback and PostgreSQL (the tests'
## server), a few minutes; prints a table and fails on any loss, duplicate, leak, 5xx or missed tamper
drills: $(STAMP)
	PYTHONPATH=$(CURDIR) timeout 600 $(BIN)/python -m benchmarks.drills

## make soak [SOAK_MINUTES=10]: mixed load against `ledger serve`, RSS and p99 minute by minute
soak: $(STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/python benchmarks/soak.py

clean:
	rm -rf $(VENV) var/*.sqlite* .pytest_cache .hypothesis
