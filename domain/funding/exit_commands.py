"""The Ledger's commands for the checkpoint exit and the host's protection (R-FUND-6): name the checkpoint,
the worksheet, its confirmation as an invoice or a refund, and the host's costs split and invoiced.
A mixin of the Ledger application, like ``FundingCommands``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.funding.exits import (CheckpointExit, ExitCheckpoint, HostReimbursement, check_at_checkpoint,
                                  check_host_decision, checkpoint_worksheet, host_reimbursement)
from domain.invoicing.invoices import Invoice
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.money import ZERO, fmt, money
from domain.membership.rules import DecisionRef

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement
    from domain.invoicing.register import Register
    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]

MAX_OPEN_INVOICES = 200  # invoices of one party read by one settlement


class ExitCommands:
    """A forerunner's exit at the checkpoint, and the others' reimbursement of the host (R-FUND-6)."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None: ...
        def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def _book(self, agreement: Agreement) -> Register: ...
        def _party_invoice_ids(self, agreement_id: UUID, party_id: UUID) -> list[UUID]: ...
        def _invoice(self, invoice_id: UUID) -> Invoice: ...
        def exists(self, aggregate_id: UUID) -> bool: ...

    def name_exit_checkpoint(self, agreement_id: UUID, *, amendment: int, checkpoint: date, fees_until: date,
                             idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record the checkpoint a binding amendment names for the forerunners' exit (2024-04-30) and the
        end of their maintenance fees (2029-12-31); once per agreement."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            if self.exists(ExitCheckpoint.create_id(agreement.id)):
                raise Conflict(f"{agreement.code} has its exit checkpoint already", code="checkpoint_already_named")
            terms = ExitCheckpoint.name(agreement, amendment=amendment, checkpoint=checkpoint, fees_until=fees_until)
            return [terms], terms.view()

        return self._execute(command, idempotency)

    def get_exit_checkpoint(self, agreement_id: UUID) -> dict[str, Any]:
        """The exit checkpoint named for an agreement, or not found."""
        self._agreement(agreement_id)
        terms = self._checkpoint(agreement_id)
        if terms is None:
            raise NotFound("no exit checkpoint is named", code="no_exit_checkpoint")
        return terms.view()

    def get_checkpoint_worksheet(self, agreement_id: UUID, party_id: UUID, *, exit_on: date, as_of: date,
                                 **costs: str | Decimal) -> dict[str, Any]:
        """What a forerunner would owe leaving at the checkpoint, each line with its basis; writes nothing."""
        agreement = self._agreement(agreement_id)
        terms = check_at_checkpoint(self._checkpoint(agreement_id), exit_on)
        agreement.party(party_id)
        invoices = self._party_invoices(agreement, party_id)
        return self._worksheet(agreement, party_id, terms, invoices, as_of, costs)

    def confirm_checkpoint_exit(self, agreement_id: UUID, party_id: UUID, *, exit_on: date, confirmed_on: date,
                                idempotency: Idempotency | None = None, **costs: str | Decimal) -> dict[str, Any]:
        """Confirm a forerunner's exit at the checkpoint, once per party: its open invoices are credited,
        the balance is invoiced (or refunded when it paid more) and the party has left at the checkpoint."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            terms = check_at_checkpoint(self._checkpoint(agreement_id), exit_on)
            agreement.party(party_id)
            if self.exists(CheckpointExit.create_id(agreement.id, party_id)):
                raise Conflict("this party's exit is already confirmed", code="exit_already_confirmed")
            invoices = self._party_invoices(agreement, party_id)
            sheet = self._worksheet(agreement, party_id, terms, invoices, confirmed_on, costs)
            book = self._book(agreement)
            credited, touched = [], []
            for invoice in invoices:
                owed = invoice.outstanding(confirmed_on)
                if owed > 0:
                    invoice.credit(book=book, amount=owed, issued_on=confirmed_on,
                                   reason=f"Replaced by the exit settlement at the checkpoint {terms.checkpoint}")
                    credited.append({"invoice_id": str(invoice.id), "amount": fmt(owed)})
                    touched.append(invoice)
            balance = Decimal(sheet["balance"])
            issued = []
            if balance > 0:
                issued = [Invoice.issue(
                    book=book, party_id=party_id, kind="settlement", instalments=[],
                    period=terms.checkpoint.isoformat(), issued_on=confirmed_on,
                    payment_term_days=agreement.rules.payment_term_days,
                    lines=[{"description": f"Exit settlement at the checkpoint {terms.checkpoint}: owed "
                                           f"{sheet['owed']} less paid {sheet['paid']}", "amount": balance}])]
            exit_ = CheckpointExit(agreement_id=agreement.id, party_id=party_id, checkpoint=terms.checkpoint,
                                   confirmed_on=confirmed_on, worksheet=sheet, balance=balance,
                                   invoice_id=issued[0].id if issued else None, refund=max(ZERO, -balance),
                                   credited=credited)
            agreement.party_exited_at_checkpoint(party_id=party_id, left_on=terms.checkpoint,
                                                 confirmed_on=confirmed_on)
            return [agreement, exit_, *book.aggregates(), *touched, *issued], exit_.view()

        return self._execute(command, idempotency)

    def get_host_reimbursement(self, agreement_id: UUID, *, host_costs: str | Decimal, on: date) -> dict[str, Any]:
        """The host's project costs split over the forerunners by accession fees; writes nothing."""
        return host_reimbursement(self._agreement(agreement_id), host_costs=money(host_costs), on=on)

    def invoice_host_reimbursement(self, agreement_id: UUID, *, decision_id: UUID, host_costs: str | Decimal,
                                   issued_on: date, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Invoice each other forerunner its part of the host's costs, on a passed decision that stops the
        project or dissolves the agreement for a reason not of the host's making; once per decision."""
        value = money(host_costs)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            decision = check_host_decision(agreement, self._decision_ref(agreement.id, decision_id))
            if self.exists(HostReimbursement.create_id(agreement.id, decision_id)):
                raise Conflict(f"the host's costs of decision {decision_id} are already invoiced",
                               code="host_costs_already_invoiced")
            if issued_on < decision.decided_on:
                raise InvalidInput(f"the invoices follow the decision of {decision.decided_on}", code="invalid_date")
            calculation = host_reimbursement(agreement, host_costs=value, on=decision.decided_on)
            book = self._book(agreement)
            invoices = [Invoice.issue(book=book, party_id=UUID(row["party_id"]), kind="host_reimbursement",
                                      instalments=[], period=str(decision_id), issued_on=issued_on,
                                      payment_term_days=agreement.rules.payment_term_days,
                                      lines=[{"description": "Share of the host's project costs by accession fee "
                                                             f"(decision {decision_id})", "amount": Decimal(row["part"])}])
                        for row in calculation["parties"] if not row["host"] and Decimal(row["part"]) > 0]
            run = HostReimbursement(agreement_id=agreement.id, decision_id=decision_id, issued_on=issued_on,
                                    calculation=calculation, invoice_ids=[i.id for i in invoices])
            return [run, *book.aggregates(), *invoices], run.view()

        return self._execute(command, idempotency)

    # Plumbing ----------------------------------------------------------------------------------

    def _check_exit_day(self, agreement_id: UUID, day: date) -> None:
        """Where an amendment names the exit checkpoint, a party leaves on no other day (R-FUND-6)."""
        terms = self._checkpoint(agreement_id)
        if terms is not None:
            check_at_checkpoint(terms, day)

    def _checkpoint(self, agreement_id: UUID) -> ExitCheckpoint | None:
        terms_id = ExitCheckpoint.create_id(agreement_id)
        return self._get(terms_id, ExitCheckpoint, "exit checkpoint") if self.exists(terms_id) else None

    def _party_invoices(self, agreement: Agreement, party_id: UUID) -> list[Invoice]:
        ids = self._party_invoice_ids(agreement.id, party_id)
        if len(ids) > MAX_OPEN_INVOICES:
            raise Conflict(f"a settlement reads at most {MAX_OPEN_INVOICES} invoices", code="too_many_invoices")
        return [self._invoice(invoice_id) for invoice_id in ids]

    def _worksheet(self, agreement: Agreement, party_id: UUID, terms: ExitCheckpoint, invoices: list[Invoice],
                   as_of: date, costs: dict[str, str | Decimal]) -> dict[str, Any]:
        paid = sum((invoice.paid(as_of) for invoice in invoices), ZERO)
        still_open = sum((invoice.outstanding(as_of) for invoice in invoices), ZERO)
        return checkpoint_worksheet(
            agreement, party_id, terms, accrued_costs=money(costs["accrued_costs"]),
            wind_down_costs=money(costs["wind_down_costs"]),
            maintenance_fees_per_year=money(costs["maintenance_fees_per_year"]),
            other_exit_costs=money(costs.get("other_exit_costs", "0.00")), paid=paid, open_invoices=still_open,
            as_of=as_of)
