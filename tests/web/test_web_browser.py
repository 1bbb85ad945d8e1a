"""The web app in a real browser (Debian's Chromium, headless), on SQLite and on PostgreSQL: the figures
it shows are the API's, forms go through the same commands, a party sees only its own rows, nothing is
fetched from outside 127.0.0.1, and the main pages have no serious accessibility violations."""

from __future__ import annotations

import re
from decimal import Decimal
from uuid import UUID

import pytest
from playwright.sync_api import Browser, expect

from api.web.formats import money
from tests.web.browser import DEMO_DAY, LiveService, Session, api

pytestmark = pytest.mark.persistence


def test_finance_sees_the_remaining_funding_the_api_serves(session: Session, service: LiveService) -> None:
    """R-FUND-2: the funding page shows remaining = received − spent − refunded, as GET …/funding does."""
    digione = service.ids["DIGIONE"]
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{digione}/funding")
    served = api(service, "finance", f"/v1/agreements/{digione}/funding").json()
    assert Decimal(served["received"]) > 0
    expect(page.locator("#funding-remaining")).to_have_text(money(served["remaining"], "fi"))
    expect(page.locator("#funding-received")).to_have_text(money(served["received"], "fi"))
    assert page.locator("svg[aria-labelledby=funding-chart-title] polyline").count() == 3
    session.screenshot("funding")


def test_finance_allocates_an_unmatched_payment_and_the_balance_changes(session: Session,
                                                                        service: LiveService) -> None:
    """R-INV-*: an unmatched payment allocated in the browser is paid on the invoice, once."""
    lyhty = service.ids["LYHTY"]
    invoice = api(service, "finance", f"/v1/agreements/{lyhty}/invoices?limit=1").json()[0]
    service.ledger.record_payment_by_reference(lyhty, reference="99999999999999999997", amount="1250.00",
                                               paid_on=DEMO_DAY, bank_reference="ARCHIVE-WEB-1")
    before = api(service, "finance", f"/v1/agreements/{lyhty}/balances").json()["totals"]["paid"]
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{lyhty}/payments")
    expect(page.locator("#balances [data-total=paid]")).to_have_text(money(before, "fi"))
    row = page.locator("#unmatched tbody tr").filter(has_text="1 250,00")
    row.locator("select[name=invoice_id]").select_option(invoice["id"])
    row.get_by_role("button").click()
    expect(page.locator(".notice.ok")).to_be_visible()
    after = api(service, "finance", f"/v1/agreements/{lyhty}/balances").json()["totals"]["paid"]
    assert Decimal(after) == Decimal(before) + Decimal("1250.00")
    expect(page.locator("#balances [data-total=paid]")).to_have_text(money(after, "fi"))
    paid = api(service, "finance", f"/v1/invoices/{invoice['id']}").json()["paid"]
    assert Decimal(paid) == Decimal(invoice["paid"]) + Decimal("1250.00")
    session.screenshot("payments")


def test_a_party_sees_only_its_own_rows(session: Session, service: LiveService) -> None:
    """R-CONF-1, R-TERM-5: Kela's token shows Kela's row and invoices, no other party's, no payments page."""
    lyhty = service.ids["LYHTY"]
    page = session.sign_in("party")
    expect(page.locator("tbody tr")).to_have_count(1)  # Kela is a party to Lyhty only
    page.goto(f"{service.url}/agreements/{lyhty}")
    expect(page.locator("tr.party-row")).to_have_count(1)
    expect(page.locator("tr.party-row th")).to_have_text("Kansaneläkelaitos")
    session.screenshot("party-own-view")
    own = api(service, "party", f"/v1/agreements/{lyhty}/invoices").json()
    everyone = api(service, "finance", f"/v1/agreements/{lyhty}/invoices").json()
    assert 0 < len(own) < len(everyone)
    page.goto(f"{service.url}/agreements/{lyhty}/invoices")
    numbers = page.locator("#invoices tbody th").all_inner_texts()
    assert sorted(numbers) == sorted(i["number"] for i in own)
    other = next(i for i in everyone if i["party_id"] != own[0]["party_id"])
    assert other["number"] not in page.content()
    response = page.goto(f"{service.url}/agreements/{lyhty}/payments")
    assert response is not None and response.status == 403


def test_a_coordinator_records_a_decision_and_a_double_submit_writes_once(session: Session,
                                                                           service: LiveService) -> None:
    """R-GOV-1 .. R-GOV-3: the tally is the ledger's count before saving; the same form twice is one decision."""
    lyhty = service.ids["LYHTY"]
    page = session.sign_in("coordinator")
    page.goto(f"{service.url}/agreements/{lyhty}/record/decision")
    page.locator("#f-decided_on").fill(DEMO_DAY.isoformat())
    page.locator("#f-kind").select_option("budget")
    page.locator("#f-subject_text").fill("Talousarvio 2027")
    for select in page.locator("select[name^=vote_]").all():
        select.select_option("for")
    page.get_by_role("button", name=re.compile("Laske äänet")).click()
    expect(page.locator("#tally")).to_be_visible()
    for_weight = page.locator("#tally [data-figure=for_weight]").inner_text()
    assert for_weight == page.locator("#tally [data-figure=total_weight]").inner_text()
    assert api(service, "coordinator", f"/v1/agreements/{lyhty}/decisions").json() == []
    session.screenshot("decision-tally")
    form = page.evaluate("""() => { const data = new URLSearchParams(new FormData(document.querySelector(
        'form.form'))); data.set('action', 'save'); return data.toString(); }""")
    page.get_by_role("button", name="Tallenna").click()
    expect(page.locator(".notice.ok")).to_contain_text("Päätös 1")
    again = page.request.post(f"{service.url}/agreements/{lyhty}/record/decision", data=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 200 and "Päätös 1" in again.text()
    decisions = api(service, "coordinator", f"/v1/agreements/{lyhty}/decisions").json()
    assert len(decisions) == 1 and decisions[0]["passed"] is True
    assert money(decisions[0]["for_weight"], "fi") == for_weight
    page.goto(f"{service.url}/agreements/{lyhty}")
    expect(page.locator("#decisions tbody tr")).to_have_count(1)


def test_a_refused_form_names_the_field_at_fault_and_writes_nothing(session: Session,
                                                                     service: LiveService) -> None:
    """An accession with a bad business id is refused by the ledger's own check, next to that field."""
    lyhty = service.ids["LYHTY"]
    page = session.sign_in("coordinator")
    page.goto(f"{service.url}/agreements/{lyhty}/record/accession")
    page.locator("#f-name").fill("Testikunta")
    page.locator("#f-business_id").fill("1234567-8")
    page.locator("#f-category").fill("municipalities")
    page.get_by_role("button", name="Tallenna").click()
    expect(page.locator("#e-business_id")).to_contain_text("invalid_business_id")
    expect(page.locator("#f-business_id")).to_have_attribute("aria-invalid", "true")
    parties = api(service, "coordinator", f"/v1/agreements/{lyhty}/parties").json()
    assert "Testikunta" not in [p["name"] for p in parties]


def test_the_main_pages_pass_axe_and_the_docs_load_offline(browser: Browser, service: LiveService) -> None:
    """WCAG 2.1 AA by axe-core, in Finnish and English; /docs and /redoc render from local files only."""
    digione, lyhty = service.ids["DIGIONE"], service.ids["LYHTY"]
    for lang in ("fi", "en"):
        checker = Session(browser, service, lang=lang, bypass_csp=True)  # axe is injected as a script
        page = checker.sign_in("coordinator")
        found = {}
        for path in ("/agreements", f"/agreements/{lyhty}", f"/agreements/{lyhty}/invoices",
                     f"/agreements/{digione}/payments", f"/agreements/{digione}/funding",
                     f"/agreements/{digione}/reports", f"/agreements/{lyhty}/record/decision", "/audit"):
            page.goto(f"{service.url}{path}")
            found[path] = checker.serious_violations()
            if lang == "fi":
                checker.screenshot(path.strip("/").replace("/", "-").replace(str(lyhty), "lyhty")
                                   .replace(str(digione), "digione"))
        assert {path: v for path, v in found.items() if v} == {}
        if lang == "en":
            page.goto(f"{service.url}/agreements/{digione}/funding")
            assert re.search(r"€\d{1,3}(,\d{3})*\.\d{2}", page.locator("#funding-committed").inner_text())
        checker.close()
        assert checker.outside == []
    docs = Session(browser, service)
    docs.page.goto(f"{service.url}/docs")
    expect(docs.page.locator(".swagger-ui .info .title")).to_contain_text("Cooperation ledger", timeout=30_000)
    docs.page.goto(f"{service.url}/redoc")
    expect(docs.page.locator("h1").first).to_contain_text("Cooperation ledger", timeout=30_000)
    docs.close()
    assert docs.outside == []
    assert UUID(str(lyhty))
