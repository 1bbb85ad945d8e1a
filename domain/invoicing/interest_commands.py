"""The Ledger's commands for late-payment interest (R-INV-6): the reference-rate table, each party's
claim, and finance's choice to invoice it (an invoice of kind ``interest``) or waive it with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement, text
from domain.invoicing.interest import (MAX_REASON_CHARS, Debt, InterestAccount, ReferenceRates, claim_lines,
                                       invoice_line, line_view)
from domain.invoicing.invoices import INTEREST_KIND, Invoice
from domain.invoicing.register import Register
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import ZERO, fmt
from domain.kernel.paging import items_after

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

MAX_PAGE = 500


class InterestCommands:
    """Mixed into the Ledger: reference rates, claims, interest invoices and waivers."""

    _execute: Callable[..., dict[str, Any]]
    _agreement: Callable[[UUID], Agreement]
    _read: Callable[[UUID, type, str], Any]
    _book: Callable[[Agreement], Register]
    _party_invoice_ids: Callable[[UUID, UUID], list[UUID]]
    repository: Any

    def record_reference_rate(self, *, valid_from: date, rate: str | Decimal, recorded_on: date,
                              idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record the Interest Act's reference rate of a half-year (valid from 1 January or 1 July)."""
        check_business_year(valid_from)
        check_business_year(recorded_on)
        value = _rate(rate)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            table = self._rates_or_none() or ReferenceRates()
            table.record(valid_from=valid_from, rate_pct=value, recorded_on=recorded_on)
            return [table], {"rates": table.view()}

        return self._execute(command, idempotency)

    def list_reference_rates(self) -> list[dict[str, Any]]:
        """The reference rates recorded, by the half-year they apply from."""
        table = self._rates_or_none()
        return [] if table is None else table.view()

    def get_interest(self, agreement_id: UUID, *, as_of: date, limit: int, after: UUID | None = None,
                     party_id: UUID | None = None) -> dict[str, Any]:
        """Each party's accrued late-payment interest as of a date, a page of parties at a time: the claim
        not yet invoiced or waived, per invoice, and what was invoiced and waived (R-INV-6)."""
        if not 0 < limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
        agreement = self._agreement(agreement_id)
        ids = [p["party_id"] for p in agreement.parties_in_order()
               if party_id is None or p["party_id"] == party_id]
        ids = items_after(ids, after)
        table = self._table()
        rows = []
        for pid in ids[:limit]:
            account = self._account_or_none(agreement.id, pid)
            lines = self._claim(agreement.id, pid, account, table, as_of)
            done = ZERO, ZERO
            if account is not None:
                sums = account.totals(as_of)
                done = sums["invoiced"], sums["waived"]
            rows.append({"party_id": str(pid), "name": agreement.party(pid)["name"],
                         "claim": fmt(sum((line["amount"] for line in lines), ZERO)),
                         "invoiced": fmt(done[0]), "waived": fmt(done[1]),
                         "invoices": [line_view(line) for line in lines]})
        return {"as_of": as_of, "parties": rows}

    def invoice_interest(self, agreement_id: UUID, party_id: UUID, *, issued_on: date,
                         idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Invoice a party's interest claim through the issue date, one line per overdue invoice, on an
        invoice of kind ``interest`` under the agreement's numbers (R-INV-6: only when finance decides)."""
        check_business_year(issued_on)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            account, lines = self._claim_to_settle(agreement, party_id, issued_on)
            book = self._book(agreement)
            invoice = Invoice.issue(book=book, party_id=party_id, kind=INTEREST_KIND, instalments=[],
                                    period=issued_on.isoformat(), lines=[invoice_line(line) for line in lines],
                                    issued_on=issued_on, payment_term_days=agreement.rules.payment_term_days)
            account.invoice(invoice_id=invoice.id, issued_on=issued_on, lines=lines)
            return [*book.aggregates(), invoice, account], {**invoice.view(issued_on), "claim": [line_view(x) for x in lines]}

        return self._execute(command, idempotency)

    def waive_interest(self, agreement_id: UUID, party_id: UUID, *, waived_on: date, reason: str,
                       idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Waive a party's interest claim through a date, with the reason recorded (R-INV-6)."""
        check_business_year(waived_on)
        reason = text(reason, "reason", MAX_REASON_CHARS)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            account, lines = self._claim_to_settle(agreement, party_id, waived_on)
            account.waive(waived_on=waived_on, reason=reason, lines=lines)
            return [account], {"party_id": str(party_id), "waived_on": waived_on.isoformat(), "reason": reason,
                               "waived": fmt(sum((line["amount"] for line in lines), ZERO)),
                               "invoices": [line_view(line) for line in lines]}

        return self._execute(command, idempotency)

    # Plumbing ---------------------------------------------------------------------------------

    def _claim_to_settle(self, agreement: Agreement, party_id: UUID, on: date
                         ) -> tuple[InterestAccount, list[dict[str, Any]]]:
        agreement.party(party_id)  # refuses a party not in the agreement
        account = self._account_or_none(agreement.id, party_id)
        lines = self._claim(agreement.id, party_id, account, self._table(), on)
        if not lines:
            raise Conflict(f"no late-payment interest is claimed of this party through {on}",
                           code="no_interest_claim")
        if account is None:
            account = InterestAccount(agreement_id=agreement.id, party_id=party_id)
        else:
            account = self.repository.get(account.id)  # a copy of its own, to change
        return account, lines

    def _claim(self, agreement_id: UUID, party_id: UUID, account: InterestAccount | None,
               table: list[tuple[date, Decimal]], as_of: date) -> list[dict[str, Any]]:
        debts = []
        for invoice_id in self._party_invoice_ids(agreement_id, party_id):
            invoice = self._read(invoice_id, Invoice, "invoice")
            # An interest invoice bears no interest of its own (no interest on interest).
            if invoice.kind == INTEREST_KIND or invoice.due_on >= as_of or invoice.issued_on > as_of:
                continue
            settlements = tuple([(p["paid_on"], p["amount"]) for p in invoice.payments]
                                + [(c["issued_on"], c["amount"]) for c in invoice.credit_notes])
            debts.append(({"invoice_id": invoice.id, "number": invoice.number, "due_on": invoice.due_on},
                          Debt(amount=invoice.amount, due_on=invoice.due_on, settlements=settlements)))
        settled = {} if account is None else account.settled_through(as_of)
        return claim_lines(debts, table, settled, as_of)

    def _table(self) -> list[tuple[date, Decimal]]:
        table = self._rates_or_none()
        return [] if table is None else table.table()

    def _rates_or_none(self) -> ReferenceRates | None:
        try:
            return self.repository.get(ReferenceRates.create_id())
        except AggregateNotFoundError:
            return None

    def _account_or_none(self, agreement_id: UUID, party_id: UUID) -> InterestAccount | None:
        try:
            return self.repository.get(InterestAccount.create_id(agreement_id, party_id), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None


def _rate(value: str | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or len(value) > 10:
        raise InvalidInput("a rate is a string such as \"2.0\"", code="invalid_rate")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise InvalidInput(f"rate {value!r} is not a number", code="invalid_rate") from None
