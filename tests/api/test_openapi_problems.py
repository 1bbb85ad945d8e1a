"""The OpenAPI schema declares every route's problem responses and the Idempotency-Key format (issue 16 item 8)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import IDEMPOTENCY_KEY_PATTERN
from api.settings import Settings

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _schema(tmp_path: Any) -> dict[str, Any]:
    # The schema needs no store: the lifespan is not run.
    app = create_app(Settings(database="sqlite", sqlite_path=tmp_path / "ledger.sqlite", journal_follow=False,
                              audit_interval_s=0, audit_key_path=tmp_path / "audit-signing.key"))
    return TestClient(app).get("/openapi.json").json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in schema["paths"].items()
            for method, operation in item.items()]


def test_problem_model_has_the_rfc_9457_fields(tmp_path: Any) -> None:
    problem = _schema(tmp_path)["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["additionalProperties"] is True  # `errors`, `retry_after` and the like may follow


def test_every_operation_lists_its_problem_responses(tmp_path: Any) -> None:
    schema = _schema(tmp_path)
    operations = _operations(schema)
    assert len(operations) > 50
    for path, method, operation in operations:
        responses = operation["responses"]
        expected = {"503", "default"}
        if path != "/health":
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method == "post":
            expected |= {"409", "422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status[0] in "45" or status == "default":
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (path, status)
    assert "HTTPValidationError" not in json.dumps(schema)


def test_the_idempotency_key_header_declares_its_format(tmp_path: Any) -> None:
    headers = [parameter for _, method, operation in _operations(_schema(tmp_path))
               for parameter in operation.get("parameters", []) if parameter["name"] == "idempotency-key"]
    assert len(headers) > 20
    for header in headers:
        assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 200,
                                    "pattern": IDEMPOTENCY_KEY_PATTERN}
    assert re.fullmatch(IDEMPOTENCY_KEY_PATTERN, "order-2026-11-29/42")
    assert not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, "ä")
