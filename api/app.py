"""The FastAPI application: built once per process by its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import metrics, openapi, problems
from api.background import BackgroundRuns
from api.web import bank_files as web_bank_files
from api.web import site
from api.deps import TokenCache
from api.logging import configure_logging
from api.middleware import RequestContext
from api.routing import add_routes
from api.resilience import DatabaseHiccups
from api.routes import (agreements, audit, bank_files, billing, contacts, decisions, documents, exits, figures,
                        funding, grants, health, interest, invoices, membership, parties, payments, payouts, retention,
                        spending, steering_group, summary)
from api.sessions import Sessions, SessionTable
from api.settings import Settings
from domain.application import Ledger
from projections.audit.chain import AuditChain, ChainFollower
from projections.journal.runner import JournalRunner


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API on the store the settings name."""
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ledger = Ledger(env=settings.persistence_env())
        signer = settings.audit_signer()
        app.state.audit = AuditChain(app.state.ledger, signer=signer, trusted=settings.audit_trust(signer))
        app.state.audit.store.install_guards()  # the history is append-only from here on
        app.state.journal = JournalRunner(app.state.ledger, workers=settings.journal_workers)
        app.state.tokens = TokenCache(settings.token_cache_s)
        app.state.sessions = Sessions(SessionTable(app.state.ledger))  # shared by every process
        app.state.runs = BackgroundRuns()
        interval_s = settings.audit_interval_s
        follower = ChainFollower(app.state.audit, interval_s) if interval_s else None
        if settings.journal_follow:
            app.state.journal.start()  # follows the log, so figures are ready when asked for
        if follower is not None:
            follower.start()
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()
            app.state.runs.join()
            app.state.journal.close()
            app.state.ledger.close()

    # /docs and /redoc come from api.web, with their scripts served here rather than from a CDN.
    app = FastAPI(title="Cooperation ledger", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Finance ledger for public-sector cooperation agreements.")
    app.state.settings = settings
    app.state.metrics = metrics.Metrics()
    app.state.metrics.watch(app)
    problems.install(app)
    openapi.install(app)
    for module in (health, agreements, parties, contacts, membership, decisions, steering_group, funding, grants, exits,
                   billing, documents, invoices, interest, payments, bank_files, payouts, spending, figures, summary,
                   retention, audit):
        add_routes(app, module.router)
    add_routes(app, metrics.router)
    site.install(app)
    app.add_middleware(DatabaseHiccups)  # innermost: a retried read is logged and timed once
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes,
                       limits_by_path={bank_files.PATH: settings.max_bank_file_bytes,
                                       web_bank_files.PATH: settings.max_bank_file_bytes + web_bank_files.FORM_BYTES})
    app.add_middleware(metrics.RequestMetrics, metrics=app.state.metrics)  # outermost: times everything
    return app
