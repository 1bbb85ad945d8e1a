"""Late-payment interest under the Interest Act (633/1982) (R-INV-6): a claim until finance invoices it.

The rate is the reference rate in force + 7 percentage points (§4). The reference rate is set for each
half-year (§12: the rate in force on 1 January applies to January–June, on 1 July to July–December), so
the table holds rates valid from the first day of a half-year. Interest runs day by day from the day
after the due date, on what was still unpaid at the start of the day, as actual days / 365: a payment
(or credit note) dated on a day stops interest on its amount from the next day. 12,500.00 due
2025-09-22 and paid 2025-10-22 at a 2.0 % reference rate is 30 days at 9.0 %: 92.47.

Pure functions and two small aggregates: the national table of reference rates, and each party's
interest account in an agreement, which records what was invoiced or waived, through which date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import ZERO, fmt, round_cents

MARGIN_PP = Decimal("7")  # Interest Act §4(1): the reference rate + 7 percentage points
DAYS_IN_YEAR = 365
MAX_RATES = 500  # two a year for 250 years: a bound on the table
MIN_RATE_PCT, MAX_RATE_PCT = Decimal("-5"), Decimal("25")
MAX_ENTRIES = 1_000  # interest invoices and waivers per party and agreement
MAX_REASON_CHARS = 500


def check_rate(valid_from: date, rate_pct: Decimal) -> None:
    """A reference rate is valid from 1 January or 1 July (§12), with at most three decimals, -5 … 25 %."""
    if (valid_from.month, valid_from.day) not in ((1, 1), (7, 1)):
        raise InvalidInput("a reference rate is valid from the first day of a half-year, 1 January or 1 July "
                           "(Interest Act 633/1982 §12)", code="invalid_valid_from")
    if not rate_pct.is_finite() or rate_pct.as_tuple().exponent < -3 or not MIN_RATE_PCT <= rate_pct <= MAX_RATE_PCT:
        raise InvalidInput(f"a reference rate is {MIN_RATE_PCT} to {MAX_RATE_PCT} % with at most three decimals",
                           code="invalid_rate")


class ReferenceRates(Aggregate):
    """The reference rates of the Interest Act, by the half-year they apply from; one table for the ledger."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "ledger:interest-act:reference-rates")

    @event("Opened")
    def __init__(self) -> None:
        self.rates: list[dict[str, Any]] = []  # by valid_from; a later recording for a half-year replaces it

    def record(self, *, valid_from: date, rate_pct: Decimal, recorded_on: date) -> None:
        """Record the rate of a half-year; recording one again corrects it (a new event, never an edit)."""
        check_rate(valid_from, rate_pct)
        if len(self.rates) >= MAX_RATES and self.rate_on(valid_from) is None:
            raise Conflict("the table of reference rates is full", code="too_many_rates")
        self.rate_recorded(valid_from=valid_from, rate_pct=rate_pct, recorded_on=recorded_on)

    @event("RateRecorded")
    def rate_recorded(self, *, valid_from: date, rate_pct: Decimal, recorded_on: date) -> None:
        self.rates = sorted([r for r in self.rates if r["valid_from"] != valid_from]
                            + [{"valid_from": valid_from, "rate_pct": rate_pct, "recorded_on": recorded_on}],
                            key=lambda r: r["valid_from"])

    def rate_on(self, valid_from: date) -> Decimal | None:
        return next((r["rate_pct"] for r in self.rates if r["valid_from"] == valid_from), None)

    def table(self) -> list[tuple[date, Decimal]]:
        """(valid from, reference rate %) in date order."""
        return [(r["valid_from"], r["rate_pct"]) for r in self.rates]

    def view(self) -> list[dict[str, Any]]:
        return [{"valid_from": r["valid_from"], "reference_rate": str(r["rate_pct"]),
                 "interest_rate": str(r["rate_pct"] + MARGIN_PP), "recorded_on": r["recorded_on"]}
                for r in self.rates]


def reference_rate(table: list[tuple[date, Decimal]], day: date) -> Decimal:
    """The reference rate in force on a day: the latest valid from it or before (409 if none is recorded)."""
    rate = None
    for valid_from, pct in table:
        if valid_from > day:
            break
        rate = pct
    if rate is None:
        raise Conflict(f"no reference rate is recorded for {day}; record the half-year's rate first "
                       "(POST /v1/reference-rates)", code="reference_rate_missing")
    return rate


@dataclass(frozen=True)
class Debt:
    """What interest runs on: an invoice's amount, due date and what settled it when (payments, credit notes)."""

    amount: Decimal
    due_on: date
    settlements: tuple[tuple[date, Decimal], ...]


def interest(debt: Debt, table: list[tuple[date, Decimal]], *, after: date, through: date) -> Decimal:
    """The interest on a debt over the days after ``after`` (and after the due date) up to ``through``, in
    cents: the exact sum over each day of (unpaid at the start of the day) × (reference rate + 7 pp) / 365,
    rounded once."""
    first = max(after, debt.due_on) + timedelta(days=1)
    end = through + timedelta(days=1)
    if first >= end:
        return ZERO
    cuts = {first, end}
    cuts |= {on + timedelta(days=1) for on, _ in debt.settlements}
    cuts |= {valid_from for valid_from, _ in table}
    points = sorted(day for day in cuts if first <= day <= end)
    total = Fraction(0)
    for start, stop in zip(points, points[1:]):
        unpaid = debt.amount - sum((amount for on, amount in debt.settlements if on < start), ZERO)
        if unpaid <= 0:
            continue
        rate = reference_rate(table, start) + MARGIN_PP
        total += Fraction(unpaid) * Fraction(rate) * (stop - start).days / (100 * DAYS_IN_YEAR)
    return round_cents(max(total, Fraction(0)))


class InterestAccount(Aggregate):
    """One party's late-payment interest in an agreement: what was invoiced or waived, through which date."""

    @staticmethod
    def create_id(agreement_id: UUID, party_id: UUID) -> UUID:
        return uuid5(agreement_id, f"interest-account:{party_id}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, party_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.party_id = party_id
        self.entries: list[dict[str, Any]] = []  # invoiced and waived, in order

    def _check_room(self, on: date) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            raise Conflict("this party's interest account is full", code="too_many_interest_entries")
        if self.entries and on < self.entries[-1]["on"]:
            raise InvalidInput(f"interest was settled through {self.entries[-1]['on']} already; a later "
                               "invoice or waiver cannot be dated before it", code="invalid_date")

    def invoice(self, *, invoice_id: UUID, issued_on: date, lines: list[dict[str, Any]]) -> None:
        """Record that the claim through ``issued_on`` went out on an interest invoice."""
        self._check_room(issued_on)
        self.interest_invoiced(agreement_id=self.agreement_id, party_id=self.party_id, invoice_id=invoice_id,
                               issued_on=issued_on, lines=lines)

    @event("Invoiced")
    def interest_invoiced(self, *, agreement_id: UUID, party_id: UUID, invoice_id: UUID, issued_on: date,
                          lines: list[dict[str, Any]]) -> None:
        self.entries.append({"kind": "invoiced", "on": issued_on, "invoice_id": invoice_id, "lines": lines})

    def waive(self, *, waived_on: date, reason: str, lines: list[dict[str, Any]]) -> None:
        """Record that finance waived the claim through ``waived_on``, and why."""
        self._check_room(waived_on)
        self.interest_waived(agreement_id=self.agreement_id, party_id=self.party_id, waived_on=waived_on,
                             reason=reason, lines=lines)

    @event("Waived")
    def interest_waived(self, *, agreement_id: UUID, party_id: UUID, waived_on: date, reason: str,
                        lines: list[dict[str, Any]]) -> None:
        self.entries.append({"kind": "waived", "on": waived_on, "reason": reason, "lines": lines})

    def settled_through(self, as_of: date) -> dict[str, date]:
        """For each invoice, the last day whose interest was invoiced or waived by a date."""
        through: dict[str, date] = {}
        for entry in self.entries:
            if entry["on"] <= as_of:
                for line in entry["lines"]:
                    through[str(line["invoice_id"])] = entry["on"]
        return through

    def totals(self, as_of: date) -> dict[str, Decimal]:
        """What was invoiced and waived by a date."""
        sums = {"invoiced": ZERO, "waived": ZERO}
        for entry in self.entries:
            if entry["on"] <= as_of:
                sums[entry["kind"]] += sum((line["amount"] for line in entry["lines"]), ZERO)
        return sums


def claim_lines(debts: list[tuple[dict[str, Any], Debt]], table: list[tuple[date, Decimal]],
                settled: dict[str, date], as_of: date) -> list[dict[str, Any]]:
    """The interest each invoice has accrued since what was invoiced or waived of it, through ``as_of``;
    ``debts`` pairs each invoice's id, number and due date with its debt. Invoices with none are left out."""
    lines = []
    for invoice, debt in debts:
        after = max(settled.get(str(invoice["invoice_id"]), debt.due_on), debt.due_on)
        amount = interest(debt, table, after=after, through=as_of)
        if amount > 0:
            lines.append({**invoice, "after": after, "through": as_of, "amount": amount})
    return lines


def line_view(line: dict[str, Any]) -> dict[str, Any]:
    """A claim line as the API shows it."""
    return {"invoice_id": str(line["invoice_id"]), "number": line["number"], "due_on": line["due_on"],
            "from": line["after"] + timedelta(days=1), "through": line["through"], "interest": fmt(line["amount"])}


def invoice_line(line: dict[str, Any]) -> dict[str, Any]:
    """A claim line as a line of the interest invoice (Finnish and English)."""
    return {"description": f"Viivästyskorko / late-payment interest, {line['number']} "
                           f"{line['after'] + timedelta(days=1)} – {line['through']}",
            "amount": line["amount"]}
