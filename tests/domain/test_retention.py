"""How long an agreement's records are kept and when they may be purged, without a store (R-REC-1)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.agreements.agreement import Agreement
from domain.kernel.errors import DomainError
from domain.records.retention import ended_on, retention_ends_on, retention_view
from tests.domain.test_membership import lyhty, refused


def dissolved(agreement: Agreement, on: date) -> Agreement:
    agreement.minute_decision(decision_id=uuid4(), kind="dissolution", passed=True, decided_on=on)
    return agreement


def test_retention_ends_ten_years_after_the_term_by_default() -> None:
    """R-REC-1: an agreement ending 2026-12-31 is kept through 2036-12-31."""
    agreement, _ = lyhty()
    assert ended_on(agreement) == date(2026, 12, 31)
    assert retention_ends_on(agreement) == date(2036, 12, 31)


def test_retention_follows_the_agreements_own_retention_years() -> None:
    """R-REC-1 (configurable): retention_years in the terms sets the period."""
    agreement, _ = lyhty(retention_years=3)
    assert retention_ends_on(agreement) == date(2029, 12, 31)


def test_retention_runs_from_an_earlier_dissolution() -> None:
    """R-REC-1, R-AGR-1: a cooperation dissolved before its term's end ended on the dissolution date, and
    is kept to the end of the tenth year after that year."""
    agreement = dissolved(lyhty()[0], date(2026, 2, 28))
    assert ended_on(agreement) == date(2026, 2, 28)
    assert retention_ends_on(agreement) == date(2036, 12, 31)


def test_retention_runs_to_the_end_of_the_tenth_financial_year_after_the_end() -> None:
    """R-REC-1 (Accounting Act 1336/1997, 2:10): dissolved 2026-10-01, kept to 2036-12-31 (not
    2036-10-01); purge refused on 2036-12-31 and possible from 2037-01-01."""
    agreement = dissolved(lyhty()[0], date(2026, 10, 1))
    assert ended_on(agreement) == date(2026, 10, 1)
    assert retention_ends_on(agreement) == date(2036, 12, 31)
    for on in (date(2036, 10, 2), date(2036, 12, 31)):
        with pytest.raises(DomainError) as error:
            agreement.purge_records(on=on)
        assert (error.value.code, error.value.extra) == ("retention_period_running",
                                                         {"retention_ends_on": "2036-12-31"})
        assert "may be purged from 2037-01-01" in error.value.detail
    agreement.purge_records(on=date(2037, 1, 1))
    assert retention_view(agreement) == {"ended_on": "2026-10-01", "retention_ends_on": "2036-12-31",
                                         "purged_on": "2037-01-01"}


@pytest.mark.parametrize("ended, years, kept_until", [
    (date(2025, 1, 1), 10, date(2035, 12, 31)),  # the first day of a year: the whole year counts
    (date(2026, 12, 31), 10, date(2036, 12, 31)),  # the last day of a year
    (date(2024, 2, 29), 10, date(2034, 12, 31)),  # a leap day needs no clamping
    (date(2026, 6, 15), 1, date(2027, 12, 31)),  # retention_years configurable
])
def test_retention_ends_on_the_last_day_of_a_financial_year(ended: date, years: int, kept_until: date) -> None:
    """R-REC-1: whatever day the agreement ended, its records are kept to a 31 December."""
    agreement = dissolved(lyhty(retention_years=years)[0], ended)
    assert retention_ends_on(agreement) == kept_until


def test_a_purge_recorded_under_the_earlier_rule_keeps_the_retention_end_it_was_allowed_by() -> None:
    """R-REC-1: history is never edited; a purge recorded when the retention ran to the same calendar day
    (dissolved 2026-02-28, kept to 2036-02-28, purged 2036-03-01) shows that end, not 2036-12-31."""
    agreement = dissolved(lyhty()[0], date(2026, 2, 28))
    agreement.records_purged(purged_on=date(2036, 3, 1), ended_on=date(2026, 2, 28),
                             retention_ends_on=date(2036, 2, 28))
    assert retention_view(agreement) == {"ended_on": "2026-02-28", "retention_ends_on": "2036-02-28",
                                         "purged_on": "2036-03-01"}


def test_retention_runs_from_the_extended_end() -> None:
    """R-REC-1, R-FUND-1: an extension moves the end, and the retention with it."""
    agreement, _ = lyhty()
    agreement.minute_decision(decision_id=uuid4(), kind="extension", passed=True, decided_on=date(2026, 6, 1),
                              new_ends_on=date(2028, 2, 29))
    assert ended_on(agreement) == date(2028, 2, 29)
    assert retention_ends_on(agreement) == date(2038, 12, 31)


@pytest.mark.parametrize("on", [date(2026, 6, 1), date(2026, 12, 31)])
def test_a_purge_while_the_agreement_is_in_force_is_refused(on: date) -> None:
    """R-REC-1: nothing of an agreement that has not ended can be purged."""
    agreement, _ = lyhty()
    refused("retention_period_running", agreement.purge_records, on=on)
    assert agreement.purged_on is None


@pytest.mark.parametrize("on", [date(2027, 1, 1), date(2036, 12, 31)])
def test_a_purge_before_the_retention_end_is_refused_naming_it(on: date) -> None:
    """R-REC-1: an agreement that ended less than retention_years ago is kept, the last day included."""
    agreement, _ = lyhty()
    with pytest.raises(DomainError) as error:
        agreement.purge_records(on=on)
    assert error.value.code == "retention_period_running"
    assert error.value.extra == {"retention_ends_on": "2036-12-31"}
    assert "kept until 2036-12-31" in error.value.detail
    assert agreement.purged_on is None


def test_a_purge_after_the_retention_end_is_recorded_once() -> None:
    """R-REC-1: from the day after the retention end the records may be purged, and only once."""
    agreement, _ = lyhty()
    agreement.purge_records(on=date(2037, 1, 1))
    assert retention_view(agreement) == {"ended_on": "2026-12-31", "retention_ends_on": "2036-12-31",
                                         "purged_on": "2037-01-01"}
    event = agreement.collect_events()[-1]
    assert type(event) is Agreement.RecordsPurged
    assert (event.purged_on, event.ended_on, event.retention_ends_on) == (
        date(2037, 1, 1), date(2026, 12, 31), date(2036, 12, 31))
    refused("records_purged", agreement.purge_records, on=date(2037, 1, 2))


def test_a_purged_agreement_takes_no_more_changes() -> None:
    """R-REC-1: once its records are purged, the agreement refuses membership changes."""
    agreement = dissolved(lyhty(retention_years=1)[0], date(2026, 1, 1))
    agreement.purge_records(on=date(2028, 1, 1))
    refused("records_purged", agreement.check_in_force)
