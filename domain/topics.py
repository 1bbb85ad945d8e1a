"""Topics of classes that moved: stored events name their class by topic (``module:Class``), so a class
that moves keeps its old topic registered here and every event written before the move still loads.

Never remove an entry: events stay in the log for the retention period and longer.
"""

from __future__ import annotations

from eventsourcing.utils import register_topic

from domain.access.tokens import ApiToken
from domain.agreements.agreement import Agreement
from domain.agreements.catalogue import AgreementCatalogue
from domain.funding.refunds import RefundRun
from domain.invoicing.invoices import Invoice, InvoiceBook
from domain.invoicing.payments import PaymentIndex, UnmatchedPayment
from domain.invoicing.spending import SpendingLog
from domain.kernel.idempotency import IdempotencyRecord
from domain.records.contacts import ContactRegister
from domain.steering.decisions import Decision

# Moved on 2026-11-29, when the domain was arranged in folders by capability.
MOVED: dict[str, type] = {
    "domain.agreement:Agreement": Agreement,
    "domain.contacts:ContactRegister": ContactRegister,
    "domain.decision:Decision": Decision,
    "domain.invoice:Invoice": Invoice,
    "domain.invoice:InvoiceBook": InvoiceBook,
    "domain.records:AgreementCatalogue": AgreementCatalogue,
    "domain.records:ApiToken": ApiToken,
    "domain.records:IdempotencyRecord": IdempotencyRecord,
    "domain.refunds:RefundRun": RefundRun,
    "domain.spending:PaymentIndex": PaymentIndex,
    "domain.spending:SpendingLog": SpendingLog,
    "domain.spending:UnmatchedPayment": UnmatchedPayment,
}


def register_moved_topics() -> None:
    """Register every old topic (idempotent: registering the same class again is allowed)."""
    for topic, cls in MOVED.items():
        register_topic(topic, cls)
