"""The bank-file upload (finance): the same import as POST /v1/bank-files, with the file's counts and amounts
shown as a table, and the bank payments of a month that named no agreement."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.banking.importer import import_file
from api.schemas import AllocationIn
from api.web.forms import Submitted, new_key, read_form, submit
from api.web.messages import translate
from api.web.pages import STAFF
from api.web.render import User, WebRoute, WebUser, ledger_of, page
from domain.kernel.calendar import today
from domain.kernel.identifiers import parse_uuid

PATH = "/bank-files"
FORM_BYTES = 16_384  # what the form adds to the file: its boundaries, the CSRF token and the key
UNASSIGNED_PAGE = 100
_UUID = re.compile(r"^[0-9a-f-]{36}$")
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")

router = APIRouter(route_class=WebRoute, include_in_schema=False)


class BankFileIn(BaseModel):
    """What an upload asks for, for its idempotency key: the file, by its SHA-256."""

    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def _limit(request: Request) -> int:
    return int(request.app.state.settings.max_bank_file_bytes)


def _page(request: Request, user: WebUser, month: str, done: Submitted | None = None,
          back: str | None = None) -> HTMLResponse:
    unassigned = ledger_of(request).list_unassigned_bank_payments(month=month, limit=UNASSIGNED_PAGE,
                                                                  include_allocated=True)
    row_errors: dict[str, list[str]] = {}  # an allocation's errors, under its transaction's row
    for name, text in (done.errors.items() if done else ()):
        if ":" in name:
            row_errors.setdefault(name.split(":", 1)[0], []).append(text)
    return page(request, "bank_files.html", user, 422 if done and not done.ok else 200, done=done, key=new_key(),
                month=month, unassigned=unassigned, back=back, mib=_limit(request) // 1_048_576,
                today=today().isoformat(), row_errors=row_errors)


@router.get(PATH, response_class=HTMLResponse)
def bank_files(request: Request, user: User,
               month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = None) -> HTMLResponse:
    """The upload form (finance) and the month's bank payments that named no agreement (staff)."""
    user.need(*STAFF)
    return _page(request, user, month or today().isoformat()[:7])


@router.post(PATH, response_class=HTMLResponse)
async def upload(request: Request, user: User) -> HTMLResponse:
    """Import the uploaded file with ``import_file``, as POST /v1/bank-files does; an unreadable file is
    refused whole, next to the file field, and nothing is written. The form's idempotency key gives a
    double submit the first import's outcome."""
    user.need("finance")
    ledger, limit = ledger_of(request), _limit(request)
    form = await request.form(max_files=1, max_fields=5)
    chosen = form.get("file")
    content = await chosen.read(limit + 1) if isinstance(chosen, UploadFile) else b""
    back = str(form.get("agreement_id", ""))
    back = back if _UUID.match(back) else None
    month = today().isoformat()[:7]
    if not content or len(content) > limit:
        done = Submitted(form, new_key())
        done.errors["file"] = translate("file_too_large" if content else "choose_file", user.lang, n=limit)
        done.message = translate("bad_bank_file", user.lang)
        return await run_in_threadpool(_page, request, user, month, done, back)

    def command(body: BankFileIn, idempotency: Any) -> dict[str, Any]:
        return ledger.run_once(lambda: import_file(ledger, content), idempotency)

    done = await submit(request, user, form, BankFileIn, {"file_sha256": hashlib.sha256(content).hexdigest()},
                        command)
    if done.errors.get("file"):
        done.message = translate("bad_bank_file", user.lang)
    elif done.ok:
        done.message = translate("imported", user.lang)
    return await run_in_threadpool(_page, request, user, month, done, back)


@router.post(PATH + "/{transaction_id}/allocation", response_class=HTMLResponse)
async def allocate(request: Request, transaction_id: str, user: User) -> HTMLResponse:
    """Allocate a bank payment that named no agreement to the invoice whose reference finance gives, through
    the command POST /v1/bank-transactions/{id}/allocation calls (finance)."""
    user.need("finance")
    ledger = ledger_of(request)
    form = await read_form(request)
    tid = parse_uuid(transaction_id, "bank transaction")
    month = str(form.get("month", ""))
    month = month if _MONTH.match(month) else today().isoformat()[:7]
    reference = str(form.get("reference", ""))[:40]
    invoice_id = await run_in_threadpool(ledger.find_invoice_by_reference, reference)
    if invoice_id is None:
        done = Submitted(form, new_key())
        done.errors[f"{tid}:reference"] = translate("no_such_reference", user.lang)
        done.message = translate("fix_errors", user.lang)
        return await run_in_threadpool(_page, request, user, month, done)

    def command(body: AllocationIn, idempotency: Any) -> dict[str, Any]:
        return ledger.allocate_bank_payment(tid, invoice_id=parse_uuid(body.invoice_id, "invoice"),
                                            allocated_on=body.allocated_on, idempotency=idempotency)

    done = await submit(request, user, form, AllocationIn,
                        {"invoice_id": str(invoice_id), "allocated_on": str(form.get("allocated_on", ""))}, command)
    if done.ok:
        done.message = translate("allocated", user.lang)
    done.errors = {f"{tid}:{'reference' if k == 'invoice_id' else k}": v for k, v in done.errors.items()}
    return await run_in_threadpool(_page, request, user, month, done)
