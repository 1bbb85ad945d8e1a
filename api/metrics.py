"""Prometheus metrics: requests and latency by route template and status, journal lag, the chain's head.

`GET /metrics` takes a bearer token of a staff or scheduler role (a party's token gets 403): the
figures are operational, but the traffic per route and the size of the log are not a party's business.
Each application has its own registry, so several apps in one process (the tests) do not collide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import require
from domain.access.tokens import Principal

UNMATCHED = "unmatched"  # requests no route matched share one label, so labels stay bounded
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
log = structlog.get_logger("api")
router = APIRouter(tags=["health"])
Scraper = Annotated[Principal, Depends(require("coordinator", "finance", "auditor", "scheduler"))]


class Metrics:
    """The registry of one application and its request metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self.requests = Counter("ledger_http_requests", "HTTP requests answered, by route template and "
                                "status.", labels, registry=self.registry)
        self.latency = Histogram("ledger_http_request_duration_seconds", "Time to answer an HTTP request, "
                                 "by route template and status.", labels, buckets=_BUCKETS,
                                 registry=self.registry)

    def watch(self, app: Any) -> None:
        """Report the journal's lag and the chain's head of the application's state at each scrape."""
        self.registry.register(_StoreCollector(app))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)


class _StoreCollector(Collector):
    """Gauges read from the store when scraped; left out when the store does not answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def describe(self) -> list[Any]:
        return []  # read at scrape time only, never while registering

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self.app.state
        try:
            journal = state.journal
            log_position = state.ledger.recorder.max_notification_id() or 0
            position = journal.store.position()
            head = state.audit.store.head()[0]
        except Exception as exc:  # no lifespan yet, or the store is down: no gauges this time
            log.warning("metrics_store_unavailable", error_type=type(exc).__name__)
            return
        yield GaugeMetricFamily("ledger_event_log_position", "The last notification id of the event "
                                "log.", value=log_position)
        yield GaugeMetricFamily("ledger_journal_position", "The last event the journal has applied.",
                                value=position)
        yield GaugeMetricFamily("ledger_journal_lag_events", "Events recorded but not yet applied to the "
                                "journal (an upper bound: the log may have gaps).",
                                value=max(log_position - position, 0))
        yield GaugeMetricFamily("ledger_audit_chain_head_position", "The position of the audit hash "
                                "chain's head.", value=head)
        yield GaugeMetricFamily("ledger_audit_chain_lag_events", "Events recorded but not yet chained.",
                                value=max(log_position - head, 0))


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request by route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe(scope["method"], route, status["code"], time.perf_counter() - started)


@router.get("/metrics", response_class=Response, responses={
    200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
          "description": "Prometheus text exposition format."}})
def metrics(request: Request, _: Scraper) -> Response:
    """Prometheus metrics (a coordinator, finance, auditor or scheduler token; not a party's)."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
