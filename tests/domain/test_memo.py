"""Derived values memoised per version of an aggregate (domain.kernel.memo): a newer version, or another
copy, never gets a value derived from an older state."""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from decimal import Decimal

import pytest

from domain.agreements.agreement import Agreement
from domain.application import Ledger
from domain.kernel.memo import per_version
from tests.api.helpers import valid_business_ids
from tests.domain.test_invoicing_runs import _agreement as _runs_agreement


class Held:
    def __init__(self, version: int) -> None:
        self.version = version


def _agreement() -> Agreement:
    return Agreement.open(code="MEMO", title="Memo network", starts_on=date(2025, 1, 1),
                          ends_on=date(2026, 12, 31), coordinator={"name": "Valtori", "business_id": "2574261-7"},
                          cost_sharing={"model": "equal", "total": "100.00"}, instalments=[], terms={})


def test_a_value_is_computed_once_per_version_and_again_after_an_event() -> None:
    calls: list[int] = []
    held = Held(1)
    assert per_version(held, "x", lambda: calls.append(1) or len(calls)) == 1
    assert per_version(held, "x", lambda: calls.append(1) or len(calls)) == 1
    held.version = 2
    assert per_version(held, "x", lambda: calls.append(1) or len(calls)) == 2
    assert per_version(Held(2), "x", lambda: 99) == 99  # another object: its own memo


def test_cost_shares_follow_each_accession_and_each_copy(  # R-ACC-2, R-ACC-3
) -> None:
    agreement = _agreement()
    first, second, third = valid_business_ids(3)
    assert agreement.shares() == {}
    agreement.accede(name="Party A", business_id=first, signed_on=date(2025, 1, 1))
    assert sorted(agreement.shares().values()) == [Decimal("100.00")]
    copy = deepcopy(agreement)
    agreement.accede(name="Party B", business_id=second, signed_on=date(2025, 1, 1))
    assert sorted(agreement.shares().values()) == [Decimal("50.00"), Decimal("50.00")]
    agreement.accede(name="Party C", business_id=third, signed_on=date(2025, 1, 1))
    assert sorted(agreement.shares().values()) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sorted(copy.shares().values()) == [Decimal("100.00")]  # the copy's own, older state
    agreement.shares().clear()  # a caller's copy: the memo is not changed through it
    assert sum(agreement.shares().values()) == Decimal("100.00")


@pytest.mark.persistence
def test_every_party_is_listed_afresh_after_an_accession_and_callers_get_copies(ledger: Ledger) -> None:
    """The parties' rows of one agreement and date are made once per version (R-ACC-2: each party's cost
    share); a caller changing its rows changes nobody else's, and an accession shows at once."""
    aid = _runs_agreement(ledger, 3, 1, code="VIEWS")
    day = date(2025, 6, 30)
    _head, first = ledger.agreement_and_parties(aid, as_of=day, whole=False)
    assert [p["cost_share"] for p in first] == ["1200.00"] * 3
    first[0]["cost_share"] = "0.00"
    _head, again = ledger.agreement_and_parties(aid, as_of=day, whole=False)
    assert [p["cost_share"] for p in again] == ["1200.00"] * 3
    ledger.accede(aid, name="Kunta 4", business_id=valid_business_ids(1, start=4_000_000)[0],
                  signed_on=date(2025, 1, 1))
    _head, after = ledger.agreement_and_parties(aid, as_of=day, whole=False)
    assert [p["cost_share"] for p in after] == ["900.00"] * 4
    bid = after[2]["business_id"]
    _head, own = ledger.agreement_and_parties(aid, as_of=day, business_id=bid, whole=False)
    assert own == [after[2]]
    assert ledger.agreement_and_parties(aid, as_of=day, business_id="0000000-0", whole=False)[1] == []


@pytest.mark.persistence
def test_a_page_of_parties_is_the_list_cut_with_the_sums_of_every_party(ledger: Ledger) -> None:
    """R-ACC-2, R-FUND-5: a page is the parties in accession order after a cursor, the caller's own copies;
    the cost shares and commitments summed are every party's, and follow an accession at once."""
    aid = _runs_agreement(ledger, 5, 1, code="PAGES")
    day = date(2025, 6, 30)
    head, every = ledger.agreement_and_parties(aid, as_of=day)
    ids = [p["party_id"] for p in every]
    for limit in (1, 2, 5, 6, None):
        for after in (None, *ids):
            page = ledger.party_page(aid, as_of=day, limit=limit, after=after)
            start = 0 if after is None else ids.index(after) + 1
            assert page.rows == every[start:None if limit is None else start + limit], (limit, after)
            assert page.head == head
            assert page.cost_share == sum(Decimal(p["cost_share"]) for p in every) == Decimal("6000.00")
            assert page.committed == sum(Decimal(p["committed"]) for p in every)
    newcomer = valid_business_ids(1, start=5_000_000)[0]
    assert ledger.party_page(aid, as_of=day, limit=2, after=_runs_agreement(ledger, 1, 1, code="OTHER")).rows == []
    first = ledger.party_page(aid, as_of=day, limit=2)
    first.rows[0]["cost_share"] = "0.00"  # the caller's copy
    assert ledger.party_page(aid, as_of=day, limit=2).rows[0]["cost_share"] == "1200.00"
    ledger.accede(aid, name="Kunta 6", business_id=newcomer, signed_on=date(2025, 1, 1))
    grown = ledger.party_page(aid, as_of=day, limit=None)
    assert len(grown.rows) == 6 and grown.cost_share == Decimal("6000.00")
    assert [p["cost_share"] for p in grown.rows] == ["1000.00"] * 6
    assert ledger.party_page(aid, as_of=day, limit=None, whole=False).head.keys() < head.keys()
