"""Running balances by business date, kept with the journal: what a batch of lines changes in them.

Beside its lines the journal keeps a balance history (``projections/journal/balance_store.py``): for
every agreement, account and party, one row per business date on which the account moved, holding
that day's movement and the balance after it. A figure as of a date reads, per account, the latest
row on or before the date (one index lookup), instead of summing every line.

A batch of lines changes, per account, the row of each date it posts on and the balance of every
later row: a line dated on or after the account's last date (the usual case) writes one row; a
back-dated one rewrites the rows of that account dated after it, never another account's, and never
the lines. The rows changed are read first (those from the last one before the batch's earliest date
on), recomputed here from their deltas, and written back, in the transaction that writes the lines.

Overdue is not a sum: an invoice counts what is unpaid on it once it is past due, and an overpaid one
does not offset another. The memorandum lines keyed by invoice (``open_items``, ``past_due``) are kept
per invoice instead (a handful each), and every change to an invoice posts the change it makes to
its owner's overdue, date by date, to a derived account of the owner (``OVERDUE``): so overdue per
party, as of any date, is one lookup too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple
from uuid import UUID

from projections.journal.entries import JournalEntry

OVERDUE = "_overdue"  # the derived account: what a party owes on invoices past their due date
ITEM_ACCOUNTS = ("open_items", "past_due")  # memorandum accounts keyed by invoice, kept per invoice
# Memorandum accounts, keyed by invoice: no figure sums them, so they are no balances of their own.
MEMORANDUM = frozenset({*ITEM_ACCOUNTS, "open_items_control", "past_due_control"})
NO_PARTY = UUID(int=0)  # the balance history's key for lines without a party (a key has no NULLs)
# The key of each account's running total over every party slot (every key but ``NO_PARTY``): an
# agreement's totals as of a date are then one lookup per account, whatever the number of parties.
ALL_PARTIES = UUID(int=1)

Key = tuple[UUID, str, UUID]  # agreement, account, party (NO_PARTY for none)
Item = tuple[UUID, UUID]  # agreement, invoice


class Move(NamedTuple):
    """One journal line as the balance history takes it: where it is in the log, what it moves, and for
    the line that opens an invoice's open item, the invoice's owner (the party of its receivable)."""

    position: int
    agreement_id: UUID
    account: str
    party_id: UUID | None
    business_date: date
    cents: int
    owner: UUID | None = None


class Row(NamedTuple):
    """A balance row: the day's movement and the balance after it."""

    business_date: date
    delta_cents: int
    balance_cents: int


class Changes(NamedTuple):
    """What a batch writes: balance rows, each account's latest row, and the invoices' memorandum lines."""

    rows: list[tuple[Key, Row]]
    latest: list[tuple[Key, Row]]
    items: list[tuple[Item, str, date, int, UUID | None]]


def moves_of(position: int, entries: Sequence[JournalEntry]) -> list[Move]:
    """The balance moves of one event's entries (controls of the memorandum pairs left out)."""
    owners: dict[date, UUID | None] = {}
    for entry in entries:
        for account, party_id, _, _ in entry.lines:
            if account == "receivable":
                owners.setdefault(entry.business_date, party_id)
    moves = []
    for entry in entries:
        agreement_id, day = entry.agreement_id, entry.business_date
        for account, party_id, _, cents in entry.lines:
            if account in MEMORANDUM and account not in ITEM_ACCOUNTS:
                continue
            owner = owners.get(day) if account == "open_items" and cents > 0 else None
            moves.append(Move(position, agreement_id, account, party_id, day, cents, owner))
    return moves


def surviving(moves: Iterable[Move], purges: Sequence[tuple[UUID, int]]) -> list[Move]:
    """The moves a batch's purges leave: an agreement's moves from before its purge go with its lines."""
    purged = dict(purges)
    return [m for m in moves if m.agreement_id not in purged or m.position > purged[m.agreement_id]]


def split(moves: Iterable[Move]) -> tuple[dict[Key, dict[date, int]], dict[Item, list[Move]]]:
    """The moves summed per account and date, and the invoices' memorandum moves per invoice."""
    keyed: dict[Key, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    items: dict[Item, list[Move]] = defaultdict(list)
    for move in moves:
        if move.account in ITEM_ACCOUNTS:
            items[(move.agreement_id, move.party_id)].append(move)  # type: ignore[index]
        else:
            party = NO_PARTY if move.party_id is None else move.party_id
            keyed[(move.agreement_id, move.account, party)][move.business_date] += move.cents
    return keyed, items


ItemLine = tuple[str, date, int]  # account, business date, cents


def overdue_by_date(lines: Iterable[ItemLine]) -> dict[date, int]:
    """An invoice's overdue as of each date its lines move: what is open on it if it is past due."""
    moved: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for account, day, cents in lines:
        moved[day][0 if account == "open_items" else 1] += cents
    found, unpaid, due = {}, 0, 0
    for day in sorted(moved):
        unpaid, due = unpaid + moved[day][0], due + moved[day][1]
        found[day] = unpaid if unpaid > 0 and due > 0 else 0
    return found


def step_changes(before: dict[date, int], after: dict[date, int]) -> dict[date, int]:
    """The movements, by date, that turn one step function of the date into another (zeros left out)."""
    changes: dict[date, int] = {}
    old = new = last = 0
    for day in sorted(before.keys() | after.keys()):
        old, new = before.get(day, old), after.get(day, new)
        if new - old != last:
            changes[day] = new - old - last
            last = new - old
    return changes


def item_changes(items: dict[Item, list[Move]], stored: dict[Item, list[tuple[str, date, int, UUID | None]]],
                 keyed: dict[Key, dict[date, int]]) -> list[tuple[Item, str, date, int, UUID | None]]:
    """Add each invoice's change of overdue to its owner's ``OVERDUE`` moves (in ``keyed``); returns the
    memorandum lines to store, summed per invoice, account and date."""
    writes: dict[tuple[Item, str, date], list] = {}
    for item, moves in items.items():
        known = stored.get(item, [])
        owner = next((o for *_, o in known if o is not None), None)
        owner = owner or next((m.owner for m in moves if m.owner is not None), None)
        old = [(account, day, cents) for account, day, cents, _ in known]
        new = old + [(m.account, m.business_date, m.cents) for m in moves]
        if owner is not None:
            for day, cents in step_changes(overdue_by_date(old), overdue_by_date(new)).items():
                keyed[(item[0], OVERDUE, owner)][day] += cents
        for move in moves:
            write = writes.setdefault((item, move.account, move.business_date), [0, None])
            write[0] += move.cents
            write[1] = write[1] or move.owner
    return [(item, account, day, cents, owner) for (item, account, day), (cents, owner) in writes.items()]


def add_totals(keyed: dict[Key, dict[date, int]]) -> None:
    """Add to ``keyed`` the moves of each account's total over its party slots (``ALL_PARTIES``): the sum,
    date by date, of the moves of every slot but ``NO_PARTY``, so the total moves as its parts do."""
    for (agreement_id, account, party), moved in list(keyed.items()):
        if party in (NO_PARTY, ALL_PARTIES):
            continue
        total = keyed[(agreement_id, account, ALL_PARTIES)]
        for day, cents in moved.items():
            total[day] += cents


def recompute(keyed: dict[Key, dict[date, int]], stored: dict[Key, list[Row]]) -> Changes:
    """The balance rows a batch's moves change, from the rows stored from the last one before each
    account's earliest date in the batch; and each account's latest row after the batch."""
    rows: list[tuple[Key, Row]] = []
    latest: list[tuple[Key, Row]] = []
    for key, moved in keyed.items():
        found = sorted(stored.get(key, []))
        first = min(moved)
        deltas = {row.business_date: row.delta_cents for row in found}
        # The balance before the first row read: every row read is recomputed from its delta on.
        balance = found[0].balance_cents - found[0].delta_cents if found else 0
        for day, cents in moved.items():
            deltas[day] = deltas.get(day, 0) + cents
        row = None
        for day in sorted(deltas):
            balance += deltas[day]
            row = Row(day, deltas[day], balance)
            if day >= first:
                rows.append((key, row))
        assert row is not None
        latest.append((key, row))
    return Changes(rows, latest, [])
