"""The audit trail: every stored event with its chain hash, and a verification of the whole chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import require
from domain.application import Principal
from projections.audit_chain import AuditChain

router = APIRouter(prefix="/v1/audit", tags=["audit"])
# The audit trail holds every party's figures: roles that read everything may read it, parties may not.
AuditReader = Annotated[Principal, Depends(require("auditor", "coordinator", "finance"))]


def audit_chain(request: Request) -> AuditChain:
    """The application's audit chain, extended to every event recorded so far."""
    chain: AuditChain = request.app.state.audit
    chain.catch_up()
    return chain


Chain = Annotated[AuditChain, Depends(audit_chain)]


@router.get("/events")
def events(chain: Chain, principal: AuditReader,
           after: Annotated[int, Query(ge=0, le=2**62,
                                       description="Position of the last event of the previous page.")] = 0,
           limit: Annotated[int, Query(ge=1, le=500, description="Page size (at most 500).")] = 100,
           ) -> list[dict[str, Any]]:
    """Stored events in log order with their position, content, hash and the previous hash."""
    return chain.events(after, limit)


@router.get("/verify")
def verify(chain: Chain, principal: AuditReader) -> dict[str, Any]:
    """Recompute the chain from the raw event table and compare it with the stored hashes."""
    return chain.verify().as_dict()
