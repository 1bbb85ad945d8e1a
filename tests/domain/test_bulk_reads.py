"""A run's batch reads every party's list of invoices in one read of the store (issue 17 item 3), and
what it reads is what reading each list alone gives (R-INV-3: each invoice exactly once)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.application import Ledger
from domain.invoicing.numbering import PartyInvoices
from tests.domain.test_invoicing_runs import _agreement, _billed_once

pytestmark = pytest.mark.persistence


def _state(aggregate: Any) -> Any:
    return None if aggregate is None else (aggregate.version, aggregate.instalments, aggregate.ids())


def test_lists_read_together_equal_lists_read_one_by_one(ledger: Ledger) -> None:
    aid = _agreement(ledger, 4, 3, code="BULK")
    ledger.run_invoicing(aid, as_of=date(2025, 2, 28))  # the first two instalments
    parties = [UUID(p["party_id"]) for p in ledger.list_parties(aid, limit=10)]
    ids = [PartyInvoices.create_id(aid, pid) for pid in parties] + [uuid4()]
    together = ledger._fetch_copies(ids)  # noqa: SLF001
    assert [_state(together[i]) for i in ids] == [_state(ledger._fetch_copy(i)) for i in ids]  # noqa: SLF001
    assert [sorted(together[i].instalments) for i in ids[:-1]] == [[1, 2]] * 4
    assert together[ids[-1]] is None
    together[ids[0]].add(invoices=[], instalments=[3])  # a copy of its own: the next read is unchanged
    assert ledger._fetch_copies(ids[:1])[ids[0]].instalments == [1, 2]  # noqa: SLF001


def test_a_batch_asks_the_store_once_for_every_party_list(ledger: Ledger) -> None:
    aid = _agreement(ledger, 6, 2, code="ONCE")
    ledger.run_invoicing(aid, as_of=date(2025, 1, 31))
    asked: list[int] = []
    select = ledger.recorder.select_events_of

    def counted(ids: list[UUID]) -> Any:
        asked.append(len(ids))
        return select(ids)

    ledger.recorder.select_events_of = counted  # type: ignore[method-assign]
    try:
        result = ledger.run_invoicing(aid, as_of=date(2026, 12, 31))
    finally:
        ledger.recorder.select_events_of = select  # type: ignore[method-assign]
    assert len(result["issued"]) == 6 and result["already_issued"] == 6
    assert asked == [6]
    _billed_once(ledger, aid, 6, 2)
