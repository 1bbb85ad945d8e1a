"""Schemathesis over a handful of operations: responses conform to the OpenAPI schema (issue 16 item 8).

Bounded: SQLite, a few operations, few examples each, a fixed seed (derandomized), no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from api.app import create_app
from api.settings import Settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (content_type_conformance, not_a_server_error,  # noqa: E402
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

# The response checks: no 5xx, and status, content type, headers and body as the schema declares.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

OPERATIONS = [("/health", "GET"), ("/v1/agreements", "GET"), ("/v1/agreements", "POST"),
              ("/v1/agreements/{agreement_id}", "GET"), ("/v1/agreements/{agreement_id}/balances", "GET"),
              ("/v1/audit/events", "GET"), ("/v1/invoices/{invoice_id}/payments", "POST"),
              ("/v1/bank-files", "POST"), ("/v1/bank-transactions/unassigned", "GET")]
BOUNDED = hypothesis_settings(max_examples=12, derandomize=True, deadline=None, database=None,
                              suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    app = create_app(Settings(database="sqlite", sqlite_path=tmp / "ledger.sqlite", journal_follow=False,
                              audit_interval_s=0, audit_key_path=tmp / "audit-signing.key"))
    with TestClient(app):  # runs the lifespan; the cases below share its state
        token = app.state.ledger.issue_token(role="coordinator", business_id=None, label="schemathesis",
                                             issued_on=date(2025, 8, 1))[1]
        yield app, token


@pytest.mark.parametrize("path, method", OPERATIONS)
def test_responses_conform_to_the_schema(live: tuple[Any, str], path: str, method: str) -> None:
    app, token = live
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]

    @BOUNDED
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()
