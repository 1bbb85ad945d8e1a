"""Event stores written by earlier versions of the ledger, kept as data, and how to load one.

A history file holds the stored events and snapshots of one store exactly as the recorder kept them
(topic and state as text), and the figures that version served from them. Loading one into a fresh
store of the current code and comparing what it serves proves that moved or renamed classes still
read every old event (their old topics are registered) and that no figure changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

HISTORY_DIR = Path(__file__).parent / "histories"


def histories() -> list[Path]:
    """Every kept history file, by name."""
    return sorted(HISTORY_DIR.glob("*.json"))


def read_history(path: Path) -> dict[str, Any]:
    """One history file as plain data."""
    return json.loads(path.read_text(encoding="utf-8"))


def stored(rows: list[dict[str, Any]]) -> list[StoredEvent]:
    """The rows of a history file as the recorder's stored events."""
    return [StoredEvent(originator_id=UUID(row["originator_id"]), originator_version=row["originator_version"],
                        topic=row["topic"], state=row["state"].encode("utf-8")) for row in rows]


def load_history(ledger: Any, history: dict[str, Any]) -> None:
    """Write a history's events and snapshots into an empty store, as its recorder would have."""
    ledger.recorder.insert_events(stored(history["events"]))
    if history["snapshots"]:
        ledger.snapshots.recorder.insert_events(stored(history["snapshots"]))


def revised(agreements: dict[str, Any]) -> dict[str, Any]:
    """The expected agreement views, with what a rule revised since the history was kept derives from the
    same events (domain.md, revised 2026-11-29). The events, and the dates they record, are unchanged.

    R-REC-1: records are kept to 31 December of the ``retention_years``-th year after the year the
    agreement ended (dissolved 2026-04-01: kept to 2036-12-31, no longer 2036-04-01); an agreement
    already purged keeps the retention end its purge recorded.
    """
    out: dict[str, Any] = {}
    for agreement_id, per_date in agreements.items():
        out[agreement_id] = {}
        for day, expected in per_date.items():
            view = expected.get("agreement")
            if view is not None and view["purged_on"] is None:
                kept_until = f"{int(view['ended_on'][:4]) + view['terms']['retention_years']}-12-31"
                expected = {**expected, "agreement": {**view, "retention_ends_on": kept_until}}
            out[agreement_id][day] = expected
    return out


# The dates each kept history's figures were served for.
DATES = ("2021-06-30", "2023-12-31", "2025-12-31", "2026-06-30", "2026-11-29", "2031-01-01")
MAX_PAGE = 500


def served(ledger: Any, journal: Any) -> dict[str, Any]:
    """What the ledger serves from a loaded history: each aggregate's class and version, and for each
    agreement and date its view, parties, invoices and every figure (or the problem it answers)."""
    from datetime import date
    from uuid import UUID

    from domain.kernel.errors import DomainError
    from projections.figures import answers

    found: dict[str, Any] = {"aggregates": {}, "agreements": {}}
    for oid in sorted({row.originator_id for row in ledger.recorder.select_notifications(start=1, limit=100_000)}):
        aggregate = ledger.repository.get(oid)
        found["aggregates"][str(oid)] = {"class": type(aggregate).__qualname__, "version": aggregate.version}
    for agreement_id in ledger.agreement_ids():
        per_date: dict[str, Any] = {}
        for text in DATES:
            day = date.fromisoformat(text)
            try:
                per_date[text] = {"agreement": ledger.get_agreement(agreement_id, as_of=day),
                                  "parties": ledger.list_parties(agreement_id, limit=MAX_PAGE, as_of=day),
                                  # Each listed invoice as the invoice itself serves it: a listing's rows count
                                  # their payments and credit notes since 2026-11-29, the invoice lists them.
                                  "invoices": [ledger.get_invoice(UUID(row["id"]), as_of=day) for row in
                                               ledger.list_invoices(agreement_id, as_of=day, limit=MAX_PAGE)],
                                  **answers.every_figure(ledger, journal, agreement_id, as_of=day)}
            except DomainError as exc:
                per_date[text] = {"problem": exc.code}
        found["agreements"][str(agreement_id)] = per_date
    return json.loads(json.dumps(found, default=str))
