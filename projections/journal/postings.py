"""The ledger's posting rules: which journal entries each money event posts (the chart of accounts).

Every amount is signed, debit positive and credit negative, and every entry sums to zero. Accounts
carry the party they concern where there is one:

| account | party | debit | credit |
|---|---|---|---|
| `receivable` | payer | an invoice | a payment, a credit note |
| `shares_invoiced` | payer | | an instalment invoice (cost share income) |
| `recharges_invoiced` | payer | | a recharge invoice |
| `interest_invoiced` | payer | | an invoice of late-payment interest (R-INV-6) |
| `credit_notes` | payer | a credit note | |
| `cash_received` | payer, or none while unmatched | money in | the unmatched side of an allocation |
| `unallocated` | none | an allocation | a payment whose reference named no invoice |
| `spending` | the party bearing it, or none if shared | a cost | |
| `cash_paid` | payee, or none | | money out (spending, refunds) |
| `refunds` | payee | a refund | |
| `own_contributions` | the coordinator | | its own contribution to its share (never invoiced, R-ACC-4) |
| `transfers_to_host` | none | what the invoicing operator paid the host | |
| `transfers_from_operator` | none | | the same, from the operator's side |
| `grants_received` | the grant (its id; the funder is no party) | | a grant payment from its funder (R-FUND-7) |
| `output_vat` | payer | the VAT part of a credit note | the VAT an invoice adds to its lines (R-INV-6) |

An exit settlement at the checkpoint and a forerunner's part of the host's costs (R-FUND-6) are invoices
of kinds `settlement` and `host_reimbursement`: recharges of actual costs, posted to `recharges_invoiced`
like the other recharges. A settlement that replaces a party's open invoices credits them (credit
notes); one where the party paid more than it owes pays the rest back (`refunds` against `cash_paid`).

A grant payment debits `cash_received` with no party: it is money in, but no party's payment, so it
counts in the funding's `received` and `remaining` and in no party's balance or refund weight.

Two memorandum pairs, keyed by invoice id instead of party, let overdue be summed invoice by
invoice: `open_items` (debited by the invoice, credited by its payments and credit notes, against
`open_items_control`) and `past_due` (debited on the day after the due date, against
`past_due_control`). An invoice is overdue on a date when its `past_due` is positive and its
`open_items` still are.

An agreement whose retention has ended (R-REC-1) may have its records purged: its ``RecordsPurged``
event posts nothing, but the journal removes the agreement's lines posted before it (``purged``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.agreements.agreement import Agreement
from domain.agreements.billing import vat_amount, vat_in
from domain.kernel.money import ZERO
from domain.invoicing.invoices import Invoice
from domain.funding.exits import CheckpointExit
from domain.funding.grants import Grant
from domain.funding.refunds import RefundRun
from domain.invoicing.spending import SpendingLog
from domain.invoicing.payments import UnmatchedPayment
from projections.journal.entries import Event, JournalEntry, JournalLine

D, C = JournalLine.debit, JournalLine.credit
# The income account of an invoice by its kind; every other kind recharges actual costs.
INCOME = {"instalments": "shares_invoiced", "interest": "interest_invoiced"}


def _invoice_issued(event: Any) -> list[JournalEntry]:
    income = INCOME.get(event.kind, "recharges_invoiced")
    invoice = event.originator_id
    vat = vat_amount(getattr(event, "vat", None))  # events from before R-INV-6 carry none
    return [JournalEntry.of(event, business_date=event.issued_on, agreement_id=event.agreement_id,
                            lines=[D("receivable", event.amount, event.party_id),
                                   C(income, event.amount - vat, event.party_id),
                                   *([C("output_vat", vat, event.party_id)] if vat else []),
                                   D("open_items", event.amount, invoice),
                                   C("open_items_control", event.amount, invoice)]),
            JournalEntry.of(event, 1, business_date=event.due_on + timedelta(days=1),
                            agreement_id=event.agreement_id,
                            lines=[D("past_due", event.amount, invoice),
                                   C("past_due_control", event.amount, invoice)])]


def _settles(event: Any, amount: Any) -> list[JournalLine]:
    """The memorandum lines of a payment or credit note: the invoice's open item shrinks."""
    return [C("open_items", amount, event.originator_id), D("open_items_control", amount, event.originator_id)]


def _payment_received(event: Any) -> list[JournalEntry]:
    party = event.party_id
    if event.source == "allocation":  # the money came in unmatched; now it is known whose it was
        lines = [D("unallocated", event.amount), C("receivable", event.amount, party),
                 D("cash_received", event.amount, party), C("cash_received", event.amount)]
    else:
        lines = [D("cash_received", event.amount, party), C("receivable", event.amount, party)]
    return [JournalEntry.of(event, business_date=event.paid_on, agreement_id=event.agreement_id,
                            lines=lines + _settles(event, event.amount))]


def _credit_note_issued(event: Any) -> list[JournalEntry]:
    rate = getattr(event, "vat_rate", None)
    vat = ZERO if rate is None else vat_in(event.amount, rate)
    return [JournalEntry.of(event, business_date=event.issued_on, agreement_id=event.agreement_id,
                            lines=[D("credit_notes", event.amount - vat, event.party_id),
                                   *([D("output_vat", vat, event.party_id)] if vat else []),
                                   C("receivable", event.amount, event.party_id),
                                   *_settles(event, event.amount)])]


def _unmatched_received(event: Any) -> list[JournalEntry]:
    return [JournalEntry.of(event, business_date=event.paid_on, agreement_id=event.agreement_id,
                            lines=[D("cash_received", event.amount), C("unallocated", event.amount)])]


def _spending_recorded(event: Any) -> list[JournalEntry]:
    return [JournalEntry.of(event, business_date=event.booked_on, agreement_id=event.agreement_id,
                            lines=[D("spending", event.amount, event.borne_by), C("cash_paid", event.amount)])]


def _refunds_issued(event: Any) -> list[JournalEntry]:
    lines = []
    for refund in event.refunds:
        lines += [D("refunds", refund["amount"], refund["party_id"]),
                  C("cash_paid", refund["amount"], refund["party_id"])]
    return [JournalEntry.of(event, business_date=event.as_of, agreement_id=event.agreement_id, lines=lines)]


def _own_contribution_booked(event: Any) -> list[JournalEntry]:
    return [JournalEntry.of(event, business_date=event.booked_on, agreement_id=event.originator_id,
                            lines=[D("cash_received", event.amount, event.party_id),
                                   C("own_contributions", event.amount, event.party_id)])]


def _grant_payment_received(event: Any) -> list[JournalEntry]:
    return [JournalEntry.of(event, business_date=event.received_on, agreement_id=event.agreement_id,
                            lines=[D("cash_received", event.amount), C("grants_received", event.amount,
                                                                        event.originator_id)])]


def _funds_transferred_to_host(event: Any) -> list[JournalEntry]:
    return [JournalEntry.of(event, business_date=event.transferred_on, agreement_id=event.originator_id,
                            lines=[D("transfers_to_host", event.amount), C("transfers_from_operator", event.amount)])]


def _checkpoint_exit_confirmed(event: Any) -> list[JournalEntry]:
    if not event.refund:
        return []  # settled by an invoice of its own, or nothing owed either way
    return [JournalEntry.of(event, business_date=event.confirmed_on, agreement_id=event.agreement_id,
                            lines=[D("refunds", event.refund, event.party_id),
                                   C("cash_paid", event.refund, event.party_id)])]


RULES: dict[type, Callable[[Any], list[JournalEntry]]] = {
    CheckpointExit.Confirmed: _checkpoint_exit_confirmed,
    Agreement.FundsTransferredToHost: _funds_transferred_to_host,
    Grant.PaymentReceived: _grant_payment_received,
    Agreement.OwnContributionBooked: _own_contribution_booked,
    Invoice.Issued: _invoice_issued,
    Invoice.PaymentReceived: _payment_received,
    Invoice.CreditNoteIssued: _credit_note_issued,
    UnmatchedPayment.Received: _unmatched_received,
    SpendingLog.SpendingRecorded: _spending_recorded,
    RefundRun.RefundsIssued: _refunds_issued,
}

# The events the journal acts on: those that move money, and the purge of an agreement's lines.
# A runner with the ledger's postings need not decode any other.
POSTED_TYPES = frozenset({*RULES, Agreement.RecordsPurged})


def post(event: Event) -> list[JournalEntry]:
    """The journal entries a ledger event posts (none for events that move no money)."""
    rule = RULES.get(type(event))
    return [] if rule is None else rule(event)


def purged(event: Event) -> UUID | None:
    """The agreement whose journal lines an event purges (R-REC-1), if it is a purge."""
    return event.originator_id if type(event) is Agreement.RecordsPurged else None
