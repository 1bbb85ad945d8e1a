"""Plain-data views of aggregates, as queries return them (money as strings, dates in ISO form)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.agreements.agreement import Agreement, key_on, metric_on
from domain.records.confidentiality import confidential_until
from domain.funding.instalments import amendment_view, instalment_view
from domain.kernel.identifiers import party_id
from domain.membership.rules import left_on_as_of, status_on
from domain.kernel.money import fmt
from domain.records.retention import retention_view


def agreement_view(agreement: Agreement, as_of: date) -> dict[str, Any]:
    """An agreement with its status as of a date, its terms, its instalments (tranches with their
    release), its amendments and its funding: the original cost shares, and committed with the
    amendments signed by that date."""
    return {
        "id": str(agreement.id),
        "code": agreement.code,
        "title": agreement.title,
        # The coordinator's party id, whether or not it funds the work: its contact persons are kept under it.
        "coordinator": {**agreement.coordinator,
                        "party_id": str(party_id(agreement.id, agreement.coordinator["business_id"]))},
        "invoicer": agreement.invoicer,  # an operator that invoices the shares; None: the coordinator
        "currency": agreement.currency,
        "signed_on": agreement.signed.isoformat(),
        "starts_on": agreement.starts_on.isoformat(),
        "ends_on": agreement.ends_on.isoformat(),
        "status": agreement.status_on(as_of),
        "cost_sharing": agreement.cost_sharing,
        "instalments": [instalment_view(agreement, number, item, as_of)
                        for number, item in enumerate(agreement.instalments, 1)],
        "amendments": [amendment_view(agreement, a, with_parties=False, as_of=as_of)
                       for a in agreement.amendments if a["signed_on"] is not None and a["signed_on"] <= as_of],
        "terms": agreement.terms,
        "parties_count": len(agreement.parties),
        "original_funding": fmt(agreement.original_funding()),
        "committed_funding": fmt(agreement.committed(as_of)),
        **ceiling_view(agreement, as_of),
        **retention_view(agreement),
        "confidential_until": confidential_until(agreement).isoformat(),
    }


def party_view(agreement: Agreement, party: dict[str, Any], shares: dict[UUID, Decimal],
               as_of: date | None = None) -> dict[str, Any]:
    """A party as the contract lists it; with ``as_of``, its status and leaving date on that date."""
    metric = party["metric"]
    status, left_on = party["status"], party["left_on"]
    if as_of is not None:
        status, left_on = status_on(party, as_of), left_on_as_of(party, as_of)
    notice = party.get("notice")
    if as_of is not None and notice is not None and notice["given_on"] > as_of:
        notice = None  # not yet given on that date
    return {
        "party_id": str(party["party_id"]),
        "name": party["name"],
        "business_id": party["business_id"],
        "annex": party["annex"],
        "coordinator": party["is_coordinator"],
        "category": party["category"],
        "metric": None if metric is None else str(metric),
        "key": party.get("key"),
        **key_history_view(party, as_of),
        "status": status,
        "cost_share": fmt(shares[party["party_id"]]),
        "signed_on": party.get("signed_on", party["joined_on"]).isoformat(),
        "joined_on": party["joined_on"].isoformat(),
        "left_on": None if left_on is None else left_on.isoformat(),
        "notice": None if notice is None else {k: v if isinstance(v, str) else v.isoformat()
                                               for k, v in notice.items()},
        "expelled_by": str(party["expelled_by"]) if status == "expelled" else None,
    }


def key_history_view(party: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    """A party's metric and fixed key in force on a day (the latest, without one) and every update of
    them, each from the day it applies (R-ACC-5)."""
    day = as_of or date.max
    metric, key = metric_on(party, day), key_on(party, day)
    return {
        "party_id": str(party["party_id"]),
        "metric_in_force": None if metric is None else str(metric),
        "key_in_force": None if key is None else str(key),
        "key_history": [{"effective_on": u["effective_on"].isoformat(),
                         "metric": None if u["metric"] is None else str(u["metric"]), "key": u["key"],
                         "decision_id": None if u["decision_id"] is None else str(u["decision_id"])}
                        for u in party.get("key_updates") or []],
    }


def ceiling_view(agreement: Agreement, as_of: date) -> dict[str, str]:
    """The ceilings of the amendments binding by a date, what of them was released by then (and is
    committed) and what is not (R-FUND-5)."""
    ceiling, released = agreement.ceilings(as_of)
    return {"ceiling": fmt(ceiling), "released": fmt(released), "unreleased": fmt(ceiling - released)}
