"""The Ledger's money commands and queries: invoicing and recharge runs, payments, credit notes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement, text
from domain.agreements.views import key_history_view
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.invoicing.invoices import Invoice
from domain.invoicing.register import RegisterAccess
from domain.invoicing.runs import MAX_INVOICES_PER_SAVE, RunCommands, issue_planned
from domain.invoicing.schedule import PlannedInvoice, closed_periods, quarters_of, recharge_invoices
from domain.kernel.money import check_input_amount, fmt, money
from domain.kernel.references import normalise
from domain.kernel.paging import items_after
from domain.invoicing.payments import BankTransaction, UnmatchedPayment
from domain.invoicing.spending import SpendingLog, bearers, quarter_of, quarters_between

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

MAX_CHUNKS = 1_000  # a run never loops without end, whatever the data
MAX_LIST = 500
Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


class InvoicingCommands(RunCommands, RegisterAccess):
    """Mixed into the Ledger: every command is idempotent by deterministic ids or an idempotency key."""

    # Provided by the Ledger.
    _execute: Callable[..., dict[str, Any]]
    _agreement: Callable[[UUID], Agreement]
    _get: Callable[[UUID, type, str], Any]
    _read: Callable[[UUID, type, str], Any]
    exists: Callable[[UUID], bool]
    retrying: Callable[[], bool]
    save: Callable[..., Any]
    repository: Any
    _decision_ref: Callable[[UUID, UUID], Any]
    _billing_or_none: Callable[[UUID], Any]

    # Runs -------------------------------------------------------------------------------------

    def run_recharges(self, agreement_id: UUID, *, as_of: date,
                      idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Invoice each party its share of every ended period's spending not yet recharged (R-INV-5); costs
        booked after their period was recharged go out as that period's late items, exactly once."""
        check_business_year(as_of)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            kind = agreement.rules.recharge_period
            if kind == "none":
                raise Conflict(f"{agreement.code} has no recharge period in its terms",
                               code="recharge_not_configured")
            logs: list[SpendingLog] = []
            due: list[PlannedInvoice] = []
            periods: list[str] = []
            late_periods: list[str] = []
            more = False
            for period in closed_periods(agreement.starts_on, as_of, kind):
                period_logs = [log for log in (self._spending_log_or_none(SpendingLog.create_id(
                    agreement.id, quarter)) for quarter in quarters_of(period)) if log is not None]
                pending = [log for log in period_logs if log.pending()]
                if not pending:
                    continue
                # Once any of its logs was recharged, the period's invoices are out: what is pending came
                # late and goes on invoices of its own, numbered after the period's earlier late runs.
                recharged = any(log.recharged_in is not None for log in period_logs)
                late_batch = 1 + max(log.late_batch for log in period_logs) if recharged else 0
                planned = recharge_invoices(agreement, period, [e for log in pending for e in log.pending()],
                                            late_batch=late_batch)
                if due and len(due) + len(planned) > MAX_INVOICES_PER_SAVE:
                    more = True  # a period is closed with all its invoices in one save, never split
                    break
                invoice_ids = [Invoice.create_id(agreement.id, p.party_id, p.kind, p.instalments,
                                                 p.period, p.late_batch) for p in planned]
                for log in pending:
                    if late_batch:
                        log.recharge_late(period=period, batch=late_batch, invoice_ids=invoice_ids)
                    else:
                        log.close(period=period, invoice_ids=invoice_ids)
                due.extend(planned)
                (late_periods if late_batch else periods).append(period)
                logs.extend(pending)
            aggregates, result = self._issue(agreement, due, as_of, logs)
            result["periods"] = periods
            result["late_periods"] = late_periods
            result["more"] = more
            return aggregates, result

        return self._run(command, idempotency)

    def update_party_key(self, agreement_id: UUID, party_id: UUID, *, value: Any, effective_on: date,
                         decision_id: UUID | None = None, idempotency: Idempotency | None = None
                         ) -> dict[str, Any]:
        """A party's metric or fixed key from a period on (R-ACC-5); the periods before keep their key,
        and a period already recharged is never split again by another key."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            decision = None if decision_id is None else self._decision_ref(agreement_id, decision_id)
            if decision_id is not None and decision is None:
                raise NotFound(f"no decision {decision_id}")
            for quarter in quarters_between(effective_on, agreement.ends_on):
                log = self._spending_log_or_none(SpendingLog.create_id(agreement.id, quarter))
                if log is not None and log.recharged_in is not None:
                    raise Conflict(f"{log.recharged_in} was recharged already by the key then in force; a new "
                                   "key applies from a period not yet recharged", code="period_already_recharged")
            agreement.update_key(party_id, value=value, effective_on=effective_on, decision=decision)
            return [agreement], key_history_view(agreement.party(party_id))

        return self._execute(command, idempotency)

    def _run(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]:
        """Run in chunks, so a run that issues hundreds of invoices saves them a bounded batch at a time."""
        result = self._execute(command, idempotency)
        total = dict(result)
        for _ in range(MAX_CHUNKS):
            if not result.get("more"):
                break
            result = self._execute(command, None)
            total["issued"] = total["issued"] + result["issued"]
            total["periods"] = total.get("periods", []) + result.get("periods", [])
            if "late_periods" in result:
                total["late_periods"] = total.get("late_periods", []) + result["late_periods"]
        total.pop("more", None)
        return total

    def _issue(self, agreement: Agreement, due: list[PlannedInvoice], issued_on: date,
               others: list[Aggregate]) -> tuple[list[Aggregate], dict[str, Any]]:
        register = self._book(agreement)
        invoices, already, more = issue_planned(register, agreement, due, issued_on, MAX_INVOICES_PER_SAVE,
                                                 self._vat_treatment(agreement.id))
        result = {"issued": [str(invoice.id) for invoice in invoices], "already_issued": already, "more": more}
        if not invoices and not others:
            return [], result
        return [*register.aggregates(), *invoices, *others] if invoices else list(others), result

    def mark_overdue(self, agreement_id: UUID, *, as_of: date) -> int:
        """Mark every invoice that is past due and not paid as of a date, once; returns how many."""
        check_business_year(as_of)  # an overdue run far ahead would record wrong first-overdue dates
        marked: list[Invoice] = []
        count = 0
        for _year, _sequence, entry in self._documents(agreement_id):
            if entry["kind"] != "invoice":
                continue
            seen = self._read(entry["id"], Invoice, "invoice")
            if seen.overdue_marked_on is None and seen.status(as_of) == "overdue":
                invoice = self._invoice(entry["id"])
                invoice.mark_overdue(marked_on=as_of)
                marked.append(invoice)
            if len(marked) == MAX_INVOICES_PER_SAVE:
                self.save(*marked)
                count, marked = count + len(marked), []
        if marked:
            self.save(*marked)
        return count + len(marked)

    # Payments and credit notes ------------------------------------------------------------------

    def record_payment(self, invoice_id: UUID, *, amount: str | Decimal, paid_on: date,
                       bank_reference: str | None = None, source: str = "invoice",
                       idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a payment against an invoice; an excess is kept as the party's credit (R-INV-4). A payment
        with the bank's archive id gets an id derived from it: the store refuses it a second time."""
        value = check_input_amount(money(amount))
        check_business_year(paid_on)
        bank_reference = _bank_reference(bank_reference)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            invoice = self._invoice(invoice_id)
            _check_paid_on(invoice, paid_on)
            aggregates: list[Aggregate] = [invoice]
            if bank_reference is None:
                payment_id = uuid4()
            else:
                payment_id, claim = self._new_bank_transaction(invoice.agreement_id, bank_reference)
                aggregates += [BankTransaction(agreement_id=invoice.agreement_id, bank_reference=bank_reference,
                                               invoice_id=invoice.id), claim]
            invoice.receive_payment(payment_id=payment_id, amount=value, paid_on=paid_on,
                                    bank_reference=bank_reference, source=source)
            return aggregates, {"payment_id": str(payment_id), "matched": True,
                                "invoice_id": str(invoice.id), "status": invoice.status(paid_on),
                                "outstanding": fmt(invoice.outstanding(paid_on))}

        return self._execute(command, idempotency)

    def record_payment_by_reference(self, agreement_id: UUID, *, reference: str, amount: str | Decimal,
                                    paid_on: date, bank_reference: str | None = None,
                                    idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Match a payment to the invoice its reference names, or keep it as unmatched (R-INV-4)."""
        value = check_input_amount(money(amount))
        check_business_year(paid_on)
        if value <= 0:
            raise InvalidInput("a payment amount must be above zero", code="invalid_amount")
        bank_reference = _bank_reference(bank_reference)
        if not isinstance(reference, str) or not 0 < len(reference) <= 35:
            raise InvalidInput("a reference is 1 to 35 characters", code="invalid_reference")
        try:
            compact: str | None = normalise(reference)
        except InvalidInput:
            compact = None  # a mistyped reference is still money received: keep it, unmatched
        if not isinstance(self._fetch_settled(agreement_id, lambda _: True), Agreement):  # it exists
            raise NotFound(f"no agreement {agreement_id}")
        found = self._locate_reference(compact) if compact else None
        if found is not None and found[0] == agreement_id:
            return self.record_payment(found[1], amount=value, paid_on=paid_on,
                                       bank_reference=bank_reference, source="reference",
                                       idempotency=idempotency)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            claims = [] if bank_reference is None else [self._new_bank_transaction(agreement_id, bank_reference)[1]]
            payment = UnmatchedPayment(agreement_id=agreement_id, amount=value, paid_on=paid_on,
                                       reference=" ".join(reference.split()),
                                       bank_reference=bank_reference)
            page = self._unmatched_tail(agreement_id)
            page.add(payment_id=payment.id)
            return [payment, page, *claims], {"payment_id": str(payment.id), "matched": False,
                                     "invoice_id": None, "status": "unmatched"}

        return self._execute(command, idempotency)

    def allocate_payment(self, agreement_id: UUID, payment_id: UUID, *, invoice_id: UUID,
                         allocated_on: date, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Allocate an unmatched payment to the invoice it was meant for."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            payment = self._get(payment_id, UnmatchedPayment, "unmatched payment")
            if payment.agreement_id != agreement_id:
                raise NotFound(f"no unmatched payment {payment_id}")
            if payment.invoice_id is not None:
                raise Conflict(f"payment {payment_id} is already allocated", code="already_allocated")
            invoice = self._invoice(invoice_id)
            if invoice.agreement_id != agreement_id:
                raise NotFound(f"no invoice {invoice_id} in this agreement")
            invoice.receive_payment(payment_id=payment.id, amount=payment.amount, paid_on=payment.paid_on,
                                    bank_reference=payment.bank_reference, source="allocation")
            payment.allocate(invoice_id=invoice.id, allocated_on=allocated_on)
            return [invoice, payment], payment.view()

        return self._execute(command, idempotency)

    def issue_credit_note(self, invoice_id: UUID, *, amount: str | Decimal, issued_on: date,
                          reason: str, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Credit part or all of an invoice: a new numbered document, never an edit (R-INV-4)."""
        value = check_input_amount(money(amount))
        check_business_year(issued_on)
        reason = text(reason, "reason", 500)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            invoice = self._invoice(invoice_id)
            register = self._book(self._read(invoice.agreement_id, Agreement, "agreement"))
            note_id = invoice.credit(book=register, amount=value, issued_on=issued_on, reason=reason)
            view = invoice.view(issued_on)
            note = next(c for c in view["credit_notes"] if c["id"] == str(note_id))
            return [invoice, *register.aggregates()], {**note, "invoice_id": str(invoice.id), "outstanding": view["outstanding"]}

        return self._execute(command, idempotency)

    # Spending ---------------------------------------------------------------------------------

    def record_spending(self, agreement_id: UUID, *, amount: str | Decimal, booked_on: date,
                        category: str, description: str, borne_by: UUID | list[UUID] | None = None,
                        idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Book a cost: shared by the agreement's key, borne by one party alone, or borne jointly by a
        list of parties and split among just them by the key (R-INV-5). A cost dated in a period
        already recharged is kept and recharged in the next run as a late item."""
        value = check_input_amount(money(amount))
        check_business_year(booked_on)
        category = text(category, "category", 64)
        description = text(description, "description", 500)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            if booked_on < agreement.starts_on:
                raise InvalidInput(f"{booked_on} is before the agreement starts", code="outside_term")
            bearer, jointly = bearers(agreement, borne_by)
            quarter = quarter_of(booked_on)
            log = self._spending_log_or_none(SpendingLog.create_id(agreement.id, quarter)) or SpendingLog(
                agreement_id=agreement.id, quarter=quarter)
            entry_id = log.record(amount=value, booked_on=booked_on, category=category,
                                  description=description, borne_by=bearer, borne_jointly_by=jointly)
            return [log], next(log.view(e) for e in log.entries if e["entry_id"] == entry_id)

        return self._execute(command, idempotency)

    # Queries ----------------------------------------------------------------------------------

    def list_invoices(self, agreement_id: UUID, *, as_of: date, limit: int, after: UUID | None = None,
                      party_id: UUID | None = None) -> list[dict[str, Any]]:
        """Invoices in number order with their figures as of a date, a page at a time (read, never copied)."""
        seller = self._read(agreement_id, Agreement, "agreement").invoiced_by
        size = _limit(limit)
        if party_id is not None:
            ids = self._party_invoice_ids(agreement_id, party_id)
            ids = ids[ids.index(after) + 1:] if after in ids else [] if after is not None else ids
        else:
            ids = (entry["id"] for entry in self._invoices_after(agreement_id, after))
        page = []
        for invoice_id in ids:
            invoice = self._read(invoice_id, Invoice, "invoice")
            if invoice.issued_on <= as_of:
                page.append({**invoice.view(as_of, entries=False), "seller": dict(seller)})
                if len(page) == size:
                    break
        return page

    def _invoices_after(self, agreement_id: UUID, after: UUID | None) -> Iterator[dict[str, Any]]:
        start = (0, 0)
        if after is not None:
            try:
                last = self._read(after, Invoice, "invoice")
            except NotFound:
                return
            if last.agreement_id != agreement_id:
                return
            start = (last.year, last.sequence)
        for _year, _sequence, entry in self._documents(agreement_id, start):
            if entry["kind"] == "invoice":
                yield entry

    def get_invoice(self, invoice_id: UUID, *, as_of: date) -> dict[str, Any]:
        """One invoice with its payments and credit notes as of a date, in the name of who invoices it (the
        coordinator, or the operator the agreement names)."""
        invoice = self._read(invoice_id, Invoice, "invoice")
        return {**invoice.view(as_of), "seller": dict(self._read(invoice.agreement_id, Agreement,
                                                                  "agreement").invoiced_by)}

    def invoice_party(self, invoice_id: UUID) -> tuple[UUID, UUID]:
        """The agreement and party an invoice bills (for access checks)."""
        invoice = self._read(invoice_id, Invoice, "invoice")
        return invoice.agreement_id, invoice.party_id

    def list_unmatched_payments(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                                include_allocated: bool = False) -> list[dict[str, Any]]:
        """Payments whose reference named no invoice, oldest first."""
        self._read(agreement_id, Agreement, "agreement")
        legacy = self._legacy_index(agreement_id)
        ids = [*(legacy.unmatched if legacy is not None else []), *self._unmatched_ids(agreement_id)]
        ids = items_after(ids, after)
        page = []
        for pid in ids:
            payment = self._read(pid, UnmatchedPayment, "unmatched payment")
            if include_allocated or payment.invoice_id is None:
                page.append(payment.view())
                if len(page) == _limit(limit):
                    break
        return page

    def list_spending(self, agreement_id: UUID, *, quarter: str, limit: int,
                      after: UUID | None = None) -> list[dict[str, Any]]:
        """The spending entries of one quarter, in booking order."""
        agreement = self._read(agreement_id, Agreement, "agreement")
        if quarters_of(quarter) != [quarter]:  # also refuses a malformed name
            raise InvalidInput("spending is listed by quarter, like 2025-Q4", code="invalid_period")
        log = self._spending_log_or_none(SpendingLog.create_id(agreement.id, quarter), copy=False)
        if log is None:
            return []
        entries = log.entries
        entries = items_after(entries, after, key=lambda e: e["entry_id"])
        return [log.view(e) for e in entries[:_limit(limit)]]

    # Plumbing ---------------------------------------------------------------------------------

    def _vat_treatment(self, agreement_id: UUID) -> dict[str, Any] | None:
        billing = self._billing_or_none(agreement_id)
        return None if billing is None else billing.vat

    def _invoice(self, invoice_id: UUID) -> Invoice:
        return self._get(invoice_id, Invoice, "invoice")

    # ``copy=False`` shares the cached object, for reading only (see ``Ledger._read``).

    def _spending_log_or_none(self, log_id: UUID, *, copy: bool = True) -> SpendingLog | None:
        try:
            return self.repository.get(log_id, deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            return None


def _bank_reference(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 35:
        raise InvalidInput("a bank reference is 1 to 35 characters", code="invalid_bank_reference")
    return value.strip()


def _check_paid_on(invoice: Invoice, paid_on: date) -> None:
    if paid_on < invoice.issued_on:
        raise InvalidInput(f"a payment of invoice {invoice.number} cannot precede its issue date "
                           f"{invoice.issued_on}", code="invalid_date")


def _limit(limit: int) -> int:
    if not 0 < limit <= MAX_LIST:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIST}", code="invalid_limit")
    return limit
