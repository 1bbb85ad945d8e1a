"""Journal lines in PostgreSQL's binary COPY format, packed directly from Python values.

The format (PostgreSQL manual, COPY, "Binary Format"): a signature and two zero words, then per
row a 16-bit field count and each field as a 32-bit length (-1 for NULL) and its bytes in network
order, then a 16-bit -1. One struct call per row costs a fraction of handing each value to the
driver's dumpers, and a batch then holds a few bytes objects instead of thousands of values.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from uuid import UUID

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
FIELDS = 10  # LINE_COLUMNS
MAX_FORMATS = 4_096  # row layouts remembered (by party or none, account and event type lengths)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL counts dates and timestamps from here
_PG_EPOCH_DAY = date(2000, 1, 1).toordinal()
_formats: dict[tuple[bool, int, int], struct.Struct] = {}


def _format(has_party: bool, account_len: int, event_type_len: int) -> struct.Struct:
    key = (has_party, account_len, event_type_len)
    found = _formats.get(key)
    if found is None:
        found = struct.Struct(
            ">h"                      # field count
            "iq" "ii"                 # position int8, line_no int4
            "i16s" "i16s"             # entry_id, agreement_id uuid
            + ("i16s" if has_party else "i")  # party_id uuid, or the length -1 of NULL
            + f"i{account_len}s"      # account text
            "iq" "ii" "iq"            # amount_cents int8, business_date date, recorded_at timestamptz
            f"i{event_type_len}s")    # event_type text
        if len(_formats) < MAX_FORMATS:
            _formats[key] = found
    return found


def encode_copy_row(position: int, line_no: int, entry_id: UUID, agreement_id: UUID, party_id: UUID | None,
                    account: str, cents: int, business_date: date, recorded_at: datetime,
                    event_type: str) -> bytes:
    """One line, its values in LINE_COLUMNS order, as a binary COPY row."""
    account_bytes, event_type_bytes = account.encode(), event_type.encode()
    since = recorded_at - _PG_EPOCH  # an instant with a time zone, or this subtraction fails
    micros = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    day = business_date.toordinal() - _PG_EPOCH_DAY
    layout = _format(party_id is not None, len(account_bytes), len(event_type_bytes))
    if party_id is None:
        return layout.pack(FIELDS, 8, position, 4, line_no, 16, entry_id.bytes, 16, agreement_id.bytes, -1,
                           len(account_bytes), account_bytes, 8, cents, 4, day, 8, micros,
                           len(event_type_bytes), event_type_bytes)
    return layout.pack(FIELDS, 8, position, 4, line_no, 16, entry_id.bytes, 16, agreement_id.bytes,
                       16, party_id.bytes, len(account_bytes), account_bytes, 8, cents, 4, day, 8, micros,
                       len(event_type_bytes), event_type_bytes)
