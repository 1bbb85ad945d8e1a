"""Questions to the journal: sums per account and party as of a business date, and pages of lines.

Lines are listed as a day book: by business date, then in the order they were recorded.

``as_of`` keeps lines whose business date is on or before it; ``known_at`` also keeps only lines of
events recorded by that instant, so a figure can be given as the ledger knew it then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.kernel.money import from_cents
from projections.journal.balance_store import sums_rows
from projections.journal.balances import MEMORANDUM, OVERDUE
from projections.journal.store import JournalStore

MAX_PAGE = 1_000
Sums = dict[tuple[str, UUID | None], Decimal]
Cursor = tuple[date, int, int]  # a line's business date, position and number: where a page starts after
START: Cursor = (date.min, 0, 0)


@dataclass(frozen=True)
class Line:
    """A journal line as stored, with its place in the log."""

    position: int
    line_no: int
    entry_id: UUID
    agreement_id: UUID
    party_id: UUID | None
    account: str
    amount: Decimal
    business_date: date
    recorded_at: datetime
    event_type: str

    @property
    def cursor(self) -> Cursor:
        """Pass as ``after`` to get the page that follows this line."""
        return self.business_date, self.position, self.line_no


class FromLines:
    """A journal store whose figures are summed from its lines, as before the balance history: the
    reference the audit replay and the tests hold the history against."""

    def __init__(self, store: JournalStore) -> None:
        self.store = store


Store = JournalStore | FromLines


def sums(store: Store, agreement_id: UUID, *, as_of: date, known_at: datetime | None = None) -> Sums:
    """The balance of every (account, party) of an agreement: debits positive, credits negative.

    The memorandum accounts keyed by invoice (``open_items``, ``past_due`` and their controls) are left
    out: no figure sums them, and an agreement has four per invoice. As of a date, one lookup per account
    in the balance history; with ``known_at``, summed from the lines recorded by then.
    """
    if isinstance(store, FromLines) or known_at is not None:
        return line_sums(_lines_of(store), agreement_id, as_of=as_of, known_at=known_at)
    return _history(store, agreement_id, as_of)[0]


def balance_sums(store: Store, agreement_id: UUID, *, as_of: date, known_at: datetime | None = None,
                 party_id: UUID | None = None) -> tuple[Sums, dict[UUID, Decimal]]:
    """The sums, and what each party owes on invoices past their due date, in one round trip.

    Overdue is summed invoice by invoice: an overpaid invoice does not offset another one's arrears, each
    counts only its own unpaid rest (kept per party by date in the history, see ``balances``). With
    ``party_id``, the history is read for that party's accounts alone (the others may be left out).
    """
    if isinstance(store, FromLines) or known_at is not None:
        return line_balance_sums(_lines_of(store), agreement_id, as_of=as_of, known_at=known_at)
    return _history(store, agreement_id, as_of, party_id)


@dataclass(frozen=True)
class SlotSums:
    """The sums of some of an agreement's party slots (parties, or grants on ``grants_received``), with each
    account's total over every slot that has one: what a page of parties needs, with the totals of all."""

    sums: Sums  # each account of the slots asked, keyed as in ``sums``
    overdue: dict[UUID, Decimal]  # each party asked that owes on invoices past their due date
    totals: dict[str, Decimal]  # each account's sum over the slots (lines without a party left out); OVERDUE
    every: Sums  # with ``every``: each account's sum, lines without a party too, keyed (account, None)


def slot_sums(store: Store, agreement_id: UUID, *, as_of: date, slots: Sequence[UUID], every: bool = False,
              known_at: datetime | None = None) -> SlotSums:
    """``balance_sums`` of the ``slots`` alone, each account's total over every party slot and, with
    ``every``, over the lines without a party too, in one round trip to the history: each total is the
    history's running total of the account (``ALL_PARTIES``), one lookup per account, so what is read
    follows the page and the chart of accounts, not the number of parties. The party accounts' totals
    are the parties' totals: on those accounts every slot is a party (``postings``: only
    ``grants_received`` is keyed by grant). From the lines (``FromLines``, ``known_at``) the same answer
    is cut from the whole sums."""
    if isinstance(store, FromLines) or known_at is not None:
        whole, owed = line_balance_sums(_lines_of(store), agreement_id, as_of=as_of, known_at=known_at)
        return _cut(whole, owed, slots, every)
    assert type(as_of) is date, f"as_of {as_of!r} is not a date"
    statements = store.balance_statements
    head = [store.param(as_of), store.param(as_of), store.param(agreement_id)]
    queries = [(statements.slot_sums, [*head, store.ids(slots)]),
               (statements.party_totals, head)]
    if every:
        queries.append((statements.totals, head))
    found, summed, *everything = store.fetch_together(queries)
    sums_, overdue = sums_rows(found)
    return SlotSums(sums_, overdue, _totals(summed), {(account, None): amount for account, amount in
                                                     _totals(everything[0]).items() if account != OVERDUE}
                    if every else {})


def _totals(rows: Sequence[tuple[str, object]]) -> dict[str, Decimal]:
    return {account: from_cents(int(str(cents))) for account, cents in rows if cents is not None}


def _cut(whole: Sums, owed: dict[UUID, Decimal], slots: Sequence[UUID], every: bool) -> SlotSums:
    wanted = set(slots)
    totals: dict[str, Decimal] = {}
    everything: Sums = {}
    for (account, slot), amount in whole.items():
        if slot is not None:
            totals[account] = totals.get(account, Decimal("0.00")) + amount
        everything[(account, None)] = everything.get((account, None), Decimal("0.00")) + amount
    totals[OVERDUE] = sum(owed.values(), Decimal("0.00"))
    return SlotSums({key: amount for key, amount in whole.items() if key[1] in wanted},
                    {party: amount for party, amount in owed.items() if party in wanted}, totals,
                    everything if every else {})


def _lines_of(store: Store) -> JournalStore:
    return store.store if isinstance(store, FromLines) else store


def _history(store: JournalStore, agreement_id: UUID, as_of: date, party_id: UUID | None = None
             ) -> tuple[Sums, dict[UUID, Decimal]]:
    assert type(as_of) is date, f"as_of {as_of!r} is not a date"
    params = [store.param(as_of), store.param(as_of), store.param(agreement_id)]
    statement = store.balance_statements.sums
    if party_id is not None:
        statement = store.balance_statements.party_sums
        params.append(store.param(party_id))
    return sums_rows(store.fetch(statement, params))


def line_sums(store: JournalStore, agreement_id: UUID, *, as_of: date, known_at: datetime | None = None) -> Sums:
    """``sums`` summed over every line of the agreement to the date (and recorded by ``known_at``)."""
    params = _params(store, agreement_id, as_of, known_at)
    statement = store.statements.sums if known_at is None else store.statements.sums_known_at
    return {(account, _uuid(party_id)): from_cents(int(cents))
            for account, party_id, cents in store.fetch(statement, params) if account not in MEMORANDUM}


def line_balance_sums(store: JournalStore, agreement_id: UUID, *, as_of: date,
                      known_at: datetime | None = None) -> tuple[Sums, dict[UUID, Decimal]]:
    """``balance_sums`` summed over the lines, overdue invoice by invoice in SQL."""
    params = _params(store, agreement_id, as_of, known_at)
    statements = store.statements
    known = known_at is not None
    # The overdue query binds the same values, then the agreement once more for the owners' lines.
    found, owed = store.fetch_together([
        (statements.sums_known_at if known else statements.sums, params),
        (statements.overdue_known_at if known else statements.overdue, [*params, params[0]])])
    result: Sums = {(account, _uuid(party_id)): from_cents(int(cents)) for account, party_id, cents in found
                    if account not in MEMORANDUM}
    return result, {UUID(str(party_id)): from_cents(int(cents)) for party_id, cents in owed}


def _params(store: JournalStore, agreement_id: UUID, as_of: date, known_at: datetime | None) -> list[object]:
    assert type(as_of) is date, f"as_of {as_of!r} is not a date"
    params = [store.param(agreement_id), store.param(as_of)]
    if known_at is not None:
        assert known_at.tzinfo is not None, "known_at needs a time zone"
        params.append(store.param(known_at))
    return params


def _uuid(value: object) -> UUID | None:
    return value if value is None or isinstance(value, UUID) else UUID(str(value))


def account_total(figures: Sums, account: str) -> Decimal:
    """The sum of one account over every party."""
    return sum((amount for (name, _), amount in figures.items() if name == account), Decimal("0.00"))


def lines(store: JournalStore, agreement_id: UUID, *, after: Cursor = START, limit: int = 100) -> list[Line]:
    """An agreement's lines by business date, then log order, a page at a time after a line's cursor."""
    assert 0 < limit <= MAX_PAGE, f"limit must be 1 to {MAX_PAGE}"
    business_date, position, line_no = after
    params = [store.param(agreement_id), store.param(business_date), position, line_no, limit]
    return [_line(store.line(row)) for row in store.fetch(store.statements.page, params)]


def _line(row: tuple) -> Line:  # type: ignore[type-arg]
    position, line_no, entry_id, agreement_id, party_id, account, cents, business_date, recorded_at, \
        event_type = row
    return Line(position, line_no, entry_id, agreement_id, party_id, account, from_cents(cents),
                business_date, recorded_at, event_type)
