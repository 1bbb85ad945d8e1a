"""Every figure the API serves, from the balance history, equals the same figure summed from the lines.

The demo agreements, invoiced to 2026-02-01, then seeded random payments, credit notes and spending
through the ledger's commands, most of them dated before ones already recorded; the journal is
followed in batches of random size. At many dates every figure of a date (balances with overdue,
funding, refund preview, quarterly report, final account), the grants, the summary and the annual
account are computed by the same functions from the history and from the lines (``FromLines``).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.application import Ledger
from domain.kernel.errors import DomainError
from projections.figures import answers
from projections.journal.queries import FromLines
from projections.journal.runner import JournalRunner
from tests.projections.test_figures_rebuild import history

pytestmark = pytest.mark.persistence


def random_money(ledger: Ledger, ids: dict[str, UUID], rng: random.Random, runner: JournalRunner) -> int:
    """Back-dated payments, credit notes and spending; the journal caught up now and then. Returns how many
    commands were refused (amounts beyond what an invoice allows), which leave nothing."""
    refused = 0
    bills = [(aid, bill) for aid in ids.values()
             for bill in ledger.list_invoices(aid, as_of=date(2026, 2, 1), limit=500)]
    for n in range(60):
        aid, bill = rng.choice(bills)
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
        cents = rng.randrange(1, 200_000)
        amount = f"{cents // 100}.{cents % 100:02d}"
        try:
            if n % 5 == 0:
                ledger.issue_credit_note(UUID(bill["id"]), amount=amount, issued_on=max(day, date(2026, 2, 1)),
                                         reason="correction")
            elif n % 7 == 0:
                ledger.record_spending(aid, amount=amount, booked_on=day, category="licences", description="Pool")
            else:
                ledger.record_payment(UUID(bill["id"]), amount=amount, paid_on=day)
        except DomainError:
            refused += 1
        if rng.random() < 0.2:
            runner.catch_up()
    return refused


@pytest.mark.parametrize("seed", [11, 12])
def test_every_figure_from_the_history_equals_the_figure_from_the_lines(ledger: Ledger, seed: int) -> None:
    """R-FUND-1, R-FUND-2, R-REP-1, R-INV-6: the same figures, whether read from the history or summed."""
    ids = history(ledger)
    rng = random.Random(seed)
    with JournalRunner(ledger, batch_size=rng.randint(1, 40)) as runner:
        assert random_money(ledger, ids, rng, runner) < 60
        runner.catch_up()
        store, lines = runner.store, FromLines(runner.store)
        days = [date(2025, 12, 31), date(2026, 2, 1), date(2026, 3, 15), date(2026, 12, 31)]
        days += sorted(date(2025, 1, 1) + timedelta(days=rng.randrange(730)) for _ in range(4))
        overdue = Decimal(0)
        for aid in ids.values():
            for day in days:
                served = answers.every_figure(ledger, store, aid, as_of=day)
                assert served == answers.every_figure(ledger, lines, aid, as_of=day), (aid, day)
                assert answers.grants(ledger, store, aid, as_of=day) == answers.grants(ledger, lines, aid, as_of=day)
                overdue += Decimal(served["balances"]["totals"]["overdue"])
            for year in (2025, 2026):
                assert answers.summary(ledger, store, aid, year=year) == answers.summary(ledger, lines, aid, year=year)
                assert answers.annual_account(ledger, store, aid, year=year) == \
                    answers.annual_account(ledger, lines, aid, year=year)
        assert overdue > 0  # arrears were compared, not only zeros


def test_balances_and_funding_a_page_at_a_time_equal_the_whole_with_every_partys_totals(ledger: Ledger) -> None:
    """R-FUND-1, R-FUND-5, R-INV-6: pages of balances and of the funding's commitments (from the history and
    from the lines) are the whole list cut in accession order, every page's totals, and every other
    funding figure, those of the whole agreement."""
    ids = history(ledger)
    with JournalRunner(ledger, batch_size=7) as runner:
        assert random_money(ledger, ids, random.Random(13), runner) < 60
        runner.catch_up()
        checked, received = 0, Decimal(0)
        for store in (runner.store, FromLines(runner.store)):
            for aid in ids.values():
                for day in (date(2025, 6, 30), date(2026, 3, 15), date(2026, 12, 31)):
                    whole = answers.balances(ledger, store, aid, as_of=day)
                    funded = answers.funding(ledger, store, aid, as_of=day)
                    received += sum(Decimal(grant["received"]) for grant in funded["grants"])
                    assert len(whole["parties"]) >= 2
                    for limit in (1, 2, 500):
                        rows, commitments, after = [], [], None
                        while True:
                            page = answers.balances(ledger, store, aid, as_of=day, limit=limit, after=after)
                            assert page["totals"] == whole["totals"], (aid, day, limit)
                            assert len(page["parties"]) <= limit
                            rows += page["parties"]
                            funding_page = answers.funding(ledger, store, aid, as_of=day, limit=limit, after=after)
                            commitments += funding_page.pop("parties")
                            assert funding_page == {k: v for k, v in funded.items() if k != "parties"}
                            if len(page["parties"]) < limit:
                                break
                            after = UUID(page["parties"][-1]["party_id"])
                        assert rows == whole["parties"]
                        assert commitments == funded["parties"]
                        checked += 1
                    first = whole["parties"][0]
                    alone = answers.balances(ledger, store, aid, as_of=day, after=UUID(first["party_id"]))
                    assert alone["parties"] == whole["parties"][1:]
                    # an id that is no party of the agreement starts no page
                    assert answers.balances(ledger, store, aid, as_of=day, after=aid)["parties"] == []
        assert checked == 2 * len(ids) * 3 * 3
        assert received > 0  # a grant's payment was among the figures compared
        # the overdue and the paid were part of what was compared
        totals = answers.balances(ledger, runner.store, ids[next(iter(ids))], as_of=date(2026, 12, 31))["totals"]
        assert Decimal(totals["paid"]) > 0
