"""Cost-sharing models and the Agreement aggregate, in memory, without any database.

Rules: R-SHARE-1 (Lyhty's table), R-ACC-1 (accession, annex numbers, business ids), R-ACC-2 (no
pro-rating: a later joiner pays the same), R-ACC-3 (shares by model, splits exact in cents),
R-INV-1 (instalment plan).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from api.demo import DIGIONE
from domain.agreements.agreement import Agreement
from domain.agreements.cost_sharing import PartyBasis
from domain.kernel.errors import DomainError
from domain.agreements.terms import Terms

VALTORI = "2574261-7"

# Exactly the bands of api/demo.py `_BANDS` (R-SHARE-1), copied so that the test pins the figures.
BANDS = [{"up_to": "999999999.99", "amount": "10000.00"},
         {"up_to": "2000000000.00", "amount": "20000.00"},
         {"up_to": None, "amount": "25000.00"}]

LYHTY_MODEL = {"model": "fixed_by_category", "categories": {
    "state": "400000.00", "municipalities": "300000.00", "kela": "25000.00",
    "wellbeing_services_county": BANDS, "university": "10000.00",
    "university_of_applied_sciences": "5000.00"}}


def open_agreement(cost_sharing: dict[str, Any], *, code: str = "TEST",
                   coordinator: dict[str, Any] | None = None,
                   starts_on: date = date(2025, 9, 1), ends_on: date = date(2026, 12, 31),
                   instalments: list[dict[str, Any]] | None = None,
                   terms: dict[str, Any] | None = None) -> Agreement:
    return Agreement.open(
        code=code, title="Test agreement",
        coordinator=coordinator or {"name": "Valtori", "business_id": VALTORI},
        starts_on=starts_on, ends_on=ends_on, cost_sharing=cost_sharing,
        instalments=instalments if instalments is not None else [
            {"issue_on": date(2025, 9, 1), "share": "1/2"},
            {"issue_on": date(2026, 1, 15), "share": "1/2"}],
        terms=terms)


def lyhty() -> Agreement:
    return open_agreement(LYHTY_MODEL, code="LYHTY", coordinator={
        "name": "Valtori", "business_id": VALTORI, "is_party": True, "category": "state"})


def share_of(agreement: Agreement, business_id: str) -> Decimal:
    party = agreement.party_by_business_id(business_id)
    assert party is not None
    return agreement.shares()[party["party_id"]]


# Lyhty: fixed amount per category (R-SHARE-1) --------------------------------------------------

@pytest.mark.parametrize(("budget", "expected"), [
    ("1500000000", "20000.00"),
    ("1260000000", "20000.00"),
    ("1000000000", "20000.00"),
    ("999999999.99", "10000.00"),
    ("890000000", "10000.00"),
    ("2000000000", "20000.00"),
    ("2000000000.01", "25000.00"),
    ("2100000000", "25000.00"),
])
def test_wellbeing_county_pays_by_its_budget_band(budget: str, expected: str) -> None:
    """R-SHARE-1: under 1 bn 10,000; 1–2 bn 20,000; over 2 bn 25,000."""
    agreement = lyhty()
    agreement.accede(name="Hyvinvointialue", business_id="3221326-2", signed_on=date(2025, 9, 1),
                     category="wellbeing_services_county", metric=budget)
    assert share_of(agreement, "3221326-2") == Decimal(expected)


def test_wellbeing_county_with_1_5_bn_budget_pays_20000() -> None:
    """R-SHARE-1."""
    agreement = lyhty()
    agreement.accede(name="Keski-Suomen hyvinvointialue", business_id="3221318-2",
                     signed_on=date(2025, 9, 1), category="wellbeing_services_county",
                     metric="1500000000")
    assert share_of(agreement, "3221318-2") == Decimal("20000.00")


def test_university_of_applied_sciences_pays_5000_whenever_it_joins() -> None:
    """R-SHARE-1, R-ACC-2: Haaga-Helia (at the start) and TAMK (later) both pay 5,000."""
    agreement = lyhty()
    agreement.accede(name="Haaga-Helia Oy Ab", business_id="2029188-8", signed_on=date(2025, 9, 1),
                     category="university_of_applied_sciences")
    agreement.accede(name="Turun AMK", business_id="2528160-3", signed_on=date(2026, 3, 1),
                     category="university_of_applied_sciences")
    assert share_of(agreement, "2029188-8") == Decimal("5000.00")
    assert share_of(agreement, "2528160-3") == Decimal("5000.00")


def test_lyhty_coordinator_pays_the_state_share_and_committed_is_the_sum_of_shares() -> None:
    """R-SHARE-1, R-ACC-3: Valtori 400,000 for the state; the funding is the sum of all shares."""
    agreement = lyhty()
    for name, bid, category, metric in [
        ("Suomen Kuntaliitto ry", "0926151-4", "municipalities", None),
        ("Kansaneläkelaitos", "0246246-0", "kela", None),
        ("Pohjois-Pohjanmaan hyvinvointialue", "3221326-2", "wellbeing_services_county", "2100000000"),
        ("Keski-Suomen hyvinvointialue", "3221318-2", "wellbeing_services_county", "1260000000"),
        ("Pohjois-Karjalan hyvinvointialue", "3221317-4", "wellbeing_services_county", "890000000"),
        ("Helsingin yliopisto", "0313471-7", "university", None),
        ("Haaga-Helia Oy Ab", "2029188-8", "university_of_applied_sciences", None),
    ]:
        agreement.accede(name=name, business_id=bid, signed_on=date(2025, 9, 1), category=category,
                         metric=metric)
    shares = agreement.shares()
    assert share_of(agreement, VALTORI) == Decimal("400000.00")
    assert sorted(shares.values()) == [Decimal(x) for x in (
        "5000.00", "10000.00", "10000.00", "20000.00", "25000.00", "25000.00", "300000.00",
        "400000.00")]
    assert agreement.committed() == sum(shares.values(), Decimal("0.00")) == Decimal("795000.00")


def test_annex_numbers_run_1_1_1_2_1_3_in_accession_order_and_the_coordinator_has_none() -> None:
    """R-ACC-1: each accession agreement is the next annex; the coordinator signs the agreement."""
    agreement = lyhty()
    agreement.accede(name="Helsingin yliopisto", business_id="0313471-7", signed_on=date(2025, 9, 1),
                     category="university")
    agreement.accede(name="Kela", business_id="0246246-0", signed_on=date(2025, 9, 1), category="kela")
    agreement.accede(name="Kuntaliitto", business_id="0926151-4", signed_on=date(2025, 10, 1),
                     category="municipalities")
    parties = agreement.parties_in_order()
    assert [(p["business_id"], p["annex"]) for p in parties] == [
        (VALTORI, None), ("0313471-7", "1.1"), ("0246246-0", "1.2"), ("0926151-4", "1.3")]
    coordinator = parties[0]
    assert coordinator["is_coordinator"] is True
    assert coordinator["category"] == "state"
    assert coordinator["joined_on"] == date(2025, 9, 1)


def test_party_of_unknown_category_is_refused() -> None:
    """R-ACC-1 / R-SHARE-1: the category must be one of the agreement's."""
    agreement = lyhty()
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Joku Oy", business_id="0313471-7", signed_on=date(2025, 9, 1),
                         category="company")
    assert err.value.code == "unknown_category"
    assert agreement.accessions == 0


def test_party_without_category_in_fixed_model_is_refused() -> None:
    """R-ACC-1."""
    agreement = lyhty()
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Joku Oy", business_id="0313471-7", signed_on=date(2025, 9, 1))
    assert err.value.code == "unknown_category"


def test_banded_category_without_budget_metric_is_refused() -> None:
    """R-ACC-1 / R-SHARE-1: a wellbeing services county must give its budget."""
    agreement = lyhty()
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Hyvinvointialue", business_id="3221326-2", signed_on=date(2025, 9, 1),
                         category="wellbeing_services_county")
    assert err.value.code == "metric_required"
    assert len(agreement.parties) == 1


# Proportional by total (DigiOne, R-ACC-2, R-ACC-3) ----------------------------------------------

DIGIONE_MODEL = {"model": "proportional", "metric": "pupils", "total": "5400000.00"}
DIGIONE_PLAN = [{"issue_on": date(2021, 1, 15), "share": "1/3"},
                {"issue_on": date(2022, 1, 14), "share": "1/3"},
                {"issue_on": date(2023, 1, 13), "share": "1/3"}]
FORERUNNERS = [("0101263-6", 18881), ("0211675-2", 12011), ("0187690-1", 9999),
               ("0204819-8", 7777), ("0149669-3", 5432), ("0174666-4", 1001)]
COHORT_PUPILS = 31237 + 18881 + 12011 + 9999 + 7777 + 5432 + 1001  # 86,338 with Vantaa


def digione_with_awkward_counts() -> Agreement:
    agreement = open_agreement(
        DIGIONE_MODEL, code="DIGI-AWKWARD", starts_on=date(2020, 11, 1), ends_on=date(2027, 12, 31),
        instalments=DIGIONE_PLAN,
        coordinator={"name": "Vantaan kaupunki", "business_id": "0124610-9", "is_party": True,
                     "metric": 31237})
    for bid, pupils in FORERUNNERS:
        agreement.accede(name=f"Kunta {bid}", business_id=bid, signed_on=date(2020, 12, 1),
                         metric=pupils)
    return agreement


def test_forerunners_with_awkward_pupil_counts_split_5_4_m_exactly() -> None:
    """R-ACC-3: largest remainder in cents, summing to the total exactly."""
    agreement = digione_with_awkward_counts()
    shares = agreement.shares()
    assert [shares[p["party_id"]] for p in agreement.parties_in_order()] == [Decimal(x) for x in (
        "1953714.47", "1180909.91", "751226.57", "625386.27", "486411.55", "339743.80", "62607.43")]
    assert sum(shares.values(), Decimal("0.00")) == Decimal("5400000.00")
    assert agreement.committed() == Decimal("5400000.00")
    assert COHORT_PUPILS == 86338


def test_city_acceding_after_first_instalment_pays_the_forerunners_rate_per_pupil() -> None:
    """R-ACC-2: 5,400,000 * 11,000 / 86,338 = 687,993.7009… -> 687,993.70; forerunners unchanged."""
    agreement = digione_with_awkward_counts()
    before = agreement.shares()
    lahti = agreement.accede(name="Lahden kaupunki", business_id="0165761-0",
                             signed_on=date(2021, 9, 1), metric=11000)
    after = agreement.shares()
    assert after[lahti] == Decimal("687993.70")
    expected = Fraction(5400000) * 11000 / COHORT_PUPILS
    assert abs(Fraction(after[lahti]) - expected) <= Fraction(1, 200)
    assert {pid: after[pid] for pid in before} == before
    assert agreement.committed() == Decimal("5400000.00") + Decimal("687993.70")


def test_two_later_cities_each_pay_the_cohort_rate_and_do_not_change_each_other() -> None:
    """R-ACC-2: a later joiner is priced on the first cohort only, not on other later joiners."""
    agreement = digione_with_awkward_counts()
    a = agreement.accede(name="Kaupunki A", business_id="0165761-0", signed_on=date(2021, 1, 16),
                         metric=15000)
    b = agreement.accede(name="Kaupunki B", business_id="0164384-1", signed_on=date(2023, 6, 1),
                         metric=4321)
    shares = agreement.shares()
    assert shares[a] == Decimal("938173.23")  # 938,173.2261…
    assert shares[b] == Decimal("270256.43")  # 270,256.4340…
    assert agreement.committed() == Decimal("5400000.00") + Decimal("938173.23") + Decimal("270256.43")


def test_city_acceding_on_the_first_instalment_date_is_a_forerunner() -> None:
    """R-ACC-3: the cohort is every party that acceded by the first instalment's date."""
    agreement = digione_with_awkward_counts()
    agreement.accede(name="Kaupunki", business_id="0165761-0", signed_on=date(2021, 1, 15), metric=13662)
    assert agreement.committed() == Decimal("5400000.00")
    assert share_of(agreement, "0165761-0") == Decimal("737748.00")  # 5.4 M * 13,662 / 100,000


def build_demo(seed: dict[str, Any]) -> Agreement:
    agreement = Agreement.open(**seed["agreement"])
    for name, bid, signed_on, category, metric in seed["parties"]:
        agreement.accede(name=name, business_id=bid, signed_on=signed_on, category=category,
                         metric=metric)
    return agreement


def test_demo_digione_forerunners_pay_5_4_m_and_all_six_7_m() -> None:
    """Seed 002 / R-ACC-2: 5,400,000.00 over the five forerunners, 6,700,000.00 with Lahti and Jyväskylä."""
    agreement = build_demo(DIGIONE)
    shares = agreement.shares()
    by_bid = {p["business_id"]: shares[p["party_id"]] for p in agreement.parties_in_order()}
    forerunners = ["0124610-9", "0101263-6", "0211675-2", "0187690-1", "0204819-8"]
    assert sum((by_bid[b] for b in forerunners), Decimal("0.00")) == Decimal("5400000.00")
    assert by_bid["0124610-9"] == Decimal("1272000.00")  # Vantaa, 25,440 pupils at 50.00: seed 002's fee
    assert by_bid["0101263-6"] == Decimal("1500000.00")
    assert by_bid["0149669-3"] == Decimal("550000.00")   # Lahti, later, 11,000 pupils at 50.00
    assert by_bid["0174666-4"] == Decimal("750000.00")   # Jyväskylä, later, 15,000 pupils
    assert agreement.committed() == Decimal("6700000.00")


# Proportional by rate --------------------------------------------------------------------------

RATE_MODEL = {"model": "proportional", "metric": "population", "rate": "50.00"}


def test_rate_model_share_is_rate_times_metric() -> None:
    """R-ACC-3: a rate per unit of the metric."""
    agreement = open_agreement(RATE_MODEL)
    a = agreement.accede(name="A", business_id="0165761-0", signed_on=date(2025, 9, 1), metric=6300)
    b = agreement.accede(name="B", business_id="0164384-1", signed_on=date(2026, 5, 1), metric="2100.5")
    shares = agreement.shares()
    assert shares == {a: Decimal("315000.00"), b: Decimal("105025.00")}
    assert agreement.committed() == Decimal("420025.00")


@pytest.mark.parametrize("metric", [None, 0, "0", "0.00"])
def test_rate_model_refuses_a_party_without_a_metric_above_zero(metric: Any) -> None:
    """R-ACC-1: the model needs the metric."""
    agreement = open_agreement(RATE_MODEL)
    with pytest.raises(DomainError) as err:
        agreement.accede(name="A", business_id="0165761-0", signed_on=date(2025, 9, 1), metric=metric)
    assert err.value.code == "metric_required"


def test_total_model_refuses_a_party_without_a_metric() -> None:
    agreement = open_agreement(DIGIONE_MODEL)
    with pytest.raises(DomainError) as err:
        agreement.accede(name="A", business_id="0165761-0", signed_on=date(2025, 9, 1))
    assert err.value.code == "metric_required"


# Proportional key only (Mäntyharju–Hirvensalmi, seed 003) ------------------------------------------

def test_mantyharju_hirvensalmi_commit_nothing_and_share_costs_three_quarters_one_quarter() -> None:
    """R-ACC-3 / R-INV-5: with neither rate nor total the model is only a key; shares are 0.00."""
    agreement = open_agreement(
        {"model": "proportional", "metric": "population"}, code="MH-HS-ICT",
        starts_on=date(2025, 9, 1), ends_on=date(2028, 12, 31), instalments=[],
        coordinator={"name": "Mäntyharjun kunta", "business_id": "0165761-0", "is_party": True,
                     "metric": 6300})
    hs = agreement.accede(name="Hirvensalmen kunta", business_id="0164384-1",
                          signed_on=date(2025, 9, 1), metric=2100)
    mh = agreement.party_by_business_id("0165761-0")["party_id"]  # type: ignore[index]
    assert agreement.shares() == {mh: Decimal("0.00"), hs: Decimal("0.00")}
    assert agreement.committed() == Decimal("0.00")
    basis = [PartyBasis(p["party_id"], p["category"], p["metric"], p["joined_on"])
             for p in agreement.parties_in_order()]
    key = agreement.model.key(basis, None)
    total = sum(key.values())
    assert {pid: weight / total for pid, weight in key.items()} == {mh: Fraction(3, 4), hs: Fraction(1, 4)}


# Equal --------------------------------------------------------------------------------------------

EQUAL_MODEL = {"model": "equal", "total": "100.00"}
THREE = ["0165761-0", "0164384-1", "0313471-7"]


def equal_agreement(order: list[str]) -> tuple[Agreement, list[Any]]:
    agreement = open_agreement(EQUAL_MODEL, code="EQUAL")
    pids = [agreement.accede(name=f"P {bid}", business_id=bid, signed_on=date(2025, 9, 1))
            for bid in order]
    return agreement, pids


@pytest.mark.parametrize("order", [THREE, list(reversed(THREE)), [THREE[1], THREE[2], THREE[0]]])
def test_equal_split_of_100_over_three_gives_the_extra_cent_to_the_first_to_accede(order: list[str]) -> None:
    """R-ACC-3: 33.34, 33.33, 33.33; the tie goes by accession order (not by party id)."""
    agreement, pids = equal_agreement(order)
    shares = agreement.shares()
    assert [shares[pid] for pid in pids] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert agreement.committed() == Decimal("100.00")


def test_equal_later_joiner_after_first_instalment_pays_33_33() -> None:
    """R-ACC-2: a later joiner pays the same as the cohort, the cohort's shares stay."""
    agreement, pids = equal_agreement(THREE)
    late = agreement.accede(name="Myöhäinen", business_id="0246246-0", signed_on=date(2025, 9, 2))
    shares = agreement.shares()
    assert shares[late] == Decimal("33.33")
    assert [shares[pid] for pid in pids] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert agreement.committed() == Decimal("133.33")


def test_equal_model_without_a_total_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        open_agreement({"model": "equal"})
    assert err.value.code == "invalid_cost_sharing"


# Term, plan, parties, terms (R-AGR-1, R-ACC-1, R-INV-1) ---------------------------------------------

def test_instalment_shares_not_summing_to_one_are_refused() -> None:
    """R-INV-1."""
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, instalments=[{"issue_on": date(2025, 9, 1), "share": "1/2"},
                                                 {"issue_on": date(2026, 1, 15), "share": "1/3"}])
    assert err.value.code == "invalid_instalments"


@pytest.mark.parametrize("day", [date(2025, 8, 31), date(2027, 1, 1)])
def test_instalment_outside_the_term_is_refused(day: date) -> None:
    """R-INV-1: instalments fall within the term."""
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, instalments=[{"issue_on": day, "share": "1"}])
    assert err.value.code == "invalid_instalments"


def test_instalments_out_of_date_order_are_refused() -> None:
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, instalments=[{"issue_on": date(2026, 1, 15), "share": "1/2"},
                                                 {"issue_on": date(2025, 9, 1), "share": "1/2"}])
    assert err.value.code == "invalid_instalments"


def test_term_ending_before_it_starts_is_refused() -> None:
    """R-AGR-1."""
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, starts_on=date(2026, 1, 1), ends_on=date(2025, 12, 31),
                       instalments=[])
    assert err.value.code == "invalid_term"


def test_coordinator_with_invalid_business_id_is_refused() -> None:
    """R-ACC-1: business ids are checked."""
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, coordinator={"name": "Valtori", "business_id": "1234567-8"})
    assert err.value.code == "invalid_business_id"


@pytest.mark.parametrize("bid", ["1234567-8", "2574261-8", "", "not an id"])
def test_party_with_invalid_business_id_is_refused(bid: str) -> None:
    """R-ACC-1: the Y-tunnus check digit is verified."""
    agreement = open_agreement(EQUAL_MODEL)
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Joku", business_id=bid, signed_on=date(2025, 9, 1))
    assert err.value.code == "invalid_business_id"
    assert agreement.parties == {}


def test_same_business_id_acceding_twice_is_refused() -> None:
    """R-ACC-1: one business is one party."""
    agreement = open_agreement(EQUAL_MODEL)
    agreement.accede(name="Kela", business_id="0246246-0", signed_on=date(2025, 9, 1))
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Kela again", business_id="0246246-0", signed_on=date(2025, 10, 1))
    assert err.value.code == "party_already_acceded"
    assert agreement.accessions == 1


def test_coordinator_party_acceding_again_is_refused() -> None:
    """R-ACC-1: the coordinator that funds the work is already a party."""
    agreement = lyhty()
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Valtori", business_id=VALTORI, signed_on=date(2025, 9, 1),
                         category="state")
    assert err.value.code == "party_already_acceded"


@pytest.mark.parametrize("day", [date(2025, 8, 31), date(2027, 1, 1)])
def test_accession_dated_outside_the_term_is_refused(day: date) -> None:
    """R-ACC-1."""
    agreement = open_agreement(EQUAL_MODEL)
    with pytest.raises(DomainError) as err:
        agreement.accede(name="Kela", business_id="0246246-0", signed_on=day)
    assert err.value.code == "accession_outside_term"


@pytest.mark.parametrize("day", [date(2025, 9, 1), date(2026, 12, 31)])
def test_accession_on_the_first_or_last_day_of_the_term_is_accepted(day: date) -> None:
    agreement = open_agreement(EQUAL_MODEL)
    pid = agreement.accede(name="Kela", business_id="0246246-0", signed_on=day)
    assert agreement.party(pid)["annex"] == "1.1"


def test_terms_default_to_the_seed_agreement_values() -> None:
    """R-INV-3, R-FUND-2, R-GOV-1, R-REC-1 defaults."""
    for terms in (Terms.from_dict(None), Terms.from_dict({})):
        assert terms.payment_term_days == 21
        assert terms.refund_threshold_pp == 20
        assert terms.qualified_majority == Fraction(2, 3)
        assert terms.quorum == 0  # R-GOV-1: seed 000 sets no quorum
        assert terms.retention_years == 10
        assert terms.refund_to_withdrawn_parties is True  # R-FUND-2: a leaver by notice shares by what it paid
    assert open_agreement(EQUAL_MODEL).rules == Terms()
    assert Terms.from_dict({"refund_to_withdrawn_parties": False}).to_dict()["refund_to_withdrawn_parties"] is False


def test_terms_accept_configured_values() -> None:
    terms = Terms.from_dict({"payment_term_days": 14, "qualified_majority": "3/4", "quorum": "0.6"})
    assert (terms.payment_term_days, terms.qualified_majority, terms.quorum) == (14, Fraction(3, 4),
                                                                                  Fraction(3, 5))
    assert terms.retention_years == 10
    assert Terms.from_dict({"quorum": "0"}).quorum == 0  # no quorum, configured as such


@pytest.mark.parametrize("data", [
    {"unknown_key": 1},
    {"payment_term_days": -1},
    {"payment_term_days": 366},
    {"payment_term_days": "21"},
    {"payment_term_days": True},
    {"refund_threshold_pp": 101},
    {"retention_years": 0},
    {"qualified_majority": "3/2"},
    {"qualified_majority": "0"},
    {"quorum": "-1/2"},
    {"quorum": Fraction(5, 4)},
    {"quorum": "abc"},
    {"qualified_majority": "1/0"},
    {"refund_to_withdrawn_parties": 1},
    {"refund_to_withdrawn_parties": "true"},
])
def test_terms_refuse_unknown_keys_and_out_of_range_values(data: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as err:
        Terms.from_dict(data)
    assert err.value.code == "invalid_terms"


def test_agreement_with_invalid_terms_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        open_agreement(EQUAL_MODEL, terms={"retention_years": 0})
    assert err.value.code == "invalid_terms"
