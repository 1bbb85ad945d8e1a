"""A live service on 127.0.0.1 and a random port, and Debian's Chromium driven by Playwright, for the
browser tests; every request the browser makes is checked to stay on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from api.app import create_app
from api.demo import load_demo
from api.settings import Settings

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DEMO_DAY = date(2026, 11, 29)
ROLES = ("finance", "coordinator", "auditor", "party")


def sign_in_with_form(client: Any, token: str) -> Any:
    """Sign in through the sign-in form with an in-process client (FastAPI's test client); the 303 response."""
    form = client.get("/sign-in").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    response = client.post("/sign-in", data={"token": token, "csrf": csrf.group(1), "next": "/agreements"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveService:
    """``ledger serve`` in a thread: the same app, on the test's store, with the demo agreements."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveService:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        self.ledger = self.app.state.ledger
        self.ids = load_demo(self.ledger, as_of=DEMO_DAY)
        self.tokens = {role: self.ledger.issue_token(role=role, business_id="0246246-0" if role == "party" else None,
                                                     label="browser test", issued_on=DEMO_DAY)[1] for role in ROLES}
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """One browser context: its page, and every URL it asked for that was not on 127.0.0.1."""

    def __init__(self, browser: Browser, service: LiveService, lang: str = "fi", **options: Any) -> None:
        self.service = service
        self.context: BrowserContext = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                                           viewport={"width": 1280, "height": 900}, **options)
        self.outside: list[str] = []
        self.requested: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page: Page = self.context.new_page()

    def _only_local(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob") or parsed.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def sign_in(self, role: str) -> Page:
        page = self.page
        page.goto(f"{self.service.url}/")
        page.get_by_label(re.compile("tunnus|token", re.I)).first.fill(self.service.tokens[role])
        page.locator("form[action='/sign-in'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/agreements$"))
        return page

    def close(self) -> None:
        self.context.close()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def serious_violations(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical WCAG 2.1 A/AA violations on the page shown."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))""")
        return list(result)


class Answer:
    """An answer of the API: its body, and the body as JSON."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def api(service: LiveService, role: str, path: str) -> Answer:
    """A GET of the API with the role's bearer token (200 expected)."""
    request = urllib.request.Request(f"{service.url}{path}",
                                     headers={"Authorization": f"Bearer {service.tokens[role]}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own service
        assert response.status == 200
        return Answer(response.read())
