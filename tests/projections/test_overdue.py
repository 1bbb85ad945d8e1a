"""Overdue per party from the journal agrees with the invoices' own status, invoice by invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from api.demo import load_demo
from domain.application import Ledger
from domain.kernel.money import ZERO
from projections.journal.queries import balance_sums, sums
from projections.journal.runner import JournalRunner

ISSUED = date(2026, 2, 1)  # a Sunday: 21 days later is Sunday 2026-02-22, so due Monday 2026-02-23 (R-INV-6)
DAYS = [date(2026, 1, 31), date(2026, 2, 10), date(2026, 2, 22), date(2026, 2, 23), date(2026, 2, 24),
        date(2026, 3, 20), date(2027, 1, 1)]


@pytest.fixture
def runner(ledger: Ledger) -> Iterator[JournalRunner]:
    with JournalRunner(ledger) as journal:
        yield journal


def overdue_from_invoices(ledger: Ledger, agreement: UUID, day: date) -> dict[UUID, Decimal]:
    """The oracle: each overdue invoice's own unpaid rest, from the invoice aggregates, not the journal."""
    owed: dict[UUID, Decimal] = {}
    for bill in ledger.list_invoices(agreement, as_of=day, limit=500):
        if bill["status"] == "overdue":
            party = UUID(bill["party_id"])
            owed[party] = owed.get(party, ZERO) + Decimal(bill["outstanding"])
    return owed


def test_overdue_counts_each_invoice_s_own_unpaid_rest(ledger: Ledger, runner: JournalRunner) -> None:
    """R-INV-1, R-INV-6: past the due date (the payment term's end moved to a banking day), what is unpaid
    is overdue; an overpaid invoice offsets nothing."""
    lyhty = load_demo(ledger, as_of=ISSUED)["LYHTY"]
    groups: dict[str, list[dict]] = {}
    for bill in ledger.list_invoices(lyhty, as_of=ISSUED, limit=500):
        groups.setdefault(bill["party_id"], []).append(bill)
    (over, rest), (late, _), (part, _), (credited, paid) = list(groups.values())[:4]
    # Overpay one invoice and leave the party's other unpaid: the overpayment offsets nothing.
    ledger.record_payment(UUID(over["id"]), amount=Decimal(over["amount"]) + 500, paid_on=date(2026, 2, 5))
    ledger.record_payment(UUID(late["id"]), amount=late["amount"], paid_on=date(2026, 3, 10))
    ledger.record_payment(UUID(part["id"]), amount="1000.00", paid_on=date(2026, 2, 10))
    ledger.issue_credit_note(UUID(credited["id"]), amount=credited["amount"], issued_on=date(2026, 2, 12),
                             reason="cancelled")
    ledger.record_payment(UUID(paid["id"]), amount=paid["amount"], paid_on=date(2026, 2, 20))
    runner.catch_up()
    seen_overdue = False
    for day in DAYS:
        journal_sums, overdue = balance_sums(runner.store, lyhty, as_of=day)
        assert journal_sums == sums(runner.store, lyhty, as_of=day)
        assert overdue == overdue_from_invoices(ledger, lyhty, day), day
        seen_overdue = seen_overdue or bool(overdue)
    assert seen_overdue
    _, due_day = balance_sums(runner.store, lyhty, as_of=date(2026, 2, 23))
    assert due_day == {}  # due on the banking day after Sunday 22nd: not yet late
    _, overdue = balance_sums(runner.store, lyhty, as_of=date(2026, 2, 24))
    assert overdue[UUID(over["party_id"])] == Decimal(rest["amount"])
    assert overdue[UUID(part["party_id"])] == 2 * Decimal(part["amount"]) - Decimal("1000.00")
    assert UUID(credited["party_id"]) not in overdue
    assert overdue[UUID(late["party_id"])] == 2 * Decimal(late["amount"])
    _, overdue = balance_sums(runner.store, lyhty, as_of=date(2026, 3, 10))
    assert overdue[UUID(late["party_id"])] == Decimal(late["amount"])


def test_overdue_as_known_at_leaves_out_a_payment_recorded_later(ledger: Ledger, runner: JournalRunner) -> None:
    """A back-dated payment recorded after ``known_at`` still counts as unpaid as the ledger knew it then."""
    lyhty = load_demo(ledger, as_of=ISSUED)["LYHTY"]
    bill = ledger.list_invoices(lyhty, as_of=ISSUED, limit=1)[0]
    runner.catch_up()
    before_payment = datetime.now(UTC)
    ledger.record_payment(UUID(bill["id"]), amount=bill["amount"], paid_on=date(2026, 2, 3))
    runner.catch_up()
    party = UUID(bill["party_id"])
    day = date(2026, 3, 1)
    # The party's second instalment of the same amount is still unpaid either way.
    assert balance_sums(runner.store, lyhty, as_of=day)[1][party] == Decimal(bill["amount"])
    _, then = balance_sums(runner.store, lyhty, as_of=day, known_at=before_payment)
    assert then[party] == 2 * Decimal(bill["amount"])
