"""Money: engine vs the pure-Python reference, and hand-worked cases."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.engine_reference import money as ref

CURRENCIES = ["usd", "eur", "jpy", "kwd", "clf", "KRW", "zzz"]
amounts = st.decimals(min_value=Decimal(-(10**15)), max_value=Decimal(10**15), places=6, allow_nan=False)


@settings(max_examples=500)
@given(amounts, st.sampled_from(CURRENCIES))
def test_round_and_format_agree_with_reference(amount: Decimal, currency: str) -> None:
    assert engine.round_amount(amount, currency) == ref.round_amount(amount, currency)
    assert engine.format_amount(amount, currency) == ref.format_amount(amount, currency)
    assert engine.currency_digits(currency) == ref.currency_digits(currency)


@settings(max_examples=500)
@given(st.text(alphabet="0123456789.-+e ", max_size=12))
def test_parse_agrees_with_reference(text: str) -> None:
    try:
        expected = ref.parse_amount(text)
    except ref.ReferenceAmountError:
        with pytest.raises(engine.InvalidAmountError):
            engine.parse_amount(text)
    else:
        assert engine.parse_amount(text) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [("1.005", "usd", "1.01"), ("-1.005", "usd", "-1.01"), ("2.5", "jpy", "3"), ("0.0005", "kwd", "0.001")],
)
def test_rounds_half_up(amount: str, currency: str, rounded: str) -> None:
    assert engine.round_amount(Decimal(amount), currency) == Decimal(rounded)


def test_out_of_range_amount_is_rejected() -> None:
    with pytest.raises(engine.InvalidAmountError):
        engine.round_amount(Decimal("1e16"), "usd")
