"""A test-only posting and a small history to post from: an accession commits the party's share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.settings import Settings
from domain.agreements.agreement import Agreement
from domain.application import Ledger
from projections.journal.entries import Event, JournalEntry, JournalLine
from tests.api.helpers import valid_business_ids

RATE = Decimal("50.00")  # euros per pupil
COORDINATOR = {"name": "Valtori", "business_id": "2574261-7"}


def commitments(event: Event) -> list[JournalEntry]:
    """Debit the acceding party's committed receivable and credit committed funding, metric × 50 €."""
    if not isinstance(event, Agreement.PartyAcceded):
        return []
    amount = event.metric * RATE
    return [JournalEntry.of(event, business_date=event.signed_on, lines=[
        JournalLine.debit("receivable_committed", amount, event.party_id),
        JournalLine.credit("funding_committed", amount)])]


def open_agreement(ledger: Ledger, code: str = "PUPILS") -> UUID:
    """An agreement whose shares are 50 € a pupil, in force through 2025 and 2026."""
    return UUID(ledger.create_agreement(
        code=code, title="Pupils", coordinator=COORDINATOR, starts_on=date(2025, 1, 1),
        ends_on=date(2026, 12, 31),
        cost_sharing={"model": "proportional", "metric": "pupils", "rate": "50.00"},
        instalments=[{"issue_on": date(2025, 3, 1), "share": "1"}])["id"])


def accede(ledger: Ledger, agreement_id: UUID, pupils: list[int], *, first: int = 0,
           signed_on: date = date(2025, 2, 1)) -> list[UUID]:
    """Parties with the given pupil counts, numbered from ``first``; returns their ids."""
    ids = valid_business_ids(first + len(pupils))[first:]
    return [UUID(str(ledger.accede(agreement_id, name=f"City {first + n}", business_id=bid,
                                   signed_on=signed_on, metric=str(count))["party_id"]))
            for n, (bid, count) in enumerate(zip(ids, pupils, strict=True))]


def env_of(settings: Settings) -> dict[str, Any]:
    """The environment variables that make Settings() name the same store (for a child process)."""
    env = {"LEDGER_DATABASE": settings.database}
    if settings.database == "sqlite":
        env["LEDGER_SQLITE_PATH"] = str(settings.sqlite_path)
        return env
    pg = settings.postgres
    env.update({"POSTGRES_HOST": pg.host, "POSTGRES_PORT": str(pg.port), "POSTGRES_DBNAME": pg.dbname,
                "POSTGRES_USER": pg.user, "POSTGRES_PASSWORD": pg.password,
                "POSTGRES_SCHEMA": pg.schema_name})
    return env
