"""Request bodies for late-payment interest and payouts: strict shapes, bounded strings."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from api.schemas import BusinessDate, Strict, Text

# A reference rate in percent, as a string: "2.0", "-0.5", "3.125".
RateText = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,2}(\.[0-9]{1,3})?$")]
IbanText = Annotated[str, StringConstraints(min_length=15, max_length=42)]
BicText = Annotated[str, StringConstraints(min_length=8, max_length=11)]
HolderName = Annotated[str, StringConstraints(min_length=1, max_length=70)]


class ReferenceRateIn(Strict):
    valid_from: BusinessDate
    rate: RateText
    recorded_on: BusinessDate


class InterestInvoiceIn(Strict):
    issued_on: BusinessDate


class InterestWaiverIn(Strict):
    waived_on: BusinessDate
    reason: Text


class BankAccountIn(Strict):
    iban: IbanText
    bic: BicText
    name: HolderName | None = None
    recorded_on: BusinessDate


class Pain001In(Strict):
    execution_on: BusinessDate
    prepared_on: BusinessDate
    debtor: BankAccountIn | None = None
