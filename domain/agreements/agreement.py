"""The Agreement aggregate: term, terms, cost-sharing model, the parties that accede and leave, and the
steering decisions that change membership, the term or the funding (R-AGR-1, R-ACC-*, R-TERM-*,
R-FUND-5, R-GOV-3). The rules of tranches and amendments are in ``domain.funding``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.agreements.cost_sharing import CostSharing, PartyBasis, parse_key, parse_metric
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.identifiers import agreement_id, party_id
from domain.kernel.identifiers import business_id as check_business_id
from domain.membership.rules import (LIVE_PARTY_STATUSES, DecisionRef, check_breach_notice, check_expulsion,
                                     check_notice, expulsion_possible_on, notice_effective_on)
from domain.membership.rules import status_on as party_status_on
from domain.kernel.memo import per_version
from domain.kernel.money import ZERO
from domain.records.retention import check_purge, ended_on
from domain.steering.seats import MAX_COMPOSITIONS, composition_on, parse_experts, parse_seats
from domain.agreements.terms import (Instalment, Terms, check_term, instalments_from_dicts,
                                     instalments_to_dicts)

MAX_PARTIES = 500
MAX_CONTRIBUTIONS = 500  # the coordinator's own contributions booked on one agreement
MAX_TRANSFERS = 1_000  # transfers from the invoicing operator to the host on one agreement
MAX_KEY_UPDATES = 100  # per party: a half-year's re-split for fifty years
MAX_NAME_CHARS = 200
MAX_TITLE_CHARS = 300
LIVE_STATUSES = ("in_force", "extended")


def text(value: Any, what: str, max_chars: int) -> str:
    """A required, trimmed text of bounded length."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise InvalidInput(f"{what} must be 1 to {max_chars} characters", code="invalid_text")
    return value.strip()


class Agreement(Aggregate):
    """A cooperation agreement; its id follows from its code, so a code names one agreement only."""

    # Defaults for state restored from snapshots taken before these attributes existed.
    signed_on: date | None = None  # None: signed on the day its term starts (agreements created before it was kept)
    dissolved_on: date | None = None
    purged_on: date | None = None
    purge_retention_ends_on: date | None = None  # the retention end the purge was allowed by
    extended_on: date | None = None
    minutes: tuple[tuple[UUID, str, bool, date], ...] = ()
    releases: tuple[tuple[int, date, UUID], ...] = ()  # (instalment, released_on, decision_id)
    amendments: tuple[dict[str, Any], ...] = ()
    contributions: tuple[tuple[date, Decimal], ...] = ()  # the coordinator's own (booked_on, amount)
    compositions: tuple[dict[str, Any], ...] = ()  # the steering group's, by the day each took effect
    invoicer: dict[str, str] | None = None  # who invoices the shares, if not the coordinator (an operator)
    transfers: tuple[tuple[date, Decimal], ...] = ()  # from the invoicer to the host (transferred_on, amount)

    @staticmethod
    def create_id(code: str) -> UUID:
        return agreement_id(code)

    @classmethod
    def open(cls, *, code: str, title: str, coordinator: dict[str, Any], starts_on: date, ends_on: date,
             cost_sharing: dict[str, Any], instalments: list[dict[str, Any]],
             terms: dict[str, Any] | None, signed_on: date | None = None,
             invoicer: dict[str, Any] | None = None) -> Agreement:
        """Validate and sign a new agreement; a coordinator that funds the work joins as a party, signing
        with the agreement. ``signed_on`` (default: the term's start) may come before the term starts.
        ``invoicer`` names an operator that invoices the shares and pays the host what it collects
        (DigiOne: the cities pay their accession fees to Tiera, which pays Vantaa); by default the
        coordinator invoices and holds the funds itself."""
        check_term(starts_on, ends_on)
        if signed_on is not None and signed_on > ends_on:
            raise InvalidInput(f"the agreement cannot be signed on {signed_on}, after its term ends on {ends_on}",
                               code="invalid_term")
        model = CostSharing.from_dict(cost_sharing)
        plan = instalments_from_dicts(instalments, starts_on, ends_on)
        agreement = cls(
            code=code, title=text(title, "title", MAX_TITLE_CHARS),
            coordinator={"name": text(coordinator.get("name"), "coordinator name", MAX_NAME_CHARS),
                         "business_id": check_business_id(coordinator.get("business_id", ""))},
            starts_on=starts_on, ends_on=ends_on, currency="EUR", cost_sharing=model.to_dict(),
            instalments=instalments_to_dicts(plan), terms=Terms.from_dict(terms).to_dict(),
            signed_on=signed_on, invoicer=None if invoicer is None else {
                "name": text(invoicer.get("name"), "invoicer name", MAX_NAME_CHARS),
                "business_id": check_business_id(invoicer.get("business_id", ""))},
        )
        if coordinator.get("is_party"):
            agreement.accede(name=agreement.coordinator["name"],
                             business_id=agreement.coordinator["business_id"], signed_on=agreement.signed,
                             category=coordinator.get("category"), metric=coordinator.get("metric"),
                             key=coordinator.get("key"), is_coordinator=True)
        return agreement

    @event("Created")
    def __init__(self, *, code: str, title: str, coordinator: dict[str, str], starts_on: date,
                 ends_on: date, currency: str, cost_sharing: dict[str, Any],
                 instalments: list[dict[str, Any]], terms: dict[str, Any], signed_on: date | None = None,
                 invoicer: dict[str, str] | None = None) -> None:
        self.code = code
        self.signed_on = signed_on
        self.invoicer = invoicer
        self.title = title
        self.coordinator = coordinator
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.currency = currency
        self.cost_sharing = cost_sharing
        self.instalments = instalments
        self.terms = terms
        self.status = "in_force"
        self.parties: dict[str, dict[str, Any]] = {}
        self.accessions = 0

    # Commands -------------------------------------------------------------------------------

    def accede(self, *, name: str, business_id: str, signed_on: date, category: str | None = None,
               metric: Any = None, key: Any = None, is_coordinator: bool = False) -> UUID:
        """A party signs its accession agreement and gets the next annex number (R-ACC-1).

        The agreement enters into force for a party when it signs (seed 000 §6), so it may sign before
        the term starts, from the agreement's own signing; its participation counts from the later of
        its signing and the term's start (``joined_on``)."""
        name = text(name, "party name", MAX_NAME_CHARS)
        bid = check_business_id(business_id)
        metric_value = None if metric is None else parse_metric(metric)
        key_value = None if key is None else parse_key(key)
        if category is not None:
            category = text(category, "category", 64)
        self.check_in_force()
        self.check_may_sign(signed_on)
        pid = party_id(self.id, bid)
        if str(pid) in self.parties:
            raise Conflict(f"{bid} is already a party to {self.code}", code="party_already_acceded")
        if len(self.parties) >= MAX_PARTIES:
            raise Conflict(f"an agreement has at most {MAX_PARTIES} parties", code="too_many_parties")
        self.model.check_party(category, metric_value)
        self.check_fixed_key(key_value, signed_on, None)
        annex = None if is_coordinator else f"1.{self.accessions + 1}"
        self.party_acceded(party_id=pid, name=name, business_id=bid, annex=annex, signed_on=signed_on,
                           category=category, metric=metric_value, is_coordinator=is_coordinator,
                           key=None if key_value is None else str(key_value))
        return pid

    @event("PartyAcceded")
    def party_acceded(self, *, party_id: UUID, name: str, business_id: str, annex: str | None,
                      signed_on: date, category: str | None, metric: Decimal | None,
                      is_coordinator: bool, key: str | None = None) -> None:
        self.parties[str(party_id)] = {
            "party_id": party_id, "name": name, "business_id": business_id, "annex": annex,
            "category": category, "metric": metric, "signed_on": signed_on,
            "joined_on": max(signed_on, self.starts_on), "status": "active",
            "left_on": None, "is_coordinator": is_coordinator, "notice": None, "breach_notices": [],
            "key": key, "key_updates": [],
        }
        if annex is not None:
            self.accessions += 1

    # Keys that change over time (R-ACC-5) -------------------------------------------------------

    def update_key(self, pid: UUID, *, value: Any, effective_on: date, decision: DecisionRef | None) -> str:
        """A party's metric (a key-only proportional model) or fixed key (fixed_key) from a day on, the
        first day of a recharge period where the agreement recharges by period; earlier periods keep
        the key they had. Returns what changed: "metric" or "key"."""
        party = self.party(pid)
        self.check_in_force()
        what = self.model.key_changes
        if what is None:
            raise Conflict(f"the cost shares of {self.code} were committed at accession (R-ACC-2); a new fee "
                           "is an amendment (R-FUND-5)", code="key_fixed_by_commitment")
        parsed: Any = parse_metric(value) if what == "metric" else parse_key(value)
        if what == "metric":
            self.model.check_party(party["category"], parsed)
        if not party["joined_on"] < effective_on <= self.ends_on:
            raise InvalidInput(f"{effective_on} is not after {party['name']} joined on {party['joined_on']} and "
                               f"within the term ending on {self.ends_on}", code="date_outside_term")
        kind = self.rules.recharge_period
        if kind != "none" and period_start(effective_on, kind) != effective_on:
            raise InvalidInput(f"a key applies from the start of a recharge period ({kind}); {effective_on} is "
                               f"within one, which starts on {period_start(effective_on, kind)}",
                               code="key_update_mid_period")
        updates = party.get("key_updates") or []
        if updates and effective_on <= updates[-1]["effective_on"]:
            raise Conflict(f"{party['name']}'s key was updated from {updates[-1]['effective_on']}; a new update "
                           "takes effect after it", code="key_update_out_of_order")
        if len(updates) >= MAX_KEY_UPDATES:
            raise Conflict(f"at most {MAX_KEY_UPDATES} key updates per party", code="too_many_key_updates")
        if party_status_on(party, effective_on) not in LIVE_PARTY_STATUSES:
            raise Conflict(f"{party['name']} has left by {effective_on}", code="party_not_active")
        if decision is not None and (decision.agreement_id != self.id or not decision.passed
                                     or decision.decided_on > effective_on):
            raise Conflict("the decision cited must be a passed decision of this agreement taken on or "
                           "before the day the key applies from", code="decision_required")
        if what == "key":
            self.check_fixed_key(parsed, effective_on, pid)
        self.party_metric_updated(party_id=pid, metric=parsed if what == "metric" else None,
                                  key=str(parsed) if what == "key" else None, effective_on=effective_on,
                                  decision_id=None if decision is None else decision.decision_id)
        return what

    @event("PartyMetricUpdated")
    def party_metric_updated(self, *, party_id: UUID, metric: Decimal | None, key: str | None,
                             effective_on: date, decision_id: UUID | None) -> None:
        party = self.parties[str(party_id)]
        party["key_updates"] = [*(party.get("key_updates") or []), {
            "effective_on": effective_on, "metric": metric, "key": key, "decision_id": decision_id}]

    def check_fixed_key(self, key: Fraction | None, day: date, replacing: UUID | None) -> None:
        """A fixed-key agreement needs a key from every party, and the keys of the parties live on a day
        sum to at most 1 (R-ACC-5)."""
        if self.model.key_changes != "key":
            if key is not None:
                raise InvalidInput(f"{self.code} does not share costs by fixed keys", code="invalid_key")
            return
        if key is None:
            raise InvalidInput("this agreement shares costs by fixed keys: give the party's key, like \"1/4\"",
                               code="key_required")
        others = [p for p in self.parties_in_order() if p["party_id"] != replacing
                  and party_status_on(p, day) in LIVE_PARTY_STATUSES]
        total = sum((key_on(p, day) or Fraction(0) for p in others), Fraction(0)) + key
        if total > 1:
            raise Conflict(f"the live parties' keys would sum to {total} on {day}, more than 1",
                           code="key_exceeds_whole", extra={"key_sum": str(total)})

    # Membership (R-TERM-1 .. R-TERM-5) -------------------------------------------------------

    def give_notice(self, pid: UUID, *, given_on: date, ground: str) -> date:
        """A party gives notice on a ground of R-TERM-2; returns the date it takes effect."""
        party = self.party(pid)
        self.check_live_on(given_on)
        check_notice(self.parties_in_order(), party, given_on, ground)
        effective_on = notice_effective_on(party["joined_on"], given_on, self.rules)
        self.notice_given(party_id=pid, given_on=given_on, ground=ground, effective_on=effective_on)
        return effective_on

    @event("NoticeGiven")
    def notice_given(self, *, party_id: UUID, given_on: date, ground: str, effective_on: date) -> None:
        party = self.parties[str(party_id)]
        party["notice"] = {"given_on": given_on, "ground": ground, "effective_on": effective_on}
        party["status"] = "notice_given"

    def withdraw_due(self, as_of: date) -> int:
        """Record the withdrawal of every party whose notice has taken effect by ``as_of``."""
        due = [p for p in self.parties_in_order()
               if p["status"] == "notice_given" and p["notice"]["effective_on"] <= as_of]
        for party in due:
            self.party_withdrew(party_id=party["party_id"], left_on=party["notice"]["effective_on"])
        return len(due)

    @event("PartyWithdrew")
    def party_withdrew(self, *, party_id: UUID, left_on: date) -> None:
        party = self.parties[str(party_id)]
        party["status"] = "withdrawn"
        party["left_on"] = left_on

    # The checks and the settlement are in ``domain.funding.exits`` (R-FUND-6); this records the leaving.
    @event("PartyExitedAtCheckpoint")
    def party_exited_at_checkpoint(self, *, party_id: UUID, left_on: date, confirmed_on: date) -> None:
        party = self.parties[str(party_id)]
        party["status"] = "withdrawn"
        party["left_on"] = left_on
        party["exited_on"] = left_on

    def give_breach_notice(self, pid: UUID, *, given_on: date, description: str) -> date:
        """Written notice of a material breach (R-TERM-4); returns the first day expulsion is possible."""
        party = self.party(pid)
        self.check_live_on(given_on)
        check_breach_notice(party, given_on, description)
        possible_on = expulsion_possible_on(given_on, self.rules)
        self.breach_notice_given(party_id=pid, given_on=given_on, description=description.strip(),
                                 expulsion_possible_on=possible_on)
        return possible_on

    @event("BreachNoticeGiven")
    def breach_notice_given(self, *, party_id: UUID, given_on: date, description: str,
                            expulsion_possible_on: date) -> None:
        self.parties[str(party_id)].setdefault("breach_notices", []).append(
            {"given_on": given_on, "expulsion_possible_on": expulsion_possible_on})

    def expel(self, pid: UUID, *, decided_on: date, decision: DecisionRef | None) -> None:
        """Expel a party after the cure period, on a passed steering decision (R-TERM-4)."""
        party = self.party(pid)
        self.check_live_on(decided_on)
        if decision is not None and decision.agreement_id != self.id:
            decision = None  # a decision of another agreement does not authorise anything here
        check_expulsion(party, decided_on, decision)
        assert decision is not None
        self.party_expelled(party_id=pid, expelled_on=decided_on, decision_id=decision.decision_id)

    @event("PartyExpelled")
    def party_expelled(self, *, party_id: UUID, expelled_on: date, decision_id: UUID) -> None:
        party = self.parties[str(party_id)]
        party["status"] = "expelled"
        party["left_on"] = expelled_on
        party["expelled_by"] = decision_id

    # Steering decisions (R-GOV-3) ------------------------------------------------------------

    def minute_decision(self, *, decision_id: UUID, kind: str, passed: bool, decided_on: date,
                        new_ends_on: date | None = None, release: int | None = None,
                        portion: dict[str, Any] | None = None) -> None:
        """Enter a decision in the minutes; a passed extension, dissolution or tranche release (of an
        instalment, or of a ceiling's portion: ``portion``, planned by ``domain.funding.amendments``)
        takes effect with it."""
        self.decision_recorded(decision_id=decision_id, number=len(self.minutes) + 1, kind=kind,
                               passed=passed, decided_on=decided_on)
        if passed and kind == "extension":
            assert new_ends_on is not None and new_ends_on > self.ends_on
            self.term_extended(previous_ends_on=self.ends_on, new_ends_on=new_ends_on,
                               decided_on=decided_on, decision_id=decision_id)
        elif passed and kind == "dissolution":
            self.cooperation_dissolved(dissolved_on=decided_on, decision_id=decision_id)
        elif passed and kind == "tranche_release" and portion is not None:
            self.portion_released(**portion, decision_id=decision_id)
        elif passed and kind == "tranche_release" and release is not None:  # not a portion released per party
            assert all(r[0] != release for r in self.releases)
            self.tranche_released(instalment=release, decision_id=decision_id, released_on=decided_on)

    @event("DecisionRecorded")
    def decision_recorded(self, *, decision_id: UUID, number: int, kind: str, passed: bool,
                          decided_on: date) -> None:
        self.minutes = (*self.minutes, (decision_id, kind, passed, decided_on))

    @event("TermExtended")
    def term_extended(self, *, previous_ends_on: date, new_ends_on: date, decided_on: date,
                      decision_id: UUID) -> None:
        self.ends_on = new_ends_on
        self.status = "extended"
        self.extended_on = self.extended_on or decided_on

    @event("CooperationDissolved")
    def cooperation_dissolved(self, *, dissolved_on: date, decision_id: UUID) -> None:
        self.status = "dissolved"
        self.dissolved_on = dissolved_on

    @event("TrancheReleased")
    def tranche_released(self, *, instalment: int, decision_id: UUID, released_on: date) -> None:
        self.releases = (*self.releases, (instalment, released_on, decision_id))

    @event("FundingAmended")
    def funding_amended(self, *, amendment: int, decision_id: UUID, signed_on: date, total: Decimal,
                        shares: dict[str, Decimal], instalments: list[dict[str, Any]]) -> None:
        # Recorded before amendments were signed party by party (R-FUND-5): binding as signed.
        self.amendments = (*self.amendments, {
            "amendment": amendment, "decision_id": decision_id, "signed_on": signed_on, "total": total,
            "shares": shares, "instalments": instalments, "dated_on": signed_on, "status": "binding"})

    # Amendments signed by every party, ceilings and their released portions (R-FUND-5) ---------
    # An amendment's "signed_on" is the day it binds (its last signature's); None while it is pending.
    # The rules are in ``domain.funding.amendments``; these events only record what they decided.

    @event("AmendmentProposed")
    def amendment_proposed(self, *, amendment: int, decision_id: UUID | None, dated_on: date, total: Decimal,
                           shares: dict[str, Decimal], instalments: list[dict[str, Any]], ceiling: bool,
                           signatories: list[str]) -> None:
        self.amendments = (*self.amendments, {
            "amendment": amendment, "decision_id": decision_id, "dated_on": dated_on, "signed_on": None,
            "status": "pending", "total": total, "shares": shares, "instalments": instalments,
            "ceiling": ceiling, "signatories": signatories, "signatures": [], "releases": []})

    @event("AmendmentSigned")
    def amendment_signed(self, *, amendment: int, party_id: UUID, signed_on: date, decision_reference: str
                         ) -> None:
        old = self.amendments[amendment - 1]
        signatures = [*old["signatures"], {"party_id": party_id, "signed_on": signed_on,
                                           "decision_reference": decision_reference}]
        new = {**old, "signatures": signatures}
        if {str(s["party_id"]) for s in signatures} >= set(old["signatories"]):
            new["status"] = "binding"
            new["signed_on"] = max(s["signed_on"] for s in signatures)
        self.amendments = (*self.amendments[:amendment - 1], new, *self.amendments[amendment:])

    @event("PortionReleased")
    def portion_released(self, *, amendment: int, portion: int, number: int, decision_id: UUID,
                         released_on: date, issue_on: date, total: Decimal, shares: dict[str, Decimal]) -> None:
        old = self.amendments[amendment - 1]
        release = {"portion": portion, "number": number, "decision_id": decision_id, "released_on": released_on,
                   "issue_on": issue_on, "total": total, "shares": shares}
        new = {**old, "releases": [*old.get("releases", []), release]}
        self.amendments = (*self.amendments[:amendment - 1], new, *self.amendments[amendment:])

    def amendment_commitments(self, as_of: date | None = None) -> dict[str, Decimal]:
        """Each party's commitments by amendment (party id as text → amount): its amounts in amendments
        binding by ``as_of`` (every party signed) and, of a ceiling, the portions released by then."""
        found: dict[str, Decimal] = {}

        def add(shares: dict[str, Any]) -> None:
            for pid, amount in shares.items():
                found[pid] = found.get(pid, ZERO) + Decimal(amount)

        for amendment in self.amendments:
            binds_on = amendment["signed_on"]
            if binds_on is None or (as_of is not None and binds_on > as_of):
                continue
            if not amendment.get("ceiling", False):
                add(amendment["shares"])
                continue
            for release in amendment.get("releases", ()):
                if as_of is None or release["released_on"] <= as_of:
                    add(release["shares"])
        return found

    def ceilings(self, as_of: date | None = None) -> tuple[Decimal, Decimal]:
        """The ceilings of the amendments binding by ``as_of`` and what of them was released by then."""
        ceiling = released = ZERO
        for amendment in self.amendments:
            binds_on = amendment["signed_on"]
            if not amendment.get("ceiling", False) or binds_on is None or (as_of is not None and binds_on > as_of):
                continue
            ceiling += amendment["total"]
            released += sum((r["total"] for r in amendment.get("releases", ())
                             if as_of is None or r["released_on"] <= as_of), ZERO)
        return ceiling, released

    def party_commitment(self, pid: UUID, as_of: date | None = None) -> Decimal:
        """A party's commitment (R-FUND-5): its cost share, its amounts in binding amendments and the
        portions of ceilings released to it."""
        return self.shares()[pid] + self.amendment_commitments(as_of).get(str(pid), ZERO)

    # The steering group's composition (R-GOV-1, R-GOV-2) ---------------------------------------

    def compose_steering_group(self, *, effective_on: date, seats: Any, experts: Any,
                               decision: DecisionRef | None) -> None:
        """Seat the steering group: the agreement's own composition first, any change after it on a passed
        ``steering_group`` decision of this agreement, taking effect on or after the decision."""
        self.check_in_force()
        if not self.signed <= effective_on <= self.ends_on:
            raise InvalidInput(f"{effective_on} is outside the agreement's signing on {self.signed} and its "
                               f"term's end on {self.ends_on}", code="date_outside_term")
        if self.compositions:
            if decision is None or decision.agreement_id != self.id or decision.kind != "steering_group" \
                    or not decision.passed:
                raise Conflict("a change of the steering group needs a passed steering_group decision of "
                               "this agreement", code="decision_required")
            if decision.decided_on > effective_on:
                raise InvalidInput(f"the change cannot take effect before its decision of {decision.decided_on}",
                                   code="date_outside_term")
            if effective_on <= self.compositions[-1]["effective_on"]:
                raise Conflict(f"a composition took effect on {self.compositions[-1]['effective_on']}; a change "
                               "takes effect after it", code="composition_out_of_order")
        if len(self.compositions) >= MAX_COMPOSITIONS:
            raise Conflict(f"at most {MAX_COMPOSITIONS} compositions", code="too_many_compositions")
        self.steering_group_composed(effective_on=effective_on, seats=parse_seats(seats, self.parties),
                                     experts=parse_experts(experts),
                                     decision_id=None if decision is None else decision.decision_id)

    @event("SteeringGroupComposed")
    def steering_group_composed(self, *, effective_on: date, seats: list[dict[str, Any]],
                                experts: list[dict[str, str]], decision_id: UUID | None) -> None:
        self.compositions = (*self.compositions, {"effective_on": effective_on, "seats": seats,
                                                  "experts": experts, "decision_id": decision_id})

    def composition_on(self, day: date) -> dict[str, Any] | None:
        """The steering group in effect on a day; None while the agreement has composed none (one seat
        per party)."""
        return composition_on(self.compositions, day)

    # The coordinator's own contribution (R-ACC-4) --------------------------------------------

    def book_own_contribution(self, *, amount: Decimal, booked_on: date, description: str) -> UUID:
        """Book money the coordinator puts in as its own share; it never invoices itself (R-ACC-4).

        Only a coordinator that funds the work has a share to contribute, never more than it has
        committed (its cost share, its amounts in binding amendments and released portions); returns the
        coordinator's party id."""
        if self.purged_on is not None:
            raise Conflict(f"the records of {self.code} were purged on {self.purged_on}", code="records_purged")
        coordinator = self.party_by_business_id(self.invoiced_by["business_id"])
        if coordinator is None:
            raise Conflict(f"{self.invoiced_by['name']}, who invoices {self.code}, is not a party: every party's share "
                           "is invoiced", code="coordinator_not_a_party")
        self._check_money_moved(amount, booked_on, "contribution", len(self.contributions), MAX_CONTRIBUTIONS)
        pid = coordinator["party_id"]
        committed = self.party_commitment(pid)
        booked = sum((c[1] for c in self.contributions), ZERO)
        if booked + amount > committed:
            raise Conflict(f"the coordinator has committed {committed} and booked {booked} already; "
                           f"{amount} more would pass its commitment", code="contribution_exceeds_commitment",
                           extra={"committed": str(committed), "booked": str(booked)})
        self.own_contribution_booked(party_id=pid, amount=amount, booked_on=booked_on,
                                     description=text(description, "description", 500))
        return pid

    @event("OwnContributionBooked")
    def own_contribution_booked(self, *, party_id: UUID, amount: Decimal, booked_on: date, description: str
                                ) -> None:
        self.contributions = (*self.contributions, (booked_on, amount))

    # Money through an operator (seed 002: the cities pay Tiera, Tiera pays Vantaa) ----------------

    def transfer_to_host(self, *, amount: Decimal, transferred_on: date, description: str) -> None:
        """Record what the invoicing operator paid the host of what it collected (DigiOne's forerunner
        rebate, edelläkävijäpalautus); never more in all than the agreement's funding."""
        self.check_in_force()
        if self.invoicer is None:
            raise Conflict(f"{self.code} is invoiced by its coordinator, who holds the funds itself",
                           code="no_invoicing_operator")
        self._check_money_moved(amount, transferred_on, "transfer", len(self.transfers), MAX_TRANSFERS)
        transferred = sum((t[1] for t in self.transfers), ZERO)
        if transferred + amount > self.committed():
            raise Conflict(f"{transferred + amount} would pass the agreement's funding of {self.committed()}",
                           code="transfer_exceeds_funding")
        self.funds_transferred_to_host(amount=amount, transferred_on=transferred_on,
                                       description=text(description, "description", 500))

    def _check_money_moved(self, amount: Decimal, day: date, what: str, count: int, limit: int) -> None:
        """A contribution or transfer is a positive amount, dated from the signing, within its bound."""
        if amount <= 0:
            raise InvalidInput(f"a {what} is a positive amount", code="invalid_amount")
        if day < self.signed:
            raise InvalidInput(f"{day} is before the agreement was signed on {self.signed}", code="date_outside_term")
        if count >= limit:
            raise Conflict(f"at most {limit} {what}s per agreement", code=f"too_many_{what}s")

    @event("FundsTransferredToHost")
    def funds_transferred_to_host(self, *, amount: Decimal, transferred_on: date, description: str) -> None:
        self.transfers = (*self.transfers, (transferred_on, amount))

    @property
    def invoiced_by(self) -> dict[str, str]:
        """Who invoices the shares: the operator the agreement names, else the coordinator."""
        return self.invoicer or self.coordinator

    def invoices_itself(self, party: dict[str, Any]) -> bool:
        """Whether a party is the one that invoices the shares: it never invoices itself (R-ACC-4)."""
        return bool(party["business_id"] == self.invoiced_by["business_id"])

    # Retention (R-REC-1) ---------------------------------------------------------------------

    def purge_records(self, *, on: date) -> None:
        """Record that the agreement's read models are purged, once its retention has ended."""
        keep_until = check_purge(self, on)
        self.records_purged(purged_on=on, ended_on=ended_on(self), retention_ends_on=keep_until)

    @event("RecordsPurged")
    def records_purged(self, *, purged_on: date, ended_on: date, retention_ends_on: date) -> None:
        self.purged_on = purged_on
        self.purge_retention_ends_on = retention_ends_on  # as recorded, whatever the rule is now

    # Rules -----------------------------------------------------------------------------------

    def check_in_force(self) -> None:
        """Refuse changes to an agreement that is dissolved, has ended or whose records are purged."""
        if self.purged_on is not None:
            raise Conflict(f"the records of {self.code} were purged on {self.purged_on}",
                           code="records_purged")
        if self.status not in LIVE_STATUSES:
            raise Conflict(f"agreement {self.code} is {self.status}", code="agreement_not_in_force")

    def check_live_on(self, day: date) -> None:
        """Refuse a membership change dated outside the term or on an agreement no longer in force."""
        self.check_in_force()
        if day < self.starts_on:
            raise InvalidInput(f"{day} is before the term starts on {self.starts_on}",
                               code="date_outside_term")
        if day > self.ends_on:
            raise Conflict(f"the term of {self.code} ended on {self.ends_on}", code="agreement_not_in_force")

    def check_may_sign(self, day: date) -> None:
        """Refuse an accession signed before the agreement itself was signed or after its term (R-ACC-1)."""
        if not self.signed <= day <= self.ends_on:
            raise InvalidInput(f"{day} is outside the agreement's signing on {self.signed} and its term's end "
                               f"on {self.ends_on}", code="accession_outside_term")

    # Queries ---------------------------------------------------------------------------------

    @property
    def signed(self) -> date:
        """The day the agreement was signed (the term's start, for agreements that did not record it)."""
        return self.signed_on or self.starts_on

    @property
    def model(self) -> CostSharing:
        return CostSharing.from_dict(self.cost_sharing)

    @property
    def plan(self) -> tuple[Instalment, ...]:
        """The instalment plan, parsed once per version of this object (an immutable tuple)."""
        return per_version(self, "plan", lambda: instalments_from_dicts(self.instalments, self.starts_on,
                                                                        self.ends_on))

    @property
    def rules(self) -> Terms:
        return Terms.from_dict(self.terms)

    def status_on(self, day: date) -> str:
        """The status as of a business date: a live agreement has ended once its term is over."""
        if self.dissolved_on is not None and day >= self.dissolved_on:
            return "dissolved"
        if day > self.ends_on:
            return "ended"
        return "extended" if self.extended_on is not None and day >= self.extended_on else "in_force"

    def parties_in_order(self) -> list[dict[str, Any]]:
        """Parties in accession order (the coordinator first)."""
        return list(self.parties.values())

    def party(self, pid: UUID) -> dict[str, Any]:
        """One party, or not found."""
        try:
            return self.parties[str(pid)]
        except KeyError:
            raise NotFound(f"no party {pid} in {self.code}") from None

    def party_by_business_id(self, bid: str) -> dict[str, Any] | None:
        """The party of a business id, if it has acceded."""
        return self.parties.get(str(party_id(self.id, bid)))

    def is_live_party(self, bid: str, on: date | None = None) -> bool:
        """Whether a business is a party whose participation has not ended (R-TERM-5), by the record
        and, given a date, also by a notice that has taken effect before the sweep recorded it."""
        party = self.party_by_business_id(bid)
        if party is None or party["status"] not in LIVE_PARTY_STATUSES:
            return False
        return on is None or party_status_on(party, on) in LIVE_PARTY_STATUSES

    def shares(self) -> dict[UUID, Decimal]:
        """Every party's cost share under the agreement's model (R-ACC-2, R-ACC-3); split once per version
        of this object (the split is exact over every party, so it costs what the parties do)."""
        return dict(per_version(self, "shares", lambda: self.model.shares(*self._basis())))

    def key(self, parties: list[dict[str, Any]] | None = None, on: date | None = None) -> dict[UUID, Fraction]:
        """The weights in the cost-sharing key (R-INV-5) of every party, or of the parties given: as in
        force on a day (R-ACC-5), or as at accession."""
        return self.model.key(*self._basis(parties, on))

    def _basis(self, parties: list[dict[str, Any]] | None = None, on: date | None = None
               ) -> tuple[list[PartyBasis], date | None]:
        basis = [PartyBasis(p["party_id"], p["category"], metric_on(p, on), p["joined_on"], key_on(p, on))
                 for p in (self.parties_in_order() if parties is None else parties)]
        plan = self.plan
        return basis, plan[0].issue_on if plan else None

    def original_funding(self) -> Decimal:
        """The funding before any amendment: the sum of all cost shares."""
        return sum(self.shares().values(), ZERO)

    def committed(self, as_of: date | None = None) -> Decimal:
        """The agreement's funding: the cost shares and the supplementary funding of the amendments binding
        by ``as_of`` (if given), of a ceiling only the portions released (R-FUND-5)."""
        return self.original_funding() + sum(self.amendment_commitments(as_of).values(), ZERO)


def metric_on(party: dict[str, Any], day: date | None) -> Decimal | None:
    """A party's metric in force on a day (R-ACC-5): its latest update effective by then, else the
    metric it acceded with; without a day, the accession's."""
    value = party["metric"]
    for update in party.get("key_updates") or []:
        if day is not None and update["effective_on"] <= day and update["metric"] is not None:
            value = update["metric"]
    return value


def key_on(party: dict[str, Any], day: date | None) -> Fraction | None:
    """A party's fixed key in force on a day (R-ACC-5), as metric_on does for metrics."""
    value = party.get("key")
    for update in party.get("key_updates") or []:
        if day is not None and update["effective_on"] <= day and update["key"] is not None:
            value = update["key"]
    return None if value is None else Fraction(value)


def period_start(day: date, kind: str) -> date:
    """The first day of the recharge period (quarter or half-year) a day falls in."""
    months = 3 if kind == "quarter" else 6
    return date(day.year, (day.month - 1) // months * months + 1, 1)
