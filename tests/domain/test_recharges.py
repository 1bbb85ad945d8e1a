"""Recharges (R-INV-5, R-ACC-4) without a database: costs borne jointly by a subset of the parties, late
items of a period already recharged, and the coordinator, who never invoices itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.demo import MANTYHARJU_HIRVENSALMI
from domain.agreements.agreement import Agreement
from domain.invoicing.invoices import Invoice
from domain.invoicing.schedule import recharge_invoices
from domain.invoicing.spending import SpendingLog, bearers
from domain.kernel.errors import InvalidInput, NotFound
from domain.kernel.money import ZERO
from tests.api.helpers import valid_business_ids


def kuningas(*populations: int, coordinator_population: int | None = None) -> Agreement:
    """Municipalities sharing a budget by population (Kuningas, seed 001); with a population, the
    coordinator funds the work as a party too."""
    coordinator: dict[str, Any] = {"name": "Kuntaliitto", "business_id": "0926151-4"}
    if coordinator_population is not None:
        coordinator |= {"is_party": True, "metric": coordinator_population}
    agreement = Agreement.open(code="KUNINGAS", title="Kuningas", coordinator=coordinator,
                               starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31),
                               cost_sharing={"model": "proportional", "metric": "population"}, instalments=[],
                               terms={"recharge_period": "quarter"})
    for index, (population, bid) in enumerate(zip(populations, valid_business_ids(len(populations)),
                                                  strict=True)):
        agreement.accede(name=f"Kunta {index + 1}", business_id=bid, signed_on=date(2025, 1, 1),
                         metric=population)
    return agreement


def ids(agreement: Agreement) -> list[UUID]:
    return [party["party_id"] for party in agreement.parties_in_order()]


def totals(planned: list[Any]) -> dict[UUID, Decimal]:
    return {p.party_id: sum((line["amount"] for line in p.lines), ZERO) for p in planned}


def test_a_cost_borne_jointly_is_split_by_the_key_among_just_those_parties() -> None:
    """R-INV-5 ("useampi kunta yhdessä"): 1,000.00 borne by the first three of four municipalities
    (populations 1 : 2 : 3) is 166.67, 333.33 and 500.00; the fourth pays nothing of it."""
    agreement = kuningas(10_000, 20_000, 30_000, 40_000)
    a, b, c, d = ids(agreement)
    planned = recharge_invoices(agreement, "2025-Q1", [
        {"amount": Decimal("1000.00"), "borne_by": None, "borne_jointly_by": [a, b, c]}])
    assert totals(planned) == {a: Decimal("166.67"), b: Decimal("333.33"), c: Decimal("500.00")}


def test_the_coordinator_in_a_subset_bears_its_part_without_an_invoice() -> None:
    """R-ACC-4: the host's part of a jointly borne cost is its own cost; the others are invoiced theirs."""
    agreement = kuningas(2_100, 1_000, coordinator_population=6_300)
    host, hs, other = ids(agreement)
    planned = recharge_invoices(agreement, "2025-Q1", [
        {"amount": Decimal("840.00"), "borne_by": None, "borne_jointly_by": [host, hs]},
        {"amount": Decimal("50.00"), "borne_by": host}])
    assert totals(planned) == {hs: Decimal("210.00")}


def test_late_items_go_on_invoices_of_their_own_whose_lines_name_the_period() -> None:
    """R-INV-5: the n-th late run of a period plans invoices with ids of their own, never the period's."""
    agreement = Agreement.open(**MANTYHARJU_HIRVENSALMI["agreement"])
    hs = agreement.accede(name="Hirvensalmen kunta", business_id="0164384-1", signed_on=date(2025, 9, 1),
                          key="1/4")
    entries = [{"amount": Decimal("80.00"), "borne_by": None}]
    regular, first, second = (recharge_invoices(agreement, "2025-Q4", entries, late_batch=n)[0] for n in (0, 1, 2))
    assert [line["description"] for line in first.lines] == [
        "Share of shared costs 2025-Q4, booked after 2025-Q4 was recharged (late item)"]
    invoice_ids = {Invoice.create_id(agreement.id, hs, "recharge", [], "2025-Q4", p.late_batch)
                   for p in (regular, first, second)}
    assert len(invoice_ids) == 3 and (regular.period, first.period, second.period) == ("2025-Q4",) * 3


party_ids = st.sampled_from(range(4))


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Costs of a period: shared, one party's own, or borne jointly by a subset (by index)."""
    found = []
    for _ in range(draw(st.integers(1, 8))):
        cents = draw(st.integers(1, 10**9))
        kind = draw(st.sampled_from(["shared", "own", "jointly"]))
        entry: dict[str, Any] = {"amount": Decimal(cents) / 100, "borne_by": None}
        if kind == "own":
            entry["borne_by"] = draw(party_ids)
        elif kind == "jointly":
            entry["borne_jointly_by"] = sorted(draw(st.sets(party_ids, min_size=2, max_size=4)))
        found.append(entry)
    return found


@given(entries(), st.lists(st.integers(1, 10**6), min_size=3, max_size=3), st.integers(0, 2))
def test_a_recharge_bills_every_cent_once_and_never_the_coordinator(
        raw: list[dict[str, Any]], populations: list[int], late_batch: int) -> None:
    """R-INV-5, R-ACC-4: the invoices and the coordinator's own part sum to the costs exactly (asserted
    by the planner), nobody is billed less than its own costs, and the coordinator gets no invoice."""
    agreement = kuningas(*populations, coordinator_population=5_000)
    pids = ids(agreement)
    costs = [{**e, "borne_by": None if e["borne_by"] is None else pids[e["borne_by"]]} for e in raw]
    for cost in costs:
        if "borne_jointly_by" in cost:
            cost["borne_jointly_by"] = [pids[i] for i in cost["borne_jointly_by"]]
    planned = recharge_invoices(agreement, "2025-Q1", costs, late_batch=late_batch)
    assert pids[0] not in totals(planned)
    assert all(line["amount"] > 0 for p in planned for line in p.lines)
    assert {p.late_batch for p in planned} <= {late_batch}
    billed = totals(planned)
    for pid in pids[1:]:
        own = sum((e["amount"] for e in costs if e["borne_by"] == pid), ZERO)
        assert billed.get(pid, ZERO) >= own
    assert sum(billed.values(), ZERO) <= sum((e["amount"] for e in costs), ZERO)


def test_bearers_keep_accession_order_and_refuse_bad_lists() -> None:
    """R-INV-5: a subset is kept in accession order; a party twice, no party, or a stranger is refused."""
    agreement = kuningas(1, 2, 3)
    a, b, c = ids(agreement)
    assert bearers(agreement, [c, a]) == (None, [a, c])
    assert bearers(agreement, [b]) == (b, None)
    assert bearers(agreement, None) == (None, None)
    for bad, error in (([], InvalidInput), ([a, a], InvalidInput), ([a, uuid4()], NotFound)):
        with pytest.raises(error):
            bearers(agreement, bad)


def test_a_spending_log_accepts_costs_after_its_recharge_and_counts_what_was_recharged() -> None:
    """R-INV-5: a recharged quarter's log keeps taking costs; each is recharged once, the late ones marked."""
    log = SpendingLog(agreement_id=uuid4(), quarter="2025-Q4")
    first = log.record(amount=Decimal("10.00"), booked_on=date(2025, 10, 1), category="staff", description="x",
                       borne_by=None)
    log.close(period="2025-Q4", invoice_ids=[])
    assert log.pending() == []
    late = log.record(amount=Decimal("2.00"), booked_on=date(2025, 12, 31), category="staff",
                      description="accrual", borne_by=None)
    assert [e["entry_id"] for e in log.pending()] == [late]
    log.recharge_late(period="2025-Q4", batch=1, invoice_ids=[])
    assert log.pending() == [] and log.late_batch == 1
    views = {v["id"]: (v["recharged_in"], v["recharged_late"]) for v in map(log.view, log.entries)}
    assert views == {str(first): ("2025-Q4", False), str(late): ("2025-Q4", True)}
