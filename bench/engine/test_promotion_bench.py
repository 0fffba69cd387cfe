"""Benchmark: evaluate 50 promotions on a 20-line cart, engine vs reference, same input."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from commerce import engine
from commerce.engine_reference import promotion as ref

PROMOTIONS = 50
LINES = 20
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _promotions() -> list[dict[str, Any]]:
    out = []
    for i in range(PROMOTIONS):
        target = ["items", "order", "shipping_methods"][i % 3]
        am: dict[str, Any] = {
            "type": "percentage" if i % 2 else "fixed",
            "target_type": target,
            "allocation": "across" if i % 4 < 2 else "each",
            "value": Decimal(5 + i % 10) if i % 2 else Decimal(f"{1 + i % 7}.50"),
            "max_quantity": 2,
            "target_rules": [
                {"attribute": "items.product.categories.id", "operator": "in", "values": [f"cat_{i % 5}", "cat_9"]}
            ]
            if target == "items"
            else [],
        }
        kind = "standard"
        if i % 10 == 9:
            kind = "buyget"
            am |= {
                "type": "percentage",
                "value": Decimal(100),
                "buy_rules": [{"attribute": "items.product.id", "operator": "in", "values": ["prod_1", "prod_2"]}],
                "buy_rules_min_quantity": 2,
                "target_rules": [{"attribute": "items.product.id", "operator": "in", "values": ["prod_3"]}],
                "apply_to_quantity": 1,
            }
        out.append(
            {
                "id": f"promo_{i:02d}",
                "code": f"CODE{i:02d}",
                "type": kind,
                "is_automatic": i % 3 == 0,
                "status": "active",
                "application_method": am,
                "rules": [
                    {"attribute": "customer.groups.id", "operator": "in", "values": ["cg_vip", "cg_gold"]},
                    {"attribute": "subtotal", "operator": "gte", "values": [str(50 * (i % 4))]},
                ]
                if i % 2
                else [{"attribute": "region.id", "operator": "eq", "values": ["reg_eu"]}],
                "campaign": {
                    "starts_at": NOW - timedelta(days=10),
                    "ends_at": NOW + timedelta(days=10),
                    "budget": {"type": "spend", "limit": Decimal(100_000), "used": Decimal(i * 100)},
                },
            }
        )
    return out


def _cart() -> dict[str, Any]:
    items = [
        {
            "id": f"li_{i:02d}",
            "quantity": 1 + i % 3,
            "subtotal": Decimal(f"{20 + i * 7}.{i:02d}"),
            "product": {
                "id": f"prod_{i % 6}",
                "categories": [{"id": f"cat_{i % 5}"}, {"id": f"cat_{(i + 2) % 7}"}],
                "collection_id": f"col_{i % 3}",
            },
            "variant": {"id": f"var_{i}"},
        }
        for i in range(LINES)
    ]
    return {
        "currency_code": "eur",
        "region": {"id": "reg_eu"},
        "customer": {"id": "cus_1", "groups": [{"id": "cg_vip"}]},
        "subtotal": sum((i["subtotal"] for i in items), Decimal(0)),
        "items": items,
        "shipping_methods": [{"id": "sm_1", "subtotal": Decimal("9.90"), "shipping_option": {"id": "so_std"}}],
    }


CODES = [f"CODE{i:02d}" for i in range(1, PROMOTIONS, 3)] + ["UNKNOWN"]


@pytest.fixture(scope="module")
def data() -> tuple[list[dict[str, Any]], engine.PromotionSet, dict[str, Any]]:
    promotions = _promotions()
    compiled = engine.PromotionSet(promotions)
    cart = _cart()
    result = compiled.evaluate(cart, CODES, NOW)
    assert result == ref.evaluate(promotions, cart, CODES, NOW)
    assert len(result["item_adjustments"]) > LINES
    return promotions, compiled, cart


def test_evaluate_promotions_engine(benchmark: Any, data: Any) -> None:
    _, compiled, cart = data
    benchmark.group = "evaluate_promotions"
    benchmark.extra_info.update(side="engine", promotions=PROMOTIONS, lines=LINES)
    benchmark(compiled.evaluate, cart, CODES, NOW)


def test_evaluate_promotions_reference(benchmark: Any, data: Any) -> None:
    promotions, _, cart = data
    benchmark.group = "evaluate_promotions"
    benchmark.extra_info.update(side="reference", promotions=PROMOTIONS, lines=LINES)
    benchmark.pedantic(ref.evaluate, args=(promotions, cart, CODES, NOW), rounds=10, iterations=1)
