"""Cart totals: engine vs the pure-Python reference, Medusa-derived vectors and hand-worked cases."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.engine_reference import totals as ref

D = Decimal

money = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
rates = st.sampled_from([D(0), D(5), D(7), D("8.875"), D(10), D(19), D(20), D("25.5")])
tax_lines = st.lists(st.fixed_dictionaries({"rate": rates}), max_size=2)
adjustments = st.lists(
    st.fixed_dictionaries(
        {"amount": st.decimals(min_value=0, max_value=600, places=2)}, optional={"is_tax_inclusive": st.booleans()}
    ),
    max_size=3,
)
items = st.lists(
    st.fixed_dictionaries(
        {"unit_price": money, "quantity": st.integers(0, 20), "tax_lines": tax_lines, "adjustments": adjustments},
        optional={"is_tax_inclusive": st.booleans()},
    ),
    max_size=8,
)
methods = st.lists(
    st.fixed_dictionaries(
        {"amount": money, "tax_lines": tax_lines, "adjustments": adjustments},
        optional={"is_tax_inclusive": st.booleans()},
    ),
    max_size=3,
)


@st.composite
def carts(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(items)
    ships = draw(methods)
    for i, line in enumerate(lines):
        line["id"] = f"li_{i}"
    for i, ship in enumerate(ships):
        ship["id"] = f"sm_{i}"
    return {
        "currency_code": draw(st.sampled_from(["usd", "eur", "jpy", "kwd"])),
        "items": lines,
        "shipping_methods": ships,
    }


@settings(max_examples=500, deadline=None)
@given(carts())
def test_engine_agrees_with_reference(cart: dict[str, Any]) -> None:
    assert engine.cart_totals(cart) == ref.cart_totals(cart)


def test_items_and_taxes() -> None:
    # Medusa __tests__/totals.ts "should calculate carts with items + taxes".
    t = engine.cart_totals(
        {
            "currency_code": "usd",
            "items": [
                {"id": "a", "unit_price": D(30), "quantity": 2, "tax_lines": [{"rate": 10}]},
                {"id": "b", "unit_price": D(5), "quantity": 1, "tax_lines": [{"rate": 50}]},
            ],
        }
    )
    assert (t["total"], t["subtotal"], t["tax_total"]) == (D("73.5"), D(65), D("8.5"))
    assert [(i["total"], i["tax_total"]) for i in t["items"]] == [(D(66), D(6)), (D("7.5"), D("2.5"))]
    assert (t["original_total"], t["item_total"], t["discount_total"]) == (D("73.5"), D("73.5"), D(0))


def test_tax_inclusive_and_mixed() -> None:
    # Medusa "should calculate carts with items + taxes with is_tax_inclusive".
    inclusive = {"id": "a", "unit_price": D(50), "quantity": 2, "is_tax_inclusive": True, "tax_lines": [{"rate": 10}]}
    exclusive = {**inclusive, "id": "b", "is_tax_inclusive": False}
    t = engine.cart_totals({"currency_code": "usd", "items": [inclusive]})
    assert (t["total"], t["subtotal"], t["tax_total"]) == (D(100), D("90.91"), D("9.09"))
    t = engine.cart_totals({"currency_code": "usd", "items": [inclusive, exclusive]})
    assert (t["total"], t["subtotal"], t["tax_total"]) == (D(210), D("190.91"), D("19.09"))


def test_discount_before_tax_with_shipping() -> None:
    # Medusa's cart with items + adjustments + shipping, worked from the current source.
    t = engine.cart_totals(
        {
            "currency_code": "usd",
            "items": [
                {
                    "id": "a",
                    "unit_price": D(50),
                    "quantity": 2,
                    "tax_lines": [{"rate": 10}],
                    "adjustments": [{"amount": D(20)}],
                }
            ],
            "shipping_methods": [
                {"id": "s", "amount": D(25), "tax_lines": [{"rate": 10}], "adjustments": [{"amount": D(2)}]}
            ],
        }
    )
    assert (t["total"], t["subtotal"], t["tax_total"]) == (D("113.3"), D(125), D("10.3"))
    assert (t["discount_total"], t["discount_subtotal"], t["discount_tax_total"]) == (D("24.2"), D(22), D("2.2"))
    assert (t["original_total"], t["original_tax_total"]) == (D("137.5"), D("12.5"))
    assert (t["shipping_total"], t["original_shipping_total"]) == (D("25.3"), D("27.5"))
    assert t["items"][0]["total"] == D(88)


def test_fields_carry_the_currency_digits() -> None:
    t = engine.cart_totals(
        {
            "currency_code": "jpy",
            "items": [{"unit_price": D(999), "quantity": 3, "is_tax_inclusive": True, "tax_lines": [{"rate": 7}]}],
        }
    )
    assert str(t["subtotal"]) == "2801"
    assert t["items"][0]["id"] == "0"
    assert str(engine.cart_totals({"currency_code": "usd", "items": []})["total"]) == "0.00"


@pytest.mark.parametrize(
    ("cart", "error"),
    [
        ({"currency_code": "usd", "items": [{"unit_price": D(1), "quantity": -1}]}, engine.InvalidInputError),
        ({"currency_code": "usd", "items": [{"unit_price": 1.5, "quantity": 1}]}, engine.InvalidAmountError),
        ({"currency_code": "usd", "items": [{"unit_price": D("NaN"), "quantity": 1}]}, engine.InvalidAmountError),
        ({"currency_code": "usd", "items": [{"unit_price": D("1e16"), "quantity": 1}]}, engine.InvalidAmountError),
        ({"currency_code": "usd", "items": [{"quantity": 1}]}, engine.InvalidInputError),
        ({"items": []}, engine.InvalidInputError),
        (
            {"currency_code": "usd", "items": [{"unit_price": D(1), "tax_lines": [{"rate": -5}]}]},
            engine.InvalidInputError,
        ),
        ({"currency_code": "usd", "items": ["x"]}, engine.InvalidInputError),
    ],
)
def test_bad_input_raises_our_errors(cart: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.cart_totals(cart)
