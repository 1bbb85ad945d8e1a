"""`ledger bank import FILE` (issue 14 item 1): a large file in bounded batches with progress, and an
import cut short that is safely imported again (each transaction once, by its archive id)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.banking import importer
from api.cli import main
from api.settings import Settings
from domain.application import Ledger
from tests.api.helpers import auth, create_lyhty
from tests.api.test_bank_files_api import UNKNOWN_AGREEMENT
from tests.api.test_cli import cli_settings  # noqa: F401  (the fixture)
from tests.api.test_invoicing_api import COHORT, invoices, run
from tests.bank_file_builders import Entry, Tx, camt054

LARGE = 10_000


def invoiced(settings: Settings) -> list[dict[str, Any]]:
    """Lyhty after its first run, through the API on the command line's store; its invoices."""
    with TestClient(create_app(settings)) as client:
        ledger: Ledger = client.app.state.ledger
        token = {role: ledger.issue_token(role=role, business_id=None, label="t", issued_on=date(2025, 8, 1))[1]
                 for role in ("coordinator", "scheduler", "finance")}
        aid = create_lyhty(client, token["coordinator"], *COHORT)
        run(client, token["scheduler"], aid, "2025-09-01")
        return invoices(client, token["finance"], aid)


def large_file(references: list[str]) -> bytes:
    """10,000 transactions in 1,000 batch entries of ten: 20 pay invoices (1.00 each), 9,480 name no
    agreement (2.00 each), 500 are debits (3.00 each)."""
    entries = []
    for n in range(LARGE // 10):
        txs = [Tx("3.00" if n % 20 == 19 else "1.00" if n * 10 + i < 20 else "2.00",
                  None if n % 20 == 19 else references[i % len(references)] if n * 10 + i < 20 else UNKNOWN_AGREEMENT,
                  f"L{n:04d}-{i}", end_to_end_id=f"OUT-{n}-{i}" if n % 20 == 19 else None) for i in range(10)]
        total = sum(int(tx.amount.split(".")[0]) for tx in txs)
        entries.append(Entry(f"{total}.00", f"L{n:04d}", credit=n % 20 != 19, txs=txs))
    return camt054(entries)


def test_a_large_file_imports_in_bounded_batches_with_progress(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # noqa: F811
    references = [i["reference"] for i in invoiced(cli_settings)]
    path = tmp_path / "camt054.xml"
    path.write_bytes(large_file(references))
    assert main(["bank", "import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"camt.054.001.02 file {importer.file_id(path.read_bytes())}: {LARGE} transactions" in out
    assert "  matched         20             20.00" in out
    assert "  unmatched     9480          18960.00  (9480 naming no agreement)" in out
    assert "  debits         500           1500.00" in out
    assert err.splitlines()[-1] == f"bank import: {LARGE} of {LARGE} transactions (100 %)"


def test_an_unreadable_file_on_the_command_line_writes_nothing(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "statement.xml"
    path.write_bytes(camt054([Entry("1.00", "A")]).replace(b"camt.054", b"camt.053"))
    assert main(["bank", "import", str(path)]) == 1
    assert "invalid_bank_file" in capsys.readouterr().err


def test_an_import_cut_short_is_imported_again_without_doubles(
        ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two; the third batch's save fails (a crash); the second import records the rest
    and counts what the first one wrote as duplicates, each payment once."""
    references = [i["reference"] for i in invoiced(settings)]
    content = camt054([Entry("1.00", f"C{n}", txs=[Tx("1.00", references[0] if n % 2 else UNKNOWN_AGREEMENT)])
                       for n in range(10)])
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    record = ledger.record_bank_transactions
    calls = {"n": 0}

    def crashing(file_id: Any, records: list[dict[str, Any]]) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the process died")
        return record(file_id, records)

    monkeypatch.setattr(ledger, "record_bank_transactions", crashing)
    with pytest.raises(RuntimeError):
        importer.import_file(ledger, content)
    monkeypatch.setattr(ledger, "record_bank_transactions", record)
    report = importer.import_file(ledger, content)
    # Batches 1 and 2 were recorded (4 transactions); batch 3's payment C5 was recorded, its record not.
    assert (report["duplicates"], report["matched"], report["unassigned"]) == (5, 2, 3)
    paid = ledger.get_invoice(_invoice_of(ledger, references[0]), as_of=date(2025, 9, 30))
    assert [p["bank_reference"] for p in paid["payments"]] == ["C1", "C3", "C5", "C7", "C9"]
    again = importer.import_file(ledger, content)
    assert again["duplicates"] == 10


def _invoice_of(ledger: Ledger, reference: str) -> Any:
    invoice_id = ledger.find_invoice_by_reference(reference)
    assert invoice_id is not None, reference
    return invoice_id
