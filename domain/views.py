"""Plain-data views of aggregates, as queries return them (money as strings, dates in ISO form)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.agreement import Agreement
from domain.money import fmt


def agreement_view(agreement: Agreement, as_of: date) -> dict[str, Any]:
    """An agreement with its status as of a date, its terms and its committed funding."""
    return {
        "id": str(agreement.id),
        "code": agreement.code,
        "title": agreement.title,
        "coordinator": dict(agreement.coordinator),
        "currency": agreement.currency,
        "starts_on": agreement.starts_on.isoformat(),
        "ends_on": agreement.ends_on.isoformat(),
        "status": agreement.status_on(as_of),
        "cost_sharing": agreement.cost_sharing,
        "instalments": [{"issue_on": i["issue_on"].isoformat(), "share": i["share"]}
                        for i in agreement.instalments],
        "terms": agreement.terms,
        "parties_count": len(agreement.parties),
        "committed_funding": fmt(agreement.committed()),
    }


def party_view(agreement: Agreement, party: dict[str, Any], shares: dict[UUID, Decimal]
               ) -> dict[str, Any]:
    """A party as the contract lists it."""
    metric = party["metric"]
    return {
        "party_id": str(party["party_id"]),
        "name": party["name"],
        "business_id": party["business_id"],
        "annex": party["annex"],
        "coordinator": party["is_coordinator"],
        "category": party["category"],
        "metric": None if metric is None else str(metric),
        "status": party["status"],
        "cost_share": fmt(shares[party["party_id"]]),
        "joined_on": party["joined_on"].isoformat(),
        "left_on": None if party["left_on"] is None else party["left_on"].isoformat(),
    }
