"""A drill of an attacker: the role × route matrix (tampering is in benchmarks/drills/tamper.py)."""

from __future__ import annotations

import re
import uuid

import httpx2 as httpx

from benchmarks.drills.common import Row
from benchmarks.service import Service, auth
from tests.api.helpers import COUNTY, KELA, UAS

OPEN = {"/health"}
SCHEDULER_POSTS = ("/invoicing-runs", "/overdue-runs", "/recharge-runs", "/notice-sweeps")
# What the scheduler may read (README, roles): agreements, parties, decisions, amendments, the group.
SCHEDULER_READS = re.compile(r"^/v1/agreements(/\{agreement_id\}(/parties(/\{party_id\})?|/decisions(/\{decision_id\})?"
                             r"|/amendments(/\{number\})?|/steering-group)?)?$|^/metrics$")
STAFF_ONLY = re.compile(r"^/v1/audit/|^/metrics$|/unmatched-payments")  # never a party's


def _paths(svc: Service, http: httpx.Client) -> list[tuple[str, str]]:
    spec = http.get("/openapi.json").json()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops
            if method in ("get", "post")]


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path).replace(
        "{number}", "1")


def roles(svc: Service, url: str) -> Row:
    """Every route with every role's token and none: no role gets what it should not.

    A party's token sees nothing of another party (its id, business id, name, invoices or their
    references) in any 2xx answer, whichever party or invoice the path names; auditors and parties
    write nothing; the scheduler reads only agreements, parties, decisions, amendments and the group;
    no token gets 401 everywhere but /health.
    """
    row = Row("role x route matrix")
    by_business_id = {party["business_id"]: party for party in svc.parties}
    owners = {"party": KELA["business_id"], "party_other": COUNTY["business_id"]}
    with httpx.Client(base_url=url, timeout=60) as http:
        routes = _paths(svc, http)
        for role in ("coordinator", "finance", "auditor", "scheduler", "party", "party_other", None):
            own = by_business_id.get(owners.get(role or "", ""))
            others = [p for p in svc.parties if own is not None and p["party_id"] != own["party_id"]
                      and p["business_id"] in (KELA["business_id"], COUNTY["business_id"], UAS["business_id"])]
            secrets = [s for p in others for s in (p["party_id"], p["business_id"], p["name"])]
            secrets += [s for i in svc.invoices if own is not None and i["party_id"] != own["party_id"]
                        for s in (i["id"], i["reference"])]
            targets = [p["party_id"] for p in svc.parties]
            for method, path in routes:
                for target in targets if "{party_id}" in path or "{invoice_id}" in path else [None]:
                    invoice = next((i["id"] for i in svc.invoices if i["party_id"] == target), None)
                    filled = _fill(path, {"agreement_id": svc.agreement_id, "party_id": target or "",
                                          "invoice_id": invoice or str(uuid.uuid4())})
                    headers = auth(svc.tokens[role]) if role else {}
                    response = http.request(method, filled, headers=headers,
                                            json={} if method == "POST" else None)
                    row.requests += 1
                    if response.status_code >= 500:
                        row.server_errors += 1
                        row.problems.append(f"{role} {method} {filled}: {response.status_code}")
                    verdict = _verdict(role, method, path, response, secrets)
                    if verdict:
                        row.leaks += 1
                        row.problems.append(f"{role} {method} {filled}: {verdict}")
    return row


def _verdict(role: str | None, method: str, path: str, response: httpx.Response, secrets: list[str]) -> str:
    ok = 200 <= response.status_code < 300
    if role is None:
        return "" if path in OPEN or response.status_code == 401 else f"{response.status_code} without a token"
    if not ok or path in OPEN:
        return ""
    if method == "POST" and role in ("auditor", "party", "party_other"):
        return "a write went through"
    if role == "scheduler" and not (SCHEDULER_READS.match(path) or path.endswith(SCHEDULER_POSTS)):
        return "the scheduler read what it may not"
    if role.startswith("party"):
        if STAFF_ONLY.search(path):
            return "a party read a staff route"
        body = response.text
        seen = [secret for secret in secrets if secret and secret in body]
        if seen:
            return f"another party's data in the answer ({seen[0]})"
    return ""
