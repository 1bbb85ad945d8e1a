"""Figures as sums over the journal (R-FUND-1 … R-FUND-3, R-REP-1): balances, funding, refunds, reports.

Pure functions: they take the journal's sums per (account, party), and what the agreement says
(parties, shares, threshold), and return plain data with money as strings. The chart of accounts is
in `projections/journal/postings.py`.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from domain.invoicing.schedule import period_bounds
from domain.kernel.money import ZERO, fmt, split
from projections.journal.balances import OVERDUE
from projections.journal.queries import Sums, account_total

# The income accounts of invoices: cost shares, recharges and late-payment interest (R-INV-6).
INVOICED = ("shares_invoiced", "recharges_invoiced", "interest_invoiced")
PARTY_FIGURES = ("invoiced", "paid", "credited", "refunded", "outstanding", "overdue", "contributed")


def _get(sums: Sums, account: str, party: UUID | None) -> Decimal:
    return sums.get((account, party), ZERO)


def by_party(sums: Sums) -> dict[UUID | None, dict[str, Decimal]]:
    """The sums grouped by party, each party's by account: one pass, then one lookup per party."""
    grouped: dict[UUID | None, dict[str, Decimal]] = {}
    for (account, party), amount in sums.items():
        grouped.setdefault(party, {})[account] = amount
    return grouped


def _figures_of(accounts: dict[str, Decimal], overdue: Decimal) -> dict[str, Decimal]:
    """What one party was invoiced, paid, was credited and refunded, and still owes (below zero: credit);
    for the coordinator, what it contributed of its own share, never invoiced (R-ACC-4), which its
    ``paid`` includes. ``accounts``: the party's sums by account (``by_party``)."""

    def get(account: str) -> Decimal:
        return accounts.get(account, ZERO)

    return {"invoiced": -sum((get(account) for account in INVOICED), ZERO), "paid": get("cash_received"),
            "credited": get("credit_notes"), "refunded": get("refunds"), "outstanding": get("receivable"),
            "overdue": overdue, "contributed": -get("own_contributions")}


def balances(sums: Sums, parties: list[dict[str, Any]], overdue: dict[UUID, Decimal], as_of: date,
             totals: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """Every party's balance and the totals over them; ``committed`` is the party's commitment as of the
    date (its cost share, binding amendments, released portions: R-FUND-5) and ``unpaid`` = committed −
    paid. With ``totals`` (``party_totals`` of all parties) the rows are a page and the totals are those."""
    rows = []
    summed = dict.fromkeys(BALANCE_FIGURES, ZERO)
    grouped = by_party(sums)
    for party in parties:
        pid = UUID(str(party["party_id"]))
        figures = _party_row(Decimal(party["cost_share"]), _committed(party), grouped.get(pid, {}),
                             overdue.get(pid, ZERO))
        if totals is None:
            for key, value in figures.items():
                summed[key] += value
        rows.append({"party_id": str(pid), "name": party["name"], "status": party["status"],
                     **{key: fmt(value) for key, value in figures.items()}})
    return {"as_of": as_of.isoformat(), "parties": rows,
            "totals": {key: fmt(value) for key, value in (summed if totals is None else totals).items()}}


BALANCE_FIGURES = ("cost_share", *PARTY_FIGURES, "committed", "unpaid")


def _party_row(cost_share: Decimal, committed: Decimal, accounts: dict[str, Decimal], overdue: Decimal
               ) -> dict[str, Decimal]:
    own = _figures_of(accounts, overdue)
    return {"cost_share": cost_share, **own, "committed": committed, "unpaid": committed - own["paid"]}


def _committed(party: dict[str, Any]) -> Decimal:
    return Decimal(party.get("committed", party["cost_share"]))


def party_totals(account_totals: dict[str, Decimal], cost_share: Decimal, committed: Decimal
                 ) -> dict[str, Decimal]:
    """The balances' totals over every party of the agreement from each account's sum over them
    (``SlotSums.totals``, the overdue under ``OVERDUE``) and the sums of their cost shares and
    commitments: every party figure is a sum of accounts, so its total is the same sum of the accounts'
    totals, and equals the sum of the rows."""
    return _party_row(cost_share, committed, account_totals, account_totals.get(OVERDUE, ZERO))


def funding(sums: Sums, *, original: Decimal, committed: Decimal, threshold_pp: int, as_of: date,
            dissolved: bool = False) -> dict[str, Any]:
    """Funding against the refund threshold (R-FUND-2): remaining = received − spent − refunded.

    ``refund_possible`` only once the agreement is ``dissolved`` by the date and more than the threshold
    remains (R-FUND-2, R-FUND-3); ``refund_reason`` says why not (``refund_refusal``).
    """
    received = account_total(sums, "cash_received")
    spent = account_total(sums, "spending")
    refunded = account_total(sums, "refunds")
    remaining = remaining_funds(sums)
    pct = None if original == 0 else (remaining * 100 / original).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "as_of": as_of.isoformat(), "original_funding": fmt(original), "committed": fmt(committed),
        "invoiced": fmt(-sum((account_total(sums, account) for account in INVOICED), ZERO)),
        "credited": fmt(account_total(sums, "credit_notes")), "received": fmt(received),
        "unallocated": fmt(-account_total(sums, "unallocated")), "spent": fmt(spent),
        "refunded": fmt(refunded), "remaining": fmt(remaining),
        "remaining_pct": None if pct is None else str(pct), "refund_threshold_pp": threshold_pp,
        "refund_possible": refund_refusal(remaining, original, threshold_pp, dissolved) is None,
        "refund_reason": refund_refusal(remaining, original, threshold_pp, dissolved),
    }


def funds_held(sums: Sums, agreement: dict[str, Any]) -> dict[str, Any]:
    """Who holds the money: what the invoicer received and passed on to the host, and what each holds.

    With an operator (seed 002: the cities pay Tiera, which pays Vantaa its rebate), the operator holds
    what it received less what it transferred, and the host what it was transferred less what it spent
    and refunded; without one the coordinator invoices and holds everything itself.
    """
    received = account_total(sums, "cash_received")
    outgoing = account_total(sums, "spending") + account_total(sums, "refunds")
    operator = agreement.get("invoicer") is not None
    transferred = account_total(sums, "transfers_to_host") if operator else received
    return {"invoiced_by": agreement.get("invoicer") or _named(agreement["coordinator"]),
            "held_by": _named(agreement["coordinator"]), "operator": operator,
            "received_by_invoicer": fmt(received), "transferred_to_host": fmt(transferred),
            "held_by_invoicer": fmt(received - transferred), "held_by_host": fmt(transferred - outgoing)}


def _named(organisation: dict[str, Any]) -> dict[str, str]:
    return {"name": organisation["name"], "business_id": organisation["business_id"]}


def grants(sums: Sums, terms: list[dict[str, Any]]) -> dict[str, Any]:
    """Each grant and all of them (R-FUND-7): granted (the maximum), the cap in force (min(maximum, rate ×
    eligible costs)), received (the journal's ``grants_received``) and remaining to receive (cap − received).
    ``terms`` are the grants' views as of the date, in the order accepted."""
    rows = []
    totals = dict.fromkeys(("granted", "cap", "received", "remaining"), ZERO)
    for grant in terms:
        received = -_get(sums, "grants_received", UUID(grant["grant_id"]))
        figures = {"granted": Decimal(grant["maximum"]), "cap": Decimal(grant["cap"]), "received": received,
                   "remaining": Decimal(grant["cap"]) - received}
        for key, value in figures.items():
            totals[key] += value
        rows.append({"grant_id": grant["grant_id"], "funder": grant["funder"], "rate": grant["rate"],
                     "eligible_costs": grant["eligible_costs"], **{k: fmt(v) for k, v in figures.items()}})
    return {"grants": rows, "totals": {key: fmt(value) for key, value in totals.items()}}


COMMITMENT_FIGURES = ("committed", "invoiced", "paid", "unpaid")


def commitments(sums: Sums, parties: list[dict[str, Any]], agreement: dict[str, Any],
                totals: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """Each party's commitment against what it was invoiced and paid, and the totals (R-FUND-5):
    committed (cost share + binding amendments + released portions, as of the date), invoiced, paid (its
    own contributions included, R-ACC-4) and unpaid = committed − paid; with the ceilings of the binding
    amendments, what of them is released (and committed) and what is not. With ``totals``
    (``commitment_totals`` of all parties) the rows are a page and the totals are those."""
    rows = []
    summed = dict.fromkeys(COMMITMENT_FIGURES, ZERO)
    grouped = by_party(sums)
    for party in parties:
        pid = UUID(str(party["party_id"]))
        figures = _commitment(_committed(party), grouped.get(pid, {}))
        if totals is None:
            for key, value in figures.items():
                summed[key] += value
        rows.append({"party_id": str(pid), **{key: fmt(value) for key, value in figures.items()}})
    summed = summed if totals is None else totals
    return {"paid": fmt(summed["paid"]), "unpaid": fmt(summed["unpaid"]),
            "ceiling": agreement.get("ceiling", "0.00"), "released": agreement.get("released", "0.00"),
            "unreleased": agreement.get("unreleased", "0.00"), "parties": rows,
            "commitments": {key: fmt(value) for key, value in summed.items()}}


def _commitment(committed: Decimal, accounts: dict[str, Decimal]) -> dict[str, Decimal]:
    own = _figures_of(accounts, ZERO)
    return {"committed": committed, "invoiced": own["invoiced"], "paid": own["paid"], "unpaid": committed - own["paid"]}


def commitment_totals(account_totals: dict[str, Decimal], committed: Decimal) -> dict[str, Decimal]:
    """The commitments' totals over every party from each account's sum over them and the sum of their
    commitments, as ``party_totals``."""
    return _commitment(committed, account_totals)


def remaining_funds(sums: Sums) -> Decimal:
    """What remains of the funding: received − spent − refunded."""
    received = account_total(sums, "cash_received")
    return received - account_total(sums, "spending") - account_total(sums, "refunds")


def threshold_amount(original: Decimal, threshold_pp: int) -> Decimal:
    """The refund threshold as an amount: ``threshold_pp`` percentage points of the original funding; a
    refund is possible only while more than this remains (R-FUND-2). Drawn as the funding chart's line."""
    return original * threshold_pp / 100


def refund_possible(remaining: Decimal, original: Decimal, threshold_pp: int) -> bool:
    """Whether what remains is more than the threshold's percentage points of the original funding.

    Compared exactly in Decimal (whole cents times a whole number of points, over 100): at exactly the
    threshold, nothing.
    """
    return original > 0 and remaining > threshold_amount(original, threshold_pp)


def refund_refusal(remaining: Decimal, original: Decimal, threshold_pp: int, dissolved: bool) -> str | None:
    """Why no refund can be paid, or None: only a dissolved cooperation refunds (R-FUND-2, R-FUND-3; while
    it is in force, money left extends the work, R-FUND-1), and only above the threshold."""
    if not dissolved:
        return "agreement_not_dissolved"
    if not refund_possible(remaining, original, threshold_pp):
        return "at_or_below_threshold"
    return None


def refund_preview(sums: Sums, parties: list[dict[str, Any]], *, original: Decimal, threshold_pp: int,
                   as_of: date, dissolved_on: date | None = None,
                   excluded: list[tuple[dict[str, Any], str]] | None = None) -> dict[str, Any]:
    """The remaining funding split over the parties that share in a refund, in proportion to what each
    paid (R-FUND-2).

    ``parties`` share in it, in accession order; ``excluded`` are the parties that get nothing, each with
    its reason (``expelled``; ``withdrawn`` where the agreement's terms leave leavers out), listed with
    what they paid. Nothing is refunded unless the agreement was dissolved by the date
    (``dissolved_on``) and more than the threshold remains: then every refund is zero and ``reason``
    says why. The split is exact to the cent.
    """
    dissolved = dissolved_on is not None and dissolved_on <= as_of
    figures = funding(sums, original=original, committed=original, threshold_pp=threshold_pp, as_of=as_of,
                      dissolved=dissolved)
    remaining = Decimal(figures["remaining"])
    paid = {UUID(str(p["party_id"])): _get(sums, "cash_received", UUID(str(p["party_id"]))) for p in parties}
    weights = {pid: Fraction(amount) for pid, amount in paid.items() if amount > 0}
    reason = figures["refund_reason"] or (None if weights else "nothing_paid")
    possible = reason is None
    refunds = split(remaining, weights, order=[pid for pid in paid if pid in weights]) if possible else {}
    rows = [{"party_id": str(pid), "paid": fmt(amount), "refund": fmt(refunds.get(pid, ZERO))}
            for pid, amount in paid.items()]
    assert not possible or sum(refunds.values(), ZERO) == remaining
    return {"as_of": as_of.isoformat(), "remaining": figures["remaining"],
            "remaining_pct": figures["remaining_pct"], "refund_threshold_pp": threshold_pp,
            "refund_possible": possible, "reason": reason,
            "dissolved_on": None if not dissolved else dissolved_on.isoformat(), "parties": rows,
            "excluded": [{"party_id": str(p["party_id"]), "reason": why,
                          "paid": fmt(_get(sums, "cash_received", UUID(str(p["party_id"]))))}
                         for p, why in excluded or []]}


def period_report(before: Sums, after: Sums, *, first: date, last: date) -> dict[str, Any]:
    """Money in, money out and the balance of a period: differences of the sums at its two ends."""

    def moved(account: str) -> Decimal:
        return account_total(after, account) - account_total(before, account)

    opening = account_total(before, "cash_received") + account_total(before, "cash_paid")
    money_in = moved("cash_received")
    spent, refunded = moved("spending"), moved("refunds")
    money_out = -moved("cash_paid")
    closing = opening + money_in - money_out
    return {"from": first.isoformat(), "to": last.isoformat(), "opening_balance": fmt(opening),
            "invoiced": fmt(-sum((moved(account) for account in INVOICED), ZERO)),
            "credited": fmt(moved("credit_notes")), "money_in": fmt(money_in), "spent": fmt(spent),
            "refunded": fmt(refunded), "money_out": fmt(money_out), "closing_balance": fmt(closing)}


def final_account(sums: Sums, parties: list[dict[str, Any]], overdue: dict[UUID, Decimal], *,
                  agreement: dict[str, Any], money: dict[str, Any], decision: dict[str, Any] | None,
                  as_of: date) -> dict[str, Any]:
    """The closing statement when the network ends (R-FUND-4): every party's account, the funding, and
    the unused funds with the steering group's decision on their use.

    ``agreement`` is its view as of the date and ``money`` its funding then; the account is final
    once the agreement has ended or been dissolved by then, and provisional before. ``decision`` is the latest passed `unused_funds`
    decision by the date, if any.
    """
    statement = balances(sums, parties, overdue, as_of)
    final = agreement["status"] in ("ended", "dissolved")
    unused = Decimal(money["remaining"])
    return {"as_of": as_of.isoformat(), "status": "final" if final else "provisional",
            "ended_on": agreement["ended_on"], "parties": statement["parties"], "totals": statement["totals"],
            "funding": money, "unused_funds": fmt(unused), "unused_funds_decision": decision,
            "decision_required": final and unused != 0 and decision is None}


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of a quarter."""
    return period_bounds(f"{year:04d}-Q{quarter}")


# What each figure of a published summary is made of, per party: (account, sign as the figure reads it).
SUMMARY_ACCOUNTS: dict[str, tuple[tuple[str, int], ...]] = {
    "invoiced": tuple((account, -1) for account in INVOICED), "credited": (("credit_notes", 1),),
    "received": (("cash_received", 1),), "spent": (("spending", 1),), "refunded": (("refunds", 1),)}
# ``remaining`` is a total to the period's end: these are the figures behind it.
REMAINING_FROM = ("received", "spent", "refunded")


def summary(before: Sums, after: Sums, *, first: date, last: date, parties: int) -> dict[str, Any]:
    """A period's totals across the parties and what remains at its end; no party's own figure (R-CONF-1)."""
    report = period_report(before, after, first=first, last=last)
    # An unmatched payment is no party's money until it is allocated (then it counts on the day it was
    # paid): ``received`` leaves it out, ``unallocated`` shows it; ``remaining`` holds it, as funding does.
    unallocated = -(account_total(after, "unallocated") - account_total(before, "unallocated"))
    received = Decimal(report["money_in"]) - unallocated
    return {"from": report["from"], "to": report["to"], "parties": parties, "invoiced": report["invoiced"],
            "credited": report["credited"], "received": fmt(received), "unallocated": fmt(unallocated),
            "spent": report["spent"], "refunded": report["refunded"], "remaining": fmt(remaining_funds(after))}


def summary_contributions(before: Sums, after: Sums) -> dict[str, list[Decimal]]:
    """Every party's own amount in each figure of the summary: in the period, and to its end for the
    figures behind ``remaining``. Amounts without a party (shared spending, unmatched payments) are the
    agreement's, not an organisation's, and are left out."""
    empty: Sums = {}
    contributions = {figure: _by_party(accounts, after, before)
                     for figure, accounts in SUMMARY_ACCOUNTS.items()}
    for figure in REMAINING_FROM:
        contributions[f"{figure} to date"] = _by_party(SUMMARY_ACCOUNTS[figure], after, empty)
    return contributions


def _by_party(accounts: tuple[tuple[str, int], ...], after: Sums, before: Sums) -> list[Decimal]:
    names = {account for account, _ in accounts}
    parties = {party for account, party in after if account in names and party is not None}
    def moved(party: UUID) -> Decimal:
        return sum((sign * (_get(after, account, party) - _get(before, account, party))
                    for account, sign in accounts), ZERO)

    return [moved(party) for party in sorted(parties, key=str)]
