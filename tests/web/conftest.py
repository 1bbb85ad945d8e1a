"""The browser tests' fixtures: one Chromium per module, a live service per test on its database, and a
browser session that must ask for nothing outside 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from api.settings import Settings
from tests.web.browser import LiveService, Session, chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def service(settings: Settings) -> Iterator[LiveService]:
    with LiveService(settings) as live:
        yield live


@pytest.fixture
def session(browser: Browser, service: LiveService) -> Iterator[Session]:
    opened = Session(browser, service)
    yield opened
    opened.close()
    assert opened.outside == [], "the browser asked for something outside 127.0.0.1"
    assert opened.requested, "no request went through the route that checks them"
