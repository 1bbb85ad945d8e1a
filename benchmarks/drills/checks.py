"""Drills of correctness: racing schedulers, and Schemathesis over the served schema."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Any

import httpx2 as httpx

from benchmarks.drills.common import Row
from benchmarks.service import Service, auth

SECOND_INSTALMENT = "2026-01-15"


def schedulers(svc: Service, url: str) -> Row:
    """Two `ledger scheduler --once` at once, as of the second instalment's date: nothing billed twice."""
    row = Row("racing schedulers")
    finance = auth(svc.tokens["finance"])
    with httpx.Client(base_url=url, timeout=60) as http:
        def invoices() -> list[dict[str, Any]]:
            return http.get(f"/v1/agreements/{svc.agreement_id}/invoices",
                            params={"as_of": "2026-12-31", "limit": 500}, headers=finance).json()

        before = len(invoices())
        command = [sys.executable, "-m", "api.cli", "scheduler", "--once", "--as-of", SECOND_INSTALMENT]
        runs = [subprocess.Popen(command, env=svc.env, cwd=svc.workdir, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for run in runs:
            _out, err = run.communicate(timeout=120)
            row.requests += 1
            if run.returncode != 0:
                row.problems.append(f"scheduler exit {run.returncode}: {err[-300:]}")
        after = invoices()
    billed = Counter((invoice["party_id"], n) for invoice in after for n in invoice["instalments"])
    row.acknowledged = row.found = len(after) - before
    row.duplicates = sum(count - 1 for count in billed.values() if count > 1)
    if row.acknowledged != len(svc.invoices):
        row.problems.append(f"{row.acknowledged} second instalments issued, {len(svc.invoices)} expected")
    return row


def schemathesis_drill(svc: Service, url: str, examples: int = 3) -> Row:
    """Schemathesis over every operation of the served OpenAPI schema, a few examples each, all checks."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                     response_headers_conformance, response_schema_conformance,
                                     status_code_conformance)

    row = Row("Schemathesis")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.base_url = url
    headers = auth(svc.tokens["coordinator"])
    for result in schema.get_all_operations():
        operation = result.ok()
        bounded = settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                           suppress_health_check=list(HealthCheck))

        @bounded
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            row.requests += 1
            response = case.call(headers=headers, timeout=30)
            if response.status_code >= 500:
                row.server_errors += 1
            case.validate_response(response, checks=checks)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every failing operation is reported, then the next one runs
            row.problems.append(f"{operation.method.upper()} {operation.path}: {str(exc).splitlines()[0][:160]}")
    return row
