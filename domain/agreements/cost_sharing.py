"""The cost-sharing models (R-ACC-2, R-ACC-3, R-ACC-5, R-SHARE-1) and the shares and keys they give."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple
from uuid import UUID

from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import ZERO, fmt, money, round_cents, split

MAX_CATEGORIES = 50
MAX_BANDS = 10
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_METRIC = re.compile(r"^\d{1,15}(\.\d{1,2})?$")
_KEY = re.compile(r"^(\d{1,6}/\d{1,6}|[01]?\.\d{1,6}|1)$")


class PartyBasis(NamedTuple):
    """What a model needs to know of a party, in accession order."""

    party_id: UUID
    category: str | None
    metric: Decimal | None
    joined_on: date
    key: Fraction | None = None  # a fixed fraction of the shared costs (the fixed_key model)


def parse_metric(value: Any) -> Decimal:
    """A metric (pupils, population, budget in euros): a non-negative whole number or decimal string."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InvalidInput("metric must be a whole number or a decimal string", code="invalid_metric")
    text = str(value)
    if not _METRIC.match(text):
        raise InvalidInput(f"metric {text!r} must be non-negative with at most two decimals",
                           code="invalid_metric")
    return Decimal(text)


def parse_key(value: Any) -> Fraction:
    """A fixed key (R-ACC-5): a fraction like "3/4" or a decimal like "0.75", above 0 and at most 1."""
    if not isinstance(value, str) or not _KEY.match(value):
        raise InvalidInput(f"key {value!r} must be a fraction like \"3/4\" or a decimal like \"0.75\"",
                           code="invalid_key")
    if "/" in value and int(value.split("/")[1]) == 0:
        raise InvalidInput("a key's denominator must not be 0", code="invalid_key")
    key = Fraction(value)
    if not 0 < key <= 1:
        raise InvalidInput(f"key {value} must be above 0 and at most 1", code="invalid_key")
    return key


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidInput(f"{what} {value!r} must be lower-case letters, digits and _",
                           code="invalid_cost_sharing")
    return value


@dataclass(frozen=True)
class Band:
    """An amount for a party whose budget is at most ``up_to`` (None: any budget above the others)."""

    up_to: Decimal | None
    amount: Decimal


class CostSharing:
    """Base of the models; ``from_dict`` picks and validates one."""

    model: str

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CostSharing:
        """Validate a model given as plain data (the contract's ``cost_sharing`` object)."""
        model = data.get("model") if isinstance(data, dict) else None
        kinds = {"fixed_by_category": FixedByCategory, "proportional": Proportional, "equal": Equal,
                 "fixed_key": FixedKey}
        if model not in kinds:
            raise InvalidInput(f"unknown cost-sharing model {model!r}", code="invalid_cost_sharing")
        return kinds[model].parse(data)

    def check_party(self, category: str | None, metric: Decimal | None) -> None:
        """Refuse a party that lacks what this model needs."""
        raise NotImplementedError

    def shares(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Decimal]:
        """Every party's cost share, in cents (R-ACC-3)."""
        raise NotImplementedError

    @property
    def key_changes(self) -> str | None:
        """What a party's key is given by and may change over time (R-ACC-5): "metric", "key", or None
        where the key is the committed cost shares, which do not change (R-ACC-2)."""
        return None

    def check_complete(self, key: dict[UUID, Fraction], what: str) -> None:
        """Refuse to split a period's shared costs by a key that does not cover them (fixed keys)."""
        return None

    def key(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Fraction]:
        """The weights that split shared costs between parties (R-INV-5): the cost shares."""
        shares = self.shares(parties, first_issue_on)
        return {pid: Fraction(amount) for pid, amount in shares.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for events and responses."""
        raise NotImplementedError


def _cohort(parties: list[PartyBasis], first_issue_on: date | None) -> list[PartyBasis]:
    """Parties that acceded by the first instalment: they split a total; later ones pay their rate."""
    cohort = [p for p in parties if first_issue_on is None or p.joined_on <= first_issue_on]
    return cohort or parties


@dataclass(frozen=True)
class FixedByCategory(CostSharing):
    """A fixed amount per category, optionally banded by the party's budget (Lyhty, R-SHARE-1)."""

    categories: dict[str, Decimal | tuple[Band, ...]]
    model: str = "fixed_by_category"

    @classmethod
    def parse(cls, data: dict[str, Any]) -> FixedByCategory:
        _only(data, {"model", "categories"})
        raw = data.get("categories")
        if not isinstance(raw, dict) or not 0 < len(raw) <= MAX_CATEGORIES:
            raise InvalidInput(f"categories must name 1 to {MAX_CATEGORIES} categories",
                               code="invalid_cost_sharing")
        return cls({_name(name, "category"): _amount_or_bands(value) for name, value in raw.items()})

    def check_party(self, category: str | None, metric: Decimal | None) -> None:
        if category not in self.categories:
            raise InvalidInput(f"category {category!r} is not one of the agreement's categories: "
                               f"{', '.join(sorted(self.categories))}", code="unknown_category")
        if isinstance(self.categories[category], tuple) and metric is None:
            raise InvalidInput(f"category {category!r} is banded by budget: give the metric",
                               code="metric_required")

    def amount_for(self, category: str, metric: Decimal | None) -> Decimal:
        """The fixed amount of a category (for a banded one, the band the budget falls in)."""
        rule = self.categories[category]
        if isinstance(rule, Decimal):
            return rule
        assert metric is not None
        return next(b.amount for b in rule if b.up_to is None or metric <= b.up_to)

    def shares(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Decimal]:
        return {p.party_id: self.amount_for(p.category or "", p.metric) for p in parties}

    def to_dict(self) -> dict[str, Any]:
        def render(rule: Decimal | tuple[Band, ...]) -> Any:
            if isinstance(rule, Decimal):
                return fmt(rule)
            return [{"up_to": None if b.up_to is None else fmt(b.up_to), "amount": fmt(b.amount)}
                    for b in rule]
        return {"model": self.model, "categories": {k: render(v) for k, v in self.categories.items()}}


def _amount_or_bands(value: Any) -> Decimal | tuple[Band, ...]:
    if isinstance(value, str):
        return _non_negative(value)
    if not isinstance(value, list) or not 0 < len(value) <= MAX_BANDS:
        raise InvalidInput(f"a category is an amount or a list of 1 to {MAX_BANDS} budget bands",
                           code="invalid_cost_sharing")
    bands = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"up_to", "amount"} or "amount" not in item:
            raise InvalidInput("a band is {\"up_to\", \"amount\"}", code="invalid_cost_sharing")
        up_to = item.get("up_to")
        bands.append(Band(None if up_to is None else _non_negative(up_to), _non_negative(item["amount"])))
    bounds = [b.up_to for b in bands[:-1]]
    if None in bounds or bands[-1].up_to is not None or bounds != sorted(set(bounds)):
        raise InvalidInput("bands rise by up_to and only the last is open (up_to null)",
                           code="invalid_cost_sharing")
    return tuple(bands)


def _non_negative(value: Any) -> Decimal:
    amount = money(value)
    if amount < 0:
        raise InvalidInput("amounts in a cost-sharing model must not be negative",
                           code="invalid_cost_sharing")
    return amount


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise InvalidInput(f"unknown fields in cost_sharing: {', '.join(sorted(unknown))}",
                           code="invalid_cost_sharing")


@dataclass(frozen=True)
class Proportional(CostSharing):
    """Shares in proportion to a metric: by a rate per unit, or a total split over the first cohort.

    With neither rate nor total the model is only a key for splitting actual costs (R-INV-5), and
    the parties' committed shares are zero.
    """

    metric: str
    rate: Decimal | None = None
    total: Decimal | None = None
    model: str = "proportional"

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Proportional:
        _only(data, {"model", "metric", "rate", "total"})
        if data.get("rate") is not None and data.get("total") is not None:
            raise InvalidInput("give a rate or a total, not both", code="invalid_cost_sharing")
        rate = data.get("rate")
        total = data.get("total")
        return cls(_name(data.get("metric"), "metric"),
                   None if rate is None else _non_negative(rate),
                   None if total is None else _non_negative(total))

    def check_party(self, category: str | None, metric: Decimal | None) -> None:
        if metric is None or metric <= 0:
            raise InvalidInput(f"this agreement shares costs by {self.metric}: give a metric above 0",
                               code="metric_required")

    def shares(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Decimal]:
        if self.rate is not None:
            return {p.party_id: round_cents(self.rate * (p.metric or 0)) for p in parties}
        if self.total is None or not parties:
            return {p.party_id: ZERO for p in parties}
        cohort = _cohort(parties, first_issue_on)
        cohort_units = sum((p.metric or Decimal(0) for p in cohort), Decimal(0))
        shares = split(self.total, {p.party_id: p.metric or 0 for p in cohort},
                       order=[p.party_id for p in cohort])
        for p in parties:
            if p.party_id not in shares:  # a later joiner pays the cohort's exact rate (R-ACC-2)
                shares[p.party_id] = round_cents(Fraction(self.total) * Fraction(p.metric or 0)
                                                 / Fraction(cohort_units))
        return shares

    def key(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Fraction]:
        return {p.party_id: Fraction(p.metric or 0) for p in parties}

    @property
    def key_changes(self) -> str | None:
        # A key-only model: the metric is a key that changes by period. With a rate or a total the
        # metric fixed a committed share at accession; a new fee is an amendment (R-FUND-5).
        return "metric" if self.rate is None and self.total is None else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"model": self.model, "metric": self.metric}
        if self.rate is not None:
            data["rate"] = fmt(self.rate)
        if self.total is not None:
            data["total"] = fmt(self.total)
        return data


@dataclass(frozen=True)
class Equal(CostSharing):
    """A total split equally over the first cohort; a later joiner pays the same amount."""

    total: Decimal
    model: str = "equal"

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Equal:
        _only(data, {"model", "total"})
        if data.get("total") is None:
            raise InvalidInput("the equal model needs a total", code="invalid_cost_sharing")
        return cls(_non_negative(data["total"]))

    def check_party(self, category: str | None, metric: Decimal | None) -> None:
        return None

    def shares(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Decimal]:
        if not parties:
            return {}
        cohort = _cohort(parties, first_issue_on)
        shares = split(self.total, {p.party_id: 1 for p in cohort}, order=[p.party_id for p in cohort])
        later = round_cents(Fraction(self.total) / len(cohort))
        return {p.party_id: shares.get(p.party_id, later) for p in parties}

    def key(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Fraction]:
        return {p.party_id: Fraction(1) for p in parties}

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "total": fmt(self.total)}


@dataclass(frozen=True)
class FixedKey(CostSharing):
    """Each party bears a fixed fraction of the shared costs, given at its accession (Mäntyharju 3/4,
    Hirvensalmi 1/4, seed 003; R-ACC-5). Like the key-only proportional model it commits no money: the
    key splits actual costs (R-INV-5) and weighs votes (R-GOV-1). The live parties' keys sum to at most
    1; a period's shared costs are split only when the keys of the parties taking part sum to exactly 1,
    by largest remainder; costs borne jointly by some parties are split among them by their keys."""

    model: str = "fixed_key"

    @classmethod
    def parse(cls, data: dict[str, Any]) -> FixedKey:
        _only(data, {"model"})
        return cls()

    def check_party(self, category: str | None, metric: Decimal | None) -> None:
        return None

    def shares(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Decimal]:
        return {p.party_id: ZERO for p in parties}

    def key(self, parties: list[PartyBasis], first_issue_on: date | None) -> dict[UUID, Fraction]:
        return {p.party_id: p.key or Fraction(0) for p in parties}

    @property
    def key_changes(self) -> str | None:
        return "key"

    def check_complete(self, key: dict[UUID, Fraction], what: str) -> None:
        total = sum(key.values(), Fraction(0))
        if total != 1:
            raise Conflict(f"the fixed keys of the parties taking part sum to {total}, not 1: cannot split "
                           f"{what}; update the keys from that period", code="key_incomplete",
                           extra={"key_sum": str(total)})

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model}
