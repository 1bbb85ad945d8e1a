"""The Ledger's commands and queries for agreements and accessions (R-AGR-1, R-ACC-*).

A mixin of the Ledger application: it uses the Ledger's ``_execute`` (one save per command, with
its idempotency record and one retry on a concurrent write), ``_read`` and ``exists``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement
from domain.agreements.billing import BillingDetails
from domain.agreements.catalogue import AgreementCatalogue
from domain.agreements.views import agreement_view, party_view
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.identifiers import agreement_id as agreement_id_of
from domain.kernel.identifiers import business_id as check_business_id
from domain.kernel.identifiers import party_id as party_id_of
from domain.kernel.idempotency import Idempotency
from domain.kernel.memo import per_version
from domain.records.contacts import ContactDetails
from domain.kernel.money import ZERO, fmt
from domain.kernel.paging import items_after
from domain.records.retention import retention_view

if TYPE_CHECKING:
    from eventsourcing.application import Repository

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]

MAX_PAGE = 500
_DATES_KEPT = 8  # dates whose party views are kept per version of an agreement
_VIEWS_LOCK = threading.Lock()
_CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


class AgreementCommands:
    """Sign agreements, record accessions, and read agreements and their parties."""

    if TYPE_CHECKING:
        repository: Repository

        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def exists(self, aggregate_id: UUID) -> bool: ...
        def _adding_contacts(self, command: Command, agreement_id: UUID, party_id: UUID,
                             contacts: Sequence[ContactDetails], *, added_on: date,
                             idempotency: Idempotency | None, details_hash: str | None) -> dict[str, Any]: ...

    # Commands ----------------------------------------------------------------------------------

    def create_agreement(self, *, code: str, title: str, coordinator: dict[str, Any], starts_on: date,
                         ends_on: date, cost_sharing: dict[str, Any], instalments: list[dict[str, Any]],
                         terms: dict[str, Any] | None = None, signed_on: date | None = None,
                         invoicer: dict[str, Any] | None = None, seller_bank: dict[str, str] | None = None,
                         vat: dict[str, Any] | None = None,
                         idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Sign a new agreement; its code must be new. ``signed_on`` defaults to the term's start.
        ``seller_bank`` (iban, bic) and ``vat`` (treatment, reason) may be recorded with it (R-INV-6)."""
        code = _check_code(code)
        for day in (starts_on, ends_on, signed_on, *(i.get("issue_on") for i in instalments
                                                     if isinstance(i, dict))):
            if isinstance(day, date):
                check_business_year(day)  # a far-future date would stay in the history for good

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            if self.exists(agreement_id_of(code)):
                raise Conflict(f"an agreement with code {code} exists", code="agreement_code_taken")
            agreement = Agreement.open(code=code, title=title, coordinator=coordinator,
                                       starts_on=starts_on, ends_on=ends_on, cost_sharing=cost_sharing,
                                       instalments=instalments, terms=terms, signed_on=signed_on,
                                       invoicer=invoicer)
            catalogue = self._catalogue()
            catalogue.list_agreement(agreement_id=agreement.id, code=code)
            billing = _billing(agreement, seller_bank, vat)
            return [agreement, catalogue, *billing], {"id": str(agreement.id)}

        return self._execute(command, idempotency)

    def accede(self, agreement_id: UUID, *, name: str, business_id: str, signed_on: date,
               category: str | None = None, metric: Any = None, key: Any = None,
               contacts: Sequence[ContactDetails] = (),
               idempotency: Idempotency | None = None, details_hash: str | None = None) -> dict[str, Any]:
        """A party accedes to an agreement (R-ACC-1); returns its id, annex and cost share.

        ``contacts`` are added to it in the same save (see ``add_contact`` for ``details_hash``).
        """

        check_business_year(signed_on)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            pid = agreement.accede(name=name, business_id=business_id, signed_on=signed_on,
                                   category=category, metric=metric, key=key)
            view = party_view(agreement, agreement.party(pid), agreement.shares())
            return [agreement], {k: view[k] for k in ("party_id", "annex", "cost_share")}

        if contacts:
            party = party_id_of(agreement_id, check_business_id(business_id))
            return self._adding_contacts(command, agreement_id, party, contacts, added_on=signed_on,
                                         idempotency=idempotency, details_hash=details_hash)
        return self._execute(command, idempotency)

    # Queries ---------------------------------------------------------------------------------

    def get_agreement(self, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
        """One agreement with its status as of a date, its terms and committed funding."""
        return agreement_view(self._read(agreement_id, Agreement, "agreement"), as_of)

    def list_agreements(self, *, as_of: date, limit: int, after: UUID | None = None,
                        member: str | None = None) -> list[dict[str, Any]]:
        """Agreements in creation order, a page at a time; ``member`` keeps those a business is party to."""
        limit = _page(limit)
        if not self.exists(AgreementCatalogue.create_id()):
            return []
        entries = self._catalogue().entries
        start = 0
        if after is not None:
            ids = [entry[0] for entry in entries]
            start = ids.index(after) + 1 if after in ids else len(ids)
        page: list[dict[str, Any]] = []
        for agreement_id, _code in entries[start:]:
            agreement: Agreement = self._read(agreement_id, Agreement, "agreement")  # a query: no copy
            if member is None or agreement.is_live_party(member, as_of):
                page.append(agreement_view(agreement, as_of))
            if len(page) == limit:
                break
        return page

    def agreement_ids(self) -> list[UUID]:
        """Every agreement's id, in creation order (the catalogue is bounded)."""
        if not self.exists(AgreementCatalogue.create_id()):
            return []
        return [entry[0] for entry in self._catalogue().entries]

    def list_parties(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                     business_id: str | None = None, as_of: date | None = None) -> list[dict[str, Any]]:
        """The parties in accession order, a page at a time; ``business_id`` keeps only that party;
        ``as_of`` gives each party's status on that date."""
        limit = _page(limit)
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        parties = agreement.parties_in_order()
        parties = items_after(parties, after, key=lambda p: p["party_id"])
        return _party_views(agreement, parties, as_of, business_id)[:limit]

    def agreement_and_parties(self, agreement_id: UUID, *, as_of: date, business_id: str | None = None,
                              whole: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An agreement as of a date and all its parties (``business_id``: only that one), from one read.

        With ``whole=False`` the agreement is only its code and retention record, which is cheaper.
        """
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        head = _head(agreement, as_of, whole)
        if business_id is not None:  # one party: looked up by its id, not found by a walk over all
            party = agreement.party_by_business_id(business_id)
            return head, _party_views(agreement, [] if party is None else [party], as_of, business_id)
        return head, _all_party_views(agreement, as_of)

    def party_page(self, agreement_id: UUID, *, as_of: date, limit: int | None, after: UUID | None = None,
                   whole: bool = True) -> PartyPage:
        """An agreement as of a date and a page of its parties in accession order after the party ``after``
        (none if it is not one of them), at most ``limit``, with the sums over every party: the cost of a
        page follows the page, not the parties (their views, places and sums are kept per version)."""
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        head = _head(agreement, as_of, whole)
        views = _views(agreement, as_of)
        start = 0 if after is None else views.positions.get(str(after), len(views.rows) - 1) + 1
        end = len(views.rows) if limit is None else start + limit
        return PartyPage(head, [dict(row) for row in views.rows[start:end]], views.cost_share, views.committed)

    def get_party(self, agreement_id: UUID, party_id: UUID, *, as_of: date | None = None) -> dict[str, Any]:
        """One party of an agreement (its status as of a date, if given)."""
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        return party_view(agreement, agreement.party(party_id), agreement.shares(), as_of)

    def is_member(self, agreement_id: UUID, business_id: str, *, on: date | None = None) -> bool:
        """Whether a business is a party to an agreement whose participation has not ended (by ``on``)."""
        return self._read(agreement_id, Agreement, "agreement").is_live_party(business_id, on)

    def _catalogue(self) -> AgreementCatalogue:
        try:
            return self.repository.get(AgreementCatalogue.create_id())
        except AggregateNotFoundError:
            return AgreementCatalogue()


class PartyPage(NamedTuple):
    """A page of an agreement's parties as of a date, with what every party's rows sum to."""

    head: dict[str, Any]  # the agreement (or its code and retention record, ``whole=False``)
    rows: list[dict[str, Any]]  # the page's party views, the caller's own copies
    cost_share: Decimal  # the cost shares of every party
    committed: Decimal  # the commitments of every party (R-FUND-5)


class _Views(NamedTuple):
    rows: list[dict[str, Any]]
    positions: dict[str, int]  # a party's id (as text) to its place in ``rows``
    cost_share: Decimal
    committed: Decimal


def _head(agreement: Agreement, as_of: date, whole: bool) -> dict[str, Any]:
    """The agreement as of a date, or (``whole=False``, cheaper) only its code and retention record."""
    return agreement_view(agreement, as_of) if whole else {"code": agreement.code, **retention_view(agreement)}


def _all_party_views(agreement: Agreement, as_of: date) -> list[dict[str, Any]]:
    """Every party's view as of a date; each caller gets its own copies of the rows."""
    return [dict(view) for view in _views(agreement, as_of).rows]


def _views(agreement: Agreement, as_of: date) -> _Views:
    """Every party's view as of a date, where each party is, and the sums of their cost shares and
    commitments: made once per version of the (cached, never changed) agreement and date, for the last
    ``_DATES_KEPT`` dates asked. Shared: callers copy what they hand out."""
    kept: dict[date, _Views] = per_version(agreement, "party_views", dict)
    views = kept.get(as_of)
    if views is None:
        rows = _party_views(agreement, agreement.parties_in_order(), as_of, None)
        views = _Views(rows, {str(row["party_id"]): n for n, row in enumerate(rows)},
                       sum((Decimal(row["cost_share"]) for row in rows), ZERO),
                       sum((Decimal(row["committed"]) for row in rows), ZERO))
        with _VIEWS_LOCK:
            while len(kept) >= _DATES_KEPT:
                del kept[next(iter(kept))]
            kept[as_of] = views
    return views


def _party_views(agreement: Agreement, parties: list[dict[str, Any]], as_of: date | None,
                 business_id: str | None) -> list[dict[str, Any]]:
    shares = agreement.shares()
    extra = agreement.amendment_commitments(as_of)  # R-FUND-5: binding amendments and released portions
    return [{**party_view(agreement, p, shares, as_of),
             "committed": fmt(shares[p["party_id"]] + extra.get(str(p["party_id"]), ZERO))}
            for p in parties if business_id is None or p["business_id"] == business_id]


def _billing(agreement: Agreement, seller_bank: dict[str, str] | None, vat: dict[str, Any] | None
             ) -> list[BillingDetails]:
    """The billing details recorded with a new agreement, if any were given."""
    if seller_bank is None and vat is None:
        return []
    billing = BillingDetails(agreement_id=agreement.id)
    if seller_bank is not None:
        billing.set_seller_bank(iban=seller_bank.get("iban", ""), bic=seller_bank.get("bic", ""),
                                recorded_on=agreement.signed)
    if vat is not None:
        billing.set_vat(treatment=vat.get("treatment"), reason=vat.get("reason"), recorded_on=agreement.signed)
    return [billing]


def _check_code(code: str) -> str:
    if not isinstance(code, str) or not 0 < len(code) <= 40 or not set(code) <= _CODE_CHARS:
        raise InvalidInput("code must be 1 to 40 letters, digits, '-', '_' or '.'", code="invalid_code")
    return code


def _page(limit: int) -> int:
    if not 0 < limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
    return limit
