"""What the drills share: a row of the table, payments acknowledged, and the store checked against them."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from benchmarks.service import Service, auth

PAID_ON = "2025-10-15"
RETRIES = 120  # a write refused with 409 or 503 is repeated with its Idempotency-Key, this many times


@dataclass
class Row:
    """One drill's figures; it fails on any loss, duplicate, leak, 5xx, undetected tamper or problem."""

    drill: str
    requests: int = 0
    acknowledged: int = 0
    found: int = 0
    duplicates: int = 0
    leaks: int = 0
    server_errors: int = 0
    tampers: str = "-"
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def passed(self) -> bool:
        tampered, _, detected = self.tampers.partition("/")
        return (self.found == self.acknowledged and not self.duplicates and not self.leaks
                and not self.server_errors and not self.problems and tampered == (detected or tampered))


class Payments:
    """Payments by reference from several threads, each with its own bank archive id as Idempotency-Key.

    A 201 is an acknowledgement (archive id → payment id). A 409 or a 503 with Retry-After is repeated
    with the same key; so is a dropped connection (the server may be down: it is repeated until it
    answers). Any other 5xx, and a 503 without Retry-After, is counted as a server error.
    """

    def __init__(self, svc: Service, urls: list[str]) -> None:
        self.svc, self.urls = svc, urls
        self.lock = threading.Lock()
        self.acked: dict[str, str] = {}
        self.requests = 0
        self.server_errors: list[str] = []
        self.refused: list[str] = []
        self.stop = threading.Event()

    def pay(self, http: dict[str, httpx.Client], n: int, archive: str) -> None:
        invoice = self.svc.invoices[n % len(self.svc.invoices)]
        body = {"reference": invoice["reference"], "amount": "1.00", "paid_on": PAID_ON,
                "bank_reference": archive}
        headers = {**auth(self.svc.tokens["finance"]), "Idempotency-Key": archive}
        for attempt in range(RETRIES):
            url = self.urls[(n + attempt) % len(self.urls)]  # a retry may go to the other replica
            try:
                response = http[url].post(f"/v1/agreements/{self.svc.agreement_id}/payments", json=body,
                                          headers=headers)
            except httpx.TransportError:
                with self.lock:
                    self.requests += 1
                time.sleep(0.5)  # the server is down or restarting
                continue
            with self.lock:
                self.requests += 1
            if response.status_code == 201:
                with self.lock:
                    self.acked[archive] = response.json()["payment_id"]
                return
            retry_after = response.headers.get("retry-after")
            if response.status_code not in (409, 503) or (response.status_code == 503 and not retry_after):
                with self.lock:  # a 5xx, a 503 without Retry-After, or a refusal no retry can mend
                    failures = self.server_errors if response.status_code >= 500 else self.refused
                    failures.append(f"{response.status_code} {response.text[:200]}")
                return
            time.sleep(min(float(retry_after or 0.2), 0.5))

    def client(self, number: int, each: int | None = None) -> None:
        """Pay until stopped (or ``each`` times), round the replicas."""
        http = {url: httpx.Client(base_url=url, timeout=30) for url in self.urls}
        try:
            count = 0
            while not self.stop.is_set() and (each is None or count < each):
                self.pay(http, number + count, f"D{number:03d}-{uuid.uuid4().hex[:24]}")
                count += 1
        finally:
            for client in http.values():
                client.close()

    def run(self, clients: int, *, seconds: float | None = None, each: int | None = None,
            during: Any = None) -> None:
        """``clients`` threads paying for ``seconds`` (or ``each`` payments each); ``during`` runs meanwhile."""
        threads = [threading.Thread(target=self.client, args=(n * 1000, each), daemon=True)
                   for n in range(clients)]
        for thread in threads:
            thread.start()
        if during is not None:
            during()
        if seconds is not None:
            time.sleep(seconds)
        if during is not None or seconds is not None:
            self.stop.set()
        for thread in threads:
            thread.join(timeout=180)

    def check(self, row: Row) -> Row:
        """Every acknowledged payment in the store exactly once, and no archive id paid twice."""
        stored = stored_payments(self.svc, self.urls[0])
        by_id = Counter(payment_id for payment_id, _ in stored)
        by_archive = Counter(archive for _, archive in stored if archive)
        row.requests += self.requests
        row.acknowledged += len(self.acked)
        row.found += sum(1 for payment_id in self.acked.values() if by_id[payment_id] >= 1)
        row.duplicates += sum(count - 1 for count in by_archive.values() if count > 1)
        row.duplicates += sum(count - 1 for count in by_id.values() if count > 1)
        row.server_errors += len(self.server_errors)
        row.problems += self.server_errors[:3] + self.refused[:3]
        return row


def stored_payments(svc: Service, url: str) -> list[tuple[str, str | None]]:
    """(payment id, bank archive id) of every payment recorded on the drill's invoices."""
    found: list[tuple[str, str | None]] = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for invoice in svc.invoices:
            response = http.get(f"/v1/invoices/{invoice['id']}", params={"as_of": "2026-12-31"},
                                headers=auth(svc.tokens["finance"]))
            response.raise_for_status()
            found += [(p["payment_id"], p["bank_reference"]) for p in response.json()["payments"]]
    return found
