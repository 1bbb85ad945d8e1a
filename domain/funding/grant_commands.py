"""The Ledger's commands and queries for grants (R-FUND-7): accept, report eligible costs, receive payments,
list, and the own-financing split. A mixin of the Ledger application, like ``FundingCommands``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement
from domain.funding.grants import GRANT_KIND, Grant
from domain.funding.instalments import split_by_key
from domain.funding.settlement import covers
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.money import fmt, money
from domain.membership.rules import DecisionRef

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


class GrantCommands:
    """Grants from funders that are not parties, capped and accepted by the steering group (R-FUND-7)."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None: ...
        def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def exists(self, aggregate_id: UUID) -> bool: ...

    def accept_grant(self, agreement_id: UUID, *, decision_id: UUID, funder: str, business_id: str | None,
                     maximum: str | Decimal, rate: str | None = None, eligible_costs: str | Decimal = "0.00",
                     own_financing: str | Decimal | None = None,
                     idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a grant, in effect from the passed ``grant`` decision that accepts it; once per decision."""
        values = money(maximum), money(eligible_costs), None if own_financing is None else money(own_financing)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            agreement.check_in_force()
            if self.exists(Grant.create_id(agreement.id, decision_id)):
                raise Conflict(f"decision {decision_id} has already accepted a grant", code="grant_already_accepted")
            grant = Grant.accept(agreement_id=agreement.id, decision=self._decision_ref(agreement.id, decision_id),
                                 funder=funder, business_id=business_id, maximum=values[0], rate=rate,
                                 eligible_costs=values[1], own_financing=values[2])
            return [grant], grant.view(grant.accepted_on)

        return self._execute(command, idempotency)

    def report_eligible_costs(self, agreement_id: UUID, grant_id: UUID, *, amount: str | Decimal,
                              reported_on: date, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Report a grant's eligible costs so far; the cap in force follows them (R-FUND-7)."""
        value = money(amount)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            grant = self._grant(agreement_id, grant_id, copy=True)
            grant.report_eligible_costs(amount=value, reported_on=reported_on)
            return [grant], grant.view(reported_on)

        return self._execute(command, idempotency)

    def receive_grant_payment(self, agreement_id: UUID, grant_id: UUID, *, amount: str | Decimal,
                              received_on: date, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record money the funder paid; refused (``grant_cap_exceeded``) past the cap in force."""
        value = money(amount)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            grant = self._grant(agreement_id, grant_id, copy=True)
            grant.receive_payment(amount=value, received_on=received_on)
            received = grant.received(received_on)
            return [grant], {**grant.view(received_on), "amount": fmt(value), "received_on": received_on.isoformat(),
                             "received": fmt(received), "remaining": fmt(grant.cap(received_on) - received)}

        return self._execute(command, idempotency)

    def list_grants(self, agreement_id: UUID, *, as_of: date) -> list[dict[str, Any]]:
        """The grants in effect by a date, in the order the steering group accepted them, with the cap then."""
        agreement = self._read(agreement_id, Agreement, "agreement")
        found = []
        for decision_id, kind, passed, decided_on in agreement.minutes:
            if kind != GRANT_KIND or not passed or decided_on > as_of:
                continue
            grant_id = Grant.create_id(agreement.id, decision_id)
            if self.exists(grant_id):
                found.append(self._read(grant_id, Grant, "grant").view(as_of))
        return found

    def get_own_financing(self, agreement_id: UUID, grant_id: UUID) -> dict[str, Any]:
        """A grant's own-financing part split among the parties live on its acceptance by the agreement's key,
        largest remainder, ties in accession order; the coordinator bears its part too (R-FUND-7)."""
        agreement = self._read(agreement_id, Agreement, "agreement")
        grant = self._grant(agreement_id, grant_id)
        if grant.own_financing is None:
            raise Conflict("the grant names no own-financing part", code="no_own_financing")
        parties = [p for p in agreement.parties_in_order() if covers(p, grant.accepted_on)]
        key = agreement.key(parties, on=grant.accepted_on)  # the key in force on acceptance (R-ACC-5)
        weight = sum(key.values(), Fraction(0))
        parts = split_by_key(agreement, parties, grant.own_financing, on=grant.accepted_on)
        rows = [{"party_id": str(p["party_id"]), "name": p["name"], "weight": str(key[p["party_id"]]),
                 "key_share": str(key[p["party_id"]] / weight if weight else Fraction(0)),
                 "exact": str(_exact(grant.own_financing, key[p["party_id"]], weight)),
                 "share": fmt(parts[p["party_id"]])} for p in parties]
        return {"grant_id": str(grant.id), "funder": grant.funder, "own_financing": fmt(grant.own_financing),
                "split_on": grant.accepted_on.isoformat(), "method": "largest remainder, ties in accession order",
                "total_weight": str(weight), "parties": rows}

    def _grant(self, agreement_id: UUID, grant_id: UUID, *, copy: bool = False) -> Grant:
        grant: Grant = (self._get if copy else self._read)(grant_id, Grant, "grant")
        if grant.agreement_id != agreement_id:
            raise NotFound(f"no grant {grant_id}")
        return grant


def _exact(amount: Decimal, weight: Fraction, total: Fraction) -> Decimal:
    """The exact quota before rounding, to six decimals, shown beside the share in cents."""
    if not total:
        raise InvalidInput("the key gives no weight", code="no_sharing_key")
    quota = Fraction(amount) * weight / total
    return (Decimal(quota.numerator) / Decimal(quota.denominator)).quantize(Decimal("0.000001"))
