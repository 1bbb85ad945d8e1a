"""Retention and the audit replay through the API, on SQLite and PostgreSQL (R-REC-1)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings

from tests.api.helpers import auth, create_lyhty, lyhty_body
from tests.api.membership_helpers import VALTORI, decide, decision_body, party_ids
from tests.api.personal_data_helpers import PERSON, add_contact, contacts, traces_in_tables
from tests.projections.audit_helpers import ended_agreement, money_history


def test_an_agreement_shows_when_its_retention_ends(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REC-1: the agreement's view names its end, the last day of its retention and any purge."""
    aid = create_lyhty(client, tokens["coordinator"])
    view = client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()
    assert (view["ended_on"], view["retention_ends_on"]) == ("2026-12-31", "2036-12-31")
    assert view["purged_on"] is None


def test_a_purge_before_the_retention_end_is_refused_naming_it(client: TestClient,
                                                                tokens: dict[str, str]) -> None:
    """R-REC-1: 409 retention_period_running with the retention's last day; nothing is purged."""
    aid = create_lyhty(client, tokens["coordinator"])
    refused = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2026-06-01"},
                          headers=auth(tokens["coordinator"]))
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "retention_period_running"
    assert refused.json()["retention_ends_on"] == "2036-12-31"
    assert "kept until 2036-12-31" in refused.json()["detail"]
    balances = client.get(f"/v1/agreements/{aid}/balances?as_of=2026-06-01", headers=auth(tokens["finance"]))
    assert balances.status_code == 200
    assert client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()["purged_on"] is None


def test_a_dissolved_agreement_is_kept_to_the_end_of_the_tenth_year_after(client: TestClient,
                                                                          tokens: dict[str, str]) -> None:
    """R-REC-1 (Accounting Act 2:10): Lyhty dissolved on 2026-10-01 is kept to 2036-12-31, not
    2036-10-01; its confidentiality (R-CONF-1) still runs five years to the day, to 2031-10-01."""
    aid = create_lyhty(client, tokens["coordinator"])
    valtori = party_ids(client, tokens["finance"], aid)[VALTORI]
    dissolution = decide(client, tokens["coordinator"], aid, decision_body("2026-10-01", "dissolution", {valtori: "for"}))
    assert dissolution.status_code == 201 and dissolution.json()["passed"], dissolution.text
    view = client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()
    assert (view["ended_on"], view["retention_ends_on"], view["confidential_until"]) == (
        "2026-10-01", "2036-12-31", "2031-10-01")
    refused = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2026-11-01"},
                          headers=auth(tokens["coordinator"]))
    assert (refused.status_code, refused.json()["code"], refused.json()["retention_ends_on"]) == (
        409, "retention_period_running", "2036-12-31")
    assert "may be purged from 2037-01-01" in refused.json()["detail"]


def test_an_agreement_that_ended_mid_year_is_purged_only_after_the_year_end(client: TestClient,
                                                                            tokens: dict[str, str]) -> None:
    """R-REC-1: ended 2014-10-01, kept to 2024-12-31: a purge on 2024-12-31 (past 2024-10-01, when the
    earlier rule let it go) is refused and changes nothing; one on 2025-01-01 is recorded."""
    coordinator = auth(tokens["coordinator"])
    body = lyhty_body(code="OLD", starts_on="2010-01-01", ends_on="2014-10-01",
                      instalments=[{"issue_on": "2010-03-01", "share": "1"}])
    aid = client.post("/v1/agreements", json=body, headers=coordinator).json()["id"]
    refused = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2024-12-31"}, headers=coordinator)
    assert (refused.status_code, refused.json()["code"], refused.json()["retention_ends_on"]) == (
        409, "retention_period_running", "2024-12-31")
    assert client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()["purged_on"] is None
    purged = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-01-01"}, headers=coordinator)
    assert purged.status_code == 200, purged.text
    assert purged.json() == {"agreement_id": aid, "ended_on": "2014-10-01", "retention_ends_on": "2024-12-31",
                             "purged_on": "2025-01-01", "contacts_erased": 0}
    view = client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()
    assert (view["retention_ends_on"], view["purged_on"]) == ("2024-12-31", "2025-01-01")


@pytest.mark.parametrize("role", ["auditor", "finance", "scheduler", "party"])
def test_only_the_coordinator_purges(client: TestClient, tokens: dict[str, str], role: str) -> None:
    """R-REC-1: the coordinator keeps the agreement's records; auditors write nothing."""
    aid = ended_agreement(client.app.state.ledger, "OLD", ends_on=date(2014, 12, 31))
    response = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-06-01"},
                           headers=auth(tokens[role]))
    assert response.status_code == 403


def test_after_the_retention_end_the_figures_are_gone(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REC-1: once purged, an agreement's figures answer 410 records_purged; its record says so."""
    aid = ended_agreement(client.app.state.ledger, "OLD", ends_on=date(2014, 12, 31))
    coordinator, finance = auth(tokens["coordinator"]), auth(tokens["finance"])
    before = client.get(f"/v1/agreements/{aid}/balances?as_of=2011-01-01", headers=finance)
    assert before.status_code == 200 and before.json()["totals"]["paid"] == "700.00"
    future = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2199-01-01"}, headers=coordinator)
    assert (future.status_code, future.json()["code"]) == (422, "invalid_date")
    purged = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-06-01"},
                         headers={**coordinator, "Idempotency-Key": "purge-old"})
    assert purged.status_code == 200
    assert purged.json() == {"agreement_id": str(aid), "ended_on": "2014-12-31",
                             "retention_ends_on": "2024-12-31", "purged_on": "2025-06-01",
                             "contacts_erased": 0}
    again = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-06-01"},
                        headers={**coordinator, "Idempotency-Key": "purge-old"})
    assert again.json() == purged.json()
    for figure in ("balances?as_of=2011-01-01", "funding?as_of=2011-01-01",
                   "refunds/preview?as_of=2011-01-01", "reports/quarterly?year=2010&quarter=1",
                   "reports/annual?year=2010"):
        gone = client.get(f"/v1/agreements/{aid}/{figure}", headers=finance)
        assert gone.status_code == 410, figure
        assert gone.json()["code"] == "records_purged" and gone.json()["purged_on"] == "2025-06-01"
    assert client.get(f"/v1/agreements/{aid}", headers=finance).json()["purged_on"] == "2025-06-01"
    twice = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-06-02"}, headers=coordinator)
    assert (twice.status_code, twice.json()["code"]) == (409, "records_purged")
    assert client.get("/v1/audit/verify", headers=auth(tokens["auditor"])).json()["ok"] is True


def test_the_auditor_replays_every_figure_over_http(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REC-1: GET /v1/audit/replay compares the live figures with ones rebuilt from the events."""
    ids = money_history(client.app.state.ledger)
    dates = [("as_of", "2025-12-31"), ("as_of", "2026-02-05"), ("as_of", "2026-03-31")]
    report = client.get("/v1/audit/replay", params=dates, headers=auth(tokens["auditor"]))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["ok"] is True and body["agreements"] == 3 and body["dates"] == [d for _, d in dates]
    assert body["differences"] == [] and body["figures_compared"] > 1_000
    assert body["events_replayed"] == client.app.state.ledger.recorder.max_notification_id()
    one = client.get("/v1/audit/replay", params=[*dates, ("agreement_id", str(ids["LYHTY"]))],
                     headers=auth(tokens["auditor"])).json()
    assert one["ok"] is True and one["agreements"] == 1


@pytest.mark.parametrize("role", ["coordinator", "finance", "scheduler", "party"])
def test_only_the_auditor_replays(client: TestClient, tokens: dict[str, str], role: str) -> None:
    """A replay rebuilds the whole journal: the auditor's tool."""
    response = client.get("/v1/audit/replay?as_of=2026-01-01", headers=auth(tokens[role]))
    assert response.status_code == 403


def test_a_replay_takes_one_to_twelve_dates(client: TestClient, tokens: dict[str, str]) -> None:
    auditor = auth(tokens["auditor"])
    assert client.get("/v1/audit/replay", headers=auditor).status_code == 422
    many = [("as_of", f"2026-01-{day:02d}") for day in range(1, 14)]
    assert client.get("/v1/audit/replay", params=many, headers=auditor).status_code == 422
    nobody = "00000000-0000-0000-0000-000000000000"
    unknown = client.get(f"/v1/audit/replay?as_of=2026-01-01&agreement_id={nobody}", headers=auditor)
    assert unknown.status_code == 404


def test_a_purge_erases_the_agreement_s_contact_persons(client: TestClient, tokens: dict[str, str],
                                                        settings: Settings) -> None:
    """R-REC-1: the purge takes the contact persons' personal data with the agreement's records, in the
    same save; the erasures are recorded, the chain still verifies, and no contact can be added after."""
    ledger = client.app.state.ledger
    aid = ended_agreement(ledger, "OLD", ends_on=date(2014, 12, 31))
    parties = {party["business_id"]: party["party_id"]
               for party in client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["auditor"])).json()}
    coordinator = auth(tokens["coordinator"])
    for business_id in ("0246246-0", "3221326-2"):
        assert add_contact(client, tokens["coordinator"], str(aid), parties[business_id]).status_code == 201
    assert traces_in_tables(settings)
    purged = client.post(f"/v1/agreements/{aid}/purge", json={"purged_on": "2025-06-01"}, headers=coordinator)
    assert purged.status_code == 200, purged.text
    assert purged.json()["contacts_erased"] == 2
    assert traces_in_tables(settings) == set()
    listed = contacts(client, tokens["auditor"], str(aid), parties["0246246-0"]).json()
    assert [(c["status"], c["name"], c["erased_on"]) for c in listed] == [("erased", None, "2025-06-01")]
    late = add_contact(client, tokens["coordinator"], str(aid), parties["0246246-0"], body=PERSON)
    assert (late.status_code, late.json()["code"]) == (409, "records_purged")
    assert client.get("/v1/audit/verify", headers=auth(tokens["auditor"])).json()["ok"] is True
