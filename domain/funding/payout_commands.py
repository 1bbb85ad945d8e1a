"""The Ledger's commands for money out: payout accounts, batches of payouts and the bank's confirmations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement
from domain.funding.exits import CheckpointExit
from domain.funding.payouts import (COORDINATOR, MAX_BATCH, Payout, PayoutAccount, PayoutBatch, bank_account,
                                    payout_id, payout_of)
from domain.funding.refunds import RefundRun
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.money import ZERO, fmt

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

MAX_DECISIONS = 500
MAX_PAGE = 500
ARCHIVE_ID_CHARS = 35


class PayoutCommands:
    """Mixed into the Ledger: where money is paid to, what is due to be paid, and what the bank paid."""

    _execute: Callable[..., dict[str, Any]]
    _agreement: Callable[[UUID], Agreement]
    _read: Callable[[UUID, type, str], Any]
    list_decisions: Callable[..., list[dict[str, Any]]]
    exists: Callable[[UUID], bool]
    repository: Any

    def record_payout_account(self, agreement_id: UUID, holder: UUID | None, *, iban: str, bic: str,
                              name: str | None, recorded_on: date, idempotency: Idempotency | None = None
                              ) -> dict[str, Any]:
        """Record the account a party is paid to, or with ``holder`` None the coordinator's account that
        payouts are paid from (the debtor of the pain.001 file); a new recording replaces the old."""
        check_business_year(recorded_on)
        account = bank_account(iban, bic, name)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            if holder is not None:
                agreement.party(holder)  # refuses a party not in the agreement
            key = COORDINATOR if holder is None else str(holder)
            record = self._get_or_none(PayoutAccount.create_id(agreement.id, key)) or PayoutAccount(
                agreement_id=agreement.id, holder=key)
            record.record(**account, recorded_on=recorded_on)
            return [record], record.view()

        return self._execute(command, idempotency)

    def get_payout_account(self, agreement_id: UUID, holder: UUID | None) -> dict[str, Any]:
        """The account a party is paid to (or the coordinator's, with ``holder`` None)."""
        record = self._payout_account(self._agreement(agreement_id).id, holder)
        if record is None:
            raise NotFound("no payout account is recorded")
        return record.view()

    def prepare_payouts(self, agreement_id: UUID, *, prepared_on: date, execution_on: date, created_at: str,
                        debtor: dict[str, Any] | None = None, idempotency: Idempotency | None = None
                        ) -> dict[str, Any]:
        """Put every refund not yet paid out into one batch for a pain.001 file, each with its EndToEndId.

        The debtor is the coordinator's recorded account unless ``debtor`` (iban, bic) is given. Refused
        with 409 when nothing is due (``no_payouts_due``), when a payee has no account
        (``payout_account_missing``) or the debtor has none (``debtor_account_missing``)."""
        check_business_year(prepared_on)
        check_business_year(execution_on)
        if execution_on < prepared_on:
            raise InvalidInput("a transfer is executed on or after the day it is prepared", code="invalid_date")
        given = None if debtor is None else bank_account(debtor["iban"], debtor["bic"], debtor.get("name"))

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            due = [row for row in self._owed(agreement, prepared_on) if not self._exists(row["payout_id"])]
            if not due:
                raise Conflict(f"no refund of {agreement.code} waits to be paid out by {prepared_on}",
                               code="no_payouts_due")
            due = due[:MAX_BATCH]
            missing = [row["name"] for row in due if self._payout_account(agreement.id, row["party_id"]) is None]
            if missing:
                raise Conflict(f"no payout account is recorded for {', '.join(missing)}",
                               code="payout_account_missing")
            account = given or self._debtor(agreement)
            debtor_account = {**account, "name": account["name"] or agreement.invoiced_by["name"]}
            ids = [row["payout_id"] for row in due]
            batch = PayoutBatch(agreement_id=agreement.id, payout_ids=ids, debtor=debtor_account,
                                total=sum((row["amount"] for row in due), ZERO), prepared_on=prepared_on,
                                execution_on=execution_on, created_at=created_at)
            payouts = []
            for row in due:
                payee = self._payout_account(agreement.id, row["party_id"])
                assert payee is not None and payee.account is not None
                creditor = {**payee.account, "name": payee.account["name"] or row["name"]}
                payouts.append(Payout(agreement_id=agreement.id, party_id=row["party_id"], source=row["source"],
                                      amount=row["amount"], creditor=creditor, description=row["description"],
                                      batch_id=batch.id, prepared_on=prepared_on, execution_on=execution_on))
            return [batch, *payouts], batch.view([p.view() for p in payouts])

        return self._execute(command, idempotency)

    def get_payout_batch(self, agreement_id: UUID, batch_id: UUID) -> dict[str, Any]:
        """One batch with its payouts, as its pain.001 file carries them."""
        batch = self._read(batch_id, PayoutBatch, "payout batch")
        if batch.agreement_id != agreement_id:
            raise NotFound(f"no payout batch {batch_id}")
        return batch.view([self._read(pid, Payout, "payout").view() for pid in batch.payout_ids])

    def list_payouts(self, agreement_id: UUID, *, as_of: date, limit: int) -> list[dict[str, Any]]:
        """Every refund to be paid out by a date with its payout status: ``due`` (in no file yet), ``sent``
        (in a pain.001 batch) or ``paid`` (the bank's debit entry came back)."""
        if not 0 < limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
        rows = []
        for row in self._owed(self._agreement(agreement_id), as_of)[:limit]:
            if self._exists(row["payout_id"]):
                rows.append(self._read(row["payout_id"], Payout, "payout").view())
            else:
                rows.append({"payout_id": str(row["payout_id"]), "end_to_end_id": None,
                             "party_id": str(row["party_id"]), "source": row["source"], "amount": fmt(row["amount"]),
                             "description": row["description"], "status": "due"})
        return rows

    def confirm_payout(self, end_to_end_id: str, *, amount: Decimal, booked_on: date, archive_id: str) -> str:
        """Mark a payout paid from the bank's debit entry (camt.054): ``confirmed``, ``already_confirmed``,
        ``unknown`` (no payout of ours has this EndToEndId) or ``amount_mismatch`` (nothing recorded)."""
        check_business_year(booked_on)
        if not isinstance(archive_id, str) or not 0 < len(archive_id) <= ARCHIVE_ID_CHARS:
            raise InvalidInput(f"an archive id is 1 to {ARCHIVE_ID_CHARS} characters", code="invalid_archive_id")
        pid = payout_of(end_to_end_id)
        if pid is None or not self._exists(pid):
            return "unknown"

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            payout = self.repository.get(pid)
            if payout.confirmed is not None:
                return [], {"status": "already_confirmed"}
            if amount != payout.amount:
                return [], {"status": "amount_mismatch"}
            payout.confirm(booked_on=booked_on, archive_id=archive_id)
            return [payout], {"status": "confirmed"}

        return str(self._execute(command, None)["status"])

    # Plumbing ---------------------------------------------------------------------------------

    def _owed(self, agreement: Agreement, as_of: date) -> list[dict[str, Any]]:
        """What is owed to the parties by a date: each refund of each refund run, and each exit refund."""
        rows = []
        for decision in self.list_decisions(agreement.id, limit=MAX_DECISIONS, kind="refund", passed=True):
            run = self._get_or_none(RefundRun.create_id(agreement.id, UUID(str(decision["decision_id"]))))
            if run is None or run.as_of > as_of:
                continue
            for refund in run.refunds:
                rows.append(self._row(agreement, f"refunds:{run.id}", refund["party_id"], refund["amount"],
                                      f"{agreement.code} palautus / refund {run.as_of}"))
        for party in agreement.parties_in_order():
            exit_ = self._get_or_none(CheckpointExit.create_id(agreement.id, party["party_id"]))
            if exit_ is not None and exit_.refund > 0 and exit_.confirmed_on <= as_of:
                rows.append(self._row(agreement, f"exit:{exit_.id}", party["party_id"], exit_.refund,
                                      f"{agreement.code} erosuoritus / exit refund {exit_.confirmed_on}"))
        return rows

    @staticmethod
    def _row(agreement: Agreement, source: str, party_id: UUID, amount: Decimal, description: str) -> dict[str, Any]:
        return {"payout_id": payout_id(agreement.id, source, party_id), "source": source, "party_id": party_id,
                "name": agreement.party(party_id)["name"], "amount": amount, "description": description}

    def _debtor(self, agreement: Agreement) -> dict[str, Any]:
        """The account payouts leave from: the coordinator's recorded debtor account, else the agreement's
        seller bank details (the account its invoices are paid to)."""
        record = self._payout_account(agreement.id, None)
        if record is not None and record.account is not None:
            return dict(record.account)
        billing = self._billing_or_none(agreement.id)
        if billing is not None and billing.seller_bank is not None:
            return {"iban": billing.seller_bank["iban"], "bic": billing.seller_bank["bic"], "name": None}
        raise Conflict(f"no account of {agreement.code}'s coordinator is recorded to pay from (POST …/debtor-account, "
                       "PUT …/seller-bank-details, or give the debtor in the request)", code="debtor_account_missing")

    def _payout_account(self, agreement_id: UUID, holder: UUID | None) -> PayoutAccount | None:
        return self._get_or_none(PayoutAccount.create_id(agreement_id, COORDINATOR if holder is None else str(holder)))

    def _exists(self, aggregate_id: UUID) -> bool:
        return self.exists(aggregate_id)

    def _get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
