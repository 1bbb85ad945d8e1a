"""What invoices must name (R-INV-6): the VAT rate by supply date, VAT in cents, the seller's IBAN and BIC,
and the parties' e-invoice details, checked in the domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.agreements.billing import (BillingDetails, check_bic, check_e_invoice_address, check_iban,
                                       invoice_vat, vat_in, vat_of, vat_rate_on)
from domain.kernel.errors import InvalidInput


@pytest.mark.parametrize("supply_on, rate", [
    (date(2013, 1, 1), "24"), (date(2024, 8, 31), "24"), (date(2024, 9, 1), "25.5"), (date(2026, 1, 1), "25.5"),
    (date(2012, 12, 31), "23")])
def test_the_general_vat_rate_is_chosen_by_the_supply_date(supply_on: date, rate: str) -> None:
    """R-INV-6: 24 % up to 2024-08-31, 25.5 % from 2024-09-01 (and the earlier rates before 2013)."""
    assert vat_rate_on(supply_on) == Decimal(rate)


def test_vat_is_computed_per_line_in_whole_cents_and_a_credit_note_takes_back_its_share() -> None:
    """R-INV-6: 12,500.00 at 25.5 % is 3,187.50; 0.03 at 25.5 % rounds half up to 0.01; a gross 1,255.00
    credited at 25.5 % holds 255.00 of VAT."""
    lines = [{"description": "a", "amount": Decimal("12500.00")}, {"description": "b", "amount": Decimal("0.03")}]
    vat = invoice_vat({"treatment": "standard_rate", "reason": None}, date(2025, 9, 1), lines)
    assert vat is not None
    assert (vat["rate"], vat["lines"], vat["amount"]) == (Decimal("25.5"), [Decimal("3187.50"), Decimal("0.01")],
                                                          Decimal("3187.51"))
    assert vat_of(Decimal("10000.00"), Decimal("24")) == Decimal("2400.00")
    assert vat_in(Decimal("1255.00"), Decimal("25.5")) == Decimal("255.00")
    assert invoice_vat(None, date(2025, 9, 1), lines) is None
    outside = invoice_vat({"treatment": "outside_vat", "reason": "AVL 4 §"}, date(2025, 9, 1), lines)
    assert outside == {"rate": None, "reason": "AVL 4 §", "supply_on": date(2025, 9, 1)}


def test_the_sellers_iban_and_bic_are_checked() -> None:
    """R-INV-6: a Finnish IBAN with a good mod-97 check and a well-formed BIC."""
    assert check_iban("FI79 4405 2020 0360 82") == "FI7944052020036082"
    assert check_bic("NDEAFIHH") == "NDEAFIHH"
    for bad in ("FI79 4405 2020 0360 83", "DE89 3704 0044 0532 0130 00", "", None):
        with pytest.raises(InvalidInput) as caught:
            check_iban(bad)
        assert caught.value.code == "invalid_iban"
    with pytest.raises(InvalidInput) as caught:
        check_bic("NDEA")
    assert caught.value.code == "invalid_bic"


def test_an_e_invoice_address_is_an_ovt_code_of_a_valid_business_id_or_an_iban() -> None:
    """R-INV-6: 0037 + Kela's 02462460 (with an optional suffix), or an IBAN; anything else is refused."""
    assert check_e_invoice_address("0037 0246 2460") == "003702462460"
    assert check_e_invoice_address("00370246246000100") == "00370246246000100"
    assert check_e_invoice_address("FI7944052020036082") == "FI7944052020036082"
    for bad in ("003702462461", "hello", ""):
        with pytest.raises(InvalidInput) as caught:
            check_e_invoice_address(bad)
        assert caught.value.code == "invalid_e_invoice_address"


def test_billing_details_record_the_vat_treatment_with_a_reason_only_when_outside_vat() -> None:
    """R-INV-6: outside VAT needs its reason; the general rate takes none."""
    billing = BillingDetails(agreement_id=uuid4())
    with pytest.raises(InvalidInput):
        billing.set_vat(treatment="outside_vat", reason=" ", recorded_on=date(2025, 9, 1))
    with pytest.raises(InvalidInput):
        billing.set_vat(treatment="standard_rate", reason="why", recorded_on=date(2025, 9, 1))
    billing.set_vat(treatment="outside_vat", reason="AVL 4 §", recorded_on=date(2025, 9, 1))
    party = uuid4()
    billing.set_e_invoicing(party_id=party, address="003702462460", operator="003721291126",
                            buyer_reference=None, recorded_on=date(2025, 9, 1))
    assert billing.view()["vat"] == {"treatment": "outside_vat", "reason": "AVL 4 §"}
    assert billing.party_view(party) == {"address": "003702462460", "operator": "003721291126",
                                         "buyer_reference": None}
