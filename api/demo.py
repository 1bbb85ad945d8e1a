"""The three reference agreements of the seed documents, as example data (`ledger demo`).

Business ids are the organisations' real ones. Budgets, pupil counts and populations are rounded,
plausible figures chosen so that the shares reproduce the seeds' totals exactly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.kernel.idempotency import Idempotency
from domain.application import Ledger
from domain.kernel.money import money, split
from domain.kernel.identifiers import agreement_id

_BANDS = [{"up_to": "999999999.99", "amount": "10000.00"},
          {"up_to": "2000000000.00", "amount": "20000.00"},
          {"up_to": None, "amount": "25000.00"}]

LYHTY: dict[str, Any] = {
    "agreement": {
        "code": "LYHTY", "title": "Julkisen hallinnon lisenssienhallinnan yhteistyöverkosto (Lyhty)",
        "coordinator": {"name": "Valtion tieto- ja viestintätekniikkakeskus Valtori",
                        "business_id": "2574261-7", "is_party": True, "category": "state"},
        "signed_on": date(2025, 6, 25), "starts_on": date(2025, 9, 1), "ends_on": date(2026, 12, 31),
        "cost_sharing": {"model": "fixed_by_category", "categories": {
            "state": "400000.00", "municipalities": "300000.00", "kela": "25000.00",
            "wellbeing_services_county": _BANDS, "largest_city": _BANDS,
            "university": "10000.00", "university_of_applied_sciences": "5000.00"}},
        "instalments": [{"issue_on": date(2025, 9, 1), "share": "1/2"},
                        {"issue_on": date(2026, 1, 15), "share": "1/2"}],
        "terms": {},
    },
    # The founding parties sign in the summer, before the term starts (R-ACC-1); they take part from
    # 2025-09-01 all the same.
    "parties": [
        ("Suomen Kuntaliitto ry", "0926151-4", date(2025, 6, 25), "municipalities", None),
        ("Kansaneläkelaitos", "0246246-0", date(2025, 6, 30), "kela", None),
        ("Helsingin kaupunki", "0201256-6", date(2025, 8, 20), "largest_city", "5600000000"),
        ("Pohjois-Pohjanmaan hyvinvointialue", "3221326-2", date(2025, 8, 26),
         "wellbeing_services_county", "2100000000"),
        ("Keski-Suomen hyvinvointialue", "3221318-2", date(2025, 8, 28),
         "wellbeing_services_county", "1260000000"),
        ("Pohjois-Karjalan hyvinvointialue", "3221317-4", date(2025, 9, 1),
         "wellbeing_services_county", "890000000"),
        ("Helsingin yliopisto", "0313471-7", date(2025, 8, 14), "university", None),
        ("Haaga-Helia Oy Ab", "2029188-8", date(2025, 9, 1), "university_of_applied_sciences", None),
        ("Turun Ammattikorkeakoulu Oy", "2528160-3", date(2025, 10, 15),
         "university_of_applied_sciences", None),
    ],
}

# 5,400,000.00 over the forerunners' 108,000 pupils is 50.00 a pupil; Lahti and Jyväskylä join
# later at the same rate with 26,000 pupils, 1,300,000.00, bringing the total to 6,700,000.00.
# Vantaa's 25,440 pupils give its accession fee of seed 002, 1,272,000.00.
DIGIONE: dict[str, Any] = {
    "agreement": {
        "code": "DIGIONE", "title": "DigiOne-yhteistyösopimus",
        "coordinator": {"name": "Vantaan kaupunki", "business_id": "0124610-9", "is_party": True,
                        "metric": 25440},
        "starts_on": date(2020, 11, 1), "ends_on": date(2027, 12, 31),
        "cost_sharing": {"model": "proportional", "metric": "pupils", "total": "5400000.00"},
        "instalments": [{"issue_on": date(2021, 1, 15), "share": "1/3"},
                        {"issue_on": date(2022, 1, 14), "share": "1/3"},
                        {"issue_on": date(2023, 1, 13), "share": "1/3"}],
        "terms": {},
    },
    "parties": [
        ("Espoon kaupunki", "0101263-6", date(2020, 11, 1), None, 30000),
        ("Tampereen kaupunki", "0211675-2", date(2020, 11, 1), None, 19000),
        ("Oulun kaupunki", "0187690-1", date(2020, 11, 1), None, 18000),
        ("Turun kaupunki", "0204819-8", date(2020, 11, 1), None, 15560),
        ("Lahden kaupunki", "0149669-3", date(2021, 9, 1), None, 11000),
        ("Jyväskylän kaupunki", "0174666-4", date(2021, 9, 1), None, 15000),
    ],
}

# Shared ICT costs by a fixed key, MH three quarters and HS one quarter (seed 003, R-ACC-5); Mäntyharju
# hosts and coordinates, and its part is its own cost. Hirvensalmi buys its 20 devices itself (outside
# the ledger's shared costs) and pays all travel costs.
MANTYHARJU_HIRVENSALMI: dict[str, Any] = {
    "agreement": {
        "code": "MH-HS-ICT", "title": "Kuntien välinen ICT-yhteistyö Mäntyharju – Hirvensalmi",
        "coordinator": {"name": "Mäntyharjun kunta", "business_id": "0165761-0", "is_party": True,
                        "key": "3/4"},
        "starts_on": date(2025, 9, 1), "ends_on": date(2028, 12, 31),
        "cost_sharing": {"model": "fixed_key"},
        "instalments": [],
        "terms": {"recharge_period": "quarter"},
    },
    "parties": [("Hirvensalmen kunta", "0164384-1", date(2025, 9, 1), None, None)],
    "keys": {"0164384-1": "1/4"},
}

# Lyhty's steering group as seed 000 §8.1 composes it: a seat per sector, each member with a personal
# deputy, and two Ministry of Finance experts with the right to speak. The Lutheran church's seat waits
# for its accession: a seat represents parties.
LYHTY_SEATS = [
    ("state", "Valtionhallinto (Valtori)", ["2574261-7"]),
    ("largest_cities", "Suurimpien kuntien edustaja", ["0201256-6"]),
    ("municipalities", "Kuntaliitto edustaa muita kuntia", ["0926151-4"]),
    ("wellbeing_services_counties", "Kahden hyvinvointialueen edustaja", ["3221326-2", "3221318-2", "3221317-4"]),
    ("kela", "Kansaneläkelaitos", ["0246246-0"]),
    ("universities", "Korkeakoululaitoksen edustaja", ["0313471-7"]),
    ("universities_of_applied_sciences", "Ammattikorkeakoulujen edustaja", ["2029188-8", "2528160-3"]),
]
LYHTY_EXPERTS = [{"code": "vm-1", "organisation": "Valtiovarainministeriö"},
                 {"code": "vm-2", "organisation": "Valtiovarainministeriö"}]

DEMO = (LYHTY, DIGIONE, MANTYHARJU_HIRVENSALMI)


def load_demo(ledger: Ledger, *, as_of: date | None = None) -> dict[str, UUID]:
    """Load the reference agreements; what is already there is left as it is.

    With ``as_of``, also book Mäntyharju–Hirvensalmi's costs of 2025-Q4 (the shared staff cost and
    Hirvensalmi's own travel) and run the invoicing and recharge runs as of that date, so the demo has
    invoices to look at.
    """
    ids: dict[str, UUID] = {}
    for seed in DEMO:
        spec = seed["agreement"]
        aid = agreement_id(spec["code"])
        if not ledger.exists(aid):
            ledger.create_agreement(**spec)
        for name, bid, signed_on, category, metric in seed["parties"]:
            if not ledger.list_parties(aid, limit=1, business_id=bid):
                ledger.accede(aid, name=name, business_id=bid, signed_on=signed_on,
                              category=category, metric=metric, key=seed.get("keys", {}).get(bid))
        ids[spec["code"]] = aid
    _seat_lyhty(ledger, ids["LYHTY"])
    if as_of is not None:
        _money(ledger, ids, as_of)
    return ids


def _seat_lyhty(ledger: Ledger, lyhty: UUID) -> None:
    """Seat Lyhty's steering group once, from the term's start (R-GOV-1, R-GOV-2)."""
    if ledger.get_steering_group(lyhty, as_of=LYHTY["agreement"]["starts_on"])["composed"]:
        return
    parties = {p["business_id"]: p["party_id"] for p in ledger.list_parties(lyhty, limit=500)}
    seats = [{"code": code, "sector": sector, "parties": [parties[bid] for bid in bids], "deputy": True}
             for code, sector, bids in LYHTY_SEATS]
    ledger.compose_steering_group(lyhty, effective_on=LYHTY["agreement"]["starts_on"], seats=seats,
                                  experts=LYHTY_EXPERTS)


def _money(ledger: Ledger, ids: dict[str, UUID], as_of: date) -> None:
    mh_hs = ids["MH-HS-ICT"]
    if as_of >= date(2025, 10, 31):
        once = Idempotency(scope="demo", key="mh-hs-staff-2025-q4", request_hash="demo")
        ledger.record_spending(mh_hs, amount="10000.00", booked_on=date(2025, 10, 31), category="staff",
                               description="Pilot staff costs, shared 3/4 : 1/4", idempotency=once)
    if as_of >= date(2025, 11, 14):
        hirvensalmi = UUID(str(ledger.list_parties(mh_hs, limit=1, business_id="0164384-1")[0]["party_id"]))
        travel = Idempotency(scope="demo", key="mh-hs-travel-2025-q4", request_hash="demo")
        ledger.record_spending(mh_hs, amount="480.00", booked_on=date(2025, 11, 14), category="travel",
                               description="Travel to Hirvensalmi, borne by Hirvensalmi (seed 003)",
                               borne_by=hirvensalmi, idempotency=travel)
    if as_of >= date(2025, 10, 31):
        ledger.run_recharges(mh_hs, as_of=as_of)
    if as_of >= DIGIONE_HISTORY_UNTIL:  # before the runs, which then bill the amendment's instalments too
        _digione_history(ledger, ids["DIGIONE"])
    for code in ("LYHTY", "DIGIONE"):
        ledger.run_invoicing(ids[code], as_of=as_of)


# Seed 002: the 2022 amendment (2,200,000.00, Vantaa 308,000.00) and the 2023 one (a ceiling of
# 11,823,621.00, Vantaa 2,128,252.00), each signed by every city on its own decision; the Business
# Finland grant for DigiOne2 (at most 1,287,000.00 and half of 2,570,000.00 eligible costs); and what
# Vantaa, the host, has paid of its commitments: 1,457,242.00 of 1,580,000.00, 122,758.00 unpaid. The
# seed gives Vantaa's amounts; the other cities' are split by pupils, largest remainder.
VANTAA = "0124610-9"
DIGIONE_HISTORY_UNTIL = date(2024, 6, 30)
AMENDMENTS = (
    {"key": "2022", "dated_on": date(2022, 12, 1), "signed_on": date(2022, 12, 19), "total": "2200000.00",
     "vantaa": "308000.00", "ceiling": False,
     "instalments": [{"issue_on": date(2023, 1, 13), "share": "1/2"}, {"issue_on": date(2024, 1, 15), "share": "1/2"}]},
    {"key": "2023", "dated_on": date(2023, 11, 1), "signed_on": date(2023, 12, 18), "total": "11823621.00",
     "vantaa": "2128252.00", "ceiling": True, "instalments": []},
)
VANTAA_PAID = ((date(2021, 1, 29), "424000.00"), (date(2022, 1, 28), "424000.00"), (date(2023, 1, 27), "424000.00"),
               (date(2023, 2, 10), "154000.00"), (date(2024, 2, 9), "31242.00"))


def _once(key: str) -> Idempotency:
    return Idempotency(scope="demo", key=key, request_hash="demo")


def _digione_history(ledger: Ledger, digione: UUID) -> None:
    """The amendments signed by all, Vantaa's own contributions and the grant, once each."""
    parties = ledger.list_parties(digione, limit=50)
    ids = {p["business_id"]: UUID(str(p["party_id"])) for p in parties}
    pupils = {ids[p["business_id"]]: Decimal(p["metric"]) for p in parties if p["business_id"] != VANTAA}
    for spec in AMENDMENTS:
        others = split(money(spec["total"]) - money(spec["vantaa"]), pupils, order=list(pupils))
        amounts = [(ids[VANTAA], spec["vantaa"]), *others.items()]
        made = ledger.amend_funding(digione, dated_on=spec["dated_on"], parties=amounts,
                                    instalments=spec["instalments"], ceiling=spec["ceiling"],
                                    idempotency=_once(f"digione-amendment-{spec['key']}"))
        for bid, pid in ids.items():
            ledger.sign_amendment(digione, made["amendment"], party_id=pid, signed_on=spec["signed_on"],
                                  decision_reference=f"Kaupunginhallitus {spec['signed_on'].isoformat()}",
                                  idempotency=_once(f"digione-{spec['key']}-signed-{bid}"))
    for paid_on, amount in VANTAA_PAID:
        ledger.book_own_contribution(digione, amount=amount, booked_on=paid_on,
                                     description="Vantaa's own share of its commitments",
                                     idempotency=_once(f"digione-vantaa-{paid_on.isoformat()}"))
    decision = ledger.record_decision(
        digione, decided_on=date(2024, 3, 12), kind="grant", subject={"maximum": "1287000.00"},
        present=list(ids.values()), votes=[{"party_id": pid, "vote": "for"} for pid in ids.values()],
        idempotency=_once("digione-grant-decision"))
    grant = ledger.accept_grant(digione, decision_id=UUID(decision["decision_id"]), funder="Business Finland Oy",
                                business_id=None, maximum="1287000.00", rate="1/2", eligible_costs="2570000.00",
                                idempotency=_once("digione-grant"))
    ledger.receive_grant_payment(digione, UUID(grant["grant_id"]), amount="600000.00",
                                 received_on=date(2024, 6, 28), idempotency=_once("digione-grant-paid"))

# The party whose demo token `make run` prints: Kela, a party to Lyhty.
DEMO_PARTY = "0246246-0"
