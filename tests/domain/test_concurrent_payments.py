"""Issue 16 item 4: threads sharing one Ledger never read a cached aggregate while it is brought up to date."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.application import Ledger
from domain.invoicing.payments import PaymentIndex
from domain.kernel.errors import VersionConflict
from domain.kernel.idempotency import Idempotency
from tests.domain.test_ledger_persistence import CITIES, EQUAL

THREADS = 6
PAYMENTS_PER_THREAD = 25
SEEDED = 2_000
MAX_ATTEMPTS = 50  # a payment that loses a race is sent again with its key, as a client would


def _invoiced(ledger: Ledger) -> tuple[UUID, list[dict[str, Any]]]:
    aid = UUID(ledger.create_agreement(**{**EQUAL, "cost_sharing": {"model": "equal", "total": "1000000.00"}})["id"])
    for name, bid in CITIES:
        ledger.accede(aid, name=name, business_id=bid, signed_on=date(2025, 2, 1))
    ledger.run_invoicing(aid, as_of=date(2025, 3, 1))
    # An index with a long history: copying it takes long enough for a race to show.
    index = PaymentIndex(agreement_id=aid)
    for number in range(SEEDED):
        index.add(payment_id=uuid4(), bank_reference=f"OLD{number}", unmatched=False)
    ledger.save(index)
    return aid, ledger.list_invoices(aid, as_of=date(2025, 3, 1), limit=10)


def test_payments_from_many_threads_on_one_ledger_are_each_recorded_once(ledger: Ledger) -> None:
    """Every thread pays with bank archive ids, so all of them read and update one payment index."""
    aid, bills = _invoiced(ledger)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def pay(thread: int) -> None:
        start.wait()
        for number in range(PAYMENTS_PER_THREAD):
            claim = Idempotency(scope="finance", key=f"t{thread}-p{number}", request_hash=f"h{thread}-{number}")
            for _ in range(MAX_ATTEMPTS):
                try:
                    if number % 5 == 4:  # some name no invoice and stay unmatched
                        ledger.record_payment_by_reference(aid, reference="999", amount="1.00",
                                                           paid_on=date(2025, 3, 10),
                                                           bank_reference=f"A{thread}-{number}", idempotency=claim)
                    else:
                        ledger.record_payment(UUID(bills[number % len(bills)]["id"]), amount="1.00",
                                              paid_on=date(2025, 3, 10), bank_reference=f"A{thread}-{number}",
                                              idempotency=claim)
                    break
                except VersionConflict:
                    continue
                except BaseException as exc:  # noqa: BLE001 - every other error fails the test
                    errors.append(exc)
                    return
            else:
                errors.append(AssertionError(f"payment t{thread}-p{number} refused {MAX_ATTEMPTS} times"))

    workers = [threading.Thread(target=pay, args=(thread,)) for thread in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []

    index = ledger.repository.get(PaymentIndex.create_id(aid))
    expected = {f"A{t}-{n}" for t in range(THREADS) for n in range(PAYMENTS_PER_THREAD)}
    expected |= {f"OLD{number}" for number in range(SEEDED)}
    assert set(index.bank_references) == expected
    assert len(set(index.bank_references.values())) == len(expected)
    unmatched = ledger.list_unmatched_payments(aid, limit=500)
    assert len(unmatched) == len(index.unmatched) == THREADS * (PAYMENTS_PER_THREAD // 5)
    invoices = ledger.list_invoices(aid, as_of=date(2025, 3, 10), limit=10)
    paid = sum(Decimal(bill["amount"]) - Decimal(bill["outstanding"]) for bill in invoices)
    assert paid == Decimal(THREADS * (PAYMENTS_PER_THREAD - PAYMENTS_PER_THREAD // 5))


def test_a_cached_aggregate_is_never_changed_in_place(ledger: Ledger) -> None:
    """A reader holding the cached object (or copying it) is not disturbed by a later fast-forward."""
    aid, bills = _invoiced(ledger)
    ledger.record_payment(UUID(bills[0]["id"]), amount="1.00", paid_on=date(2025, 3, 10), bank_reference="A1")
    index_id = PaymentIndex.create_id(aid)
    held = ledger.repository.get(index_id, deepcopy_from_cache=False)
    version, references = held.version, dict(held.bank_references)
    ledger.record_payment(UUID(bills[1]["id"]), amount="1.00", paid_on=date(2025, 3, 10), bank_reference="A2")
    fresh = ledger.repository.get(index_id, deepcopy_from_cache=False)
    assert {"A1", "A2"} <= set(fresh.bank_references)
    assert (held.version, held.bank_references) == (version, references)
