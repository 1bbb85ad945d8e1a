# `make run`, `make test` and `make bench`. Each builds the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test install demo-tokens clean bench screenshot

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

## make bench: journal rebuild against read-and-decode, balances latency at 10k and 100k events, and
## the audit chain's sealing and verifying rates, on PostgreSQL (the tests' server)
bench: $(STAMP)
	$(BIN)/python benchmarks/projection_rebuild.py
	$(BIN)/python benchmarks/balances_latency.py
	$(BIN)/python benchmarks/audit_verify.py
	$(BIN)/python benchmarks/web_pages.py

## make screenshot: docs/img/funding.png, the funding page of the demo, in Debian's Chromium (headless)
screenshot: $(STAMP)
	$(BIN)/python benchmarks/web_screenshot.py

clean:
	rm -rf $(VENV) var/*.sqlite* .pytest_cache .hypothesis
