"""What an invoice of an agreement must name besides its figures (R-INV-6): the seller's IBAN and BIC,
the agreement's VAT treatment, and each buyer's e-invoice address, operator and buyer reference.

They are kept in a small aggregate of their own per agreement (``BillingDetails``), so setting them
never touches the agreement itself. The VAT rate is chosen by the supply date from the Finnish general
rate's dated table; cost shares are amounts before VAT, and an invoice adds the VAT on top.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.identifiers import business_id as check_business_id
from domain.kernel.money import CENT, ZERO, fmt

MAX_PARTIES = 500  # as many as an agreement may have
MAX_REASON_CHARS = 300
MAX_ADDRESS_CHARS = 35  # Finvoice's e-invoice address and intermediator
MAX_BUYER_REFERENCE_CHARS = 70  # Finvoice's BuyerReferenceIdentifier
# The Finnish general VAT rate (Value Added Tax Act 1501/1993, § 84) from each day it took effect.
VAT_RATES: tuple[tuple[date, Decimal], ...] = (
    (date(1994, 6, 1), Decimal("22")),
    (date(2010, 7, 1), Decimal("23")),
    (date(2013, 1, 1), Decimal("24")),
    (date(2024, 9, 1), Decimal("25.5")),
)
VAT_TREATMENTS = ("standard_rate", "outside_vat")


def vat_rate_on(supply_on: date) -> Decimal:
    """The general VAT rate of a supply date: 24 % up to 2024-08-31, 25.5 % from 2024-09-01 (R-INV-6)."""
    rate = None
    for since, value in VAT_RATES:
        if supply_on >= since:
            rate = value
    if rate is None:
        raise InvalidInput(f"no Finnish VAT rate is known for {supply_on}", code="date_out_of_range")
    return rate


def vat_of(net: Decimal, rate: Decimal) -> Decimal:
    """The VAT on a net amount, rounded half up to the cent."""
    return (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_in(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT part of an amount that includes VAT (a credit note of a VAT invoice)."""
    return (gross * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def invoice_vat(treatment: dict[str, Any] | None, supply_on: date, lines: list[dict[str, Any]]
                ) -> dict[str, Any] | None:
    """The VAT an invoice carries: None without a treatment (figures as before), the rate of the supply
    date with the VAT of each line, or the reason the shares are outside VAT."""
    if treatment is None:
        return None
    if treatment["treatment"] == "outside_vat":
        return {"rate": None, "reason": treatment["reason"], "supply_on": supply_on}
    rate = vat_rate_on(supply_on)
    per_line = [vat_of(line["amount"], rate) for line in lines]
    return {"rate": rate, "supply_on": supply_on, "lines": per_line, "amount": sum(per_line, ZERO)}


def vat_amount(vat: dict[str, Any] | None) -> Decimal:
    """The VAT an invoice adds to its lines (zero without a rate)."""
    return vat["amount"] if vat and vat.get("rate") is not None else ZERO


def vat_view(vat: dict[str, Any] | None, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An invoice's VAT as the API shows it: rate, net, VAT and gross, or the reason it has none."""
    if vat is None:
        return None
    net = sum((line["amount"] for line in lines), ZERO)
    amount = vat_amount(vat)
    return {"treatment": "outside_vat" if vat["rate"] is None else "standard_rate",
            "rate": None if vat["rate"] is None else str(vat["rate"]), "reason": vat.get("reason"),
            "supply_on": vat["supply_on"], "net": fmt(net), "vat": fmt(amount), "gross": fmt(net + amount),
            "lines": [fmt(v) for v in vat.get("lines", [ZERO] * len(lines))]}


def check_iban(value: Any) -> str:
    """A Finnish IBAN in its compact form (mod-97 checked): the giro slip's bar code needs one."""
    try:
        compact = stdnum_iban.validate(value if isinstance(value, str) and len(value) <= 42 else "")
    except ValidationError:
        raise InvalidInput(f"{value!r} is not a valid IBAN", code="invalid_iban") from None
    if not compact.startswith("FI"):
        raise InvalidInput("the seller's account must be a Finnish IBAN (FI…)", code="invalid_iban")
    return compact


def check_bic(value: Any) -> str:
    """A BIC (8 or 11 characters)."""
    try:
        return stdnum_bic.validate(value if isinstance(value, str) and len(value) <= 11 else "")
    except ValidationError:
        raise InvalidInput(f"{value!r} is not a valid BIC", code="invalid_bic") from None


def check_e_invoice_address(value: Any) -> str:
    """An e-invoice address: an OVT code (0037 + the 8 digits of a business id + up to 5 characters) or
    an IBAN."""
    compact = value.replace(" ", "").upper() if isinstance(value, str) else ""
    if compact.startswith("0037") and 12 <= len(compact) <= 17 and compact.isalnum() and compact.isascii():
        try:
            check_business_id(compact[4:12])
        except InvalidInput:
            raise InvalidInput(f"{value!r} is not an OVT code of a valid business id",
                               code="invalid_e_invoice_address") from None
        return compact
    try:
        return stdnum_iban.validate(compact)
    except ValidationError:
        raise InvalidInput(f"{value!r} is neither an OVT code nor an IBAN",
                           code="invalid_e_invoice_address") from None


def check_operator(value: Any) -> str:
    """An e-invoice operator's id (an OVT code or a bank's BIC): 4 to 35 letters and digits."""
    compact = value.replace(" ", "").upper() if isinstance(value, str) else ""
    if not (4 <= len(compact) <= MAX_ADDRESS_CHARS and compact.isalnum() and compact.isascii()):
        raise InvalidInput("an operator id is 4 to 35 letters and digits", code="invalid_e_invoice_operator")
    return compact


def check_vat_treatment(treatment: Any, reason: Any) -> dict[str, Any]:
    """A VAT treatment: the general rate by supply date, or outside VAT with the reason stated."""
    if treatment not in VAT_TREATMENTS:
        raise InvalidInput(f"a VAT treatment is one of {', '.join(VAT_TREATMENTS)}", code="invalid_vat_treatment")
    if treatment == "standard_rate":
        if reason is not None:
            raise InvalidInput("a reason is given only for shares outside VAT", code="invalid_vat_treatment")
        return {"treatment": treatment, "reason": None}
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"state why the shares are outside VAT (1 to {MAX_REASON_CHARS} characters)",
                           code="invalid_vat_treatment")
    return {"treatment": treatment, "reason": reason.strip()}


class BillingDetails(Aggregate):
    """An agreement's seller bank details, VAT treatment and its parties' e-invoice details."""

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return uuid5(agreement_id, "billing-details")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.seller_bank: dict[str, Any] | None = None
        self.vat: dict[str, Any] | None = None
        self.e_invoicing: dict[str, dict[str, Any]] = {}

    def set_seller_bank(self, *, iban: str, bic: str, recorded_on: date) -> None:
        """Record the account the shares are paid to (checked IBAN and BIC)."""
        self.seller_bank_details_set(iban=check_iban(iban), bic=check_bic(bic), recorded_on=recorded_on)

    @event("SellerBankDetailsSet")
    def seller_bank_details_set(self, *, iban: str, bic: str, recorded_on: date) -> None:
        self.seller_bank = {"iban": iban, "bic": bic, "recorded_on": recorded_on}

    def set_vat(self, *, treatment: str, reason: str | None, recorded_on: date) -> None:
        """Record the agreement's VAT treatment; invoices issued from now on carry it (R-INV-6)."""
        checked = check_vat_treatment(treatment, reason)
        self.vat_treatment_set(recorded_on=recorded_on, **checked)

    @event("VatTreatmentSet")
    def vat_treatment_set(self, *, treatment: str, reason: str | None, recorded_on: date) -> None:
        self.vat = {"treatment": treatment, "reason": reason, "recorded_on": recorded_on}

    def set_e_invoicing(self, *, party_id: UUID, address: str, operator: str, buyer_reference: str | None,
                        recorded_on: date) -> None:
        """Record where a party receives its e-invoices and the reference it wants on them (R-INV-6)."""
        if str(party_id) not in self.e_invoicing and len(self.e_invoicing) >= MAX_PARTIES:
            raise Conflict(f"at most {MAX_PARTIES} parties' e-invoice details", code="too_many_parties")
        if buyer_reference is not None and (not isinstance(buyer_reference, str) or not buyer_reference.strip()
                                            or len(buyer_reference) > MAX_BUYER_REFERENCE_CHARS):
            raise InvalidInput(f"a buyer reference is 1 to {MAX_BUYER_REFERENCE_CHARS} characters",
                               code="invalid_buyer_reference")
        self.party_e_invoice_details_set(
            party_id=party_id, address=check_e_invoice_address(address), operator=check_operator(operator),
            buyer_reference=None if buyer_reference is None else buyer_reference.strip(), recorded_on=recorded_on)

    @event("PartyEInvoiceDetailsSet")
    def party_e_invoice_details_set(self, *, party_id: UUID, address: str, operator: str,
                                    buyer_reference: str | None, recorded_on: date) -> None:
        self.e_invoicing[str(party_id)] = {"address": address, "operator": operator,
                                           "buyer_reference": buyer_reference, "recorded_on": recorded_on}

    def view(self) -> dict[str, Any]:
        """The seller's bank details and the VAT treatment, as the API shows them."""
        bank, vat = self.seller_bank, self.vat
        return {"agreement_id": str(self.agreement_id),
                "seller_bank": None if bank is None else {"iban": bank["iban"], "bic": bank["bic"]},
                "vat": None if vat is None else {"treatment": vat["treatment"], "reason": vat["reason"]}}

    def party_view(self, party_id: UUID) -> dict[str, Any] | None:
        """A party's e-invoice details, if recorded."""
        found = self.e_invoicing.get(str(party_id))
        return None if found is None else {k: found[k] for k in ("address", "operator", "buyer_reference")}
