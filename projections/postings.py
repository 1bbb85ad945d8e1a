"""The ledger's posting rules: which journal entries each money event posts.

This is the one place the chart of accounts meets the events. Until the money events (invoices,
payments, credit notes, spending, recharges, refunds) exist, no event posts anything and the
journal only tracks its position in the log.
"""

from __future__ import annotations

from projections.journal import Event, JournalEntry


def post(event: Event) -> list[JournalEntry]:
    """The journal entries a ledger event posts (none for events that move no money)."""
    return []
