"""Derived values memoised per version of an aggregate (domain.kernel.memo): a newer version, or another
copy, never gets a value derived from an older state."""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from decimal import Decimal

from domain.agreements.agreement import Agreement
from domain.kernel.memo import per_version
from tests.api.helpers import valid_business_ids


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
