"""A small network that was dissolved and refunded, for the payout and report tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import auth
from tests.api.membership_helpers import decide, decision_body
from tests.api.test_figures_api import A, dissolve, small_network


def refunded_network(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """SMALL paid 1,000.00 and spent 749.99, was dissolved on 2025-12-01 and refunded the 250.01 left on
    2025-12-31 by the decision of 2025-12-15, 6 : 3 : 1 (R-FUND-2); returns the agreement, the party ids by
    business id and the refunds by party id."""
    aid, ids = small_network(client, tokens, spent="749.99")
    dissolve(client, tokens, aid, ids, "2025-12-01")
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2025-12-15", "refund", {ids[A["business_id"]]: "for", ids["0246246-0"]: "for"}))
    assert decision.status_code == 201 and decision.json()["passed"], decision.text
    paid = client.post(f"/v1/agreements/{aid}/refunds", headers=auth(tokens["coordinator"]),
                       json={"decision_id": decision.json()["decision_id"], "as_of": "2025-12-31"})
    assert paid.status_code == 201, paid.text
    refunds = {r["party_id"]: r["amount"] for r in paid.json()["refunds"]}
    assert refunds == {ids[A["business_id"]]: "150.01", ids["0246246-0"]: "75.00", ids["0201256-6"]: "25.00"}
    return aid, ids, refunds
