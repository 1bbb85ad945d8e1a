"""Every money event posts a balanced entry, and the journal agrees with the invoices (property test)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.demo import load_demo
from domain.application import Ledger
from domain.kernel.errors import DomainError
from domain.kernel.money import ZERO
from projections.journal.entries import JournalEntry
from projections.journal.postings import post

cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
operation = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 40), cents),
    st.tuples(st.just("credit"), st.integers(0, 40), cents),
    st.tuples(st.just("unmatched"), st.integers(0, 40), cents),
    st.tuples(st.just("allocate"), st.integers(0, 40), st.integers(0, 40)),
    st.tuples(st.just("spend"), st.integers(0, 1), cents),
)


def entries(ledger: Ledger) -> list[JournalEntry]:
    notifications = ledger.recorder.select_notifications(start=1, limit=100_000)
    return [entry for n in notifications for entry in post(ledger.mapper.to_domain_event(n))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=30))
def test_random_money_events_post_balanced_entries_that_agree_with_the_invoices(ops: list[tuple]) -> None:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ids = load_demo(ledger, as_of=date(2026, 2, 1))
    lyhty, mh_hs = ids["LYHTY"], ids["MH-HS-ICT"]
    bills = ledger.list_invoices(lyhty, as_of=date(2026, 2, 1), limit=500)
    unmatched: list[str] = []
    day = date(2026, 2, 2)
    for kind, index, value in ops:
        day += timedelta(days=1)
        bill = bills[index % len(bills)]
        try:
            if kind == "pay":
                ledger.record_payment(UUID(bill["id"]), amount=value, paid_on=day)
            elif kind == "credit":
                ledger.issue_credit_note(UUID(bill["id"]), amount=value, issued_on=day, reason="correction")
            elif kind == "unmatched":
                unmatched.append(ledger.record_payment_by_reference(
                    lyhty, reference="12345614", amount=value, paid_on=day)["payment_id"])
            elif kind == "allocate" and unmatched:
                ledger.allocate_payment(lyhty, UUID(unmatched.pop(index % len(unmatched))),
                                        invoice_id=UUID(bills[value % len(bills)]["id"]), allocated_on=day)
            elif kind == "spend":
                ledger.record_spending((lyhty, mh_hs)[index], amount=value, booked_on=day, category="costs",
                                       description="random")
        except DomainError as exc:
            assert exc.code == "credit_exceeds_invoice"  # the only refusal these operations can meet
    posted = entries(ledger)  # each JournalEntry asserts its own balance as it is made
    assert all(sum(line.cents for line in entry.lines) == 0 for entry in posted)
    receivable: dict[UUID, Decimal] = {}
    for entry in posted:
        for line in entry.lines:
            if line.account == "receivable":
                receivable[line.party_id] = receivable.get(line.party_id, ZERO) + line.amount
    expected: dict[UUID, Decimal] = {}
    for invoice in ledger.list_invoices(lyhty, as_of=date(2099, 1, 1), limit=500):
        pid = UUID(invoice["party_id"])
        owed = Decimal(invoice["amount"]) - Decimal(invoice["paid"]) - Decimal(invoice["credited"])
        expected[pid] = expected.get(pid, ZERO) + owed
    assert {pid: amount for pid, amount in receivable.items() if pid in expected} == expected
    assert sum(line.amount for entry in posted for line in entry.lines if line.account == "unallocated") == \
        -sum((Decimal(p["amount"]) for p in ledger.list_unmatched_payments(lyhty, limit=500)), ZERO)
