"""Benchmark: total a 50-line cart (plus 2 shipping methods), engine vs reference, same input."""

from decimal import Decimal
from typing import Any

import pytest

from commerce import engine
from commerce.engine_reference import totals as ref

LINES = 50


def _cart() -> dict[str, Any]:
    items = [
        {
            "id": f"li_{i:02d}",
            "unit_price": Decimal(f"{10 + i * 3}.{i % 100:02d}"),
            "quantity": 1 + i % 4,
            "is_tax_inclusive": i % 3 == 0,
            "tax_lines": [{"rate": Decimal("19") if i % 2 else Decimal("7"), "code": "vat"}],
            "adjustments": [{"amount": Decimal("2.50"), "code": "SALE", "promotion_id": "promo_1"}]
            if i % 5 == 0
            else [],
        }
        for i in range(LINES)
    ]
    shipping = [
        {"id": "sm_1", "amount": Decimal("4.99"), "tax_lines": [{"rate": Decimal("19")}], "adjustments": []},
        {"id": "sm_2", "amount": Decimal("12"), "is_tax_inclusive": True, "tax_lines": [{"rate": Decimal("19")}]},
    ]
    return {"currency_code": "eur", "items": items, "shipping_methods": shipping}


@pytest.fixture(scope="module")
def cart() -> dict[str, Any]:
    data = _cart()
    assert engine.cart_totals(data) == ref.cart_totals(data)
    return data


def test_cart_totals_engine(benchmark: Any, cart: dict[str, Any]) -> None:
    benchmark.group = "cart_totals"
    benchmark.extra_info.update(side="engine", lines=LINES)
    result = benchmark(engine.cart_totals, cart)
    assert len(result["items"]) == LINES


def test_cart_totals_reference(benchmark: Any, cart: dict[str, Any]) -> None:
    benchmark.group = "cart_totals"
    benchmark.extra_info.update(side="reference", lines=LINES)
    result = benchmark.pedantic(ref.cart_totals, args=(cart,), rounds=20, iterations=1)
    assert len(result["items"]) == LINES
