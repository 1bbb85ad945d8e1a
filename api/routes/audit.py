"""The audit trail: every stored event with its chain hash, and a verification of the whole chain."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import LedgerDep, require
from api.routes.common import DayQuery
from domain.access.tokens import Principal
from domain.kernel.errors import InvalidInput
from domain.kernel.identifiers import parse_uuid
from projections.audit.chain import AuditChain
from projections.audit.replay import replay as replay_figures
from projections.audit.trust import KnownHead

MAX_REPLAY_DATES = 12  # each replay rebuilds the whole journal once, then computes every figure per date

router = APIRouter(prefix="/v1/audit", tags=["audit"])
# The audit trail holds every party's figures: roles that read everything may read it, parties may not.
AuditReader = Annotated[Principal, Depends(require("auditor", "coordinator", "finance"))]
# A replay rebuilds the whole journal: the auditor's tool, not a figure for everyday use.
Auditor = Annotated[Principal, Depends(require("auditor"))]


def sealed_chain(request: Request) -> AuditChain:
    """The application's audit chain, sealed by this service up to every event recorded so far."""
    chain: AuditChain = request.app.state.audit
    chain.catch_up()
    return chain


def audit_chain(request: Request) -> AuditChain:
    """The application's audit chain as it is stored (verifying never extends it)."""
    chain: AuditChain = request.app.state.audit
    return chain


SealedChain = Annotated[AuditChain, Depends(sealed_chain)]
Chain = Annotated[AuditChain, Depends(audit_chain)]


@router.get("/events")
def events(principal: AuditReader, chain: SealedChain,
           after: Annotated[int, Query(ge=0, le=2**62,
                                       description="Position of the last event of the previous page.")] = 0,
           limit: Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")] = 100,
           ) -> list[dict[str, Any]]:
    """Stored events in log order with their position, content, hash and the previous hash."""
    return chain.events(after, limit)


@router.get("/verify")
def verify(principal: AuditReader, chain: Chain,
           known_position: Annotated[int | None, Query(ge=1, le=2**62, description=(
               "A head known from outside the database (an earlier export's head_position or a published "
               "checkpoint): the chain must pass through it. Give known_hash with it."))] = None,
           known_hash: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$", min_length=64, max_length=64,
                                                   description="The known head's hash.")] = None,
           ) -> dict[str, Any]:
    """Recompute the chain from the raw event table and compare it with the stored hashes, the signed
    checkpoints (made with the service's trusted keys) and a known head if given. Writes nothing: events
    not yet sealed by the service are not counted. A failure names the check in `failed`."""
    if (known_position is None) != (known_hash is None):
        raise InvalidInput("give known_position and known_hash together", code="invalid_known_head")
    known = None if known_position is None else KnownHead(known_position, str(known_hash))
    return chain.verify(known=known).as_dict()


ReplayDates = Annotated[list[DayQuery], Query(min_length=1, max_length=MAX_REPLAY_DATES,
                                         description="Business dates to compare (repeat the parameter).")]
ReplayAgreements = Annotated[list[str] | None, Query(
    max_length=100, description="Only these agreements (repeat the parameter; default every one).")]


@router.get("/replay")
def replay(request: Request, ledger: LedgerDep, principal: Auditor, as_of: ReplayDates,
           agreement_id: ReplayAgreements = None) -> dict[str, Any]:
    """Rebuild every figure from the events into a scratch journal and compare it with the live one."""
    ids = None if agreement_id is None else [parse_uuid(text, "agreement") for text in agreement_id]
    return replay_figures(ledger, request.app.state.journal, as_of, ids).as_dict()
