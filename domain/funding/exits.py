"""The checkpoint exit and the host's protection (R-FUND-6, seed 002's 2023 amendment).

A forerunner may leave only at the checkpoint the amendment names (2024-04-30). Leaving, it pays its
share of the costs accrued to the checkpoint, its share of the wind-down costs, its share of the shared
services' maintenance fees to the end of the commitment (2029-12-31) and the other costs its leaving
causes, less what it has already paid. The worksheet shows each line and its basis; it becomes an
invoice (or a refund, when what was paid is more) only when the coordinator confirms it, once per
party, and the party has then left at the checkpoint.

If the project stops or the agreement is dissolved for a reason not of the host's making, the
forerunners answer for the host's project costs in proportion to their accession fees, the host
bearing its own part (seed 002: "Vantaa vastaa omalla osuudellaan"); the others' parts are invoiced.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.funding.instalments import split_by_key
from domain.funding.settlement import covers
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import ZERO, fmt, round_cents, split
from domain.membership.rules import DecisionRef, check_may_leave

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement

MAX_FEE_MONTHS = 12 * 50  # maintenance fees run at most fifty years past the checkpoint


class ExitCheckpoint(Aggregate):
    """The checkpoint an amendment names for the forerunners' exit, and the end of their commitment to
    pay the shared services' maintenance fees; one per agreement."""

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return uuid5(agreement_id, "exit-checkpoint")

    @event("Named")
    def __init__(self, *, agreement_id: UUID, amendment: int, checkpoint: date, fees_until: date) -> None:
        self.agreement_id = agreement_id
        self.amendment = amendment
        self.checkpoint = checkpoint
        self.fees_until = fees_until

    @classmethod
    def name(cls, agreement: Agreement, *, amendment: int, checkpoint: date, fees_until: date) -> ExitCheckpoint:
        """The checkpoint of a binding amendment, within the term and after the amendment binds."""
        agreement.check_in_force()
        if not 1 <= amendment <= len(agreement.amendments):
            raise InvalidInput(f"{agreement.code} has no amendment {amendment}", code="invalid_amendment")
        binds_on = agreement.amendments[amendment - 1].get("signed_on")
        if binds_on is None:
            raise Conflict(f"amendment {amendment} does not bind yet: not every party has signed it",
                           code="amendment_not_binding")
        if not max(binds_on, agreement.starts_on) <= checkpoint <= agreement.ends_on:
            raise InvalidInput(f"the checkpoint {checkpoint} must fall between the amendment's binding on "
                               f"{binds_on} and the term's end on {agreement.ends_on}", code="date_outside_term")
        if fees_until <= checkpoint or _months(checkpoint, fees_until) > MAX_FEE_MONTHS:
            raise InvalidInput(f"the fees run from the checkpoint to a later date, at most {MAX_FEE_MONTHS} "
                               "months", code="invalid_date")
        return cls(agreement_id=agreement.id, amendment=amendment, checkpoint=checkpoint, fees_until=fees_until)

    def view(self) -> dict[str, Any]:
        return {"agreement_id": str(self.agreement_id), "amendment": self.amendment,
                "checkpoint": self.checkpoint.isoformat(), "fees_until": self.fees_until.isoformat()}


class CheckpointExit(Aggregate):
    """A party's confirmed exit at the checkpoint: the worksheet as confirmed, and what it became (an
    invoice, a refund, or nothing owed either way). Its id follows from the party: once per party."""

    @staticmethod
    def create_id(agreement_id: UUID, party_id: UUID) -> UUID:
        return uuid5(agreement_id, f"checkpoint-exit:{party_id}")

    @event("Confirmed")
    def __init__(self, *, agreement_id: UUID, party_id: UUID, checkpoint: date, confirmed_on: date,
                 worksheet: dict[str, Any], balance: Decimal, invoice_id: UUID | None, refund: Decimal,
                 credited: list[dict[str, Any]]) -> None:
        self.agreement_id = agreement_id
        self.party_id = party_id
        self.checkpoint = checkpoint
        self.confirmed_on = confirmed_on
        self.worksheet = worksheet
        self.balance = balance
        self.invoice_id = invoice_id
        self.refund = refund  # money paid back to the party (when it had paid more than it owes), or 0
        self.credited = credited  # its open invoices, credited as the settlement replaces them

    def view(self) -> dict[str, Any]:
        return {**self.worksheet, "confirmed_on": self.confirmed_on.isoformat(),
                "invoice_id": None if self.invoice_id is None else str(self.invoice_id),
                "refund": fmt(self.refund), "credited_invoices": list(self.credited)}


class HostReimbursement(Aggregate):
    """The forerunners' reimbursement of the host's project costs, invoiced once per decision."""

    @staticmethod
    def create_id(agreement_id: UUID, decision_id: UUID) -> UUID:
        return uuid5(agreement_id, f"host-reimbursement:{decision_id}")

    @event("Invoiced")
    def __init__(self, *, agreement_id: UUID, decision_id: UUID, issued_on: date, calculation: dict[str, Any],
                 invoice_ids: list[UUID]) -> None:
        self.agreement_id = agreement_id
        self.decision_id = decision_id
        self.issued_on = issued_on
        self.calculation = calculation
        self.invoice_ids = invoice_ids

    def view(self) -> dict[str, Any]:
        return {**self.calculation, "decision_id": str(self.decision_id), "issued_on": self.issued_on.isoformat(),
                "invoices": [str(i) for i in self.invoice_ids]}


# The worksheet -------------------------------------------------------------------------------------

def check_at_checkpoint(terms: ExitCheckpoint | None, exit_on: date) -> ExitCheckpoint:
    """A forerunner leaves only at the checkpoint named: no checkpoint, or another date, is refused."""
    if terms is None:
        raise Conflict("no amendment of this agreement names an exit checkpoint", code="no_exit_checkpoint")
    if exit_on != terms.checkpoint:
        raise Conflict(f"a party may leave only at the checkpoint, {terms.checkpoint}, not on {exit_on}",
                       code="not_the_checkpoint", extra={"checkpoint": terms.checkpoint.isoformat()})
    return terms


def checkpoint_worksheet(agreement: Agreement, pid: UUID, terms: ExitCheckpoint, *, accrued_costs: Decimal,
                         wind_down_costs: Decimal, maintenance_fees_per_year: Decimal, other_exit_costs: Decimal,
                         paid: Decimal, open_invoices: Decimal, as_of: date) -> dict[str, Any]:
    """What a forerunner owes leaving at the checkpoint, line by line with each line's basis (R-FUND-6).

    The shared lines are split by the agreement's key over the parties whose participation covers the
    checkpoint, largest remainder in accession order, so the parties' parts would sum to each total. The
    maintenance fees to the end of the commitment are the yearly fees × the whole months from the month
    after the checkpoint through ``fees_until`` / 12, rounded to the cent, then split. ``paid`` is what the
    party has paid on its invoices by ``as_of``; ``open_invoices`` what is still owed on them, which the
    settlement replaces (they are credited on confirmation). balance = owed − paid: above zero an invoice,
    below zero a refund.
    """
    party = agreement.party(pid)
    checkpoint = terms.checkpoint
    check_may_leave(party, checkpoint)
    if party["status"] not in ("active", "notice_given") or not covers(party, checkpoint):
        raise Conflict(f"{party['name']} is {party['status']} and cannot leave at {checkpoint}",
                       code="party_not_active")
    for amount in (accrued_costs, wind_down_costs, maintenance_fees_per_year, other_exit_costs):
        if amount < 0:
            raise InvalidInput("costs and fees must not be negative", code="invalid_amount")
    if as_of < checkpoint:
        raise InvalidInput(f"the settlement is made on or after the checkpoint, {checkpoint}", code="invalid_date")
    parties = [p for p in agreement.parties_in_order() if covers(p, checkpoint)]
    key = agreement.key(parties, on=checkpoint)  # the key in force at the checkpoint (R-ACC-5)
    weight = sum(key.values(), Fraction(0))
    share = key[pid] / weight if weight else Fraction(0)
    months = _months(checkpoint, terms.fees_until)
    fees_total = round_cents(Fraction(maintenance_fees_per_year) * months / 12)

    def shared(what: str, total: Decimal, basis: dict[str, Any]) -> dict[str, Any]:
        return {"line": what, "amount": fmt(split_by_key(agreement, parties, total, on=checkpoint)[pid]),
                "basis": {"total": fmt(total), "key_share": str(share), **basis,
                          "method": "split by the key over the parties at the checkpoint, largest remainder"}}

    first_month = (checkpoint.replace(day=1) + timedelta(days=32)).replace(day=1)
    lines = [
        shared("accrued_costs", accrued_costs, {"to": checkpoint.isoformat()}),
        shared("wind_down_costs", wind_down_costs, {}),
        shared("maintenance_fees", fees_total, {"per_year": fmt(maintenance_fees_per_year),
                                                "from": first_month.isoformat(),
                                                "until": terms.fees_until.isoformat(), "months": months}),
        {"line": "other_exit_costs", "amount": fmt(other_exit_costs),
         "basis": {"method": "caused by this party's leaving, borne by it alone"}},
    ]
    owed = sum((Decimal(line["amount"]) for line in lines), ZERO)
    balance = owed - paid
    return {"agreement_id": str(agreement.id), "party_id": str(pid), "name": party["name"],
            "checkpoint": checkpoint.isoformat(), "amendment": terms.amendment,
            "fees_until": terms.fees_until.isoformat(), "as_of": as_of.isoformat(), "lines": lines,
            "owed": fmt(owed), "paid": fmt(paid), "open_invoices": fmt(open_invoices), "balance": fmt(balance),
            "settles_by": "invoice" if balance > 0 else "refund" if balance < 0 else "nothing"}


def _months(checkpoint: date, until: date) -> int:
    """Whole calendar months from the month after the checkpoint's through the month of ``until``."""
    return (until.year - checkpoint.year) * 12 + until.month - checkpoint.month


# The host's protection ---------------------------------------------------------------------------

def check_host_decision(agreement: Agreement, decision: DecisionRef | None) -> DecisionRef:
    """The project stopped or the agreement was dissolved, not by the host's doing: a passed
    ``dissolution`` decision, or one whose subject says ``"project_stopped": true``, stating
    ``"host_at_fault": false``."""
    if decision is None or decision.agreement_id != agreement.id or not decision.passed or not (
            decision.kind == "dissolution" or decision.subject.get("project_stopped") is True):
        raise Conflict("the host's costs are reimbursed on a passed dissolution decision, or one that stops "
                       'the project ("project_stopped": true)', code="decision_required")
    if decision.subject.get("host_at_fault") is not False:
        raise Conflict('the decision must state that the reason is not of the host\'s making ("host_at_fault": '
                       "false)", code="host_fault_not_excluded")
    return decision


def host_reimbursement(agreement: Agreement, *, host_costs: Decimal, on: date) -> dict[str, Any]:
    """The host's project costs split over the forerunners at ``on`` by their accession fees, largest
    remainder in accession order: the host bears its own part, each other forerunner owes it its part."""
    if host_costs <= 0:
        raise InvalidInput("the host's costs are an amount above zero", code="invalid_amount")
    host = agreement.party_by_business_id(agreement.coordinator["business_id"])
    if host is None:
        raise Conflict(f"the coordinator of {agreement.code} is no party: it has no accession fee",
                       code="coordinator_not_a_party")
    parties = [p for p in agreement.parties_in_order() if covers(p, on)]
    fees = agreement.shares()
    weights = {p["party_id"]: fees[p["party_id"]] for p in parties}
    total_fees = sum(weights.values(), ZERO)
    parts = split(host_costs, weights, order=[p["party_id"] for p in parties])
    assert sum(parts.values(), ZERO) == host_costs, "a split sums to its total"
    rows = [{"party_id": str(p["party_id"]), "name": p["name"], "accession_fee": fmt(weights[p["party_id"]]),
             "part": fmt(parts[p["party_id"]]), "host": p["party_id"] == host["party_id"]} for p in parties]
    others = sum((parts[p["party_id"]] for p in parties if p["party_id"] != host["party_id"]), ZERO)
    return {"agreement_id": str(agreement.id), "on": on.isoformat(), "host_costs": fmt(host_costs),
            "accession_fees": fmt(total_fees), "host_part": fmt(parts[host["party_id"]]),
            "reimbursed_by_others": fmt(others), "parties": rows,
            "method": "split by accession fees over the forerunners, largest remainder; the host bears its part"}
