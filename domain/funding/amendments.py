"""Amendments (muutossopimus) signed by every party, ceilings and their released portions (R-FUND-5).

Seed 002: an amendment states each party's amount, which need not follow the accession key (2022:
2,200,000 € in all, Vantaa 308,000 €), and binds only when every party has signed it, each by its own
decision (a city council's); until then it commits and invoices nothing, and a steering decision
alone cannot impose one. An amendment may instead set a ceiling (2023: at most 11,823,621 €, Vantaa
2,128,252 €) paid in yearly portions: each portion is invoiced only after a release decision that
states its amount, and no release may pass the ceiling, in total or for any party.

Pure functions over the Agreement's state that return the facts of its events
(``amendment_proposed``, ``amendment_signed``, ``portion_released``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.agreements.terms import instalments_from_dicts, instalments_to_dicts
from domain.funding.instalments import MAX_AMENDMENTS, check_amendment_decision, schedule_size, split_by_key
from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.money import ZERO, fmt, money, split
from domain.membership.rules import DecisionRef, is_member_on

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement

MAX_REFERENCE_CHARS = 200  # a signing party's own decision reference, e.g. "Kaupunginhallitus 19.12.2022 § 12"
MAX_PORTIONS = 50  # released portions of one ceiling


def amendment_of(agreement: Agreement, number: int) -> dict[str, Any]:
    """Amendment ``number`` (from 1), or not found."""
    if not 1 <= number <= len(agreement.amendments):
        raise NotFound(f"{agreement.code} has no amendment {number}")
    return agreement.amendments[number - 1]


def status_on(amendment: dict[str, Any], day: date | None = None) -> str:
    """``binding`` once every party has signed (by ``day``, if given), else ``pending``."""
    binds_on = amendment["signed_on"]
    return "binding" if binds_on is not None and (day is None or binds_on <= day) else "pending"


# Proposing --------------------------------------------------------------------------------------

def plan_proposal(agreement: Agreement, *, decision: DecisionRef | None, cites_decision: bool, dated_on: date,
                  total: Decimal | None, parties: list[tuple[UUID, Decimal]] | None,
                  instalments: list[dict[str, Any]], ceiling: bool = False) -> dict[str, Any]:
    """The facts of a proposed amendment: each party's amount (as stated, or ``total`` split by the key
    over the parties live on ``dated_on``), its instalments (none for a ceiling, whose portions are
    released later), and the parties that must sign it: every party live on its date.

    Instalments are numbered now, after the last one, so a number, once given, never changes. A cited
    steering decision (optional) must be a passed one that decides an amendment; it binds nobody.
    """
    agreement.check_live_on(dated_on)
    if len(agreement.amendments) >= MAX_AMENDMENTS:
        raise Conflict(f"an agreement has at most {MAX_AMENDMENTS} amendments", code="too_many_amendments")
    live = [p for p in agreement.parties_in_order() if is_member_on(p, dated_on)]
    if not live:
        raise Conflict(f"{agreement.code} has no parties on {dated_on}", code="no_sharing_key")
    plan = _instalments(agreement, instalments, dated_on, ceiling)
    if parties is None:
        if total is None:
            raise InvalidInput("an amendment states each party's amount (parties) or a total split by the key",
                               code="invalid_amount")
        _positive(total)
        shares = split_by_key(agreement, live, total, on=dated_on)  # the key in force then (R-ACC-5)
    else:
        shares = _stated(live, parties, dated_on)
        stated = sum(shares.values(), ZERO)
        _positive(stated)
        if total is not None and total != stated:
            raise InvalidInput(f"the parties' amounts sum to {fmt(stated)}, not the total {fmt(total)}",
                               code="amendment_total_mismatch")
        total = stated
    decision_id = check_amendment_decision(agreement, decision, dated_on, total) if cites_decision else None
    first = schedule_size(agreement) + 1
    return {"amendment": len(agreement.amendments) + 1, "decision_id": decision_id, "dated_on": dated_on,
            "total": total, "shares": {str(pid): amount for pid, amount in shares.items()},
            "instalments": [{"number": first + i, **item} for i, item in enumerate(plan)],
            "ceiling": ceiling, "signatories": [str(p["party_id"]) for p in live]}


def _instalments(agreement: Agreement, instalments: list[dict[str, Any]], dated_on: date, ceiling: bool
                 ) -> list[dict[str, Any]]:
    if ceiling:
        if instalments:
            raise InvalidInput("a ceiling has no instalments: its portions are invoiced as they are released",
                               code="invalid_instalments")
        return []
    if not instalments:
        raise InvalidInput("an amendment needs at least one instalment", code="invalid_instalments")
    plan = instalments_from_dicts(instalments, agreement.starts_on, agreement.ends_on)
    if plan[0].issue_on < dated_on:
        raise InvalidInput(f"an instalment of the amendment is dated {plan[0].issue_on}, before the amendment "
                           f"of {dated_on}", code="invalid_instalments")
    return instalments_to_dicts(plan)


def _stated(live: list[dict[str, Any]], parties: list[tuple[UUID, Decimal]], dated_on: date
            ) -> dict[UUID, Decimal]:
    """The amounts as stated, in accession order; every party named once and live on the date."""
    order = [p["party_id"] for p in live]
    given: dict[UUID, Decimal] = {}
    for pid, amount in parties:
        if pid not in order:
            raise InvalidInput(f"{pid} is not a party live on {dated_on}", code="invalid_amendment_party")
        if pid in given:
            raise InvalidInput(f"{pid} is named twice", code="invalid_amendment_party")
        if amount < 0:
            raise InvalidInput("a party's amount is at least 0.00", code="invalid_amount")
        given[pid] = amount
    return {pid: given.get(pid, ZERO) for pid in order}


def _positive(total: Decimal) -> None:
    if total <= 0:
        raise InvalidInput("an amendment's total must be above zero", code="invalid_amount")


# Signing ----------------------------------------------------------------------------------------

def check_signature(agreement: Agreement, number: int, pid: UUID, signed_on: date, decision_reference: str
                    ) -> dict[str, Any]:
    """The facts of one party's signature on a pending amendment: a party that must sign it and has not,
    on or after the amendment's date and within the term, citing its own decision (bounded text)."""
    amendment = amendment_of(agreement, number)
    reference = decision_reference.strip() if isinstance(decision_reference, str) else ""
    if not reference or len(decision_reference) > MAX_REFERENCE_CHARS:
        raise InvalidInput(f"decision_reference must be 1 to {MAX_REFERENCE_CHARS} characters", code="invalid_text")
    agreement.check_live_on(signed_on)
    if amendment["signed_on"] is not None:
        raise Conflict(f"amendment {number} is binding since {amendment['signed_on']}",
                       code="amendment_already_binding")
    if signed_on < amendment["dated_on"]:
        raise InvalidInput(f"amendment {number} is dated {amendment['dated_on']}, after {signed_on}",
                           code="signature_before_amendment")
    if str(pid) not in amendment["signatories"]:
        raise Conflict(f"{pid} is not a party that signs amendment {number}", code="not_a_signatory")
    if any(str(s["party_id"]) == str(pid) for s in amendment["signatures"]):
        raise Conflict(f"{pid} has signed amendment {number}", code="amendment_already_signed")
    return {"amendment": number, "party_id": pid, "signed_on": signed_on, "decision_reference": reference}


# Ceilings and released portions ------------------------------------------------------------------

def is_portion_subject(subject: dict[str, Any]) -> bool:
    """Whether a tranche_release decision releases a ceiling's portion (``{"amendment": n, "total"}``)
    rather than an instalment (``{"instalment": n}``)."""
    return "amendment" in subject and "instalment" not in subject


def plan_portion(agreement: Agreement, subject: dict[str, Any], decided_on: date,
                 parties: list[tuple[UUID, Decimal]] | None = None) -> dict[str, Any]:
    """The facts of a released portion (all but the decision's id), as a ``tranche_release`` decision
    states it: ``{"amendment": n, "total": "…"}`` and optionally ``"issue_on"`` (default: the decision's
    date) and ``"per_party": true`` (the amounts are then given per party when the release is recorded).

    The amendment must be a ceiling binding by the decision. The total is split by each party's share of
    the ceiling, largest remainder in accession order; the portion that reaches the ceiling gives each
    party exactly what is left of its own. No release may pass the ceiling, in total or for any party:
    409 ``ceiling_exceeded``.
    """
    number = subject.get("amendment")
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput("subject.amendment must be the number of an amendment, from 1", code="invalid_subject")
    try:
        amendment = amendment_of(agreement, number)
    except NotFound:
        raise InvalidInput(f"{agreement.code} has no amendment {number}", code="invalid_subject") from None
    total = _subject_money(subject.get("total"))
    if not amendment.get("ceiling", False):
        raise Conflict(f"amendment {number} sets no ceiling; its instalments are its own", code="not_a_ceiling")
    if status_on(amendment, decided_on) != "binding":
        raise Conflict(f"amendment {number} is not binding on {decided_on}: not every party has signed it",
                       code="amendment_not_binding")
    releases = amendment.get("releases", [])
    if len(releases) >= MAX_PORTIONS:
        raise Conflict(f"a ceiling has at most {MAX_PORTIONS} portions", code="too_many_portions")
    issue_on = _issue_on(agreement, subject.get("issue_on"), decided_on)
    left = {pid: Decimal(ceiling) - sum((Decimal(r["shares"].get(pid, ZERO)) for r in releases), ZERO)
            for pid, ceiling in amendment["shares"].items()}
    unreleased = sum(left.values(), ZERO)
    if total > unreleased:
        raise Conflict(f"a portion of {fmt(total)} passes the ceiling of amendment {number}: "
                       f"{fmt(unreleased)} of {fmt(amendment['total'])} is unreleased", code="ceiling_exceeded",
                       extra={"ceiling": fmt(amendment["total"]), "unreleased": fmt(unreleased)})
    if parties is not None:
        shares = _stated_portion(amendment, parties, total)
    elif total == unreleased:
        shares = left
    else:
        weights = {pid: Fraction(Decimal(amount)) for pid, amount in amendment["shares"].items()}
        shares = split(total, weights, order=list(amendment["shares"]))
    for pid, amount in shares.items():
        if amount > left[pid]:
            raise Conflict(f"a portion of {fmt(amount)} passes party {pid}'s ceiling in amendment {number}: "
                           f"{fmt(left[pid])} of it is unreleased", code="ceiling_exceeded",
                           extra={"party_id": pid, "unreleased": fmt(left[pid])})
    assert sum(shares.values(), ZERO) == total, "a portion's parts sum to it"
    return {"amendment": number, "portion": len(releases) + 1, "number": schedule_size(agreement) + 1,
            "released_on": decided_on, "issue_on": issue_on, "total": total,
            "shares": {pid: amount for pid, amount in shares.items()}}


def _stated_portion(amendment: dict[str, Any], parties: list[tuple[UUID, Decimal]], total: Decimal
                    ) -> dict[str, Decimal]:
    given: dict[str, Decimal] = {}
    for pid, amount in parties:
        if str(pid) not in amendment["shares"] or str(pid) in given:
            raise InvalidInput(f"{pid} is not named once among the amendment's parties",
                               code="invalid_amendment_party")
        if amount < 0:
            raise InvalidInput("a party's amount is at least 0.00", code="invalid_amount")
        given[str(pid)] = amount
    stated = sum(given.values(), ZERO)
    if stated != total:
        raise InvalidInput(f"the parties' amounts sum to {fmt(stated)}, not the decision's {fmt(total)}",
                           code="release_total_mismatch")
    return {pid: given.get(pid, ZERO) for pid in amendment["shares"]}


def check_per_party_release(agreement: Agreement, number: int, decision: DecisionRef | None,
                            parties: list[tuple[UUID, Decimal]]) -> dict[str, Any]:
    """The facts of a portion released per party: the cited decision is a passed ``tranche_release`` of
    this agreement whose subject names this amendment, its total and ``"per_party": true``, not used
    by another release; the parties' amounts sum to its total."""
    amendment_of(agreement, number)
    if decision is None or decision.agreement_id != agreement.id or decision.kind != "tranche_release" \
            or not decision.passed or decision.subject.get("amendment") != number \
            or decision.subject.get("per_party") is not True:
        raise Conflict(f'a portion released per party cites a passed tranche_release decision with subject '
                       f'{{"amendment": {number}, "total": …, "per_party": true}}', code="decision_required")
    for amendment in agreement.amendments:
        if any(r["decision_id"] == decision.decision_id for r in amendment.get("releases", ())):
            raise Conflict(f"decision {decision.decision_id} released a portion already",
                           code="decision_already_used")
    facts = plan_portion(agreement, decision.subject, decision.decided_on, parties)
    return {**facts, "decision_id": decision.decision_id}


def _subject_money(value: Any) -> Decimal:
    try:
        if not isinstance(value, str) or money(value) <= 0:
            raise InvalidInput("not positive", code="invalid_amount")
        return money(value)
    except InvalidInput:
        raise InvalidInput('subject.total of a portion is a money string above zero, like "2000000.00"',
                           code="invalid_subject") from None


def _issue_on(agreement: Agreement, value: Any, decided_on: date) -> date:
    if value is None:
        return decided_on
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or not decided_on <= day <= agreement.ends_on:
        raise InvalidInput(f"subject.issue_on is a date from the decision ({decided_on}) to the end of the term "
                           f"({agreement.ends_on})", code="invalid_subject")
    return day


# Views ------------------------------------------------------------------------------------------

def signing_view(amendment: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    """An amendment's status, date, ceiling and signatures (by ``as_of``, if given)."""
    signatures = [s for s in amendment.get("signatures", ()) if as_of is None or s["signed_on"] <= as_of]
    ceiling = bool(amendment.get("ceiling", False))
    releases = [r for r in amendment.get("releases", ()) if as_of is None or r["released_on"] <= as_of]
    released = sum((r["total"] for r in releases), ZERO)
    return {
        "status": status_on(amendment, as_of),
        "dated_on": amendment.get("dated_on", amendment["signed_on"]).isoformat(),
        "ceiling": ceiling,
        "signatories": list(amendment.get("signatories", ())),
        "signatures": [{"party_id": str(s["party_id"]), "signed_on": s["signed_on"].isoformat(),
                        "decision_reference": s["decision_reference"]} for s in signatures],
        "released": fmt(released) if ceiling else None,
        "unreleased": fmt(amendment["total"] - released) if ceiling else None,
        "portions": [{"portion": r["portion"], "number": r["number"], "decision_id": str(r["decision_id"]),
                      "released_on": r["released_on"].isoformat(), "issue_on": r["issue_on"].isoformat(),
                      "total": fmt(r["total"]),
                      "parties": [{"party_id": pid, "amount": fmt(Decimal(a))} for pid, a in r["shares"].items()]}
                     for r in releases],
    }
