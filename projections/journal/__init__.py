"""Read models kept from the event log with tracking (each event applied exactly once, in order)."""

from projections.journal.entries import JournalEntry, JournalLine, Posting, entry_id_of, event_type_of
from projections.journal.queries import START, Cursor, Line, Sums, account_total, lines, sums
from projections.journal.runner import JournalRunner, ProjectionLagging, Status
from projections.journal.store import JournalStore, TrackingMoved, open_store

__all__ = [
    "START", "Cursor", "JournalEntry", "JournalLine", "JournalRunner", "JournalStore", "Line", "Posting",
    "ProjectionLagging", "Status", "Sums", "TrackingMoved", "account_total", "entry_id_of", "event_type_of",
    "lines", "open_store", "sums",
]
