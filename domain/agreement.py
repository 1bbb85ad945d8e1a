"""The Agreement aggregate: term, terms, cost-sharing model and the parties that accede (R-AGR-1, R-ACC-*)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.cost_sharing import CostSharing, PartyBasis, parse_metric
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identifiers import agreement_id, party_id
from domain.identifiers import business_id as check_business_id
from domain.money import ZERO
from domain.terms import Instalment, Terms, check_term, instalments_from_dicts, instalments_to_dicts

MAX_PARTIES = 500
MAX_NAME_CHARS = 200
MAX_TITLE_CHARS = 300
LIVE_STATUSES = ("in_force", "extended")
LIVE_PARTY_STATUSES = ("active", "notice_given")


def text(value: Any, what: str, max_chars: int) -> str:
    """A required, trimmed text of bounded length."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise InvalidInput(f"{what} must be 1 to {max_chars} characters", code="invalid_text")
    return value.strip()


class Agreement(Aggregate):
    """A cooperation agreement; its id follows from its code, so a code names one agreement only."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return agreement_id(code)

    @classmethod
    def open(cls, *, code: str, title: str, coordinator: dict[str, Any], starts_on: date, ends_on: date,
             cost_sharing: dict[str, Any], instalments: list[dict[str, Any]],
             terms: dict[str, Any] | None) -> Agreement:
        """Validate and sign a new agreement; a coordinator that funds the work joins as a party."""
        check_term(starts_on, ends_on)
        model = CostSharing.from_dict(cost_sharing)
        plan = instalments_from_dicts(instalments, starts_on, ends_on)
        agreement = cls(
            code=code, title=text(title, "title", MAX_TITLE_CHARS),
            coordinator={"name": text(coordinator.get("name"), "coordinator name", MAX_NAME_CHARS),
                         "business_id": check_business_id(coordinator.get("business_id", ""))},
            starts_on=starts_on, ends_on=ends_on, currency="EUR", cost_sharing=model.to_dict(),
            instalments=instalments_to_dicts(plan), terms=Terms.from_dict(terms).to_dict(),
        )
        if coordinator.get("is_party"):
            agreement.accede(name=agreement.coordinator["name"],
                             business_id=agreement.coordinator["business_id"], signed_on=starts_on,
                             category=coordinator.get("category"), metric=coordinator.get("metric"),
                             is_coordinator=True)
        return agreement

    @event("Created")
    def __init__(self, *, code: str, title: str, coordinator: dict[str, str], starts_on: date,
                 ends_on: date, currency: str, cost_sharing: dict[str, Any],
                 instalments: list[dict[str, Any]], terms: dict[str, Any]) -> None:
        self.code = code
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
               metric: Any = None, is_coordinator: bool = False) -> UUID:
        """A party signs its accession agreement and gets the next annex number (R-ACC-1)."""
        name = text(name, "party name", MAX_NAME_CHARS)
        bid = check_business_id(business_id)
        metric_value = None if metric is None else parse_metric(metric)
        if category is not None:
            category = text(category, "category", 64)
        self.check_in_force()
        self.check_within_term(signed_on)
        pid = party_id(self.id, bid)
        if str(pid) in self.parties:
            raise Conflict(f"{bid} is already a party to {self.code}", code="party_already_acceded")
        if len(self.parties) >= MAX_PARTIES:
            raise Conflict(f"an agreement has at most {MAX_PARTIES} parties", code="too_many_parties")
        self.model.check_party(category, metric_value)
        annex = None if is_coordinator else f"1.{self.accessions + 1}"
        self.party_acceded(party_id=pid, name=name, business_id=bid, annex=annex, signed_on=signed_on,
                           category=category, metric=metric_value, is_coordinator=is_coordinator)
        return pid

    @event("PartyAcceded")
    def party_acceded(self, *, party_id: UUID, name: str, business_id: str, annex: str | None,
                      signed_on: date, category: str | None, metric: Decimal | None,
                      is_coordinator: bool) -> None:
        self.parties[str(party_id)] = {
            "party_id": party_id, "name": name, "business_id": business_id, "annex": annex,
            "category": category, "metric": metric, "joined_on": signed_on, "status": "active",
            "left_on": None, "is_coordinator": is_coordinator,
        }
        if annex is not None:
            self.accessions += 1

    # Rules -----------------------------------------------------------------------------------

    def check_in_force(self) -> None:
        """Refuse changes to an agreement that is dissolved or has ended."""
        if self.status not in LIVE_STATUSES:
            raise Conflict(f"agreement {self.code} is {self.status}", code="agreement_not_in_force")

    def check_within_term(self, day: date) -> None:
        """Refuse an accession dated outside the agreement's term (R-ACC-1)."""
        if not self.starts_on <= day <= self.ends_on:
            raise InvalidInput(f"{day} is outside the term {self.starts_on} – {self.ends_on}",
                               code="accession_outside_term")

    # Queries ---------------------------------------------------------------------------------

    @property
    def model(self) -> CostSharing:
        return CostSharing.from_dict(self.cost_sharing)

    @property
    def plan(self) -> tuple[Instalment, ...]:
        return instalments_from_dicts(self.instalments, self.starts_on, self.ends_on)

    @property
    def rules(self) -> Terms:
        return Terms.from_dict(self.terms)

    def status_on(self, day: date) -> str:
        """The status as of a business date: a live agreement has ended once its term is over."""
        if self.status in LIVE_STATUSES and day > self.ends_on:
            return "ended"
        return self.status

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

    def is_live_party(self, bid: str) -> bool:
        """Whether a business is a party whose participation has not ended (R-TERM-5)."""
        party = self.party_by_business_id(bid)
        return party is not None and party["status"] in LIVE_PARTY_STATUSES

    def shares(self) -> dict[UUID, Decimal]:
        """Every party's cost share under the agreement's model (R-ACC-2, R-ACC-3)."""
        basis = [PartyBasis(p["party_id"], p["category"], p["metric"], p["joined_on"])
                 for p in self.parties_in_order()]
        plan = self.plan
        return self.model.shares(basis, plan[0].issue_on if plan else None)

    def committed(self) -> Decimal:
        """The agreement's funding: the sum of all cost shares."""
        return sum(self.shares().values(), ZERO)
