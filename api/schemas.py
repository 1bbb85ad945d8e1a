"""Request bodies: strict shapes (unknown fields 422), money as strings, bounded lengths."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt,
                      StringConstraints)
from pydantic_core import PydanticCustomError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from domain.kernel.calendar import FIRST_YEAR, LAST_YEAR
from domain.kernel.money import MAX_INPUT_AMOUNT
from domain.records.contacts import (MAX_EMAIL_CHARS, MAX_LIVE_CONTACTS, MAX_NAME_CHARS, MAX_PHONE_CHARS,
                                     MAX_TITLE_CHARS, ContactDetails)

# ASCII digits only (``\d`` would also take Arabic-Indic or full-width digits), at most 12 before the point:
# one amount is at most MAX_INPUT_AMOUNT (999,999,999,999.99), so no sum the ledger keeps can overflow.
MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
_AMOUNT_SHAPE = re.compile(r"-?([0-9]+)(\.[0-9]+)?", re.ASCII)
# Pydantic error types that are the problem's stable code when they are the only errors of a request.
STABLE_ERROR_CODES = frozenset({"date_out_of_range", "amount_out_of_range", "invalid_iban", "invalid_bic"})


def _iso_date(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        raise ValueError("dates are strings in the form YYYY-MM-DD")
    return value


def in_business_years(value: date | None) -> date | None:
    """Refuse a business date (or an instant) outside the years the ledger's calendar knows (422
    ``date_out_of_range``): one far-future date accepted once would stay in the history for good."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError("date_out_of_range", "dates are from {first} to {last}",
                                  {"first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31"})
    return value


def _amount_text(value: object) -> object:
    """Refuse an amount beyond MAX_INPUT_AMOUNT either way (422 ``amount_out_of_range``); anything else
    that is no amount (other digits than ASCII, more decimals, not a string) fails MONEY_PATTERN
    (422 ``validation_error``)."""
    shape = _AMOUNT_SHAPE.fullmatch(value) if isinstance(value, str) and len(value) <= 40 else None
    if shape is not None and len(shape.group(1).lstrip("0")) > 12:
        raise PydanticCustomError("amount_out_of_range", "an amount is at most {maximum} either way",
                                  {"maximum": str(MAX_INPUT_AMOUNT)})
    return value


Money = Annotated[str, BeforeValidator(_amount_text), StringConstraints(pattern=MONEY_PATTERN, max_length=16),
                  Field(examples=["12500.00"])]
BusinessDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(in_business_years),
                         Field(examples=["2025-09-01"])]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
BusinessId = Annotated[str, StringConstraints(min_length=1, max_length=20), Field(examples=["2574261-7"])]
FractionText = Annotated[str, StringConstraints(pattern=r"^\d{1,9}(/\d{1,9}|\.\d{1,9})?$")]
KeyText = Annotated[str, StringConstraints(pattern=r"^(\d{1,6}/\d{1,6}|[01]?\.\d{1,6}|1)$"),
                   Field(description="A fixed key (R-ACC-5): the party's fraction of the shared costs, "
                                     'like "3/4" or "0.75"; above 0 and at most 1.', examples=["1/4"])]
Metric = Annotated[StrictInt, Field(ge=0, le=10**15)] | Annotated[
    str, StringConstraints(pattern=r"^\d{1,15}(\.\d{1,2})?$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BandIn(Strict):
    up_to: Money | None = Field(None, description="Highest budget of the band; null for the top band.")
    amount: Money


class FixedByCategoryIn(Strict):
    model: Literal["fixed_by_category"]
    categories: dict[Slug, Money | Annotated[list[BandIn], Field(min_length=1, max_length=10)]] = Field(
        min_length=1, max_length=50)


class ProportionalIn(Strict):
    model: Literal["proportional"]
    metric: Slug
    rate: Money | None = None
    total: Money | None = None


class EqualIn(Strict):
    model: Literal["equal"]
    total: Money


class FixedKeyIn(Strict):
    """Each party bears a fixed fraction of the shared costs, its accession's `key` (Mäntyharju 3/4,
    Hirvensalmi 1/4; R-ACC-5). It commits no money: the key splits recharged costs and weighs votes. The
    live parties' keys sum to at most 1; a period's shared costs are split only when the keys of the
    parties taking part sum to exactly 1 (else 409 `key_incomplete`)."""

    model: Literal["fixed_key"]


CostSharingIn = Annotated[FixedByCategoryIn | ProportionalIn | EqualIn | FixedKeyIn, Field(discriminator="model")]


class InstalmentIn(Strict):
    issue_on: BusinessDate
    share: FractionText
    requires_release: StrictBool = Field(
        False, description="A tranche: invoiced only after a passed `tranche_release` steering decision "
                           'with subject `{"instalment": n}` (R-FUND-5).')


class TermsIn(Strict):
    payment_term_days: StrictInt | None = None
    notice_months: StrictInt | None = None
    minimum_commitment_months: StrictInt | None = None
    breach_cure_days: StrictInt | None = None
    refund_threshold_pp: StrictInt | None = None
    qualified_majority: FractionText | None = None
    quorum: FractionText | None = None
    retention_years: StrictInt | None = None
    confidentiality_years: StrictInt | None = None
    recharge_period: Literal["none", "quarter", "half_year"] | None = Field(
        None, description="How often shared spending is recharged to the parties (R-INV-5).")
    refund_to_withdrawn_parties: StrictBool | None = Field(
        None, description="Whether a party that left by notice shares in a refund by what it paid "
                          "(default true); an expelled party never does (R-FUND-2).")


class OrganisationIn(Strict):
    name: Name
    business_id: BusinessId


class CoordinatorIn(Strict):
    name: Name
    business_id: BusinessId
    is_party: bool = Field(False, description="The coordinator also funds the work as a party.")
    category: Slug | None = None
    metric: Metric | None = None
    key: KeyText | None = Field(None, description="The coordinator's fixed key, where the model is fixed_key.")


def _iban(value: str) -> str:
    """An IBAN checked by schwifty (country format, bank code and check digits): 422 ``invalid_iban``."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise PydanticCustomError("invalid_iban", "not a valid IBAN: {reason}", {"reason": str(exc)}) from None


def _bic(value: str) -> str:
    """A BIC checked by schwifty: 422 ``invalid_bic``."""
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise PydanticCustomError("invalid_bic", "not a valid BIC: {reason}", {"reason": str(exc)}) from None


class SellerBankIn(Strict):
    iban: Annotated[str, StringConstraints(min_length=15, max_length=42), AfterValidator(_iban),
                    Field(examples=["FI79 4405 2020 0360 82"], description="A Finnish IBAN (`invalid_iban`).")]
    bic: Annotated[str, StringConstraints(min_length=8, max_length=11), AfterValidator(_bic),
                   Field(examples=["NDEAFIHH"], description="The bank's BIC (`invalid_bic`).")]


class VatTreatmentIn(Strict):
    treatment: Literal["standard_rate", "outside_vat"] = Field(
        description="`standard_rate`: the general rate of each invoice's supply date (24 % to 2024-08-31, "
                    "25.5 % from 2024-09-01) on top of the shares; `outside_vat`: no VAT, for the reason given.")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = Field(
        None, description="Why the shares are outside VAT (required with `outside_vat` only).")


class EInvoicingIn(Strict):
    address: Annotated[str, StringConstraints(min_length=4, max_length=35)] = Field(
        examples=["003702462460"], description="An OVT code (0037 + business id digits) or an IBAN.")
    operator: Annotated[str, StringConstraints(min_length=4, max_length=35)] = Field(
        examples=["003721291126"], description="The e-invoice operator's (intermediator's) id.")
    buyer_reference: Annotated[str, StringConstraints(min_length=1, max_length=70)] | None = None


class AgreementIn(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    coordinator: CoordinatorIn
    starts_on: BusinessDate
    ends_on: BusinessDate
    invoicer: OrganisationIn | None = Field(
        None, description="An operator that invoices the shares in its own name and pays the host what it "
                          "collects (DigiOne: Tiera); by default the coordinator invoices and holds the funds.")
    signed_on: BusinessDate | None = Field(
        None, description="The day the agreement was signed (default: the term's start); parties may "
                          "accede from this day, before the term starts (R-ACC-1).")
    cost_sharing: CostSharingIn
    instalments: list[InstalmentIn] = Field(default_factory=list, max_length=24)
    terms: TermsIn | None = None
    seller_bank: SellerBankIn | None = Field(None, description="The IBAN and BIC invoices are paid to (R-INV-6).")
    vat: VatTreatmentIn | None = Field(None, description="The VAT treatment of the shares (R-INV-6).")


# Contact persons: personal data, kept in an erasable store and never in events ------------------

PERSONAL_FIELDS = {"name", "email", "phone", "title"}
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=MAX_EMAIL_CHARS),
                  Field(examples=["maija.meikalainen@example.fi"])]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PHONE_CHARS),
                  Field(examples=["+358 40 123 4567"])]
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS)]


class ContactIn(Strict):
    name: PersonName
    email: Email = Field(description="An address such as name@example.fi (`invalid_email` otherwise).")
    phone: Phone | None = Field(None, description="5 to 15 digits, optionally with +, spaces, hyphens and "
                                                  "brackets (`invalid_phone` otherwise).")
    title: Title | None = Field(None, description="The person's role or title.")

    def details(self) -> ContactDetails:
        """The checked personal data."""
        return ContactDetails.checked(name=self.name, email=self.email, phone=self.phone, title=self.title)

    def claimed(self) -> dict[str, Any]:
        """The body as an idempotency record may keep it for good: without the personal fields."""
        return self.model_dump(mode="json", exclude=PERSONAL_FIELDS)


class AccessionIn(Strict):
    name: Name
    business_id: BusinessId
    signed_on: BusinessDate
    category: Slug | None = None
    metric: Metric | None = None
    key: KeyText | None = Field(None, description="The party's fixed key, where the model is fixed_key.")
    contacts: list[ContactIn] | None = Field(
        None, max_length=MAX_LIVE_CONTACTS,
        description="Contact persons to add to the new party in the same step (see the contacts routes).")

    def claimed(self) -> dict[str, Any]:
        """The body as an idempotency record may keep it for good: the contacts reduced to their number."""
        body = self.model_dump(mode="json", exclude={"contacts"})
        if body["key"] is None:
            del body["key"]  # hashes as before the field existed
        if self.contacts:
            body["contacts"] = [{} for _ in self.contacts]
        return body


class KeyUpdateIn(Strict):
    """A party's new metric (a key-only proportional model) or fixed key (fixed_key), from a day on
    (R-ACC-5). Give exactly one of `metric` and `key`."""

    metric: Metric | None = None
    key: KeyText | None = None
    effective_on: BusinessDate = Field(description=(
        "The first day the new key applies: where the agreement recharges by period, the first day of a "
        "period (a mid-period date gets 422 `key_update_mid_period`); it must not be in a period already "
        "recharged (409 `period_already_recharged`). Earlier periods keep the key they had."))
    decision_id: UUID | None = Field(None, description="The steering decision that confirmed the key, if any: "
                                                       "passed, of this agreement, taken by `effective_on`.")


class KeyHistoryEntry(BaseModel):
    effective_on: str
    metric: str | None
    key: str | None
    decision_id: str | None


class KeyUpdateOut(BaseModel):
    party_id: str
    metric_in_force: str | None = Field(description="The metric in force after the latest update.")
    key_in_force: str | None = Field(description="The fixed key in force after the latest update.")
    key_history: list[KeyHistoryEntry]


class Created(BaseModel):
    id: str


class Accession(BaseModel):
    party_id: str
    annex: str | None
    cost_share: str
    contact_ids: list[str] = Field(default_factory=list, description="The ids of the contacts added with it.")


# Money ------------------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
BankReference = Annotated[str, StringConstraints(min_length=1, max_length=35),
                          Field(description="The bank's archive id of the transaction; a second payment "
                                            "with the same id is refused as a duplicate.")]


class RunIn(Strict):
    as_of: BusinessDate = Field(description="Issue what is due on or before this business date.")


class RunOut(BaseModel):
    issued: list[str]
    already_issued: int
    periods: list[str] | None = None


class RechargeRunOut(RunOut):
    late_periods: list[str] = Field(
        default_factory=list, description="Periods recharged before whose costs booked since were "
                                          "invoiced in this run as late items (R-INV-5).")


class OverdueRunOut(BaseModel):
    marked: int


class PaymentIn(Strict):
    amount: Money
    paid_on: BusinessDate
    bank_reference: BankReference | None = None


class ReferencePaymentIn(Strict):
    reference: Annotated[str, StringConstraints(min_length=1, max_length=35),
                         Field(description="Finnish reference (viitenumero) or RF reference.",
                               examples=["12025000015"])]
    amount: Money
    paid_on: BusinessDate
    bank_reference: BankReference | None = None


class PaymentOut(BaseModel):
    payment_id: str
    matched: bool
    invoice_id: str | None
    status: str
    outstanding: str | None = None


class AllocationIn(Strict):
    invoice_id: Annotated[str, StringConstraints(max_length=36)]
    allocated_on: BusinessDate


class CreditNoteIn(Strict):
    amount: Money
    issued_on: BusinessDate
    reason: Text


PartyRef = Annotated[str, StringConstraints(max_length=36)]


class SpendingIn(Strict):
    amount: Money
    booked_on: BusinessDate
    category: Slug
    description: Text
    borne_by: PartyRef | Annotated[list[PartyRef], Field(min_length=1, max_length=500)] | None = Field(
        None, description="Who bears this cost (R-INV-5): a party id, that party alone; a list of party "
                          "ids, those parties jointly, split among just them by the agreement's key; "
                          "null, shared by the agreement's key.")


class RefundIn(Strict):
    decision_id: Annotated[str, StringConstraints(max_length=36)]
    as_of: BusinessDate = Field(description="Refund what remains as of this date, split by what each paid.")
