"""Payouts in the domain: checked bank accounts and EndToEndIds that name their payout again."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.funding.payouts import bank_account, end_to_end_id, payout_id, payout_of
from domain.kernel.errors import InvalidInput


def test_an_end_to_end_id_is_35_characters_and_names_its_payout_again() -> None:
    """The EndToEndId of pain.001 is at most 35 characters; the bank returns it in camt.054, and it leads
    back to the one payout it was made for."""
    agreement = UUID("5b0c3a4e-8f0e-4a8e-9d1e-3c2b1a0f9e8d")
    pid = payout_id(agreement, "refunds:run", uuid4())
    e2e = end_to_end_id(pid)
    assert len(e2e) == 35 and e2e.startswith("LDG") and payout_of(e2e) == pid
    assert payout_id(agreement, "refunds:run", UUID(int=1)) == payout_id(agreement, "refunds:run", UUID(int=1))
    assert payout_id(agreement, "refunds:run", UUID(int=1)) != payout_id(agreement, "exit:x", UUID(int=1))
    for other in ("NOTPROVIDED", "LDG" + "Z" * 32, e2e[:-1], "XYZ" + e2e[3:], ""):
        assert payout_of(other) is None, other


def test_bank_accounts_are_checked_and_kept_compact() -> None:
    """An IBAN with wrong check digits or a BIC of the wrong form is refused; spaces are dropped."""
    assert bank_account("FI21 1234 5600 0007 85", "NDEAFIHH", " Valtori ") == {
        "iban": "FI2112345600000785", "bic": "NDEAFIHH", "name": "Valtori"}
    for iban, bic, code in (("FI2112345600000786", "NDEAFIHH", "invalid_iban"),
                            ("FI2112345600000785", "NDEA1IHH", "invalid_bic")):
        with pytest.raises(InvalidInput) as refused:
            bank_account(iban, bic, None)
        assert refused.value.code == code
    with pytest.raises(InvalidInput) as refused:
        bank_account("FI2112345600000785", "NDEAFIHH", "x" * 71)
    assert refused.value.code == "invalid_name"
