"""Request bodies and small helpers for the API tests."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

BANDS = [{"up_to": "999999999.99", "amount": "10000.00"},
         {"up_to": "2000000000.00", "amount": "20000.00"},
         {"up_to": None, "amount": "25000.00"}]

LYHTY_BODY: dict[str, Any] = {
    "code": "LYHTY",
    "title": "Julkisen hallinnon lisenssienhallinnan yhteistyöverkosto",
    "coordinator": {"name": "Valtori", "business_id": "2574261-7", "is_party": True, "category": "state"},
    "starts_on": "2025-09-01",
    "ends_on": "2026-12-31",
    "cost_sharing": {"model": "fixed_by_category", "categories": {
        "state": "400000.00", "municipalities": "300000.00", "kela": "25000.00",
        "wellbeing_services_county": BANDS, "university": "10000.00",
        "university_of_applied_sciences": "5000.00"}},
    "instalments": [{"issue_on": "2025-09-01", "share": "1/2"}, {"issue_on": "2026-01-15", "share": "1/2"}],
}

KELA = {"name": "Kansaneläkelaitos", "business_id": "0246246-0", "signed_on": "2025-09-01",
        "category": "kela"}
COUNTY = {"name": "Keski-Suomen hyvinvointialue", "business_id": "3221318-2",
          "signed_on": "2025-09-15", "category": "wellbeing_services_county", "metric": "1500000000"}
UAS = {"name": "Haaga-Helia Oy Ab", "business_id": "2029188-8", "signed_on": "2025-10-01",
       "category": "university_of_applied_sciences"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def lyhty_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(LYHTY_BODY)
    body.update(changes)
    return body


def create_lyhty(client: TestClient, token: str, *parties: dict[str, Any]) -> str:
    """Create Lyhty through the API with the given accessions; returns its id."""
    response = client.post("/v1/agreements", json=LYHTY_BODY, headers=auth(token))
    assert response.status_code == 201, response.text
    agreement_id = response.json()["id"]
    for party in parties:
        accession = client.post(f"/v1/agreements/{agreement_id}/parties", json=party, headers=auth(token))
        assert accession.status_code == 201, accession.text
    return agreement_id


def valid_business_ids(count: int, start: int = 1_000_000) -> list[str]:
    """Business ids with a correct check digit (weights 7,9,10,5,8,4,2; remainder 1 has none)."""
    found: list[str] = []
    number = start
    while len(found) < count:
        number += 1
        digits = f"{number:07d}"
        remainder = sum(w * int(d) for w, d in zip((7, 9, 10, 5, 8, 4, 2), digits, strict=True)) % 11
        if remainder != 1:
            found.append(f"{digits}-{0 if remainder == 0 else 11 - remainder}")
    return found
