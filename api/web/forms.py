"""Posting a form through the same command the API calls: the session's CSRF token, the API's request
schema, an idempotency key from the form (a double submit writes once) and refusals per field."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.deps import IDEMPOTENCY_KEY_PATTERN, claim
from api.problems import ApiProblem
from api.web.messages import translate
from api.web.render import WebUser, checked, field_errors
from domain.kernel.errors import DomainError
from domain.kernel.idempotency import Idempotency

MAX_FIELD_CHARS = 2000
MAX_FIELDS = 1200  # a decision's form names every seat's vote and cast_by: 500 seats at most
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def new_key() -> str:
    """A fresh idempotency key for a form about to be shown."""
    return "web-" + secrets.token_urlsafe(18)


@dataclass
class Submitted:
    """A posted form: its fields, the idempotency key it carried, and what came of it."""

    form: FormData
    key: str
    result: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def value(self, name: str) -> str:
        return str(self.form.get(name, ""))[:MAX_FIELD_CHARS]

    def values(self, name: str) -> list[str]:
        return [str(v)[:MAX_FIELD_CHARS] for v in self.form.getlist(name)]

    @property
    def ok(self) -> bool:
        return self.result is not None


async def read_form(request: Request) -> FormData:
    """The posted fields, at most ``MAX_FIELDS`` (the body is already bounded by the middleware)."""
    return await request.form(max_files=0, max_fields=MAX_FIELDS)


async def submit(request: Request, user: WebUser, form: FormData, model: type[BaseModel],
                 data: dict[str, Any], command: Callable[[Any, Idempotency | None], dict[str, Any]]
                 ) -> Submitted:
    """Check the CSRF token and the fields by the API's schema, then run the command with the form's key."""
    key = str(form.get("idempotency_key", ""))
    done = Submitted(form, key if _KEY.match(key) else new_key())
    if not user.session.csrf_ok(str(form.get("csrf", ""))):
        done.message = translate("csrf", user.lang)
        return done
    try:
        body = checked(model, data)
        idempotency = claim(user.principal, done.key, request, body.model_dump(mode="json"))
        done.result = await run_in_threadpool(command, body, idempotency)
    except (ValidationError, DomainError, ApiProblem) as exc:
        done.errors, done.message = field_errors(exc)
        if done.errors and not done.message:
            done.message = translate("fix_errors", user.lang)
    return done


def optional(text: str) -> str | None:
    """An empty field as null, as the API's optional fields take it."""
    text = text.strip()
    return text or None
