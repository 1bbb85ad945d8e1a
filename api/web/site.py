"""Mounting the web app on the API's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.routing import add_routes
from api.web import access, bank_files, coordinator, money, pages
from api.web.render import HERE


def install(app: FastAPI) -> None:
    """Mount the pages, the forms, the documentation and the static files (CSS, the docs' scripts)."""
    for module in (access, pages, money, bank_files, coordinator):
        add_routes(app, module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
