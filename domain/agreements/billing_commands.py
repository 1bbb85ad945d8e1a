"""The Ledger's commands and queries for what invoices must name (R-INV-6): the seller's bank details,
the VAT treatment, the parties' e-invoice details, and an invoice with all of it for its documents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement
from domain.agreements.billing import BillingDetails
from domain.kernel.errors import Conflict

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

MAX_DOCUMENTS = 500  # invoices of one run in one batch of documents
MAX_PAGES = 200  # pages of 500 invoices looked through for one day's run


class BillingCommands:
    """Mixed into the Ledger."""

    # Provided by the Ledger.
    _execute: Callable[..., dict[str, Any]]
    _agreement: Callable[[UUID], Agreement]
    _read: Callable[[UUID, type, str], Any]
    repository: Any
    get_invoice: Callable[..., dict[str, Any]]
    list_invoices: Callable[..., list[dict[str, Any]]]

    def set_seller_bank_details(self, agreement_id: UUID, *, iban: str, bic: str, recorded_on: date,
                                idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record the IBAN and BIC the agreement's invoices are paid to and its payouts leave from (R-INV-6).
        Allowed after the agreement ended too: refunds and final invoices still need a current account."""
        return self._billing_command(agreement_id, lambda billing: billing.set_seller_bank(
            iban=iban, bic=bic, recorded_on=recorded_on), idempotency, in_force=False)

    def set_vat_treatment(self, agreement_id: UUID, *, treatment: str, reason: str | None, recorded_on: date,
                          idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record the agreement's VAT treatment; invoices issued from then on carry it (R-INV-6)."""
        return self._billing_command(agreement_id, lambda billing: billing.set_vat(
            treatment=treatment, reason=reason, recorded_on=recorded_on), idempotency)

    def set_party_e_invoicing(self, agreement_id: UUID, party_id: UUID, *, address: str, operator: str,
                              buyer_reference: str | None, recorded_on: date,
                              idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a party's e-invoice address, operator and buyer reference (R-INV-6)."""

        def change(billing: BillingDetails) -> None:
            self._agreement(agreement_id).party(party_id)  # not found unless it is a party
            billing.set_e_invoicing(party_id=party_id, address=address, operator=operator,
                                    buyer_reference=buyer_reference, recorded_on=recorded_on)

        return self._billing_command(agreement_id, change, idempotency, lambda billing: {
            "party_id": str(party_id), "e_invoicing": billing.party_view(party_id)})

    def _billing_command(self, agreement_id: UUID, change: Callable[[BillingDetails], None],
                         idempotency: Idempotency | None,
                         view: Callable[[BillingDetails], dict[str, Any]] = BillingDetails.view,
                         in_force: bool = True) -> dict[str, Any]:
        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            if in_force:
                agreement.check_in_force()
            billing = self._billing_for(agreement.id)
            change(billing)
            return [billing], view(billing)

        return self._execute(command, idempotency)

    def _billing_for(self, agreement_id: UUID) -> BillingDetails:
        return self._billing_or_none(agreement_id) or BillingDetails(agreement_id=agreement_id)

    def _billing_or_none(self, agreement_id: UUID) -> BillingDetails | None:
        try:
            return self.repository.get(BillingDetails.create_id(agreement_id))
        except AggregateNotFoundError:
            return None

    # Queries ---------------------------------------------------------------------------------

    def get_billing_details(self, agreement_id: UUID) -> dict[str, Any]:
        """The agreement's seller bank details and VAT treatment (None where not recorded)."""
        self._read(agreement_id, Agreement, "agreement")
        billing = self._billing_or_none(agreement_id)
        return BillingDetails(agreement_id=agreement_id).view() if billing is None else billing.view()

    def party_e_invoicing(self, agreement_id: UUID, party_id: UUID) -> dict[str, Any] | None:
        """A party's e-invoice details, if recorded."""
        billing = self._billing_or_none(agreement_id)
        return None if billing is None else billing.party_view(party_id)

    def invoice_document(self, invoice_id: UUID, *, as_of: date) -> dict[str, Any]:
        """An invoice as its documents show it: the invoice view, the seller with its IBAN and BIC and the
        buyer with its business id and e-invoice details; refused without the seller's bank details."""
        invoice = self.get_invoice(invoice_id, as_of=as_of)
        return self._document(self._agreement_read(UUID(invoice["agreement_id"])), invoice)

    def invoice_documents(self, agreement_id: UUID, *, issued_on: date) -> list[dict[str, Any]]:
        """The invoices issued on one day (an invoicing run) as documents, at most ``MAX_DOCUMENTS``."""
        agreement = self._agreement_read(agreement_id)
        found: list[dict[str, Any]] = []
        after = None
        for _ in range(MAX_PAGES):
            page = self.list_invoices(agreement_id, as_of=issued_on, limit=500, after=after)
            found += [i for i in page if i["issued_on"] == issued_on]
            if len(found) > MAX_DOCUMENTS:
                raise Conflict(f"more than {MAX_DOCUMENTS} invoices were issued on {issued_on}",
                               code="too_many_documents")
            if len(page) < 500:
                break
            after = UUID(page[-1]["id"])
        return [self._document(agreement, invoice) for invoice in found]

    def _agreement_read(self, agreement_id: UUID) -> Agreement:
        return self._read(agreement_id, Agreement, "agreement")

    def _document(self, agreement: Agreement, invoice: dict[str, Any]) -> dict[str, Any]:
        billing = self._billing_or_none(agreement.id)
        if billing is None or billing.seller_bank is None:
            raise Conflict(f"{agreement.code} has no seller's IBAN and BIC to print on its invoices (R-INV-6)",
                           code="seller_bank_details_missing")
        party = agreement.party(UUID(invoice["party_id"]))
        return {"invoice": invoice, "agreement": {"code": agreement.code, "title": agreement.title},
                "seller": {**invoice["seller"], "iban": billing.seller_bank["iban"],
                           "bic": billing.seller_bank["bic"]},
                "buyer": {"name": party["name"], "business_id": party["business_id"],
                          "e_invoicing": billing.party_view(party["party_id"])}}
