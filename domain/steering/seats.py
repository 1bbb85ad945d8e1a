"""The steering group as the agreement composes it (R-GOV-1, R-GOV-2, R-GOV-4): seats and experts.

Seed 000 §8.1 gives seats by sector: Valtori for the state, one representative of the largest cities,
Kuntaliitto for the other municipalities, one for two wellbeing services counties, Kela, the
universities, the universities of applied sciences and the Lutheran church, and two Ministry of
Finance experts with the right to speak. A seat represents one or more parties and votes with the
sum of their weights; each seat has a member and may have a personal deputy, who acts only while the
member is absent; experts are minuted as present and never vote.

Who sits in a seat is personal data: the events name a seat's sector and the parties it represents,
never its member's or deputy's name (those are contact persons, kept in the erasable store).

An agreement without a composition votes one seat per party (the party's own id), as before seats
existed. Compositions change by a steering decision and keep their history: the one in effect on a
decision's date is the one counted.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.kernel.errors import InvalidInput
from domain.kernel.money import ZERO, fmt

MAX_SEATS = 100
MAX_EXPERTS = 20
MAX_COMPOSITIONS = 200
MAX_SECTOR_CHARS = 200
_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def check_code(value: Any, what: str) -> str:
    """A seat's or an expert's code: lower-case letters, digits, '_' and '-', at most 40."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidInput(f"{what} must be 1 to 40 lower-case letters, digits, '_' or '-', starting with a "
                           "letter", code="invalid_steering_group")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_SECTOR_CHARS:
        raise InvalidInput(f"{what} must be 1 to {MAX_SECTOR_CHARS} characters", code="invalid_steering_group")
    return value.strip()


def parse_seats(raw: Any, parties: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate seats against the agreement's parties: unique codes, each party in one seat at most."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_SEATS:
        raise InvalidInput(f"a steering group has 1 to {MAX_SEATS} seats", code="invalid_steering_group")
    seats: list[dict[str, Any]] = []
    codes: set[str] = set()
    seated: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("a seat is an object", code="invalid_steering_group")
        code = check_code(item.get("code"), "a seat's code")
        if code in codes:
            raise InvalidInput(f"seat {code} is given twice", code="invalid_steering_group")
        represented = item.get("parties")
        if not isinstance(represented, list) or not 0 < len(represented) <= 500:
            raise InvalidInput(f"seat {code} represents 1 to 500 parties", code="invalid_steering_group")
        ids = []
        for value in represented:
            key = str(value)
            if key not in parties:
                raise InvalidInput(f"seat {code} names {value}, not a party of the agreement",
                                   code="invalid_steering_group")
            if key in seated:
                raise InvalidInput(f"{parties[key]['name']} is represented by two seats",
                                   code="invalid_steering_group")
            seated.add(key)
            ids.append(parties[key]["party_id"])
        deputy = item.get("deputy", False)
        if not isinstance(deputy, bool):
            raise InvalidInput(f"seat {code}: deputy is true or false", code="invalid_steering_group")
        codes.add(code)
        seats.append({"code": code, "sector": _text(item.get("sector"), f"seat {code}'s sector"),
                      "parties": ids, "deputy": deputy})
    return seats


def parse_experts(raw: Any) -> list[dict[str, str]]:
    """Experts who attend with the right to speak (seed 000 §8.1: two Ministry of Finance experts)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_EXPERTS:
        raise InvalidInput(f"at most {MAX_EXPERTS} experts", code="invalid_steering_group")
    experts: list[dict[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("an expert is an object", code="invalid_steering_group")
        code = check_code(item.get("code"), "an expert's code")
        if any(e["code"] == code for e in experts):
            raise InvalidInput(f"expert {code} is given twice", code="invalid_steering_group")
        experts.append({"code": code, "organisation": _text(item.get("organisation"), f"expert {code}'s "
                                                                                        "organisation")})
    return experts


def composition_on(compositions: tuple[dict[str, Any], ...], day: date) -> dict[str, Any] | None:
    """The composition in effect on a day: the latest whose ``effective_on`` is not after it."""
    found = None
    for composition in compositions:
        if composition["effective_on"] <= day:
            found = composition
    return found


def seat_weights(composition: dict[str, Any], weights: dict[UUID, Decimal], disqualified: set[UUID]
                 ) -> dict[str, Decimal]:
    """Each seat's vote: the sum of the weights of the parties it represents that are members on the
    decision's date, less any party disqualified from the decision (R-GOV-1, R-GOV-4)."""
    return {seat["code"]: sum((weights[pid] for pid in seat["parties"]
                               if pid in weights and pid not in disqualified), ZERO)
            for seat in composition["seats"]}


def seat_of(composition: dict[str, Any], party_id: UUID) -> str | None:
    """The code of the seat that represents a party, if one does."""
    return next((seat["code"] for seat in composition["seats"] if party_id in seat["parties"]), None)


def composition_view(composition: dict[str, Any], weights: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """A composition as the API shows it (each seat's weight on a date, if given)."""
    return {"effective_on": composition["effective_on"].isoformat(),
            "decision_id": None if composition["decision_id"] is None else str(composition["decision_id"]),
            "seats": [{"code": seat["code"], "sector": seat["sector"], "deputy": seat["deputy"],
                       "parties": [str(pid) for pid in seat["parties"]],
                       **({} if weights is None else {"weight": fmt(weights[seat["code"]])})}
                      for seat in composition["seats"]],
            "experts": [dict(expert) for expert in composition["experts"]]}
