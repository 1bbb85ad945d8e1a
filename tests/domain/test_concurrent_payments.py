"""Concurrent payments (issue 16 items 4 and 5, R-INV-4): threads sharing one Ledger pay distinct invoices of
one agreement; no shared aggregate is updated by every payment, so hardly any is refused, none is lost and
none is applied twice. A bank transaction is recorded once however many threads send it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.application import Ledger
from domain.banking.transactions import BankTransaction
from domain.invoicing.payments import bank_payment_id
from domain.kernel.errors import Conflict, VersionConflict
from domain.kernel.idempotency import Idempotency
from tests.api.helpers import valid_business_ids
from tests.domain.test_ledger_persistence import EQUAL

pytestmark = pytest.mark.persistence

CLIENTS = 32
PAYMENTS_PER_CLIENT = 6
PAID_ON = date(2025, 3, 10)


def _invoiced(ledger: Ledger, parties: int) -> tuple[UUID, list[dict[str, Any]]]:
    aid = UUID(ledger.create_agreement(**{**EQUAL, "cost_sharing": {"model": "equal", "total": "1000000.00"}})["id"])
    for number, bid in enumerate(valid_business_ids(parties)):
        ledger.accede(aid, name=f"Kunta {number}", business_id=bid, signed_on=date(2025, 2, 1))
    ledger.run_invoicing(aid, as_of=date(2025, 3, 1))
    return aid, ledger.list_invoices(aid, as_of=date(2025, 3, 1), limit=100)


def _unassigned(archive_id: str) -> dict[str, Any]:
    """A bank file's credit of 5.00 whose reference names no agreement, as the import records it."""
    return {"archive_id": archive_id, "direction": "credit", "reversal": False, "amount": Decimal("5.00"),
            "booked_on": PAID_ON, "value_on": None, "reference": None, "end_to_end_id": None,
            "outcome": "unassigned", "agreement_id": None, "invoice_id": None, "payment_id": None,
            "payout_status": None}


def _threads(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)

    def run(number: int) -> None:
        start.wait()
        work(number)

    workers = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
    assert not any(worker.is_alive() for worker in workers)


def test_32_clients_paying_distinct_invoices_are_almost_never_refused_and_each_payment_counts_once(
        ledger: Ledger) -> None:
    aid, bills = _invoiced(ledger, CLIENTS)
    assert len(bills) == CLIENTS
    refused: list[str] = []
    errors: list[BaseException] = []

    def pay(client: int) -> None:
        bill = bills[client]
        for number in range(PAYMENTS_PER_CLIENT):
            claim = Idempotency(scope="finance", key=f"c{client}-p{number}", request_hash=f"h{client}-{number}")
            try:
                if number % 2:
                    ledger.record_payment(UUID(bill["id"]), amount="1.00", paid_on=PAID_ON,
                                          bank_reference=f"A{client}-{number}", idempotency=claim)
                else:  # by reference: the lookup reads no shared list either
                    ledger.record_payment_by_reference(aid, reference=bill["reference"], amount="1.00",
                                                       paid_on=PAID_ON, bank_reference=f"A{client}-{number}",
                                                       idempotency=claim)
            except VersionConflict:
                refused.append(f"c{client}-p{number}")
            except BaseException as exc:  # noqa: BLE001 - every other error fails the test
                errors.append(exc)

    _threads(CLIENTS, pay)
    assert errors == []
    sent = CLIENTS * PAYMENTS_PER_CLIENT
    assert len(refused) < sent / 100  # fewer than 1 % refused
    for listed in ledger.list_invoices(aid, as_of=PAID_ON, limit=100):
        bill = ledger.get_invoice(UUID(listed["id"]), as_of=PAID_ON)
        recorded = {p["bank_reference"] for p in bill["payments"]}
        client = next(i for i, b in enumerate(bills) if b["id"] == bill["id"])
        expected = {f"A{client}-{n}" for n in range(PAYMENTS_PER_CLIENT)} - {
            f"A{r.split('-p')[0][1:]}-{r.split('-p')[1]}" for r in refused}
        assert recorded == expected  # nothing lost, nothing twice
        assert Decimal(bill["paid"]) == Decimal(len(expected))
        assert all(p["payment_id"] == str(bank_payment_id(aid, p["bank_reference"])) for p in bill["payments"])


def test_one_bank_transaction_sent_by_many_threads_is_recorded_once(ledger: Ledger) -> None:
    """R-INV-4: the same archive id, matched or not, is refused after the first (duplicate_payment)."""
    aid, bills = _invoiced(ledger, 4)
    outcomes: list[str] = []

    def pay(client: int) -> None:
        try:
            if client % 2:
                ledger.record_payment(UUID(bills[client % 4]["id"]), amount="5.00", paid_on=PAID_ON,
                                      bank_reference="ARCHIVE-1")
            else:
                ledger.record_payment_by_reference(aid, reference="999", amount="5.00", paid_on=PAID_ON,
                                                   bank_reference="ARCHIVE-1")
            outcomes.append("recorded")
        except Conflict as exc:
            outcomes.append(exc.code)

    _threads(8, pay)
    assert sorted(outcomes) == ["duplicate_payment"] * 7 + ["recorded"]
    paid = sum(Decimal(bill["paid"]) for bill in ledger.list_invoices(aid, as_of=PAID_ON, limit=10))
    unmatched = ledger.list_unmatched_payments(aid, limit=10)
    assert paid + sum(Decimal(p["amount"]) for p in unmatched) == Decimal("5.00")


def test_a_request_repeated_under_its_key_while_the_first_is_in_flight_gets_the_first_answer(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that repeats a payment under its Idempotency-Key gets the first answer, not duplicate_payment,
    even when its check of the key ran before the first request committed (the record was not there yet)."""
    aid, bills = _invoiced(ledger, 2)
    key = Idempotency(scope="finance", key="repeat-1", request_hash="same-request")
    first = ledger.record_payment_by_reference(aid, reference="999", amount="5.00", paid_on=PAID_ON,
                                               bank_reference="ARCHIVE-R", idempotency=key)
    paid = ledger.record_payment(UUID(bills[0]["id"]), amount="5.00", paid_on=PAID_ON, bank_reference="ARCHIVE-S",
                                 idempotency=Idempotency(scope="finance", key="repeat-2", request_hash="other"))
    real, missed = ledger._replay, []  # noqa: SLF001

    def not_yet(idempotency: Idempotency | None) -> dict[str, Any] | None:
        if not missed:  # the repeat's first look at its key ran before the first request committed
            missed.append(idempotency)
            return None
        return real(idempotency)

    monkeypatch.setattr(ledger, "_replay", not_yet)
    again = ledger.record_payment_by_reference(aid, reference="999", amount="5.00", paid_on=PAID_ON,
                                               bank_reference="ARCHIVE-R", idempotency=key)
    assert again == first and missed == [key]
    missed.clear()
    assert ledger.record_payment(UUID(bills[0]["id"]), amount="5.00", paid_on=PAID_ON, bank_reference="ARCHIVE-S",
                                 idempotency=Idempotency(scope="finance", key="repeat-2",
                                                         request_hash="other")) == paid
    # Without the key, or under another key, the same archive id is still refused.
    monkeypatch.undo()
    with pytest.raises(Conflict) as refused:
        ledger.record_payment_by_reference(aid, reference="999", amount="5.00", paid_on=PAID_ON,
                                           bank_reference="ARCHIVE-R",
                                           idempotency=Idempotency(scope="finance", key="repeat-3",
                                                                   request_hash="same-request"))
    assert refused.value.code == "duplicate_payment"
    assert len(ledger.list_unmatched_payments(aid, limit=10)) == 1


def test_one_request_sent_under_one_key_by_many_threads_pays_once_and_all_get_its_answer(ledger: Ledger) -> None:
    aid, _ = _invoiced(ledger, 2)
    key = Idempotency(scope="finance", key="burst", request_hash="same-request")
    answers: list[dict[str, Any]] = []

    def pay(_: int) -> None:
        answers.append(ledger.record_payment_by_reference(aid, reference="999", amount="5.00", paid_on=PAID_ON,
                                                          bank_reference="ARCHIVE-B", idempotency=key))

    _threads(8, pay)
    assert len(answers) == 8 and all(answer == answers[0] for answer in answers)
    assert [p["amount"] for p in ledger.list_unmatched_payments(aid, limit=10)] == ["5.00"]


def test_one_archive_id_sent_to_two_agreements_and_a_bank_file_at_once_is_recorded_once(ledger: Ledger) -> None:
    """R-INV-4 across the ledger: threads enter one archive id for invoices of two agreements, as an
    unmatched payment, and as a bank file's payment that names no agreement (recorded as unassigned);
    exactly one of them records it. The import that lost is kept as ``recorded_earlier``, never as
    money waiting to be allocated."""
    first, bills = _invoiced(ledger, 2)
    second = UUID(ledger.create_agreement(**{**EQUAL, "code": "TOINEN",
                                             "cost_sharing": {"model": "equal", "total": "1000000.00"}})["id"])
    ledger.accede(second, name="Kunta X", business_id=valid_business_ids(3)[2], signed_on=date(2025, 2, 1))
    ledger.run_invoicing(second, as_of=date(2025, 3, 1))
    other = ledger.list_invoices(second, as_of=date(2025, 3, 1), limit=10)
    file_id = UUID(int=99)
    imported: list[str] = []
    outcomes: list[str] = []

    def record(client: int) -> None:
        try:
            if client % 4 == 0:
                ledger.record_payment(UUID(bills[client % 2]["id"]), amount="5.00", paid_on=PAID_ON,
                                      bank_reference="ARCHIVE-X")
            elif client % 4 == 1:
                ledger.record_payment(UUID(other[0]["id"]), amount="5.00", paid_on=PAID_ON, bank_reference="ARCHIVE-X")
            elif client % 4 == 2:
                ledger.record_payment_by_reference(second, reference="999", amount="5.00", paid_on=PAID_ON,
                                                   bank_reference="ARCHIVE-X")
            else:
                earlier = ledger.record_bank_transactions(file_id, [_unassigned("ARCHIVE-X")])
                imported.extend(earlier)
                if earlier:
                    raise Conflict("recorded earlier", code="duplicate_payment")
            outcomes.append("recorded")
        except Conflict as exc:
            outcomes.append(exc.code)

    _threads(8, record)
    assert sorted(outcomes) == ["duplicate_payment"] * 7 + ["recorded"]
    paid = sum(Decimal(bill["paid"]) for aid in (first, second) for bill in ledger.list_invoices(aid, as_of=PAID_ON, limit=10))
    unmatched = sum(Decimal(p["amount"]) for p in ledger.list_unmatched_payments(second, limit=10))
    unassigned = ledger.list_unassigned_bank_payments(month="2025-03", limit=10)
    assert paid + unmatched + sum(Decimal(p["amount"]) for p in unassigned) == Decimal("5.00")
    if ledger.bank_transaction_recorded("ARCHIVE-X"):
        kept = ledger.get_bank_transaction(BankTransaction.create_id("ARCHIVE-X"))
        assert kept["outcome"] == ("unassigned" if unassigned else "recorded_earlier")


def test_an_import_that_finds_its_archive_id_taken_keeps_the_transaction_as_recorded_earlier(ledger: Ledger) -> None:
    """The import's check (is the archive id taken?) and its save are apart: a payment entered between
    them takes the archive id, the save is refused, and the transaction is kept as ``recorded_earlier``,
    not listed as unassigned money."""
    _aid, bills = _invoiced(ledger, 1)
    ledger.record_payment(UUID(bills[0]["id"]), amount="5.00", paid_on=PAID_ON, bank_reference="ARCHIVE-Y")
    assert ledger.bank_archive_claimed("ARCHIVE-Y") and not ledger.bank_transaction_recorded("ARCHIVE-Y")
    record = _unassigned("ARCHIVE-Y")
    assert ledger.record_bank_transactions(UUID(int=98), [record]) == ["ARCHIVE-Y"]
    assert ledger.get_bank_transaction(BankTransaction.create_id("ARCHIVE-Y"))["outcome"] == "recorded_earlier"
    assert ledger.list_unassigned_bank_payments(month="2025-03", limit=10) == []
    assert ledger.record_bank_transactions(UUID(int=98), [record]) == ["ARCHIVE-Y"]  # and again: nothing new


def test_unmatched_payments_from_many_threads_are_all_listed_once_across_pages(ledger: Ledger) -> None:
    """Unmatched payments are listed on pages of 100: 8 threads of 15 fill a second page, none lost."""
    aid, _bills = _invoiced(ledger, 1)
    errors: list[BaseException] = []

    def pay(client: int) -> None:
        for number in range(15):
            for _ in range(20):  # a client repeats a refused request with its key
                try:
                    ledger.record_payment_by_reference(
                        aid, reference="999", amount="1.00", paid_on=PAID_ON, bank_reference=f"U{client}-{number}",
                        idempotency=Idempotency(scope="finance", key=f"u{client}-{number}", request_hash="h"))
                    break
                except VersionConflict:
                    continue
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)
                    return

    _threads(8, pay)
    assert errors == []
    listed = ledger.list_unmatched_payments(aid, limit=500)
    assert sorted(p["bank_reference"] for p in listed) == sorted(f"U{c}-{n}" for c in range(8) for n in range(15))
    second = ledger.list_unmatched_payments(aid, limit=20, after=UUID(listed[99]["id"]))
    assert [p["id"] for p in second] == [p["id"] for p in listed[100:]]


def test_a_cached_aggregate_is_never_changed_in_place(ledger: Ledger) -> None:
    """A reader holding the cached object (or copying it) is not disturbed by a later fast-forward."""
    _aid, bills = _invoiced(ledger, 2)
    invoice_id = UUID(bills[0]["id"])
    ledger.record_payment(invoice_id, amount="1.00", paid_on=PAID_ON, bank_reference="A1")
    held = ledger.repository.get(invoice_id, deepcopy_from_cache=False)
    version, payments = held.version, list(held.payments)
    ledger.record_payment(invoice_id, amount="1.00", paid_on=PAID_ON, bank_reference="A2")
    fresh = ledger.repository.get(invoice_id, deepcopy_from_cache=False)
    assert [p["bank_reference"] for p in fresh.payments] == ["A1", "A2"]
    assert (held.version, held.payments) == (version, payments)
