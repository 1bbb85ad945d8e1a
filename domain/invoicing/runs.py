"""Invoicing runs in bounded batches (R-INV-3): planned once, committed a batch at a time, resumable.

A run plans every instalment invoice due as of its date from the agreement alone, then issues the plan
``run_batch_size`` invoices at a time, each batch in one transaction with its numbers and the parties'
lists of what they were billed. Invoice ids are deterministic, so a batch that meets another writer's
invoices (a racing scheduler, or a run cut short by a crash and started again) is refused by the store,
read again and issues only what is still missing: each invoice is issued exactly once, and numbers run
without gaps. A run too large for one batch may be started in the background and polled: its
``InvoicingRun`` records each batch in the batch's own transaction, so its progress is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.invoicing.invoices import Invoice
from domain.agreements.billing import invoice_vat
from domain.invoicing.schedule import PlannedInvoice, instalment_invoices, not_yet_billed, supply_date
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import NotFound

from domain.agreements.agreement import Agreement

if TYPE_CHECKING:
    from domain.invoicing.register import Register
    from domain.kernel.idempotency import Idempotency

MAX_INVOICES_PER_SAVE = 600  # one per party and more; keeps one insert well under the size at which the PostgreSQL driver stalls
Progress = Callable[[dict[str, Any]], None]


class InvoicingRun(Aggregate):
    """A run of one agreement as of a date, started in the background: its progress batch by batch."""

    @event("Started")
    def __init__(self, *, agreement_id: UUID, as_of: date, planned: int, batch_size: int) -> None:
        self.agreement_id = agreement_id
        self.as_of = as_of
        self.planned = planned
        self.batch_size = batch_size
        self.issued = 0
        self.already_issued = 0
        self.batches = 0
        self.status = "running"
        self.reason: str | None = None

    @event("BatchCommitted")
    def batch_committed(self, *, issued: list[UUID], already_issued: int) -> None:
        """A batch's invoices were saved (in the same transaction as this event)."""
        self.issued += len(issued)
        self.already_issued += already_issued
        self.batches += 1

    @event("Finished")
    def finish(self) -> None:
        self.status = "finished"

    @event("Failed")
    def fail(self, *, reason: str) -> None:
        """The run stopped; starting it again issues what it had not (nothing twice)."""
        self.status = "failed"
        self.reason = reason[:300]

    def view(self) -> dict[str, Any]:
        return {"run_id": str(self.id), "agreement_id": str(self.agreement_id), "as_of": self.as_of,
                "status": self.status, "planned": self.planned, "issued": self.issued,
                "already_issued": self.already_issued, "batches": self.batches, "batch_size": self.batch_size,
                "reason": self.reason}


class RunCommands:
    """Mixed into the Ledger: invoicing runs, synchronous or in the background, in bounded batches."""

    run_batch_size = MAX_INVOICES_PER_SAVE
    if TYPE_CHECKING:
        def _execute(self, command: Any, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _replay(self, idempotency: Idempotency | None) -> dict[str, Any] | None: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def _book(self, agreement: Any) -> Register: ...
        def _fetch_copy(self, aggregate_id: UUID) -> Any: ...
        def _vat_treatment(self, agreement_id: UUID) -> dict[str, Any] | None: ...

    def run_invoicing(self, agreement_id: UUID, *, as_of: date, idempotency: Idempotency | None = None,
                      progress: Progress | None = None) -> dict[str, Any]:
        """Issue every instalment invoice due on or before a date that is not yet issued (R-INV-3), a
        bounded batch per transaction; ``progress`` is told each batch's counts."""
        check_business_year(as_of)
        replayed = self._replay(idempotency)
        if replayed is not None:
            return replayed
        total = self._run_batches(agreement_id, self.invoicing_plan(agreement_id, as_of), as_of, None, progress)
        return self._execute(lambda: ([], total), idempotency)

    def invoicing_plan(self, agreement_id: UUID, as_of: date) -> list[PlannedInvoice]:
        """Every instalment invoice due as of a date, as if none were issued (the run's plan)."""
        check_business_year(as_of)
        return instalment_invoices(self._read(agreement_id, Agreement, "agreement"), as_of)

    def start_invoicing_run(self, agreement_id: UUID, *, as_of: date, idempotency: Idempotency | None = None,
                            planned: int | None = None) -> dict[str, Any]:
        """Record a run to be carried out by ``continue_invoicing_run`` (in the background); its view.
        ``planned`` is the size of its plan when the caller has just made it."""
        check_business_year(as_of)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            size = len(self.invoicing_plan(agreement_id, as_of)) if planned is None else planned
            run = InvoicingRun(agreement_id=agreement_id, as_of=as_of, planned=size,
                               batch_size=self.run_batch_size)
            return [run], run.view()

        return self._execute(command, idempotency)

    def continue_invoicing_run(self, run_id: UUID, progress: Progress | None = None) -> dict[str, Any]:
        """Carry out a started run batch by batch; a failure is recorded on the run and raised."""
        run = self._read(run_id, InvoicingRun, "invoicing run")
        if run.status == "finished":
            return run.view()  # type: ignore[no-any-return]
        try:
            plan = self.invoicing_plan(run.agreement_id, run.as_of)
            self._run_batches(run.agreement_id, plan, run.as_of, run_id, progress)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            try:
                self._execute(lambda: self._run_event(run_id, lambda r: r.fail(reason=reason)), None)
            except Exception:  # noqa: BLE001 - the store is down too: the run stays "running" until started again
                pass
            raise
        return self._execute(lambda: self._run_event(run_id, lambda r: r.finish()), None)

    def get_invoicing_run(self, agreement_id: UUID, run_id: UUID) -> dict[str, Any]:
        """A run's status and counts (planned, issued, already issued, batches)."""
        run = self._read(run_id, InvoicingRun, "invoicing run")
        if run.agreement_id != agreement_id:
            raise NotFound(f"no invoicing run {run_id}")
        return run.view()  # type: ignore[no-any-return]

    def _run_event(self, run_id: UUID, change: Callable[[InvoicingRun], None]
                   ) -> tuple[list[Aggregate], dict[str, Any]]:
        run = self._fetch_copy(run_id)
        change(run)
        return [run], run.view()

    def _run_batches(self, agreement_id: UUID, plan: list[PlannedInvoice], as_of: date, run_id: UUID | None,
                     progress: Progress | None) -> dict[str, Any]:
        total: dict[str, Any] = {"issued": [], "already_issued": 0}
        size = self.run_batch_size
        for start in range(0, len(plan), size):
            chunk = plan[start:start + size]

            def command(chunk: list[PlannedInvoice] = chunk) -> tuple[list[Aggregate], dict[str, Any]]:
                agreement = self._read(agreement_id, Agreement, "agreement")
                register = self._book(agreement)
                invoices, already, _more = issue_planned(register, agreement, chunk, as_of, size,
                                                         self._vat_treatment(agreement.id))
                result = {"issued": [str(invoice.id) for invoice in invoices], "already_issued": already}
                changed: list[Aggregate] = [*register.aggregates(), *invoices] if invoices else []
                if run_id is not None:
                    run = self._fetch_copy(run_id)
                    run.batch_committed(issued=[invoice.id for invoice in invoices], already_issued=already)
                    changed.append(run)
                return changed, result

            result = self._execute(command, None)
            total["issued"].extend(result["issued"])
            total["already_issued"] += result["already_issued"]
            if progress is not None:
                progress({"agreement_id": str(agreement_id), "batch": start // size + 1,
                          "planned": len(plan), "issued": len(total["issued"]),
                          "already_issued": total["already_issued"]})
        return total


def issue_planned(register: Register, agreement: Any, due: list[PlannedInvoice], issued_on: date,
                  limit: int, treatment: dict[str, Any] | None = None) -> tuple[list[Invoice], int, bool]:
    """Issue, under the register's next numbers, up to ``limit`` planned invoices not yet issued, with the
    agreement's VAT treatment by each invoice's supply date (R-INV-6); returns them, how many of ``due``
    were issued already, and whether more remain."""
    todo: list[PlannedInvoice] = []
    seen: set[UUID] = set()
    register.read_parties(planned.party_id for planned in due)
    for planned in due:
        unbilled = not_yet_billed(planned, register.billed_instalments(planned.party_id))
        if unbilled is None:
            continue
        invoice_id = Invoice.create_id(agreement.id, unbilled.party_id, unbilled.kind, unbilled.instalments,
                                       unbilled.period, unbilled.late_batch)
        if invoice_id not in seen and invoice_id not in register.issued_ids(unbilled.party_id):
            seen.add(invoice_id)
            todo.append(unbilled)
    term_days = agreement.rules.payment_term_days
    invoices = [Invoice.issue(book=register, party_id=p.party_id, kind=p.kind, instalments=p.instalments,
                              period=p.period, lines=p.lines, issued_on=issued_on, payment_term_days=term_days,
                              late_batch=p.late_batch, vat=invoice_vat(treatment, supply_date(p, issued_on), p.lines))
                for p in todo[:limit]]
    return invoices, len(due) - len(todo), len(todo) > limit
