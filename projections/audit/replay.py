"""The audit replay: every figure rebuilt from the raw events alone and compared with the live one.

A scratch journal, a fresh SQLite file in a temporary directory on either database (removed
afterwards, so the replay needs no rights on the live database beyond reading the events), is filled
by a runner that posts every event up to the live journal's position. The ledger's aggregates are
read again from their events alone, without snapshots or the aggregate cache. Then, for each
agreement and date, the figures the API serves (``projections.figures.answers``: balances with overdue,
funding, refund preview, the quarterly report of the date's quarter) are computed from both sides by
the same functions and compared value by value; the live side twice, as served (from the live
balance history) and summed from the live journal's lines, so a drift of either is found. An
agreement whose records are purged (R-REC-1) has no figures: its journal sums are compared instead,
which the purge leaves empty on both sides.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from time import monotonic
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.sqlite import SQLiteDatastore

from domain.application import Ledger
from domain.kernel.errors import DomainError
from domain.kernel.money import fmt
from projections.figures import answers
from projections.journal.queries import FromLines, Store, sums
from projections.journal.runner import MAX_BATCH, JournalRunner
from projections.journal.store import JournalStore, SQLiteJournalStore

MAX_DATES = 100
# The live side of a figure is computed twice: as served, from the balance history, and summed from the
# live journal's lines; each is compared with the replay, so neither can drift from the events unseen.
SERVED, FROM_LINES = "as served", "summed from the journal's lines"
MAX_AGREEMENTS = 10_000


@dataclass(frozen=True)
class Difference:
    """One value that the live read models and the replay give differently."""

    agreement_id: UUID
    code: str
    as_of: date
    figure: str
    key: str
    live: Any
    replayed: Any
    source: str = SERVED  # which live figure differs: as served (from the balance history) or from the lines

    def line(self) -> str:
        """The difference as one line of text."""
        return (f"difference: {self.code} {self.as_of} {self.figure} {self.key}: "
                f"live {_shown(self.live)}, replayed {_shown(self.replayed)} ({self.source})")

    def as_dict(self) -> dict[str, Any]:
        """The difference as plain data."""
        return {"agreement_id": str(self.agreement_id), "code": self.code, "as_of": self.as_of.isoformat(),
                "figure": self.figure, "key": self.key, "live": self.live, "replayed": self.replayed,
                "source": self.source}


@dataclass
class ReplayReport:
    """What a replay compared and found."""

    agreements: int
    dates: list[date]
    position: int  # the last event replayed: the live journal's position when the replay began
    events_replayed: int = 0
    figures_compared: int = 0
    elapsed_s: float = 0.0
    log_moved: bool = False  # events were recorded during the replay: a difference may come from them
    purged: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every value compared is the same on both sides."""
        return not self.differences

    def summary(self) -> str:
        """One line: ``replay ok: N agreements × M dates, …`` or ``replay BAD: …``."""
        counts = (f"{self.agreements} agreements × {len(self.dates)} dates, {self.figures_compared} figures "
                  f"compared, {self.events_replayed} events replayed in {self.elapsed_s:.1f} s")
        if self.ok:
            return f"replay ok: {counts}"
        return f"replay BAD: {len(self.differences)} differences; {counts}"

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return {"ok": self.ok, "agreements": self.agreements, "dates": [d.isoformat() for d in self.dates],
                "position": self.position, "events_replayed": self.events_replayed,
                "figures_compared": self.figures_compared, "elapsed_s": round(self.elapsed_s, 3),
                "log_moved": self.log_moved, "purged": self.purged,
                "differences": [d.as_dict() for d in self.differences]}


def replay(ledger: Ledger, live: JournalRunner, dates: Sequence[date],
           agreement_ids: Sequence[UUID] | None = None) -> ReplayReport:
    """Rebuild the journal from the events into a scratch store and compare every figure with the live
    journal's, for each agreement (all, or those given) and each date."""
    assert 0 < len(dates) <= MAX_DATES, f"replay takes 1 to {MAX_DATES} dates"
    started = monotonic()
    ids = list(ledger.agreement_ids() if agreement_ids is None else agreement_ids)
    assert len(ids) <= MAX_AGREEMENTS, f"replay takes at most {MAX_AGREEMENTS} agreements"
    replica = EventsOnly(ledger)
    for agreement_id in ids:
        replica.get_agreement(agreement_id, as_of=dates[0])  # an unknown agreement: not found, at once
    live.catch_up()
    report = ReplayReport(agreements=len(ids), dates=sorted(set(dates)), position=live.position())
    with scratch_runner(ledger) as scratch:
        report.events_replayed = scratch.catch_up(until=report.position)
        for agreement_id in ids:
            _compare_agreement(report, agreement_id, ledger, live.store, replica, scratch.store)
    report.log_moved = (ledger.recorder.max_notification_id() or 0) != report.position
    report.elapsed_s = monotonic() - started
    return report


class EventsOnly(Ledger):
    """The ledger's queries on the same stores, each aggregate read from its events alone: no snapshot,
    no aggregate cache. It writes nothing and closes nothing; the stores remain the ledger's."""

    name = Ledger.name

    def __init__(self, ledger: Ledger) -> None:  # not Application.__init__: it would open stores of its own
        self.__dict__.update(ledger.__dict__)
        self._repository = Repository(event_store=ledger.events)

    def close(self) -> None:
        """Nothing to close: the ledger it reads through owns the stores."""


@contextmanager
def scratch_runner(ledger: Ledger) -> Iterator[JournalRunner]:
    """A journal runner on a fresh SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ledger-replay-") as directory:
        datastore = SQLiteDatastore(str(Path(directory) / "journal.sqlite"), lock_timeout=10)
        store = SQLiteJournalStore(datastore, ledger.name, owned=True)
        with JournalRunner(ledger, store=store, batch_size=MAX_BATCH) as runner:
            yield runner


def _compare_agreement(report: ReplayReport, agreement_id: UUID, ledger: Ledger, live: JournalStore,
                       replica: Ledger, scratch: JournalStore) -> None:
    agreement = replica.get_agreement(agreement_id, as_of=report.dates[-1])
    parties = replica.list_parties(agreement_id, limit=answers.MAX_PARTIES)
    labels = {str(party["party_id"]): party["business_id"] for party in parties}
    purged = agreement["purged_on"] is not None
    if purged:
        report.purged.append(agreement["code"])
    for day in report.dates:
        if purged:
            found = {"journal_sums": (_sums(live, agreement_id, day, labels),
                                      _sums(FromLines(live), agreement_id, day, labels),
                                      _sums(scratch, agreement_id, day, labels))}
        else:
            found = {name: (_answer(answer, ledger, live, agreement_id, day),
                            _answer(answer, ledger, FromLines(live), agreement_id, day),
                            _answer(answer, replica, scratch, agreement_id, day))
                     for name, answer in answers.FIGURES_OF_A_DATE.items()}
        for figure, (served, summed, replayed) in found.items():
            again = flatten(replayed, labels)
            for source, value in ((SERVED, served), (FROM_LINES, summed)):
                _compare(report, Difference(agreement_id, agreement["code"], day, figure, "", None, None, source),
                         flatten(value, labels), again)


def _answer(answer: Callable[..., dict[str, Any]], source: Ledger, store: Store, agreement_id: UUID,
            day: date) -> dict[str, Any]:
    try:
        return answer(source, store, agreement_id, as_of=day)
    except DomainError as exc:  # a side that cannot answer differs from one that can
        return {"problem": exc.code}


def _sums(store: Store, agreement_id: UUID, day: date, labels: dict[str, str]) -> dict[str, str]:
    return {f"{account}[{'' if party is None else labels.get(str(party), str(party))}]": fmt(amount)
            for (account, party), amount in sums(store, agreement_id, as_of=day).items()}


def _compare(report: ReplayReport, where: Difference, live: dict[str, Any], replayed: dict[str, Any]) -> None:
    for key in sorted(live.keys() | replayed.keys()):
        report.figures_compared += 1
        if live.get(key, _MISSING) != replayed.get(key, _MISSING):
            report.differences.append(replace(where, key=key, live=live.get(key), replayed=replayed.get(key)))


def flatten(value: Any, labels: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """A figure's values by path (``totals.paid``); rows of parties are named by business id
    (``parties[0246246-0].paid``) so a missing party shows as such rather than shifting the others."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(flatten(item, labels, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            name = item.get("party_id") if isinstance(item, dict) else None
            label = index if name is None else labels.get(str(name), name)
            found.update(flatten(item, labels, f"{prefix}[{label}]"))
        return found
    return {prefix: value}


_MISSING = object()


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)
