"""Tranches and supplementary funding (R-FUND-5, R-GOV-3): the agreement's whole invoicing schedule,
which tranches a steering decision has released, what each party is billed of the plan, of its binding
amendments and of the portions released of a ceiling, and the split by the key.

Pure functions over the Agreement's state, so the aggregate keeps only its events. Instalments are
numbered from 1 across the original plan, then every amendment in the order it was proposed, and each
portion as it is released; those numbers go into invoice ids, so a number, once given, never changes.
Proposing, signing and releasing amendments are in ``domain.funding.amendments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.kernel.errors import Conflict, InvalidInput
from domain.membership.rules import DecisionRef
from domain.kernel.money import ZERO, fmt, money, split
from domain.agreements.terms import Instalment, instalment_amounts

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement

MAX_AMENDMENTS = 50
AMENDMENT_KINDS = ("budget", "other")


@dataclass(frozen=True)
class PartyInstalment:
    """One instalment as one party is billed it."""

    number: int  # across the plan and its amendments, from 1
    amount: Decimal
    issue_on: date
    share: Fraction  # of the cost share (amendment 0) or of the amendment's additional share
    requires_release: bool
    amendment: int  # 0: the original plan
    catch_up: bool  # billed on the party's catch-up invoice at its accession (R-INV-2)
    binds_on: date | None = None  # an amendment's: due no earlier than the day it binds (or its portion's release)
    portion: int = 0  # of a ceiling: the released portion it bills, from 1


# Releases ---------------------------------------------------------------------------------------

def schedule_size(agreement: Agreement) -> int:
    """The last instalment's number: of the plan, its amendments (pending ones too) and the portions
    released of ceilings."""
    numbers = [i["number"] for a in agreement.amendments for i in a["instalments"]]
    numbers += [r["number"] for a in agreement.amendments for r in a.get("releases", ())]
    return max([len(agreement.instalments), *numbers])


def requires_release(agreement: Agreement, number: int) -> bool | None:
    """Whether instalment ``number`` is a tranche; None if there is no such instalment (a released
    portion is no tranche: it was released when it got its number)."""
    if 1 <= number <= len(agreement.instalments):
        return bool(agreement.instalments[number - 1].get("requires_release", False))
    for amendment in agreement.amendments:
        for item in amendment["instalments"]:
            if item["number"] == number:
                return bool(item.get("requires_release", False))
        if any(r["number"] == number for r in amendment.get("releases", ())):
            return False
    return None


def release_of(agreement: Agreement, number: int) -> tuple[date, UUID] | None:
    """When instalment ``number`` was released, and by which decision; None if it was not."""
    return next(((r[1], r[2]) for r in agreement.releases if r[0] == number), None)


def is_released(agreement: Agreement, number: int, tranche: bool, day: date) -> bool:
    """Whether an instalment may be invoiced as of a day: it needs no release, or was released by then."""
    if not tranche:
        return True
    release = release_of(agreement, number)
    return release is not None and release[0] <= day


def check_release(agreement: Agreement, subject: dict[str, Any], decided_on: date) -> int:
    """The instalment a tranche_release decision names in ``{"instalment": n}``: a tranche of the plan,
    or of an amendment signed by the decision date, not released before."""
    number = subject.get("instalment")
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput("subject.instalment must be the number of an instalment, from 1",
                           code="invalid_subject")
    tranche = requires_release(agreement, number)
    if tranche is None:
        raise InvalidInput(f"{agreement.code} has no instalment {number} (it has "
                           f"{schedule_size(agreement)})", code="invalid_subject")
    if not tranche:
        raise InvalidInput(f"instalment {number} of {agreement.code} needs no release",
                           code="invalid_subject")
    amendment = next((a for a in agreement.amendments if any(i["number"] == number for i in a["instalments"])),
                     None)
    signed_on = None if amendment is None else amendment["signed_on"]
    if amendment is not None and (signed_on is None or decided_on < signed_on):
        raise InvalidInput(f"instalment {number} is of amendment {amendment['amendment']}, not binding on "
                           f"{decided_on} (binding since: {signed_on or 'not every party has signed'})",
                           code="invalid_subject")
    released = release_of(agreement, number)
    if released is not None:
        raise Conflict(f"instalment {number} was released on {released[0]} by decision {released[1]}",
                       code="tranche_already_released")
    return number


# What each party is billed ----------------------------------------------------------------------

def party_instalments(agreement: Agreement, party: dict[str, Any], share: Decimal) -> list[PartyInstalment]:
    """A party's instalments: its cost share split over the plan, and each additional share it has
    in an amendment split over that amendment's instalments, each summing to its share exactly.

    A party that accedes after the first instalment's date has the plan's instalments dated in its
    accession year or earlier on one catch-up invoice (R-INV-2), except tranches not released by its
    accession: those wait for their release like everyone's.
    """
    plan = agreement.plan
    pid, joined_on = party["party_id"], party["joined_on"]
    late = bool(plan) and joined_on > plan[0].issue_on
    items = []
    amounts = instalment_amounts(share, plan) if plan else []
    for number, (inst, amount) in enumerate(zip(plan, amounts, strict=True), 1):
        catch_up = late and inst.issue_on.year <= joined_on.year and is_released(
            agreement, number, inst.requires_release, joined_on)
        items.append(PartyInstalment(number, amount, inst.issue_on, inst.share, inst.requires_release, 0,
                                     catch_up))
    for amendment in agreement.amendments:
        extra = amendment["shares"].get(str(pid))
        binds_on = amendment["signed_on"]  # None while not every party has signed: nothing is billed
        if extra is None or binds_on is None:
            continue
        for release in amendment.get("releases", ()):  # a ceiling bills only its released portions
            items.append(PartyInstalment(release["number"], Decimal(release["shares"].get(str(pid), ZERO)),
                                         release["issue_on"], Fraction(1), False, amendment["amendment"], False,
                                         release["released_on"], release["portion"]))
        stored = amendment["instalments"]
        if not stored:
            continue
        parts = amendment_plan(amendment)
        for item, inst, amount in zip(stored, parts, instalment_amounts(extra, parts), strict=True):
            items.append(PartyInstalment(item["number"], amount, inst.issue_on, inst.share,
                                         inst.requires_release, amendment["amendment"], False, binds_on))
    return items


def amendment_plan(amendment: dict[str, Any]) -> tuple[Instalment, ...]:
    """The instalments of a stored amendment (validated when it was signed)."""
    return tuple(Instalment(i["issue_on"], Fraction(i["share"]), i["requires_release"])
                 for i in amendment["instalments"])


# Splitting by the key ---------------------------------------------------------------------------

def split_by_key(agreement: Agreement, parties: list[dict[str, Any]], amount: Decimal, on: date | None = None
                 ) -> dict[UUID, Decimal]:
    """An amount split over some parties by the agreement's key (in force on ``on``, R-ACC-5), largest
    remainder, ties in accession order; it sums to the amount exactly."""
    if amount == 0:
        return {p["party_id"]: ZERO for p in parties}
    key = agreement.key(parties, on=on)
    if not any(key.values()):
        raise Conflict(f"{agreement.code}'s key gives these parties no weight to split {fmt(amount)} by",
                       code="no_sharing_key")
    parts = split(amount, key, order=[p["party_id"] for p in parties])
    assert sum(parts.values(), ZERO) == amount, "a split sums to its total"
    return parts


# Amendments -------------------------------------------------------------------------------------

def check_amendment_subject(kind: str, subject: dict[str, Any]) -> None:
    """A budget or other decision that authorises an amendment may name its total as a money string."""
    if kind in AMENDMENT_KINDS and subject.get("amendment") is True and "total" in subject:
        total = subject["total"]
        try:
            if not isinstance(total, str) or money(total) <= 0:
                raise InvalidInput("not positive", code="invalid_amount")
        except InvalidInput:
            raise InvalidInput("subject.total of an amendment is a money string above zero, like "
                               '"2200000.00"', code="invalid_subject") from None


def check_amendment_decision(agreement: Agreement, decision: DecisionRef | None, signed_on: date,
                             total: Decimal) -> UUID:
    """The rule for supplementary funding (R-FUND-5, R-GOV-3): the amendment cites a passed decision of
    this agreement, of kind budget or other, whose subject has ``"amendment": true`` and, if it names
    a ``"total"``, names this amendment's total; taken on or before signing; used for no other amendment."""
    if decision is None or decision.agreement_id != agreement.id:
        raise Conflict("no such steering decision in this agreement", code="decision_required")
    problem = None
    if decision.kind not in AMENDMENT_KINDS:
        problem = f"is a decision of kind {decision.kind}"
    elif not decision.passed:
        problem = "did not pass"
    elif decision.subject.get("amendment") is not True:
        problem = 'does not decide an amendment (its subject has no "amendment": true)'
    elif "total" in decision.subject and not _names(decision.subject["total"], total):
        problem = f"names the total {decision.subject['total']}, not {fmt(total)}"
    elif decision.decided_on > signed_on:
        problem = f"was taken after {signed_on}"
    if problem is not None:
        raise Conflict(f"decision {decision.decision_id} {problem}; an amendment needs a passed budget "
                       'or other decision with "amendment": true', code="decision_required")
    for amendment in agreement.amendments:
        if amendment["decision_id"] == decision.decision_id:
            raise Conflict(f"decision {decision.decision_id} already authorised amendment "
                           f"{amendment['amendment']}", code="decision_already_used")
    return decision.decision_id


def _names(value: Any, total: Decimal) -> bool:
    try:
        return isinstance(value, str) and money(value) == total
    except InvalidInput:
        return False


def amendment_view(agreement: Agreement, amendment: dict[str, Any], *, with_parties: bool = True,
                   as_of: date | None = None) -> dict[str, Any]:
    """An amendment as the API shows it: its instalments and, optionally, each party's additional share."""
    decision_id, signed_on = amendment["decision_id"], amendment["signed_on"]
    if signed_on is not None and as_of is not None and signed_on > as_of:
        signed_on = None  # not yet binding on that day
    view: dict[str, Any] = {
        "amendment": amendment["amendment"], "decision_id": None if decision_id is None else str(decision_id),
        "signed_on": None if signed_on is None else signed_on.isoformat(), "total": fmt(amendment["total"]),
        "instalments": [instalment_view(agreement, item["number"], item, as_of)
                        for item in amendment["instalments"]]}
    if with_parties:
        signed = {str(s["party_id"]) for s in amendment.get("signatures", ())
                  if as_of is None or s["signed_on"] <= as_of}
        view["parties"] = [{"party_id": pid, "additional_share": fmt(Decimal(amount)),
                            "signed": signed_on is not None or pid in signed}
                           for pid, amount in amendment["shares"].items()]
    return view


def instalment_view(agreement: Agreement, number: int, item: dict[str, Any], as_of: date | None = None
                    ) -> dict[str, Any]:
    """One stored instalment with its number and, for a tranche, its release (by ``as_of``, if given)."""
    release = release_of(agreement, number)
    if release is not None and as_of is not None and release[0] > as_of:
        release = None
    return {"number": number, "issue_on": item["issue_on"].isoformat(), "share": item["share"],
            "requires_release": bool(item.get("requires_release", False)),
            "released_on": None if release is None else release[0].isoformat(),
            "released_by": None if release is None else str(release[1])}
