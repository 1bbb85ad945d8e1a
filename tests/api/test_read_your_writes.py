"""With the journal followed in the background, as `ledger serve` runs it, a read sees the write before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.helpers import auth, create_lyhty
from tests.api.test_invoicing_api import COHORT, invoices, run


@pytest.fixture
def following(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"journal_follow": True}))) as client:
        assert client.app.state.journal.running
        yield client


def test_balances_right_after_a_payment_include_it(following: TestClient, tokens: dict[str, str]) -> None:
    client = following
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    for number, invoice in enumerate(invoices(client, tokens["finance"], aid), start=1):
        response = client.post(f"/v1/invoices/{invoice['id']}/payments", headers=auth(tokens["finance"]),
                               json={"amount": "1.00", "paid_on": "2025-09-02"})
        assert response.status_code == 201
        balances = client.get(f"/v1/agreements/{aid}/balances", params={"as_of": "2025-09-02"},
                              headers=auth(tokens["finance"])).json()
        assert balances["totals"]["paid"] == f"{number}.00"  # never a stale answer
