"""An agreement whose invoice book and payment index were kept by an earlier version goes on from them
(issue 17 item 1): its numbers continue the book's series, what the book billed is not billed again, its
references still name their invoices, its archive ids are still refused a second time and its unmatched
payments are still listed first (R-INV-3, R-INV-4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.application import Ledger
from domain.invoicing.invoices import Invoice, InvoiceBook
from domain.invoicing.numbering import NumberSeries
from domain.invoicing.payments import PaymentIndex, UnmatchedPayment
from domain.invoicing.schedule import instalment_invoices
from domain.kernel.errors import Conflict
from tests.domain.test_ledger_persistence import CITIES, EQUAL

pytestmark = pytest.mark.persistence


def _kept_by_an_earlier_version(ledger: Ledger) -> tuple[UUID, list[Invoice], UnmatchedPayment]:
    halves = [{"issue_on": date(2025, 3, 1), "share": "1/2"}, {"issue_on": date(2026, 1, 15), "share": "1/2"}]
    aid = UUID(ledger.create_agreement(**{**EQUAL, "instalments": halves})["id"])
    for name, bid in CITIES[:2]:
        ledger.accede(aid, name=name, business_id=bid, signed_on=date(2025, 2, 1))
    agreement = ledger._agreement(aid)  # noqa: SLF001 - written as the earlier version wrote it
    planned = instalment_invoices(agreement, date(2025, 3, 1))
    book = InvoiceBook(agreement_id=aid, code=agreement.code, reference_prefix="1")
    bills = [Invoice.issue(book=book, party_id=p.party_id, kind=p.kind, instalments=p.instalments, period=None,
                           lines=p.lines, issued_on=date(2025, 3, 1), payment_term_days=21) for p in planned]
    index = PaymentIndex(agreement_id=aid)
    index.add(payment_id=bills[0].id, bank_reference="OLD-1", unmatched=False)
    stray = UnmatchedPayment(agreement_id=aid, amount=Decimal("7.00"), paid_on=date(2025, 3, 5), reference="999",
                             bank_reference=None)
    index.add(payment_id=stray.id, bank_reference=None, unmatched=True)
    ledger.save(book, *bills, index, stray)
    return aid, bills, stray


def test_numbers_and_billing_go_on_from_an_invoice_book_of_an_earlier_version(ledger: Ledger) -> None:
    aid, bills, _stray = _kept_by_an_earlier_version(ledger)
    assert len(bills) == 2 and [b.number for b in bills] == ["EQ-2025-00001", "EQ-2025-00002"]
    for bill in bills:
        assert ledger.find_invoice_by_reference(bill.reference) == bill.id  # before any new series
    run = ledger.run_invoicing(aid, as_of=date(2025, 3, 1))
    assert run == {"issued": [], "already_issued": 2}  # R-INV-3: the book's invoices count as issued
    note = ledger.issue_credit_note(bills[0].id, amount="1.00", issued_on=date(2025, 4, 1), reason="Typo")
    assert note["number"] == "EQ-2025-00003"  # the book's series goes on, without a gap
    series = ledger.repository.get(NumberSeries.create_id(aid))
    assert (series.reference_prefix, series.used) == ("1", {"2025": 3})
    later = ledger.run_invoicing(aid, as_of=date(2026, 1, 15))
    assert len(later["issued"]) == 2 and later["already_issued"] == 2
    listed = ledger.list_invoices(aid, as_of=date(2026, 1, 15), limit=10)
    assert [b["number"] for b in listed] == ["EQ-2025-00001", "EQ-2025-00002", "EQ-2026-00001",
                                             "EQ-2026-00002"]
    party = bills[1].party_id
    assert [b["number"] for b in ledger.list_invoices(aid, as_of=date(2026, 1, 15), limit=10, party_id=party)] == [
        "EQ-2025-00002", next(b["number"] for b in listed[2:] if b["party_id"] == str(party))]
    for bill in bills:
        assert ledger.find_invoice_by_reference(bill.reference) == bill.id  # and after it
    paid = ledger.record_payment_by_reference(aid, reference=bills[1].reference, amount="5.00",
                                              paid_on=date(2026, 2, 1))
    assert (paid["matched"], paid["invoice_id"]) == (True, str(bills[1].id))


def test_archive_ids_and_unmatched_payments_of_a_payment_index_still_count(ledger: Ledger) -> None:
    aid, bills, stray = _kept_by_an_earlier_version(ledger)
    with pytest.raises(Conflict) as refused:
        ledger.record_payment(bills[1].id, amount="1.00", paid_on=date(2025, 3, 10), bank_reference="OLD-1")
    assert refused.value.code == "duplicate_payment"
    assert refused.value.detail == f"bank transaction OLD-1 is already recorded as payment {bills[0].id}"
    with pytest.raises(Conflict):
        ledger.record_payment_by_reference(aid, reference="999", amount="1.00", paid_on=date(2025, 3, 10),
                                           bank_reference="OLD-1")
    new = ledger.record_payment_by_reference(aid, reference="999", amount="2.00", paid_on=date(2025, 3, 10),
                                             bank_reference="NEW-1")
    listed = ledger.list_unmatched_payments(aid, limit=10)
    assert [p["id"] for p in listed] == [str(stray.id), new["payment_id"]]
    assert ledger.list_unmatched_payments(aid, limit=10, after=stray.id)[0]["id"] == new["payment_id"]
    allocated = ledger.allocate_payment(aid, stray.id, invoice_id=bills[0].id, allocated_on=date(2025, 3, 20))
    assert allocated["status"] == "allocated"
    assert [p["id"] for p in ledger.list_unmatched_payments(aid, limit=10)] == [new["payment_id"]]
