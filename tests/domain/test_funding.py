"""Tranches, amendments and exit settlement on the Agreement, without a store (R-FUND-5, R-FUND-6, R-GOV-3).

Every expected figure is worked out by hand in the comments, not by the code under test.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.demo import DIGIONE, LYHTY, MANTYHARJU_HIRVENSALMI
from domain.agreements.agreement import Agreement
from domain.kernel.errors import DomainError
from domain.funding.amendments import check_signature, plan_portion, plan_proposal
from domain.funding.instalments import check_release, party_instalments
from domain.invoicing.schedule import PlannedInvoice, instalment_invoices, not_yet_billed
from domain.membership.rules import DecisionRef
from domain.kernel.money import ZERO
from domain.funding.settlement import commitment_ends_on, exit_settlement
from domain.agreements.terms import instalments_from_dicts

D = Decimal
VANTAA, ESPOO, TAMPERE, OULU, TURKU, LAHTI, JYVASKYLA = (
    "0124610-9", "0101263-6", "0211675-2", "0187690-1", "0204819-8", "0149669-3", "0174666-4")
KELA, TURKU_UAS, TURUN_YLIOPISTO = "0246246-0", "2528160-3", "0245896-3"


def build(seed: dict[str, Any], *, release_second: bool = False) -> Agreement:
    spec = copy.deepcopy(seed["agreement"])
    if release_second:
        spec["instalments"][1]["requires_release"] = True
    agreement = Agreement.open(**spec)
    for name, bid, signed_on, category, metric in seed["parties"]:
        agreement.accede(name=name, business_id=bid, signed_on=signed_on, category=category, metric=metric,
                         key=seed.get("keys", {}).get(bid))
    return agreement


def pid(agreement: Agreement, bid: str) -> UUID:
    party = agreement.party_by_business_id(bid)
    assert party is not None
    return UUID(str(party["party_id"]))


def release(agreement: Agreement, number: int, on: date, *, passed: bool = True) -> UUID:
    decision_id = uuid4()
    agreement.minute_decision(decision_id=decision_id, kind="tranche_release", passed=passed, decided_on=on,
                              release=number)
    return decision_id


def billed(agreement: Agreement, as_of: date, bid: str) -> list[tuple[list[int], Decimal]]:
    return [(p.instalments, sum((line["amount"] for line in p.lines), ZERO))
            for p in instalment_invoices(agreement, as_of) if p.party_id == pid(agreement, bid)]


def refused(code: str, action: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(DomainError) as error:
        action(*args, **kwargs)
    assert error.value.code == code, error.value.detail


def amendment_decision(agreement: Agreement, *, kind: str = "budget", passed: bool = True,
                       decided_on: date = date(2022, 12, 1), **subject: Any) -> DecisionRef:
    return DecisionRef(uuid4(), agreement.id, kind, passed, decided_on, subject or {"amendment": True})


def amend(agreement: Agreement, total: str, instalments: list[dict[str, Any]], *,
          signed_on: date = date(2022, 12, 19), decision: DecisionRef | None = None, sign: bool = True
          ) -> dict[str, Any]:
    """Propose an amendment dated ``signed_on`` splitting ``total`` by the key, and (``sign``) have every
    party sign it that day, so it binds then (R-FUND-5)."""
    facts = plan_proposal(agreement, decision=decision or amendment_decision(agreement), cites_decision=True,
                          dated_on=signed_on, total=D(total), parties=None, instalments=instalments)
    agreement.amendment_proposed(**facts)
    for pid in facts["signatories"] if sign else ():
        agreement.amendment_signed(**check_signature(agreement, facts["amendment"], UUID(pid), signed_on,
                                                     "Kaupunginvaltuusto"))
    return facts


# Tranches ---------------------------------------------------------------------------------------

def test_a_plan_stored_without_requires_release_still_loads() -> None:
    """Agreements created before tranches existed stored {"issue_on", "share"} only."""
    plan = instalments_from_dicts([{"issue_on": date(2025, 9, 1), "share": "1/2"},
                                   {"issue_on": date(2026, 1, 15), "share": "1/2"}],
                                  date(2025, 9, 1), date(2026, 12, 31))
    assert [inst.requires_release for inst in plan] == [False, False]


def test_a_tranche_is_not_invoiced_before_its_release_and_is_due_from_the_release_date() -> None:
    """R-FUND-5, R-GOV-3: Lyhty's second half (2026-01-15) is a tranche released on 2026-03-02."""
    agreement = build(LYHTY, release_second=True)
    assert billed(agreement, date(2026, 6, 30), KELA) == [([1], D("12500.00"))]
    release(agreement, 2, date(2026, 3, 2), passed=False)
    assert billed(agreement, date(2026, 6, 30), KELA) == [([1], D("12500.00"))]
    release(agreement, 2, date(2026, 3, 2))
    assert billed(agreement, date(2026, 3, 1), KELA) == [([1], D("12500.00"))]
    assert billed(agreement, date(2026, 3, 2), KELA) == [([1], D("12500.00")), ([2], D("12500.00"))]


def test_a_tranche_released_before_its_date_waits_for_its_date() -> None:
    agreement = build(LYHTY, release_second=True)
    release(agreement, 2, date(2025, 12, 1))
    assert billed(agreement, date(2026, 1, 14), KELA) == [([1], D("12500.00"))]
    assert billed(agreement, date(2026, 1, 15), KELA)[-1] == ([2], D("12500.00"))


def test_a_late_joiners_catch_up_invoice_never_holds_an_unreleased_tranche() -> None:
    """R-INV-2 with R-FUND-5: Turun yliopisto (10,000) joins 2026-02-01, both instalments dated by then."""
    agreement = build(LYHTY, release_second=True)
    agreement.accede(name="Turun yliopisto", business_id=TURUN_YLIOPISTO, signed_on=date(2026, 2, 1),
                     category="university")
    assert billed(agreement, date(2026, 2, 1), TURUN_YLIOPISTO) == [([1], D("5000.00"))]
    release(agreement, 2, date(2026, 3, 2))
    assert billed(agreement, date(2026, 3, 2), TURUN_YLIOPISTO) == [([1], D("5000.00")), ([2], D("5000.00"))]


def test_a_joiner_after_the_release_gets_the_tranche_on_its_catch_up_invoice() -> None:
    agreement = build(LYHTY, release_second=True)
    release(agreement, 2, date(2026, 1, 20))
    agreement.accede(name="Turun yliopisto", business_id=TURUN_YLIOPISTO, signed_on=date(2026, 2, 1),
                     category="university")
    assert billed(agreement, date(2026, 2, 1), TURUN_YLIOPISTO) == [([1, 2], D("10000.00"))]


def test_an_instalment_already_billed_is_taken_off_a_planned_invoice() -> None:
    """R-INV-3: a catch-up [1, 2] planned after [1] was billed leaves [2] alone; [1] alone leaves nothing."""
    lines = [{"description": "1", "amount": D("5000.00")}, {"description": "2", "amount": D("5000.00")}]
    planned = PlannedInvoice(uuid4(), "instalments", [1, 2], None, lines)
    rest = not_yet_billed(planned, [1])
    assert rest is not None and (rest.instalments, rest.lines) == ([2], lines[1:])
    assert not_yet_billed(planned, []) is planned
    assert not_yet_billed(planned, [1, 2]) is None


@pytest.mark.parametrize("subject, code", [
    ({}, "invalid_subject"),
    ({"instalment": "2"}, "invalid_subject"),
    ({"instalment": True}, "invalid_subject"),
    ({"instalment": 0}, "invalid_subject"),
    ({"instalment": 3}, "invalid_subject"),
    ({"instalment": 1}, "invalid_subject"),  # needs no release
])
def test_a_release_must_name_a_tranche_of_the_plan(subject: dict[str, Any], code: str) -> None:
    agreement = build(LYHTY, release_second=True)
    refused(code, check_release, agreement, subject, date(2026, 1, 10))


def test_a_tranche_is_released_once() -> None:
    agreement = build(LYHTY, release_second=True)
    assert check_release(agreement, {"instalment": 2, "note": "Q1 review"}, date(2026, 1, 20)) == 2
    first = release(agreement, 2, date(2026, 1, 20))
    refused("tranche_already_released", check_release, agreement, {"instalment": 2}, date(2026, 2, 1))
    assert [tuple(r) for r in agreement.releases] == [(2, date(2026, 1, 20), first)]


# Amendments -------------------------------------------------------------------------------------

# DigiOne's pupils: Vantaa 25,000, Espoo 30,000, Tampere 19,000, Oulu 18,000, Turku 16,000, Lahti 11,000,
# Jyväskylä 15,000: 134,000 in all. 2,200,000.00 is 220,000,000 cents; a pupil's quota is
# 220,000,000 / 134,000 = 1,641.791044… cents. The floors sum to 219,999,996 cents; the 4 cents left go to
# the largest remainders: Tampere (.851), Oulu (.806), Turku (.716) and Jyväskylä (.672); Espoo (.343),
# Lahti (.493) and Vantaa (.119) keep their floors.
DIGIONE_AMENDMENT = {VANTAA: D("417671.64"), ESPOO: D("492537.31"), TAMPERE: D("311940.30"),
                     OULU: D("295522.39"), TURKU: D("255462.69"), LAHTI: D("180597.01"),
                     JYVASKYLA: D("246268.66")}
TWO_TRANCHES = [{"issue_on": date(2023, 1, 13), "share": "1/2"},
                {"issue_on": date(2024, 1, 12), "share": "1/2", "requires_release": True}]


def test_digione_amendment_splits_2_2_million_by_pupils_exactly() -> None:
    """R-FUND-5: supplementary funding by the same key; committed = original + amendment."""
    agreement = build(DIGIONE)
    facts = amend(agreement, "2200000.00", TWO_TRANCHES)
    shares = {agreement.party(UUID(p))["business_id"]: amount for p, amount in facts["shares"].items()}
    assert shares == DIGIONE_AMENDMENT
    assert sum(shares.values(), ZERO) == D("2200000.00")
    assert [i["number"] for i in facts["instalments"]] == [4, 5]
    assert (agreement.original_funding(), agreement.committed()) == (D("6700000.00"), D("8900000.00"))
    assert agreement.committed(date(2022, 12, 18)) == D("6700000.00")


def test_each_partys_amendment_instalments_sum_to_its_additional_share() -> None:
    """Espoo's 492,537.31 in halves: 246,268.66 and 246,268.65 (the odd cent to the earlier instalment)."""
    agreement = build(DIGIONE)
    amend(agreement, "2200000.00", TWO_TRANCHES)
    shares = agreement.shares()
    for bid, extra in DIGIONE_AMENDMENT.items():
        items = party_instalments(agreement, agreement.party(pid(agreement, bid)), shares[pid(agreement, bid)])
        assert sum((i.amount for i in items if i.amendment == 1), ZERO) == extra
    espoo = billed(agreement, date(2023, 1, 13), ESPOO)
    assert espoo[-2:] == [([3], D("500000.00")), ([4], D("246268.66"))]
    release(agreement, 5, date(2024, 2, 1))
    assert billed(agreement, date(2024, 2, 1), ESPOO)[-1] == ([5], D("246268.65"))


def test_an_amendment_tranche_is_released_only_from_the_amendments_signing() -> None:
    agreement = build(DIGIONE)
    refused("invalid_subject", check_release, agreement, {"instalment": 5}, date(2023, 2, 1))
    amend(agreement, "2200000.00", TWO_TRANCHES)
    refused("invalid_subject", check_release, agreement, {"instalment": 5}, date(2022, 12, 18))
    refused("invalid_subject", check_release, agreement, {"instalment": 4}, date(2023, 2, 1))
    assert check_release(agreement, {"instalment": 5}, date(2022, 12, 19)) == 5


def test_an_amendment_is_split_over_the_parties_live_on_its_signing_only() -> None:
    """Turku has withdrawn, Kuopio joins after the signing: 2,200,000.00 over 118,440 pupils."""
    agreement = build(DIGIONE)
    assert agreement.give_notice(pid(agreement, TURKU), given_on=date(2022, 3, 1),
                                 ground="organisation_changed") == date(2022, 6, 1)
    facts = amend(agreement, "2200000.00", TWO_TRANCHES)
    agreement.accede(name="Kuopion kaupunki", business_id="0171540-3", signed_on=date(2023, 1, 2), metric=12000)
    assert str(pid(agreement, TURKU)) not in facts["shares"] and len(facts["shares"]) == 6
    # Vantaa: 220,000,000 × 25,440 / 118,440 = 47,254,305.98 cents → 472,543.06.
    assert facts["shares"][str(pid(agreement, VANTAA))] == D("472543.06")
    assert agreement.amendments[0]["shares"] == facts["shares"]  # later accessions change nothing


@pytest.mark.parametrize("decision, code", [
    ({"kind": "extension"}, "decision_required"),
    ({"passed": False}, "decision_required"),
    ({"subject": {"total": "2200000.00"}}, "decision_required"),
    ({"subject": {"amendment": True, "total": "2000000.00"}}, "decision_required"),
    ({"decided_on": date(2022, 12, 20)}, "decision_required"),
])
def test_an_amendment_needs_a_passed_decision_that_decides_it(decision: dict[str, Any], code: str) -> None:
    agreement = build(DIGIONE)
    subject = decision.pop("subject", {"amendment": True})
    ref = amendment_decision(agreement, **decision, **subject)
    refused(code, amend, agreement, "2200000.00", TWO_TRANCHES, decision=ref)
    assert agreement.amendments == ()


def test_a_decision_naming_the_total_authorises_one_amendment() -> None:
    agreement = build(DIGIONE)
    ref = amendment_decision(agreement, kind="other", amendment=True, total="2200000")
    amend(agreement, "2200000.00", TWO_TRANCHES, decision=ref)
    refused("decision_already_used", amend, agreement, "2200000.00", TWO_TRANCHES, decision=ref)
    refused("decision_required", plan_proposal, agreement, decision=None, cites_decision=True,
            dated_on=date(2022, 12, 19), total=D("1.00"), parties=None, instalments=TWO_TRANCHES)


@pytest.mark.parametrize("total, instalments, signed_on, code", [
    ("0.00", TWO_TRANCHES, date(2022, 12, 19), "invalid_amount"),
    ("100.00", [], date(2022, 12, 19), "invalid_instalments"),
    ("100.00", [{"issue_on": date(2023, 1, 13), "share": "1/2"}], date(2022, 12, 19), "invalid_instalments"),
    ("100.00", [{"issue_on": date(2022, 12, 1), "share": "1"}], date(2022, 12, 19), "invalid_instalments"),
    ("100.00", [{"issue_on": date(2028, 1, 3), "share": "1"}], date(2022, 12, 19), "invalid_instalments"),
    ("100.00", [{"issue_on": date(2023, 1, 13), "share": "1", "requires_release": "yes"}],
     date(2022, 12, 19), "invalid_instalments"),
    ("100.00", TWO_TRANCHES, date(2020, 10, 1), "date_outside_term"),
    ("100.00", TWO_TRANCHES, date(2028, 1, 3), "agreement_not_in_force"),
])
def test_an_amendment_is_refused_on_bad_terms(total: str, instalments: list[dict[str, Any]], signed_on: date,
                                             code: str) -> None:
    """Amendment instalments run from the signing to the end of the term (2027-12-31), shares summing to 1."""
    agreement = build(DIGIONE)
    refused(code, amend, agreement, total, instalments, signed_on=signed_on,
            decision=amendment_decision(agreement, decided_on=date(2020, 11, 1)))


# Exit settlement ---------------------------------------------------------------------------------

def test_digione_exit_at_the_checkpoint_by_hand() -> None:
    """R-FUND-6: Espoo (30,000 of 134,000 pupils) leaves at the 2024-04-30 checkpoint.

    Accrued 1,340,000.00 is 10.00 a pupil: 300,000.00. Wind-down 134,000.01 is 1.00 a pupil and one cent
    over, which goes to the largest remainder, Espoo's (30,000/134,000 of a cent): 30,000.01. The
    amendment of 1,340,000.00 gives Espoo 300,000.00 in thirds of 100,000.00: 2024-01-12 is billed before
    the checkpoint, 2025-01-10 (released 2024-03-01) is a fee, 2026-01-09 is not released: pending.
    Total 300,000.00 + 30,000.01 + 100,000.00 = 430,000.01.
    """
    agreement = build(DIGIONE)
    amend(agreement, "1340000.00", [{"issue_on": date(2024, 1, 12), "share": "1/3"},
                                    {"issue_on": date(2025, 1, 10), "share": "1/3", "requires_release": True},
                                    {"issue_on": date(2026, 1, 9), "share": "1/3", "requires_release": True}],
          signed_on=date(2023, 6, 1))
    release(agreement, 5, date(2024, 3, 1))
    settlement = exit_settlement(agreement, pid(agreement, ESPOO), checkpoint=date(2024, 4, 30),
                                 accrued_costs=D("1340000.00"), wind_down_costs=D("134000.01"))
    assert {k: settlement[k] for k in ("accrued_costs_share", "wind_down_costs_share", "fees", "total",
                                       "pending_tranches", "commitment_ends_on", "key_share")} == {
        "accrued_costs_share": "300000.00", "wind_down_costs_share": "30000.01", "fees": "100000.00",
        "total": "430000.01", "pending_tranches": "100000.00", "commitment_ends_on": "2027-12-31",
        "key_share": "15/67"}
    assert [(f["number"], f["issue_on"], f["amount"]) for f in settlement["fee_instalments"]] == [
        (5, "2025-01-10", "100000.00")]
    assert [p["number"] for p in settlement["pending_instalments"]] == [6]


def test_hirvensalmi_exit_shares_costs_by_its_fixed_key() -> None:
    """Seed 003's fixed key, ¾ and ¼ (R-ACC-5). 10,000.00 accrued: 2,500.00. 1,000.01 of
    wind-down is 100,001 cents: 75,000.75 and 25,000.25; the odd cent goes to the larger remainder,
    Mäntyharju's, so Hirvensalmi's is 250.00. No instalments: no fees. Total 2,750.00."""
    agreement = build(MANTYHARJU_HIRVENSALMI)
    settlement = exit_settlement(agreement, pid(agreement, "0164384-1"), checkpoint=date(2026, 6, 30),
                                 accrued_costs=D("10000.00"), wind_down_costs=D("1000.01"))
    assert (settlement["accrued_costs_share"], settlement["wind_down_costs_share"], settlement["fees"],
            settlement["total"]) == ("2500.00", "250.00", "0.00", "2750.00")


def test_the_settlement_key_counts_the_parties_at_the_checkpoint() -> None:
    """Lyhty's key is the cost shares. Turku UAS (5,000) left on 2026-10-15, before the checkpoint; Kela
    (25,000) leaves on it, 2026-11-01. 825,000 - 5,000 = 820,000 of weight: Kela's share of 82,000.00
    accrued is 2,500.00. Neither withdrawal has been swept: the notices' effective dates count."""
    agreement = build(LYHTY)
    assert agreement.give_notice(pid(agreement, TURKU_UAS), given_on=date(2026, 1, 15),
                                 ground="organisation_changed") == date(2026, 10, 15)
    assert agreement.give_notice(pid(agreement, KELA), given_on=date(2026, 8, 1),
                                 ground="organisation_changed") == date(2026, 11, 1)
    settlement = exit_settlement(agreement, pid(agreement, KELA), checkpoint=date(2026, 11, 1),
                                 accrued_costs=D("82000.00"), wind_down_costs=D("0.00"))
    assert (settlement["accrued_costs_share"], settlement["total"]) == ("2500.00", "2500.00")
    refused("party_not_active", exit_settlement, agreement, pid(agreement, TURKU_UAS),
            checkpoint=date(2026, 11, 1), accrued_costs=ZERO, wind_down_costs=ZERO)


def test_lyhty_exit_owes_the_instalments_after_the_checkpoint() -> None:
    """Kela (25,000 in halves) leaving 2025-12-31 is still bound to the 2026-01-15 half: 12,500.00."""
    agreement = build(LYHTY)
    settlement = exit_settlement(agreement, pid(agreement, KELA), checkpoint=date(2025, 12, 31),
                                 accrued_costs=ZERO, wind_down_costs=ZERO)
    assert (settlement["fees"], settlement["total"]) == ("12500.00", "12500.00")


def test_the_commitment_runs_to_the_term_end_or_a_year_after_joining_if_later() -> None:
    """R-TERM-1, R-TERM-3: Lyhty ends 2026-12-31; a party joining 2026-06-01 is bound to 2027-06-01."""
    agreement = build(LYHTY)
    assert commitment_ends_on(agreement, agreement.party(pid(agreement, KELA))) == date(2026, 12, 31)
    agreement.accede(name="Turun yliopisto", business_id=TURUN_YLIOPISTO, signed_on=date(2026, 6, 1),
                     category="university")
    late = agreement.party(pid(agreement, TURUN_YLIOPISTO))
    assert commitment_ends_on(agreement, late) == date(2027, 6, 1)


@pytest.mark.parametrize("who, checkpoint, accrued, code", [
    ("2574261-7", date(2026, 6, 1), "0.00", "coordinator_cannot_leave"),
    (KELA, date(2025, 8, 31), "0.00", "date_before_accession"),
    (KELA, date(2027, 1, 1), "0.00", "date_outside_term"),
    (KELA, date(2026, 6, 1), "-1.00", "invalid_amount"),
])
def test_an_exit_settlement_is_refused_on_bad_input(who: str, checkpoint: date, accrued: str, code: str) -> None:
    agreement = build(LYHTY)
    refused(code, exit_settlement, agreement, pid(agreement, who), checkpoint=checkpoint,
            accrued_costs=D(accrued), wind_down_costs=ZERO)


# Signed by every party; ceilings (R-FUND-5) ------------------------------------------------------------

def test_a_pending_amendment_commits_and_invoices_nothing_until_the_last_signature() -> None:
    """Seed 002: an amendment binds only when every party has signed it, on the last signature's date."""
    agreement = build(DIGIONE)
    facts = amend(agreement, "2200000.00", TWO_TRANCHES, sign=False)
    assert agreement.committed() == D("6700000.00") and agreement.amendment_commitments() == {}
    assert billed(agreement, date(2023, 6, 1), ESPOO)[-1] == ([3], D("500000.00"))  # no instalment 4
    refused("invalid_subject", check_release, agreement, {"instalment": 5}, date(2023, 2, 1))
    *first, last = facts["signatories"]
    for pid_text in first:
        agreement.amendment_signed(**check_signature(agreement, 1, UUID(pid_text), date(2022, 12, 19), "§ 1"))
    assert agreement.amendments[0]["signed_on"] is None
    agreement.amendment_signed(**check_signature(agreement, 1, UUID(last), date(2023, 2, 1), "§ 2"))
    assert agreement.amendments[0]["signed_on"] == date(2023, 2, 1)
    assert (agreement.committed(date(2023, 1, 31)), agreement.committed(date(2023, 2, 1))) == (
        D("6700000.00"), D("8900000.00"))
    # Instalment 4 is dated 2023-01-13 but binds from 2023-02-01: the first run from then invoices it.
    assert billed(agreement, date(2023, 1, 31), ESPOO)[-1] == ([3], D("500000.00"))
    assert billed(agreement, date(2023, 2, 1), ESPOO)[-1] == ([4], D("246268.66"))


def test_a_portion_is_split_by_the_shares_of_the_ceiling_and_never_passes_it() -> None:
    """A ceiling of 100.00, Vantaa 1/3 of it (33.33 stated) and Espoo 66.67: a portion of 10.00 gives
    Vantaa 3.333 → 3.33 and Espoo 6.667 → 6.67; 90.01 more is refused; the last 90.00 gives each exactly
    what is left of its own (30.00 and 60.00)."""
    agreement = build(DIGIONE)
    vantaa, espoo = pid(agreement, VANTAA), pid(agreement, ESPOO)
    facts = plan_proposal(agreement, decision=None, cites_decision=False, dated_on=date(2023, 6, 1), total=None,
                          parties=[(vantaa, D("33.33")), (espoo, D("66.67"))], instalments=[], ceiling=True)
    agreement.amendment_proposed(**facts)
    refused("amendment_not_binding", plan_portion, agreement, {"amendment": 1, "total": "10.00"}, date(2024, 1, 1))
    for party in facts["signatories"]:
        agreement.amendment_signed(**check_signature(agreement, 1, UUID(party), date(2023, 6, 30), "§ 3"))
    portion = plan_portion(agreement, {"amendment": 1, "total": "10.00"}, date(2024, 1, 15))
    assert (portion["number"], portion["shares"][str(vantaa)], portion["shares"][str(espoo)]) == (
        4, D("3.33"), D("6.67"))
    agreement.portion_released(**portion, decision_id=uuid4())
    assert agreement.ceilings() == (D("100.00"), D("10.00"))
    assert agreement.committed() == D("6700010.00")  # the fees, 6,700,000.00, and the portion released
    refused("ceiling_exceeded", plan_portion, agreement, {"amendment": 1, "total": "90.01"}, date(2025, 1, 15))
    last = plan_portion(agreement, {"amendment": 1, "total": "90.00"}, date(2025, 1, 15))
    assert (last["shares"][str(vantaa)], last["shares"][str(espoo)]) == (D("30.00"), D("60.00"))


def test_an_amendment_recorded_as_funding_amended_still_binds_as_signed() -> None:
    """Histories written before amendments were signed party by party hold FundingAmended: binding on its
    signed_on, also as restored from a snapshot that lacks the newer keys (status, dated_on, signatures)."""
    agreement = build(DIGIONE)
    espoo = pid(agreement, ESPOO)
    agreement.funding_amended(amendment=1, decision_id=uuid4(), signed_on=date(2022, 12, 19), total=D("100.00"),
                              shares={str(espoo): D("100.00")},
                              instalments=[{"number": 4, "issue_on": date(2023, 1, 13), "share": "1",
                                            "requires_release": False}])
    old = {k: v for k, v in agreement.amendments[0].items() if k not in ("status", "dated_on")}
    agreement.amendments = (old,)  # as an old snapshot restores it
    assert (agreement.committed(date(2022, 12, 18)), agreement.committed(date(2022, 12, 19))) == (
        D("6700000.00"), D("6700100.00"))
    assert billed(agreement, date(2023, 1, 13), ESPOO)[-1] == ([4], D("100.00"))
    refused("amendment_already_binding", check_signature, agreement, 1, espoo, date(2023, 1, 2), "§ 4")
    facts = plan_proposal(agreement, decision=None, cites_decision=False, dated_on=date(2023, 6, 1),
                          total=D("10.00"), parties=None, instalments=[{"issue_on": date(2024, 1, 12), "share": "1"}])
    assert (facts["amendment"], facts["instalments"][0]["number"]) == (2, 5)
