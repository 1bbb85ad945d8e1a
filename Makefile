# `make run`, `make test`, `make bench`, `make drills` and `make soak`. Each builds the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test install demo-tokens clean bench drills soak screenshot

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run [PORT=8000]: load the demo agreements, print demo tokens, serve the API and the web app on
## var/ledger.sqlite; open the printed URL and sign in with one of the tokens
run: $(STAMP)
	mkdir -p var
	$(BIN)/ledger demo --tokens
	@echo "Open http://127.0.0.1:$(PORT)/ and sign in with a token above (finance, coordinator, auditor or party)."
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
	$(BIN)/python benchmarks/web_pages.py

## make drills: the drills against two `ledger serve` replicas on loopback and PostgreSQL (the tests'
## server), a few minutes; prints a table and fails on any loss, duplicate, leak, 5xx or missed tamper
drills: $(STAMP)
	PYTHONPATH=$(CURDIR) timeout 600 $(BIN)/python -m benchmarks.drills

## make soak [SOAK_MINUTES=10]: mixed load against `ledger serve`, RSS and p99 minute by minute
soak: $(STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/python benchmarks/soak.py

## make screenshot: docs/img/funding.png, the funding page of the demo, in Debian's Chromium (headless)
screenshot: $(STAMP)
	$(BIN)/python benchmarks/web_screenshot.py

clean:
	rm -rf $(VENV) var/*.sqlite* .pytest_cache .hypothesis
