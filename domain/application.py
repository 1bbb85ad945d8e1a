"""The Ledger application: the only write API. Commands take business dates; queries return plain data."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Transcoding

from domain.agreement import Agreement
from domain.contact_commands import ContactCommands
from domain.contacts import ContactDetails, ContactRegister
from domain.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound, VersionConflict
from domain.funding_commands import FundingCommands
from domain.identifiers import agreement_id as agreement_id_of
from domain.invoice import InvoiceBook
from domain.invoicing_commands import InvoicingCommands
from domain.identifiers import business_id as check_business_id
from domain.identifiers import party_id as party_id_of
from domain.membership_commands import MembershipCommands
from domain.records import ROLES, AgreementCatalogue, ApiToken, IdempotencyRecord
from domain.refunds import RefundCommands
from domain.retention import RetentionCommands, retention_view
from domain.spending import PaymentIndex
from domain.views import agreement_view, party_view

MAX_PAGE = 500
_CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


class DateAsISO(Transcoding):
    """Business dates are stored as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Idempotency:
    """An idempotency key of one caller, with the hash of the request it first came with."""

    scope: str
    key: str
    request_hash: str


MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, its role and, for a party, its business id."""

    token_id: UUID
    role: str
    business_id: str | None


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class Ledger(MembershipCommands, FundingCommands, InvoicingCommands, RefundCommands, RetentionCommands,
             ContactCommands, Application[UUID]):
    """Cooperation agreements, their parties and money, as events."""

    name = "ledger"
    conflicts_retried = 0  # how many commands lost a race and were run again (for the sweeps' logs)
    snapshotting_intervals = {Agreement: 50, AgreementCatalogue: 100, InvoiceBook: 100, PaymentIndex: 100,
                              ContactRegister: 100}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Commands ----------------------------------------------------------------------------------

    def create_agreement(self, *, code: str, title: str, coordinator: dict[str, Any], starts_on: date,
                         ends_on: date, cost_sharing: dict[str, Any], instalments: list[dict[str, Any]],
                         terms: dict[str, Any] | None = None,
                         idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Sign a new agreement; its code must be new."""
        code = _check_code(code)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            if self.exists(agreement_id_of(code)):
                raise Conflict(f"an agreement with code {code} exists", code="agreement_code_taken")
            agreement = Agreement.open(code=code, title=title, coordinator=coordinator,
                                       starts_on=starts_on, ends_on=ends_on, cost_sharing=cost_sharing,
                                       instalments=instalments, terms=terms)
            catalogue = self._catalogue()
            catalogue.list_agreement(agreement_id=agreement.id, code=code)
            return [agreement, catalogue], {"id": str(agreement.id)}

        return self._execute(command, idempotency)

    def accede(self, agreement_id: UUID, *, name: str, business_id: str, signed_on: date,
               category: str | None = None, metric: Any = None, contacts: Sequence[ContactDetails] = (),
               idempotency: Idempotency | None = None, details_hash: str | None = None) -> dict[str, Any]:
        """A party accedes to an agreement (R-ACC-1); returns its id, annex and cost share.

        ``contacts`` are added to it in the same save (see ``add_contact`` for ``details_hash``).
        """

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            pid = agreement.accede(name=name, business_id=business_id, signed_on=signed_on,
                                   category=category, metric=metric)
            view = party_view(agreement, agreement.party(pid), agreement.shares())
            return [agreement], {k: view[k] for k in ("party_id", "annex", "cost_share")}

        if contacts:
            party = party_id_of(agreement_id, check_business_id(business_id))
            return self._adding_contacts(command, agreement_id, party, contacts, added_on=signed_on,
                                         idempotency=idempotency, details_hash=details_hash)
        return self._execute(command, idempotency)

    def issue_token(self, *, role: str, business_id: str | None, label: str, issued_on: date
                    ) -> tuple[UUID, str]:
        """Create a bearer token for a role (a party token names its business id); returns (id, token)."""
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
        if (role == "party") != (business_id is not None):
            raise InvalidInput("a party token, and only a party token, names a business id",
                               code="invalid_role")
        bid = None if business_id is None else check_business_id(business_id)
        token = "clt_" + secrets.token_urlsafe(32)
        record = ApiToken(token_hash=hash_token(token), role=role, business_id=bid,
                          label=label[:100], issued_on=issued_on)
        self.save(record)
        return record.id, token

    def revoke_token(self, token_id: UUID, *, revoked_on: date) -> None:
        """Revoke a token by its id."""
        record = self._get(token_id, ApiToken, "token")
        if record.revoked_on is None:
            record.revoke(revoked_on=revoked_on)
            self.save(record)

    # Queries -----------------------------------------------------------------------------------

    def authenticate(self, token: str) -> Principal | None:
        """The caller a bearer token stands for, or None if it is unknown or revoked."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            record = self.repository.get(ApiToken.create_id(hash_token(token)), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        if not isinstance(record, ApiToken) or record.revoked_on is not None:
            return None
        return Principal(record.id, record.role, record.business_id)

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
            agreement = self._agreement(agreement_id)
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
        if after is not None:
            ids = [p["party_id"] for p in parties]
            parties = parties[ids.index(after) + 1:] if after in ids else []
        return _party_views(agreement, parties, as_of, business_id)[:limit]

    def agreement_and_parties(self, agreement_id: UUID, *, as_of: date, business_id: str | None = None,
                              whole: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An agreement as of a date and all its parties (``business_id``: only that one), from one read.

        With ``whole=False`` the agreement is only its code and retention record, which is cheaper.
        """
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        head = agreement_view(agreement, as_of) if whole else {"code": agreement.code,
                                                                **retention_view(agreement)}
        return head, _party_views(agreement, agreement.parties_in_order(), as_of, business_id)

    def get_party(self, agreement_id: UUID, party_id: UUID, *, as_of: date | None = None) -> dict[str, Any]:
        """One party of an agreement (its status as of a date, if given)."""
        agreement: Agreement = self._read(agreement_id, Agreement, "agreement")
        return party_view(agreement, agreement.party(party_id), agreement.shares(), as_of)

    def is_member(self, agreement_id: UUID, business_id: str, *, on: date | None = None) -> bool:
        """Whether a business is a party to an agreement whose participation has not ended (by ``on``)."""
        return self._read(agreement_id, Agreement, "agreement").is_live_party(business_id, on)

    # Plumbing ----------------------------------------------------------------------------------

    def _execute(self, command: Callable[[], tuple[list[Aggregate], dict[str, Any]]],
                 idempotency: Idempotency | None, *,
                 replay: Callable[[], dict[str, Any] | None] | None = None,
                 **save_kwargs: Any) -> dict[str, Any]:
        """Run a command, saving its aggregates and its idempotency record in one transaction.

        A concurrent write makes the save fail on an aggregate's version; the command is then run
        once more on fresh state, and a second failure is reported as a version conflict.
        ``replay`` stands in for the check of a repeated key (contacts also compare the personal part
        of the request, kept in the erasable store); ``save_kwargs`` go to the recorder with the
        events (``personal_data``, see ``domain.contacts``).
        """
        replayed = replay or (lambda: self._replay(idempotency))
        first = replayed()
        if first is not None:
            return first
        for attempt in (1, 2):
            aggregates, result = command()
            if idempotency is not None:
                aggregates.append(IdempotencyRecord(scope=idempotency.scope, key=idempotency.key,
                                                    request_hash=idempotency.request_hash,
                                                    result=result))
            try:
                self.save(*aggregates, **save_kwargs)
            except RecordConflictError:
                self.conflicts_retried += 1
                first = replayed()
                if first is not None:
                    return first
                if attempt == 2:
                    raise VersionConflict("the record changed concurrently; try again") from None
            else:
                return result
        raise AssertionError("unreachable")

    def _replay(self, idempotency: Idempotency | None) -> dict[str, Any] | None:
        if idempotency is None:
            return None
        try:
            record = self.repository.get(IdempotencyRecord.create_id(idempotency.scope, idempotency.key))
        except AggregateNotFoundError:
            return None
        if record.request_hash != idempotency.request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used with another request")
        return dict(record.result)

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event was recorded for an aggregate."""
        return next(iter(self.events.get(aggregate_id, limit=1)), None) is not None

    def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _agreement(self, agreement_id: UUID) -> Agreement:
        return self._get(agreement_id, Agreement, "agreement")

    def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any:
        """An aggregate for a query, which only reads it: the cached copy itself, not a deep copy of it.

        Commands get their own copy (``_get``) because they change it; a query must never change what
        it reads, so it can share the cache's copy and save copying the whole aggregate per request.
        """
        try:
            aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _catalogue(self) -> AgreementCatalogue:
        try:
            return self.repository.get(AgreementCatalogue.create_id())
        except AggregateNotFoundError:
            return AgreementCatalogue()


def _party_views(agreement: Agreement, parties: list[dict[str, Any]], as_of: date | None,
                 business_id: str | None) -> list[dict[str, Any]]:
    shares = agreement.shares()
    return [party_view(agreement, p, shares, as_of) for p in parties
            if business_id is None or p["business_id"] == business_id]


def _check_code(code: str) -> str:
    if not isinstance(code, str) or not 0 < len(code) <= 40 or not set(code) <= _CODE_CHARS:
        raise InvalidInput("code must be 1 to 40 letters, digits, '-', '_' or '.'", code="invalid_code")
    return code


def _page(limit: int) -> int:
    if not 0 < limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
    return limit
