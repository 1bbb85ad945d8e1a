"""Reading bank files (issue 14 item 1): camt.054 versions 02, 04 and 08 and the fixed-width reference
payments file give the same transactions; what cannot be used is rejected with a reason, and a file
that cannot be read is refused whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.banking.importer import read
from api.banking.model import InvalidBankFile, Transaction
from tests.bank_file_builders import Entry, ReferencePayment, Tx, camt054, reference_payments


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_every_camt054_version_gives_the_same_transactions(version: str) -> None:
    content = camt054([
        Entry("150.00", "E1", booked_on=date(2025, 10, 1), value_on=date(2025, 9, 30), txs=[
            Tx("100.00", "RF18 5390 0754 7034", "E1-A", end_to_end_id="INV-7"), Tx("50.00", "1232")]),
        Entry("80.00", "E2", credit=False, txs=[Tx("80.00", end_to_end_id="PAYOUT-3")]),
        Entry("9.00", "E3", reversal=True)], version=version)
    parsed = read(content)
    assert parsed.format == f"camt.054.001.{version}" and parsed.rejected == []
    assert parsed.transactions == [
        Transaction({"entry": 1}, "E1-A", "credit", False, Decimal("100.00"), date(2025, 10, 1), date(2025, 9, 30),
                    "RF18 5390 0754 7034", "INV-7"),
        Transaction({"entry": 1}, "E1-2", "credit", False, Decimal("50.00"), date(2025, 10, 1), date(2025, 9, 30),
                    "1232", None),
        Transaction({"entry": 2}, "E2", "debit", False, Decimal("80.00"), date(2025, 9, 15), date(2025, 9, 15),
                    None, "PAYOUT-3"),
        Transaction({"entry": 3}, "E3", "credit", True, Decimal("9.00"), date(2025, 9, 15), date(2025, 9, 15),
                    None, None)]


def test_elements_the_import_does_not_read_are_allowed_where_the_message_has_them() -> None:
    """The schema subset names only what the import reads; a bank's full notification still validates."""
    content = camt054([Entry("5.00", "F-1", txs=[Tx("5.00", "1232", "F-1-A")])]).replace(
        b"<Amt Ccy", b"<NtryRef>1</NtryRef><Amt Ccy", 1).replace(
        b"</Refs>", b"</Refs><RltdPties><Dbtr><Nm>Kela</Nm></Dbtr></RltdPties>", 1).replace(
        b"</Ntry>", b"<AddtlNtryInf>VIITESIIRTO</AddtlNtryInf></Ntry>", 1)
    assert [(t.archive_id, t.amount) for t in read(content).transactions] == [("F-1-A", Decimal("5.00"))]


def test_unusable_entries_are_rejected_with_their_reasons() -> None:
    parsed = read(camt054([
        Entry("10.00", "OK-1", txs=[Tx("10.00", "1232")]),
        Entry("10.00", "S-1", status="PDNG"),
        Entry("10.00", "C-1", currency="SEK"),
        Entry("10.00", None, txs=[Tx("10.00", "1232")]),
        Entry("10.00", "B-1", txs=[Tx("6.00", "1232"), Tx("3.00", "1232")]),
        Entry("10.00", "R-1", txs=[Tx("10.00", "1232", returned=True)])]))
    assert [(t.archive_id, t.reversal) for t in parsed.transactions] == [("OK-1", False), ("R-1", True)]
    assert [(r["entry"], r["code"]) for r in parsed.rejected] == [
        (2, "not_booked"), (3, "unsupported_currency"), (4, "missing_archive_id"), (5, "batch_sum_mismatch")]
    assert parsed.rejected[3]["detail"] == "the entry's transactions add up to 9.00, the entry to 10.00"


@pytest.mark.parametrize("content, reason", [
    (b"<Document/>", "not a camt.054"),
    (camt054([Entry("1.00", "A")]).replace(b"camt.054.001.02", b"camt.054.001.01"), "not a camt.054"),
    (camt054([Entry("1.00", "A")]).replace(b"<Dt>2025-09-15</Dt>", b"<Dt>2025-13-15</Dt>", 1), "month must be in 1..12 .at /Document/BkToCstmrDbtCdtNtfctn/Ntfctn/Ntry/BookgDt/Dt"),
    (camt054([Entry("1.00", "A")]).replace(b"CRDT", b"CREDIT"), "CdtDbtInd"),
    (camt054([Entry("1.00", "A" * 36)]), "length cannot be greater than 35 .at .*/Ntry/AcctSvcrRef"),
    (camt054([Entry("1.00", "A")]).replace(b'<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>',
                                           b'<CdtDbtInd>CRDT</CdtDbtInd><Amt Ccy="EUR">1.00</Amt>'), "not a valid camt.054"),
    (camt054([Entry("1.00", "A")]).replace(b"<GrpHdr><MsgId>MSG-1</MsgId>", b"<GrpHdr>"), "not a valid camt.054"),
    (camt054([Entry("1.005", "A")]), "is not an amount"),
    (b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><d>&x;</d>", "document type"),
    (b"hello", "neither a camt.054"),
])
def test_an_unreadable_camt054_file_is_refused_whole(content: bytes, reason: str) -> None:
    with pytest.raises(InvalidBankFile, match=reason):
        read(content)


def test_reference_payments_records_are_read_by_their_positions() -> None:
    content = reference_payments([[
        ReferencePayment("12500.00", "0000 1232", "ARC0000000000016", booked_on=date(2025, 9, 16),
                         paid_on=date(2025, 9, 15)),
        ReferencePayment("0.05", "1232", "ARC2", correction=True),
        ReferencePayment("3.00", "1232", "ARC3", currency="2")]])
    lines = content.decode("latin-1").splitlines()
    assert [len(line) for line in lines] == [90] * 5
    assert lines[1][27:43] == "ARC0000000000016" and lines[1][77:87] == "0001250000"
    parsed = read(content)
    assert parsed.format == "fi-reference-payments"
    assert parsed.transactions == [
        Transaction({"line": 2}, "ARC0000000000016", "credit", False, Decimal("12500.00"), date(2025, 9, 16),
                    date(2025, 9, 15), "1232"),
        Transaction({"line": 3}, "ARC2", "debit", True, Decimal("0.05"), date(2025, 9, 15), date(2025, 9, 14), "1232")]
    assert parsed.rejected == [{"line": 4, "code": "unsupported_currency", "detail": "currency code '2', not 1 (euro)"}]


@pytest.mark.parametrize("change, reason", [
    (lambda text: text.replace("\r\n3", "\r\n7", 1), "unknown record type"),
    (lambda text: text.replace(" \r\n9", " 99\r\n9", 1), "90 characters"),
    (lambda text: text.replace("250915250914", "250915259914", 1), "not YYMMDD"),
    (lambda text: text.split("\r\n", 1)[1], "starts with a record 0"),
])
def test_an_unreadable_reference_payments_file_is_refused_whole(change: object, reason: str) -> None:
    text = reference_payments([[ReferencePayment("1.00", "1232", "A1")]]).decode("latin-1")
    with pytest.raises(InvalidBankFile, match=reason):
        read(change(text).encode("latin-1"))  # type: ignore[operator]


def test_a_batch_whose_totals_disagree_is_refused() -> None:
    content = reference_payments([[ReferencePayment("1.00", "1232", "A1")]], total_cents_delta=1)
    with pytest.raises(InvalidBankFile, match="the batch total says 1 payments of 101 cents, the batch has 1 of 100"):
        read(content)
