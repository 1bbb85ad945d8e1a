"""Journal entries in PostgreSQL's binary COPY format, packed directly from Python values.

The format (PostgreSQL manual, COPY, "Binary Format"): a signature and two zero words, then per
row a 16-bit field count and each field as a 32-bit length (-1 for NULL) and its bytes in network
order, then a 16-bit -1. The COPY names its columns in COPY_COLUMNS order, which puts the fields an
entry's lines share first: they are packed once per entry, and each line adds only its own. This
costs a fraction of handing every value to the driver's dumpers, and a batch waiting for its commit
is then a few bytes objects instead of thousands of values.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime

from projections.journal.entries import JournalEntry

COPY_COLUMNS = ("position", "entry_id", "agreement_id", "business_date", "recorded_at", "event_type",
                "line_no", "party_id", "account", "amount_cents")
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
MAX_CACHED = 4_096  # texts and row layouts remembered (account names, event types and their lengths)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL counts dates and timestamps from here
_PG_EPOCH_DAY = date(2000, 1, 1).toordinal()
_texts: dict[str, bytes] = {}
_layouts: dict[tuple[str, int], struct.Struct] = {}


def _text(value: str) -> bytes:
    found = _texts.get(value)
    if found is None:
        found = value.encode()
        if len(_texts) < MAX_CACHED:
            _texts[value] = found
    return found


def _layout(kind: str, length: int) -> struct.Struct:
    found = _layouts.get((kind, length))
    if found is None:
        found = struct.Struct({
            # field count; position int8; entry_id, agreement_id uuid; business_date date;
            # recorded_at timestamptz; event_type text
            "entry": f">h iq i16s i16s ii iq i{length}s",
            # line_no int4; party_id uuid; account text; amount_cents int8
            "line": f">ii i16s i{length}s iq",
            # line_no int4; party_id NULL; account text; amount_cents int8
            "line without party": f">ii i i{length}s iq",
            # the balance history: agreement_id uuid; account text; party_id uuid; business_date date;
            # delta_cents, balance_cents int8
            "rows": f">h i16s i{length}s i16s ii iq iq",
            # agreement_id uuid; account text; party_id uuid; last_date date; balance_cents int8
            "latest": f">h i16s i{length}s i16s ii iq",
            # agreement_id, item_id uuid; account text; business_date date; amount_cents int8; owner_id uuid
            "items": f">h i16s i16s i{length}s ii iq i16s",
            "items without owner": f">h i16s i16s i{length}s ii iq i",
        }[kind])
        if len(_layouts) < MAX_CACHED:
            _layouts[(kind, length)] = found
    return found


def encode_copy_entry(position: int, first_line_no: int, entry: JournalEntry, recorded_at: datetime) -> bytes:
    """The rows of an entry's lines, numbered from ``first_line_no``, in binary COPY format."""
    entry_id, agreement_id, business_date, lines, event_type = entry
    event_type_bytes = _text(event_type)
    since = recorded_at - _PG_EPOCH  # an instant with a time zone, or this subtraction fails
    micros = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    shared = _layout("entry", len(event_type_bytes)).pack(
        len(COPY_COLUMNS), 8, position, 16, entry_id.bytes, 16, agreement_id.bytes,
        4, business_date.toordinal() - _PG_EPOCH_DAY, 8, micros, len(event_type_bytes), event_type_bytes)
    parts: list[bytes] = []
    for line_no, (account, party_id, _, cents) in enumerate(lines, first_line_no):
        account_bytes = _text(account)
        if party_id is None:
            own = _layout("line without party", len(account_bytes)).pack(
                4, line_no, -1, len(account_bytes), account_bytes, 8, cents)
        else:
            own = _layout("line", len(account_bytes)).pack(
                4, line_no, 16, party_id.bytes, len(account_bytes), account_bytes, 8, cents)
        parts += (shared, own)
    return b"".join(parts)


def encode_balance_rows(kind: str, rows: list[tuple]) -> bytes:  # type: ignore[type-arg]
    """Rows of the balance history's tables (``rows``, ``latest`` or ``items``, in ``balance_store``'s
    column order) in binary COPY format, signature and trailer included."""
    parts = [COPY_SIGNATURE]
    if kind == "rows":
        for agreement_id, account, party_id, day, delta, balance in rows:
            name = _text(account)
            parts.append(_layout(kind, len(name)).pack(6, 16, agreement_id.bytes, len(name), name, 16, party_id.bytes,
                                                       4, day.toordinal() - _PG_EPOCH_DAY, 8, delta, 8, balance))
    elif kind == "latest":
        for agreement_id, account, party_id, day, balance in rows:
            name = _text(account)
            parts.append(_layout(kind, len(name)).pack(5, 16, agreement_id.bytes, len(name), name, 16, party_id.bytes,
                                                       4, day.toordinal() - _PG_EPOCH_DAY, 8, balance))
    else:
        for agreement_id, item_id, account, day, cents, owner in rows:
            name = _text(account)
            head = (6, 16, agreement_id.bytes, 16, item_id.bytes, len(name), name,
                    4, day.toordinal() - _PG_EPOCH_DAY, 8, cents)
            parts.append(_layout("items without owner", len(name)).pack(*head, -1) if owner is None
                         else _layout(kind, len(name)).pack(*head, 16, owner.bytes))
    parts.append(COPY_TRAILER)
    return b"".join(parts)
