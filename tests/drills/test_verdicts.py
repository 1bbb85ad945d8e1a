"""The drills' verdicts (issue 16 item 11): `make drills` fails on any loss, duplicate, leak, 5xx or
undetected tamper. The drills themselves run against live processes (`make drills`), not here."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from benchmarks.drills.__main__ import table
from benchmarks.drills.common import Row
from benchmarks.drills.security import _verdict

CLEAN = {"acknowledged": 3, "found": 3}


@pytest.mark.parametrize("change", [{"found": 2}, {"duplicates": 1}, {"leaks": 1}, {"server_errors": 1},
                                    {"tampers": "3/2"}, {"problems": ["scheduler exit 1"]}])
def test_any_loss_duplicate_leak_5xx_missed_tamper_or_problem_fails_the_drill(change: dict) -> None:
    assert Row("drill", **CLEAN).passed and Row("drill", tampers="3/3").passed
    failed = Row("drill", **{**CLEAN, **change})
    assert not failed.passed
    assert table([Row("ok", **CLEAN), failed]).splitlines()[-1].endswith("| FAIL |")


def _answer(status: int, body: str = "{}") -> httpx.Response:
    return httpx.Response(status, text=body)


def test_the_role_matrix_calls_a_leak_what_a_role_should_not_get() -> None:
    other = ["0211675-2", "Tampereen kaupunki"]
    assert _verdict("party", "GET", "/v1/agreements/{agreement_id}/invoices", _answer(200, '[{"b": "0211675-2"}]'),
                    other).startswith("another party's data")
    assert _verdict("party", "GET", "/v1/agreements/{agreement_id}/invoices", _answer(200, "[]"), other) == ""
    assert _verdict("party", "GET", "/v1/audit/events", _answer(200), other) == "a party read a staff route"
    assert _verdict("auditor", "POST", "/v1/agreements", _answer(201), []) == "a write went through"
    assert _verdict("scheduler", "GET", "/v1/agreements/{agreement_id}/balances", _answer(200), []) != ""
    assert _verdict("scheduler", "GET", "/v1/agreements/{agreement_id}/parties", _answer(200), []) == ""
    assert _verdict("scheduler", "GET", "/health", _answer(200), []) == ""
    assert _verdict(None, "GET", "/v1/agreements", _answer(200), []) == "200 without a token"
    assert _verdict(None, "GET", "/v1/agreements", _answer(401), []) == ""
    assert _verdict("party", "GET", "/v1/agreements/{agreement_id}/balances", _answer(403), other) == ""
