"""The FastAPI application: built once per process by its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import problems
from api.logging import configure_logging
from api.middleware import RequestContext
from api.routes import (agreements, decisions, figures, funding, health, invoices, membership, parties,
                        payments, spending)
from api.settings import Settings
from domain.application import Ledger
from projections.runner import JournalRunner


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API on the store the settings name."""
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ledger = Ledger(env=settings.persistence_env())
        app.state.journal = JournalRunner(app.state.ledger)
        if settings.journal_follow:
            app.state.journal.start()  # follows the log, so figures are ready when asked for
        try:
            yield
        finally:
            app.state.journal.close()
            app.state.ledger.close()

    app = FastAPI(title="Cooperation ledger", version="0.1.0", lifespan=lifespan,
                  description="Finance ledger for public-sector cooperation agreements.")
    app.state.settings = settings
    problems.install(app)
    for module in (health, agreements, parties, membership, decisions, funding, invoices, payments,
                   spending, figures):
        app.include_router(module.router)
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    return app
