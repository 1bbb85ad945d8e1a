"""An agreement's terms and instalment plan, with the defaults of the seed agreements (domain.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from functools import lru_cache
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.kernel.errors import InvalidInput
from domain.kernel.money import parse_fraction, split

MAX_INSTALMENTS = 24


@dataclass(frozen=True)
class Terms:
    """The configurable values of an agreement; units last in every name."""

    payment_term_days: int = 21
    notice_months: int = 3
    minimum_commitment_months: int = 12
    breach_cure_days: int = 30
    refund_threshold_pp: int = 20
    qualified_majority: Fraction = Fraction(2, 3)
    quorum: Fraction = Fraction(0)  # seed 000 sets none (R-GOV-1); agreements stored earlier keep theirs
    retention_years: int = 10
    confidentiality_years: int = 5
    recharge_period: str = "none"
    # Whether a party that left by notice, having paid its share for the term (R-TERM-3), shares in
    # a refund by what it paid (R-FUND-2); an expelled party never does.
    refund_to_withdrawn_parties: bool = True

    _RECHARGE_PERIODS = ("none", "quarter", "half_year")

    _INT_RANGES = {
        "payment_term_days": (0, 365),
        "notice_months": (0, 60),
        "minimum_commitment_months": (0, 240),
        "breach_cure_days": (0, 365),
        "refund_threshold_pp": (0, 100),
        "retention_years": (1, 100),
        "confidentiality_years": (0, 100),
    }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Terms:
        """Validate terms given as plain data; missing values take the defaults."""
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise InvalidInput(f"unknown terms: {', '.join(sorted(unknown))}", code="invalid_terms")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in cls._INT_RANGES:
                low, high = cls._INT_RANGES[name]
                if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                    raise InvalidInput(f"{name} must be a whole number from {low} to {high}",
                                       code="invalid_terms")
                values[name] = value
            elif name == "recharge_period":
                if value not in cls._RECHARGE_PERIODS:
                    raise InvalidInput("recharge_period must be none, quarter or half_year",
                                       code="invalid_terms")
                values[name] = value
            elif name == "refund_to_withdrawn_parties":
                if not isinstance(value, bool):
                    raise InvalidInput(f"{name} must be true or false", code="invalid_terms")
                values[name] = value
            else:
                try:
                    fraction = value if isinstance(value, Fraction) else parse_fraction(str(value))
                except InvalidInput:
                    fraction = Fraction(-1)
                lowest = "0" if name == "quorum" else "above 0"  # no quorum at all is a quorum of 0
                if not (0 <= fraction <= 1 if name == "quorum" else 0 < fraction <= 1):
                    raise InvalidInput(f"{name} must be a fraction from {lowest} to 1", code="invalid_terms")
                values[name] = fraction
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for events and responses (fractions as "n/d" strings)."""
        return {k: (str(v) if isinstance(v, Fraction) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Instalment:
    """One instalment of the funding: the date it is invoiced and its share of every party's share.

    An instalment that ``requires_release`` is a tranche: it is invoiced only after a passed steering
    decision releases it (R-FUND-5, R-GOV-3).
    """

    issue_on: date
    share: Fraction
    requires_release: bool = False


def instalments_from_dicts(items: list[dict[str, Any]], starts_on: date, ends_on: date
                           ) -> tuple[Instalment, ...]:
    """Validate an instalment plan: dated within the term, in date order, shares summing to 1.

    ``requires_release`` is optional: plans stored before tranches existed do not name it.
    """
    if len(items) > MAX_INSTALMENTS:
        raise InvalidInput(f"at most {MAX_INSTALMENTS} instalments", code="invalid_instalments")
    plan = tuple(Instalment(item["issue_on"], parse_fraction(str(item["share"])),
                            _flag(item.get("requires_release", False))) for item in items)
    for inst in plan:
        if not starts_on <= inst.issue_on <= ends_on:
            raise InvalidInput(f"instalment dated {inst.issue_on} is outside the term",
                               code="invalid_instalments")
        if inst.share <= 0:
            raise InvalidInput("every instalment needs a share above 0", code="invalid_instalments")
    dates = [inst.issue_on for inst in plan]
    if dates != sorted(set(dates)):
        raise InvalidInput("instalments must have distinct dates in order", code="invalid_instalments")
    if plan and sum(inst.share for inst in plan) != 1:
        raise InvalidInput("instalment shares must sum to 1", code="invalid_instalments")
    return plan


def instalments_to_dicts(plan: tuple[Instalment, ...]) -> list[dict[str, Any]]:
    """Plain data for events and responses."""
    return [{"issue_on": inst.issue_on, "share": str(inst.share), "requires_release": inst.requires_release}
            for inst in plan]


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("requires_release is true or false", code="invalid_instalments")
    return value


def instalment_amounts(share: Decimal, plan: tuple[Instalment, ...]) -> list[Decimal]:
    """A party's share split over the instalments, summing to the share exactly (R-INV-1)."""
    return list(_instalment_amounts(share, plan))


@lru_cache(maxsize=256)
def _instalment_amounts(share: Decimal, plan: tuple[Instalment, ...]) -> tuple[Decimal, ...]:
    # Parties of one agreement mostly have equal shares: the same split is made once, not per party
    # (the split works in whole cents of the share, so equal shares split the same however written).
    parts = split(share, {i: inst.share for i, inst in enumerate(plan)}, order=list(range(len(plan))))
    return tuple(parts[i] for i in range(len(plan)))


def check_term(starts_on: date, ends_on: date) -> None:
    """Refuse a term that ends before it starts."""
    if ends_on < starts_on:
        raise InvalidInput("the term must not end before it starts", code="invalid_term")
