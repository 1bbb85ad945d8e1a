"""Invoices and the invoice book of an agreement (R-INV-3, R-INV-4).

Every invoice has a deterministic id, derived from what it bills (a party's instalments, or a
party's recharge for a period), so a second attempt to issue it finds it already there. The book
gives invoices and credit notes their numbers, without gaps per agreement and year, and is saved in
the same transaction as the documents it numbers: a failed save leaves no hole in the series.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agreements.billing import vat_amount, vat_in, vat_view
from domain.kernel.append_only import AppendOnlyCopy
from domain.kernel.calendar import banking_day_on_or_after, days_after
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import ZERO, fmt
from domain.kernel.references import grouped, national, rf

MAX_SEQUENCE = 99_999  # five digits of the reference base; per agreement and year
MAX_PAYMENTS = 1_000  # per invoice: far beyond any real instalment, a bound on the aggregate
MAX_REASON_CHARS = 500
BANK_REFERENCE_CHARS = 35
# An exit settlement at the checkpoint and a share of the host's costs (R-FUND-6): recharges of actual
# costs, invoiced once, outside the instalment plan.
SETTLEMENT_KINDS = ("settlement", "host_reimbursement")
# Late-payment interest (R-INV-6): invoiced when finance decides, once per party and issue date.
INTEREST_KIND = "interest"


def instalment_invoice_id(agreement_id: UUID, party_id: UUID, instalments: list[int]) -> UUID:
    """The id of the invoice that bills a party these instalments (numbered from 1)."""
    return uuid5(agreement_id, f"invoice:instalments:{party_id}:{','.join(map(str, instalments))}")


def recharge_invoice_id(agreement_id: UUID, party_id: UUID, period: str, late_batch: int = 0) -> UUID:
    """The id of the invoice that recharges a party its costs of one period, or with ``late_batch`` the
    costs of that period booked after it was recharged, in the period's n-th late run (R-INV-5)."""
    if late_batch:
        return uuid5(agreement_id, f"invoice:recharge:{party_id}:{period}:late:{late_batch}")
    return uuid5(agreement_id, f"invoice:recharge:{party_id}:{period}")


def payment_due_on(issued_on: date, payment_term_days: int) -> date:
    """The due date of an invoice (R-INV-3, R-INV-6): the payment term after the issue date, moved to
    the next banking day if it falls on a weekend or a Finnish bank holiday (issued 2025-12-03 with 21
    days: Christmas Eve 2025-12-24 moves to 2025-12-29). Invoices already issued keep their due date."""
    return banking_day_on_or_after(days_after(issued_on, payment_term_days))


def credit_note_id(invoice_id: UUID, ordinal: int) -> UUID:
    """The id of the n-th credit note against an invoice."""
    return uuid5(invoice_id, f"credit-note:{ordinal}")


class InvoiceBook(Aggregate):
    """An agreement's register of invoices and credit notes: numbers, references, what is billed."""

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return uuid5(agreement_id, "invoice-book")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, code: str, reference_prefix: str) -> None:
        self.agreement_id = agreement_id
        self.code = code
        self.reference_prefix = reference_prefix
        self.series: dict[str, list[dict[str, Any]]] = {}  # year → documents in number order
        self.instalments: dict[str, list[int]] = {}  # party → instalments invoiced

    def next_number(self, year: int) -> tuple[int, str, str]:
        """The next sequence, document number and Finnish reference of a year's series."""
        sequence = len(self.series.get(str(year), [])) + 1
        if sequence > MAX_SEQUENCE:
            raise Conflict(f"{self.code} has used all {MAX_SEQUENCE} numbers of {year}",
                           code="invoice_numbers_exhausted")
        number = f"{self.code}-{year}-{sequence:05d}"
        return sequence, number, national(f"{self.reference_prefix}{year}{sequence:05d}")

    @event("DocumentNumbered")
    def number_document(self, *, document_id: UUID, kind: str, year: int, sequence: int,
                        party_id: UUID, instalments: list[int]) -> None:
        """Record a document under the next number of its year's series."""
        entries = self.series.setdefault(str(year), [])
        assert sequence == len(entries) + 1, "numbers run without gaps"
        entries.append({"id": document_id, "kind": kind, "party_id": party_id})
        if instalments:
            self.instalments.setdefault(str(party_id), []).extend(instalments)

    def find_by_reference(self, reference: str) -> UUID | None:
        """The invoice a (compact, checked) Finnish reference of this book names, if any."""
        base = reference[:-1]
        prefix, year, sequence = base[:-9], base[-9:-5], int(base[-5:] or 0)
        if prefix != self.reference_prefix:
            return None
        entries = self.series.get(year, [])
        if not 0 < sequence <= len(entries) or entries[sequence - 1]["kind"] == "credit_note":
            return None
        return entries[sequence - 1]["id"]

    def ids(self, party_id: UUID | None = None, kinds: tuple[str, ...] = ("invoice",)) -> list[UUID]:
        """Documents in number order (year by year), optionally of one party only."""
        return [entry["id"] for year in sorted(self.series) for entry in self.series[year]
                if entry["kind"] in kinds and (party_id is None or entry["party_id"] == party_id)]


class Invoice(AppendOnlyCopy, Aggregate):
    """One invoice to one party, with the payments and credit notes recorded against it."""

    APPEND_ONLY = ("payments", "credit_notes")  # entries never changed once recorded: a copy shares them

    @staticmethod
    def create_id(agreement_id: UUID, party_id: UUID, kind: str, instalments: list[int],
                  period: str | None, late_batch: int = 0) -> UUID:
        if kind == "instalments":
            return instalment_invoice_id(agreement_id, party_id, instalments)
        if kind in (*SETTLEMENT_KINDS, INTEREST_KIND):  # once per party and checkpoint, decision or date
            return uuid5(agreement_id, f"{kind}:{party_id}:{period}")
        assert kind == "recharge" and period is not None
        return recharge_invoice_id(agreement_id, party_id, period, late_batch)

    @event("Issued")
    def __init__(self, *, agreement_id: UUID, party_id: UUID, kind: str, number: str, year: int,
                 sequence: int, reference: str, instalments: list[int], period: str | None,
                 lines: list[dict[str, Any]], amount: Decimal, issued_on: date, due_on: date,
                 late_batch: int = 0, vat: dict[str, Any] | None = None) -> None:
        self.agreement_id = agreement_id
        self.vat = vat  # the lines are before VAT; the amount includes the VAT (R-INV-6)
        self.late_batch = late_batch  # a recharge of late items of its period (R-INV-5); absent before them
        self.party_id = party_id
        self.kind = kind
        self.number = number
        self.year = year
        self.sequence = sequence
        self.reference = reference
        self.instalments = instalments
        self.period = period
        self.lines = lines
        self.amount = amount
        self.issued_on = issued_on
        self.due_on = due_on
        self.payments: list[dict[str, Any]] = []
        self.credit_notes: list[dict[str, Any]] = []
        self.overdue_marked_on: date | None = None

    @classmethod
    def issue(cls, *, book: InvoiceBook, party_id: UUID, kind: str,
              instalments: list[int], period: str | None, lines: list[dict[str, Any]],
              issued_on: date, payment_term_days: int, late_batch: int = 0,
              vat: dict[str, Any] | None = None) -> Invoice:
        """Issue an invoice under the book's next number, due after the payment term on a banking day
        (R-INV-3, R-INV-6)."""
        amount = sum((line["amount"] for line in lines), ZERO) + vat_amount(vat)
        assert amount > 0, "an invoice bills something"
        sequence, number, reference = book.next_number(issued_on.year)
        invoice = cls(agreement_id=book.agreement_id, party_id=party_id, kind=kind, number=number,
                      year=issued_on.year, sequence=sequence, reference=reference,
                      instalments=instalments, period=period, lines=lines, amount=amount,
                      issued_on=issued_on, due_on=payment_due_on(issued_on, payment_term_days),
                      late_batch=late_batch, vat=vat)
        book.number_document(document_id=invoice.id, kind="invoice", year=issued_on.year,
                             sequence=sequence, party_id=party_id, instalments=instalments)
        return invoice

    # Commands -----------------------------------------------------------------------------------

    def receive_payment(self, *, payment_id: UUID, amount: Decimal, paid_on: date,
                        bank_reference: str | None, source: str) -> None:
        """Record a payment against this invoice; any excess is kept as the party's credit."""
        if amount <= 0:
            raise InvalidInput("a payment amount must be above zero", code="invalid_amount")
        if len(self.payments) >= MAX_PAYMENTS:
            raise Conflict("this invoice has too many payments", code="too_many_payments")
        if any(p["payment_id"] == payment_id for p in self.payments):
            raise Conflict("this payment is already recorded", code="duplicate_payment")
        self.payment_received(agreement_id=self.agreement_id, party_id=self.party_id,
                              payment_id=payment_id, amount=amount, paid_on=paid_on,
                              bank_reference=bank_reference, source=source)

    # Money events name their agreement and party, so the journal posts each from the event alone.
    @event("PaymentReceived")
    def payment_received(self, *, agreement_id: UUID, party_id: UUID, payment_id: UUID, amount: Decimal,
                         paid_on: date, bank_reference: str | None, source: str) -> None:
        self.payments.append({"payment_id": payment_id, "amount": amount, "paid_on": paid_on,
                              "bank_reference": bank_reference, "source": source})

    def credit(self, *, book: InvoiceBook, amount: Decimal, issued_on: date, reason: str) -> UUID:
        """Issue a credit note that reduces what this invoice bills (R-INV-4)."""
        if amount <= 0:
            raise InvalidInput("a credit note amount must be above zero", code="invalid_amount")
        if issued_on < self.issued_on:
            raise InvalidInput("a credit note cannot precede its invoice", code="invalid_date")
        if amount > self.amount - self.credited(issued_on):
            raise Conflict(f"at most {fmt(self.amount - self.credited(issued_on))} can still be credited",
                           code="credit_exceeds_invoice")
        note_id = credit_note_id(self.id, len(self.credit_notes) + 1)
        sequence, number, _reference = book.next_number(issued_on.year)
        book.number_document(document_id=note_id, kind="credit_note", year=issued_on.year,
                             sequence=sequence, party_id=self.party_id, instalments=[])
        self.credit_note_issued(agreement_id=self.agreement_id, party_id=self.party_id,
                                invoice_kind=self.kind, credit_note_id=note_id, number=number,
                                amount=amount, issued_on=issued_on, reason=reason,
                                vat_rate=None if self.vat is None else self.vat["rate"])
        return note_id

    @event("CreditNoteIssued")
    def credit_note_issued(self, *, agreement_id: UUID, party_id: UUID, invoice_kind: str,
                           credit_note_id: UUID, number: str, amount: Decimal, issued_on: date,
                           reason: str, vat_rate: Decimal | None = None) -> None:
        self.credit_notes.append({"credit_note_id": credit_note_id, "number": number, "amount": amount,
                                  "issued_on": issued_on, "reason": reason, "vat_rate": vat_rate})

    @event("MarkedOverdue")
    def mark_overdue(self, *, marked_on: date) -> None:
        """Note that the invoice was found past due and unpaid (the overdue sweep)."""
        self.overdue_marked_on = marked_on

    # Queries ------------------------------------------------------------------------------------

    def paid(self, as_of: date) -> Decimal:
        """What was paid on or before a date."""
        return sum((p["amount"] for p in self.payments if p["paid_on"] <= as_of), ZERO)

    def credited(self, as_of: date) -> Decimal:
        """What was credited on or before a date."""
        return sum((c["amount"] for c in self.credit_notes if c["issued_on"] <= as_of), ZERO)

    def outstanding(self, as_of: date) -> Decimal:
        """What is still owed as of a date (never below zero; an excess is the party's credit)."""
        return max(ZERO, self.amount - self.paid(as_of) - self.credited(as_of))

    def status(self, as_of: date) -> str:
        """issued, partly_paid, paid, overdue or credited, as of a date."""
        return self._status(as_of, self.paid(as_of), self.credited(as_of))

    def _status(self, as_of: date, paid: Decimal, credited: Decimal) -> str:
        if credited >= self.amount:
            return "credited"
        if paid + credited >= self.amount:
            return "paid"
        if as_of > self.due_on:
            return "overdue"
        return "partly_paid" if paid > 0 else "issued"

    def view(self, as_of: date, *, entries: bool = True) -> dict[str, Any]:
        """The invoice as the API shows it, figures as of a date. With ``entries`` (one invoice) it lists
        its payments and credit notes; without (a list of invoices) it counts them, so a listing's size
        does not grow with how often each invoice was paid."""
        paid, credited = self.paid(as_of), self.credited(as_of)
        outstanding = max(ZERO, self.amount - paid - credited)
        shown = {
            "id": str(self.id), "number": self.number, "kind": self.kind,
            "agreement_id": str(self.agreement_id), "party_id": str(self.party_id),
            "instalments": list(self.instalments), "period": self.period,
            "lines": [{"description": line["description"], "amount": fmt(line["amount"])}
                      for line in self.lines],
            "issued_on": self.issued_on, "due_on": self.due_on, "amount": fmt(self.amount),
            "paid": fmt(paid), "credited": fmt(credited), "outstanding": fmt(outstanding),
            "overpaid": fmt(max(ZERO, paid + credited - self.amount)),
            "reference": self.reference, "reference_grouped": grouped(self.reference),
            "rf_reference": rf(self.reference), "status": self._status(as_of, paid, credited),
            "vat": vat_view(self.vat, self.lines),
        }
        payments = [p for p in self.payments if p["paid_on"] <= as_of]
        notes = [c for c in self.credit_notes if c["issued_on"] <= as_of]
        if not entries:
            return {**shown, "payment_count": len(payments), "credit_note_count": len(notes)}
        return {
            **shown,
            "payments": [{"payment_id": str(p["payment_id"]), "amount": fmt(p["amount"]),
                          "paid_on": p["paid_on"], "bank_reference": p["bank_reference"]} for p in payments],
            "credit_notes": [{"id": str(c["credit_note_id"]), "number": c["number"],
                              "amount": fmt(c["amount"]), "issued_on": c["issued_on"],
                              "reason": c["reason"], **_credit_vat(c)} for c in notes],
        }


def _credit_vat(note: dict[str, Any]) -> dict[str, Any]:
    """The VAT a credit note of a VAT invoice takes back (R-INV-6); nothing for other credit notes."""
    rate = note.get("vat_rate")
    if rate is None:
        return {}
    vat = vat_in(note["amount"], rate)
    return {"vat": {"rate": str(rate), "net": fmt(note["amount"] - vat), "vat": fmt(vat)}}
