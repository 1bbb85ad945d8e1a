"""The OpenAPI schema with what every route can refuse: problem responses and the Idempotency-Key format."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from api.deps import IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY
from api.problems import PROBLEM_JSON

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_DESCRIPTIONS = {
    400: "The request breaks a rule of the ledger.",
    401: "No bearer token, or one that is unknown, expired or revoked (`unauthorized`).",
    403: "The token's role may not do this, or a figure is withheld from it (`forbidden`, `withheld`).",
    404: "No such object, or one the caller may not see (`not_found`).",
    409: "A concurrent change (`version_conflict`, with Retry-After), an Idempotency-Key reused with "
         "another body (`idempotency_key_reused`) or a state that refuses the change.",
    410: "The records asked for were purged after their retention (`gone`).",
    413: "The request body is larger than the limit (`payload_too_large`).",
    422: "The request does not match the schema (`validation_error`, with `errors`) or a value is "
         "out of its bounds (a stable code such as `invalid_amount`, `invalid_idempotency_key`).",
    503: "The store or a read model is unavailable for a moment (`unavailable`, `projection_lagging`); "
         "try again after Retry-After.",
}


class Problem(BaseModel):
    """An RFC 9457 problem: every error of the API, with a stable `code`; extra fields may follow."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URI reference naming the problem type, `/problems/<code>`.",
                      examples=["/problems/version_conflict"])
    title: str = Field(description="A short summary of the HTTP status.", examples=["Conflict"])
    status: int = Field(description="The HTTP status code.", ge=400, le=599, examples=[409])
    detail: str = Field(description="What went wrong, for a person.")
    code: str = Field(description="A stable, machine-readable code.", examples=["version_conflict"])


def statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The problem statuses an operation can answer with, read from its own description."""
    places = {parameter.get("in") for parameter in operation.get("parameters", [])}
    codes = {503}
    if operation.get("security"):
        codes |= {401, 403}
    if "path" in places:
        codes.add(404)
    if method.upper() in _WRITES:
        codes |= {400, 409, 413}
    if method == "get" and "{agreement_id}" in path:
        codes.add(410)
    if method == "get" and path.endswith((".pdf", ".xml", ".zip")):
        codes.add(409)  # a document the agreement cannot print yet (seller_bank_details_missing)
    if places or "requestBody" in operation:
        codes.add(422)
    return sorted(codes)


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS.get(status, "An error."),
            "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}}


def _idempotency_schema() -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY,
            "pattern": IDEMPOTENCY_KEY_PATTERN}


def _declare(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in statuses(path, method, operation):
        declared = responses.get(str(status), {}).get("description")  # a route's own codes, if it names them
        responses[str(status)] = _problem_response(status)
        if declared and declared != "Validation Error":
            responses[str(status)]["description"] = declared
    responses["default"] = {"description": "Any other error, as a problem.",
                            "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key":
            parameter["schema"] = _idempotency_schema()


def install(app: FastAPI) -> None:
    """Serve a schema that declares every route's problem responses (application/problem+json)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)  # validation errors are problems too (422 below)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                _declare(path, method, operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
