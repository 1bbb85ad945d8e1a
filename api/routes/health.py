"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import LedgerDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(ledger: LedgerDep) -> JSONResponse:
    """Ready when the event store answers."""
    try:
        position = ledger.recorder.max_notification_id() or 0
    except Exception as exc:  # the store is down: say so instead of failing obscurely
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "position": position})
