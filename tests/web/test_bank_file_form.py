"""The bank-file form's bounds, without a browser: the file's own limit (LEDGER_MAX_BANK_FILE_BYTES, as
POST /v1/bank-files has it) shown next to the file field, a body beyond it and the form refused whole,
the session's CSRF token required; nothing is written in any of these cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.bank_files import FORM_BYTES
from tests.bank_file_builders import Entry, Tx, camt054
from tests.web.browser import sign_in_with_form

pytestmark = pytest.mark.persistence
LIMIT = 1_024
UNKNOWN_AGREEMENT = "RF08 9920 2500 0013"


@pytest.fixture
def small(settings: Settings) -> Iterator[TestClient]:
    """The service with the smallest bank-file limit, and finance signed in."""
    with TestClient(create_app(settings.model_copy(update={"max_bank_file_bytes": LIMIT}))) as client:
        token = client.app.state.ledger.issue_token(role="finance", business_id=None, label="test",
                                                    issued_on=date(2025, 8, 1))[1]
        sign_in_with_form(client, token)
        yield client


def form_of(client: TestClient) -> dict[str, str]:
    page = client.get("/bank-files").text
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf", "idempotency_key")}


def events(client: TestClient) -> int:
    return client.app.state.ledger.recorder.max_notification_id() or 0


def one_payment(amount: str = "1.00") -> bytes:
    return camt054([Entry(amount, "SMALL-1", txs=[Tx(amount, UNKNOWN_AGREEMENT)])])


def test_a_file_within_the_limit_is_imported_and_one_beyond_it_is_refused_at_the_file_field(
        small: TestClient) -> None:
    content = one_payment()
    assert len(content) <= LIMIT
    imported = small.post("/bank-files", data=form_of(small), files={"file": ("a.xml", content, "application/xml")})
    assert imported.status_code == 200
    assert re.search(r'data-count="unassigned">1<', imported.text)
    before = events(small)
    padded = content.replace(b"<Document", b" " * (LIMIT + 1 - len(content)) + b"<Document", 1)
    assert len(padded) == LIMIT + 1
    refused = small.post("/bank-files", data=form_of(small), files={"file": ("b.xml", padded, "application/xml")})
    assert refused.status_code == 422
    assert re.search(r'id="e-file">Tiedosto on suurempi kuin 1024 tavua\.<', refused.text)
    assert events(small) == before


def test_a_body_beyond_the_file_limit_and_the_form_is_refused_whole(small: TestClient) -> None:
    before = events(small)
    huge = b" " * (LIMIT + FORM_BYTES + 1)
    refused = small.post("/bank-files", data=form_of(small), files={"file": ("c.xml", huge, "application/xml")})
    assert refused.status_code == 413 and refused.json()["code"] == "payload_too_large"
    assert events(small) == before


def test_an_upload_without_the_session_csrf_token_writes_nothing(small: TestClient) -> None:
    before = events(small)
    forged = {**form_of(small), "csrf": "forged"}
    refused = small.post("/bank-files", data=forged, files={"file": ("d.xml", one_payment(), "application/xml")})
    assert refused.status_code == 422 and "Lomake vanheni" in refused.text
    assert events(small) == before
