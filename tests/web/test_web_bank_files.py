"""The bank-file upload, the report downloads and the invoice PDF in a real browser, on SQLite and on
PostgreSQL: the upload runs the import POST /v1/bank-files runs, an invoice it pays shows as paid, the
same file again is all duplicates, an unreadable file writes nothing, and a party opens only its own PDF."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.web.formats import money
from tests.bank_file_builders import Entry, Tx, camt054
from tests.web.browser import DEMO_DAY, LiveService, Session, api

pytestmark = pytest.mark.persistence

UNKNOWN_AGREEMENT = "RF08 9920 2500 0013"  # a valid reference whose prefix (99) names no agreement
XML = "application/xml"


def open_invoice(service: LiveService, agreement: str) -> dict[str, Any]:
    """The agreement's first invoice with money outstanding."""
    invoices = api(service, "finance", f"/v1/agreements/{agreement}/invoices?limit=100").json()
    return next(i for i in invoices if Decimal(i["outstanding"]) > 0 and i["status"] != "credited")


def day_file(invoice: dict[str, Any]) -> bytes:
    """A camt.054 notification: the invoice paid in full by its RF reference, a payment naming no
    agreement, and a pending entry the import rejects."""
    return camt054([
        Entry(invoice["outstanding"], "WEB-ARC-1", booked_on=DEMO_DAY, value_on=DEMO_DAY,
              txs=[Tx(invoice["outstanding"], invoice["rf_reference"])]),
        Entry("75.50", "WEB-ARC-2", booked_on=DEMO_DAY, value_on=DEMO_DAY, txs=[Tx("75.50", UNKNOWN_AGREEMENT)]),
        Entry("1.00", "WEB-ARC-3", booked_on=DEMO_DAY, status="PDNG"),
    ], message_id="WEB-1")


def upload(page: Page, content: bytes, name: str = "camt054.xml") -> None:
    page.locator("#f-file").set_input_files(files=[{"name": name, "mimeType": XML, "buffer": content}])
    page.locator("#bank-file-form button[type=submit]").click()


def count(page: Page, what: str) -> str:
    return page.locator(f"#import-result [data-count={what}]").inner_text()


def test_finance_imports_a_camt054_file_and_the_invoice_becomes_paid_and_again_all_duplicates(
        browser: Browser, service: LiveService) -> None:
    """R-INV-*: the uploaded file pays the invoice its reference names; the counts and amounts are the
    import's; the same form posted twice gives the first outcome; the same file again is all duplicates."""
    lyhty = service.ids["LYHTY"]
    invoice = open_invoice(service, lyhty)
    content = day_file(invoice)
    session = Session(browser, service, bypass_csp=True)  # axe is injected as a script
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{lyhty}/payments")
    form = {name: page.locator(f"#bank-file-form input[name={name}]").get_attribute("value")
            for name in ("csrf", "idempotency_key", "agreement_id")}
    upload(page, content)
    expect(page.locator(".notice.ok")).to_contain_text("Pankkiaineisto on tuotu")
    assert page.url == f"{service.url}/bank-files"
    assert {k: count(page, k) for k in ("matched", "unmatched", "unassigned", "duplicates", "rejected")} == {
        "matched": "1", "unmatched": "1", "unassigned": "1", "duplicates": "0", "rejected": "1"}
    expect(page.locator("#import-result [data-amount=matched]")).to_have_text(money(invoice["outstanding"], "fi"))
    expect(page.locator("#import-result [data-amount=unmatched]")).to_have_text(money("75.50", "fi"))
    expect(page.locator("#rejected tbody tr")).to_have_count(1)
    expect(page.locator("#rejected tbody td").nth(2)).to_contain_text("PDNG")
    expect(page.locator("#unassigned tbody tr").filter(has_text="75,50")).to_have_count(1)
    assert session.serious_violations() == []
    session.screenshot("bank-file-imported")

    paid = api(service, "finance", f"/v1/invoices/{invoice['id']}").json()
    assert paid["status"] == "paid" and Decimal(paid["outstanding"]) == 0
    page.get_by_role("link", name=re.compile("^Laskut$")).last.click()
    row = page.locator("#invoices tbody tr").filter(has_text=invoice["number"])
    expect(row.locator(".status")).to_have_text("Maksettu")

    again = page.request.post(f"{service.url}/bank-files", multipart={
        **form, "file": {"name": "camt054.xml", "mimeType": XML, "buffer": content}})
    assert again.status == 200
    assert re.search(r'data-count="matched">1<', again.text()), "the same form again replays the first outcome"

    page.goto(f"{service.url}/agreements/{lyhty}/payments")
    upload(page, content)
    expect(page.locator(".notice.ok")).to_be_visible()
    assert {k: count(page, k) for k in ("matched", "unmatched", "unassigned", "duplicates", "rejected")} == {
        "matched": "0", "unmatched": "0", "unassigned": "0", "duplicates": "2", "rejected": "1"}
    expect(page.locator("#unassigned tbody tr").filter(has_text="75,50")).to_have_count(1)
    assert api(service, "finance", f"/v1/invoices/{invoice['id']}").json()["paid"] == paid["paid"]
    session.close()
    assert session.outside == []


def test_an_unreadable_file_is_refused_next_to_the_file_field_and_writes_nothing(
        session: Session, service: LiveService) -> None:
    """invalid_bank_file: a file the import cannot read is refused whole; the ledger holds no more events."""
    lyhty = service.ids["LYHTY"]
    before = service.ledger.recorder.max_notification_id()
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{lyhty}/payments")
    bad_amount = camt054([Entry("12.00", "BAD-1", booked_on=DEMO_DAY), Entry("12,5", "BAD-2", booked_on=DEMO_DAY)])
    upload(page, bad_amount)
    expect(page.locator("#e-file")).to_contain_text("invalid_bank_file")
    expect(page.locator("#f-file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".notice.bad")).to_contain_text("mitään ei tuotu")
    expect(page.locator("#import-result")).to_have_count(0)
    assert service.ledger.recorder.max_notification_id() == before
    session.screenshot("bank-file-refused")


def test_only_finance_sees_the_upload_form(session: Session, service: LiveService) -> None:
    """The coordinator sees the month's unassigned payments but no upload form, and cannot post one."""
    page = session.sign_in("coordinator")
    page.goto(f"{service.url}/bank-files")
    expect(page.locator("h1")).to_have_text("Pankkiaineistot")
    expect(page.locator("#bank-file-form")).to_have_count(0)
    page.goto(f"{service.url}/agreements/{service.ids['LYHTY']}/payments")
    expect(page.locator("#bank-file-form")).to_have_count(0)
    refused = page.request.post(f"{service.url}/bank-files", multipart={
        "file": {"name": "x.xml", "mimeType": XML, "buffer": b"<x/>"}})
    assert refused.status == 403


def test_the_reports_page_links_csv_and_xlsx_and_the_links_download(session: Session, service: LiveService) -> None:
    """The quarterly, annual, balances and final-account downloads, as CSV and as XLSX from the API."""
    digione = service.ids["DIGIONE"]
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{digione}/reports")
    for name in ("quarterly", "annual", "balances", "final-account"):
        links = page.locator(f"#downloads-{name} a")
        expect(links).to_have_count(2)
        for link, fmt in zip(links.all(), ("csv", "xlsx"), strict=True):
            href = link.get_attribute("href")
            assert href is not None and href.endswith(f"format={fmt}")
            response = page.request.get(f"{service.url}{href}")
            assert response.status == 200, (href, response.text())
            kind = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            assert response.headers["content-type"].startswith(kind)
            if fmt == "xlsx":
                assert response.body()[:2] == b"PK"  # a workbook is a ZIP


def test_the_invoice_pdf_link_opens_the_pdf_and_a_party_opens_only_its_own(
        browser: Browser, session: Session, service: LiveService) -> None:
    """R-INV-6: with the seller's bank details recorded, the invoices page's PDF link is the invoice as a
    PDF; a party's session opens its own invoice's PDF and not another party's."""
    lyhty = service.ids["LYHTY"]
    service.ledger.set_seller_bank_details(lyhty, iban="FI79 4405 2020 0360 82", bic="NDEAFIHH",
                                           recorded_on=DEMO_DAY)
    everyone = api(service, "finance", f"/v1/agreements/{lyhty}/invoices").json()
    own = api(service, "party", f"/v1/agreements/{lyhty}/invoices").json()
    other = next(i for i in everyone if i["party_id"] != own[0]["party_id"])
    page = session.sign_in("finance")
    page.goto(f"{service.url}/agreements/{lyhty}/invoices")
    link = page.locator("#invoices tbody tr").filter(has_text=other["number"]).get_by_role("link")
    href = link.get_attribute("href")
    assert href == f"/v1/invoices/{other['id']}.pdf"
    # followed with the page's own cookies (a click would open Chromium's PDF viewer, whose chrome://
    # resources the check on every request would count as leaving 127.0.0.1)
    response = page.request.get(f"{service.url}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{other["number"]}.pdf"'
    assert response.body().startswith(b"%PDF-")

    party = Session(browser, service)
    party_page = party.sign_in("party")
    party_page.goto(f"{service.url}/agreements/{lyhty}/invoices")
    expect(party_page.locator("#invoices tbody tr").filter(has_text=own[0]["number"]).get_by_role("link")
           ).to_have_attribute("href", f"/v1/invoices/{own[0]['id']}.pdf")
    mine = party_page.request.get(f"{service.url}/v1/invoices/{own[0]['id']}.pdf")
    assert mine.status == 200 and mine.headers["content-type"] == "application/pdf"
    theirs = party_page.request.get(f"{service.url}/v1/invoices/{other['id']}.pdf")
    assert theirs.status in (403, 404) and theirs.headers["content-type"].startswith("application/problem+json")
    party.close()
    assert party.outside == []


def test_finance_allocates_a_bank_payment_naming_no_agreement_by_the_invoice_reference(
        session: Session, service: LiveService) -> None:
    """R-INV-*: a payment whose reference named no agreement is allocated to the invoice whose reference
    finance types; a reference no invoice has is refused next to the field and writes nothing."""
    from api.banking.importer import import_file

    digione = service.ids["DIGIONE"]
    invoice = open_invoice(service, digione)
    import_file(service.ledger, camt054([Entry("40.00", "WEB-UN-1", booked_on=DEMO_DAY, value_on=DEMO_DAY,
                                               txs=[Tx("40.00", UNKNOWN_AGREEMENT)])], message_id="WEB-UN"))
    page = session.sign_in("finance")
    page.goto(f"{service.url}/bank-files?month={DEMO_DAY.isoformat()[:7]}")
    row = page.locator("#unassigned tbody tr").filter(has_text="WEB-UN-1")
    row.locator("input[name=reference]").fill("RF18 5390 0754 7034")  # valid, but no agreement's prefix
    row.get_by_role("button").click()
    row = page.locator("#unassigned tbody tr").filter(has_text="WEB-UN-1")
    expect(row.locator(".error")).to_contain_text("Millään laskulla ei ole tätä viitenumeroa")
    expect(row.locator("input[name=reference]")).to_have_attribute("aria-invalid", "true")
    assert api(service, "finance", f"/v1/invoices/{invoice['id']}").json()["paid"] == invoice["paid"]
    row.locator("input[name=reference]").fill(invoice["reference_grouped"])
    row.get_by_role("button").click()
    expect(page.locator(".notice.ok")).to_have_text("Maksu kohdistettu.")
    row = page.locator("#unassigned tbody tr").filter(has_text="WEB-UN-1")
    expect(row.locator(".status")).to_have_text("Kohdistettu")
    paid = api(service, "finance", f"/v1/invoices/{invoice['id']}").json()["paid"]
    assert Decimal(paid) == Decimal(invoice["paid"]) + Decimal("40.00")
    session.screenshot("bank-payment-allocated")
