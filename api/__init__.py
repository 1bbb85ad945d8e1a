"""The HTTP API (FastAPI) and the `ledger` command line."""
