"""Promotions: engine vs the pure-Python reference, Medusa compute-actions vectors, hand-worked cases."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.engine_reference import promotion as ref

D = Decimal
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

PRODUCTS = ["prod_a", "prod_b", "prod_c"]
CATEGORIES = ["cat_1", "cat_2"]
GROUPS = ["cg_vip", "cg_staff"]

cart_rules = st.sampled_from(
    [
        {"attribute": "customer.groups.id", "operator": "in", "values": ["cg_vip"]},
        {"attribute": "customer.groups.id", "operator": "ne", "values": ["cg_staff"]},
        {"attribute": "region.id", "operator": "eq", "values": ["reg_eu"]},
        {"attribute": "currency_code", "operator": "eq", "values": ["usd"]},
        {"attribute": "subtotal", "operator": "gte", "values": ["100"]},
        {"attribute": "subtotal", "operator": "lt", "values": ["300"]},
        {"attribute": "items.product.id", "operator": "in", "values": ["prod_a"]},
        {"attribute": "items.product.categories.id", "operator": "eq", "values": ["cat_1", "cat_2"]},
    ]
)
item_rules = st.sampled_from(
    [
        {"attribute": "items.product.id", "operator": "in", "values": ["prod_a", "prod_b"]},
        {"attribute": "items.product.id", "operator": "ne", "values": ["prod_c"]},
        {"attribute": "items.product.categories.id", "operator": "in", "values": [{"value": "cat_1"}]},
        {"attribute": "items.product.collection_id", "operator": "eq", "values": "col_1"},
        {"attribute": "items.variant.id", "operator": "in", "values": ["var_1", "var_2"]},
        {"attribute": "items.quantity", "operator": "gt", "values": ["1"]},
    ]
)
shipping_rules = st.sampled_from(
    [{"attribute": "shipping_methods.shipping_option.id", "operator": "in", "values": ["so_fast"]}]
)
amounts = st.decimals(min_value=0, max_value=500, places=2)
small = st.none() | st.integers(0, 4)


@st.composite
def promotions(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["standard", "standard", "buyget"]))
        method_type = draw(st.sampled_from(["fixed", "percentage"]))
        target = draw(st.sampled_from(["items", "order", "shipping_methods"]))
        am: dict[str, Any] = {
            "type": method_type,
            "target_type": target,
            "allocation": draw(st.sampled_from(["each", "across", "once", None])),
            "value": draw(st.decimals(min_value=0, max_value=100, places=1))
            if method_type == "percentage"
            else draw(amounts),
            "max_quantity": draw(small),
            "max_amount": draw(st.none() | amounts),
            "currency_code": draw(st.sampled_from([None, None, "usd", "eur"])),
            "target_rules": draw(st.lists(shipping_rules if target == "shipping_methods" else item_rules, max_size=1)),
        }
        if kind == "buyget":
            am |= {
                "buy_rules": draw(st.lists(item_rules, max_size=1)),
                "buy_rules_min_quantity": draw(small),
                "apply_to_quantity": draw(small),
            }
        campaign = None
        if draw(st.booleans()):
            campaign = {
                "starts_at": draw(st.sampled_from([None, NOW - timedelta(days=1), NOW + timedelta(days=1)])),
                "ends_at": draw(
                    st.sampled_from([None, NOW - timedelta(hours=1), NOW.replace(tzinfo=None) + timedelta(days=3)])
                ),
                "budget": draw(
                    st.none()
                    | st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["spend", "usage"]),
                            "limit": st.none() | st.decimals(min_value=0, max_value=400, places=0),
                            "used": st.decimals(min_value=0, max_value=300, places=0),
                        }
                    )
                ),
            }
        out.append(
            {
                "id": f"promo_{draw(st.integers(0, 99)):02d}_{i}",
                "code": draw(st.sampled_from([f"CODE{i}", f"CODE{i}", None])),
                "type": kind,
                "is_automatic": draw(st.booleans()),
                "is_tax_inclusive": draw(st.booleans()),
                "status": draw(st.sampled_from(["active", "active", "active", "draft", "inactive"])),
                "application_method": am,
                "rules": draw(st.lists(cart_rules, max_size=2)),
                "campaign": campaign,
            }
        )
    return out


@st.composite
def carts(draw: st.DrawFn) -> dict[str, Any]:
    items = []
    for i in range(draw(st.integers(0, 6))):
        subtotal = draw(amounts)
        item: dict[str, Any] = {
            "id": f"li_{i}",
            "quantity": draw(st.integers(0, 5)),
            "subtotal": subtotal,
            "product": {
                "id": draw(st.sampled_from(PRODUCTS)),
                "categories": [{"id": c} for c in draw(st.lists(st.sampled_from(CATEGORIES), max_size=2))],
                "collection_id": draw(st.sampled_from(["col_1", "col_2", None])),
            },
            "variant": {"id": draw(st.sampled_from(["var_1", "var_2", "var_3"]))},
            "is_discountable": draw(st.sampled_from([True, True, False])),
        }
        if draw(st.booleans()):
            item["original_total"] = (subtotal * D("1.2")).quantize(D("0.01"))
        items.append(item)
    shipping = [
        {
            "id": f"sm_{i}",
            "subtotal": draw(amounts),
            "shipping_option": {"id": draw(st.sampled_from(["so_fast", "so_slow"]))},
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    return {
        "currency_code": draw(st.sampled_from(["usd", "usd", "eur", "jpy"])),
        "customer": {"groups": [{"id": g} for g in draw(st.lists(st.sampled_from(GROUPS), max_size=2))]},
        "region": {"id": draw(st.sampled_from(["reg_eu", "reg_us"]))},
        "subtotal": sum((i["subtotal"] for i in items), D(0)),
        "items": items,
        "shipping_methods": shipping,
    }


@settings(max_examples=500, deadline=None)
@given(promotions(), carts(), st.lists(st.sampled_from(["CODE0", "CODE1", "CODE2", "CODE3", "NOPE"]), max_size=4))
def test_engine_agrees_with_reference(promos: list[dict[str, Any]], cart: dict[str, Any], codes: list[str]) -> None:
    by_code: dict[str, str] = {}
    unique = []
    for p in promos:  # a code belongs to one promotion
        if p["code"] is not None and by_code.setdefault(p["code"], p["id"]) != p["id"]:
            p = {**p, "code": None}
        unique.append(p)
    assert engine.PromotionSet(unique).evaluate(cart, codes, NOW) == ref.evaluate(unique, cart, codes, NOW)


def _promotion(code: str, method: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Medusa's createDefaultPromotion: for VIP and top100 customers."""
    return {
        "id": f"promo_{code}",
        "code": code,
        "rules": [{"attribute": "customer.customer_group.id", "operator": "in", "values": ["VIP", "top100"]}],
        "application_method": {
            "target_type": "items",
            "target_rules": [{"attribute": "product_category.id", "operator": "eq", "values": ["catg_cotton"]}],
            **method,
        },
        **extra,
    }


def _cart(*lines: tuple[str, int, str]) -> dict[str, Any]:
    return {
        "currency_code": "usd",
        "customer": {"customer_group": {"id": "VIP"}},
        "items": [
            {"id": i, "quantity": q, "subtotal": D(s), "product_category": {"id": "catg_cotton"}} for i, q, s in lines
        ],
    }


def _amounts(result: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    return [(a["code"], a["item_id"], a["amount"]) for a in result["item_adjustments"]]


def test_medusa_fixed_each_stacking() -> None:
    # compute-actions.spec: fixed/each, two promotions, the second gets what is left.
    promos = engine.PromotionSet(
        [
            _promotion("PROMOTION_TEST", {"type": "fixed", "allocation": "each", "value": 30, "max_quantity": 2}),
            _promotion("PROMOTION_TEST_2", {"type": "fixed", "allocation": "each", "value": 50, "max_quantity": 1}),
        ]
    )
    result = promos.evaluate(
        _cart(("tshirt", 1, "50"), ("sweater", 1, "150")), ["PROMOTION_TEST", "PROMOTION_TEST_2"], NOW
    )
    assert _amounts(result) == [
        ("PROMOTION_TEST", "tshirt", D(30)),
        ("PROMOTION_TEST", "sweater", D(30)),
        ("PROMOTION_TEST_2", "tshirt", D(20)),
        ("PROMOTION_TEST_2", "sweater", D(50)),
    ]


def test_medusa_percentage_across_twice_and_automatic() -> None:
    method = {"type": "percentage", "allocation": "across", "value": 10}
    promos = engine.PromotionSet([_promotion("PROMOTION_TEST", method), _promotion("PROMOTION_TEST_2", method)])
    result = promos.evaluate(
        _cart(("tshirt", 1, "50"), ("sweater", 1, "150")), ["PROMOTION_TEST", "PROMOTION_TEST_2"], NOW
    )
    assert [a for _, _, a in _amounts(result)] == [D(5), D(15), D("4.5"), D("13.5")]
    auto = engine.PromotionSet([_promotion("PROMOTION_TEST", method, is_automatic=True)])
    result = auto.evaluate(_cart(("tshirt", 2, "200"), ("sweater", 2, "600")), [], NOW)
    assert [a for _, _, a in _amounts(result)] == [D(20), D(60)]


def test_medusa_budget_exceeded() -> None:
    method = {"type": "fixed", "allocation": "across", "value": 1500}
    campaign = {"budget": {"type": "spend", "limit": 1000, "used": 0}}
    promos = engine.PromotionSet([_promotion("PROMOTION_TEST", method, campaign=campaign)])
    result = promos.evaluate(_cart(("tshirt", 5, "5000")), ["PROMOTION_TEST"], NOW)
    assert result["item_adjustments"] == []
    assert result["rejected_codes"] == [{"code": "PROMOTION_TEST", "reason": "budget_exceeded"}]
    assert result["budget_exceeded"] == ["promo_PROMOTION_TEST"]


def test_fixed_across_worked_example() -> None:
    # The worked example in Medusa's calculateAdjustmentAmountFromPromotion: 100 across 250 + 150.
    method = {"type": "fixed", "allocation": "across", "value": 100}
    promos = engine.PromotionSet([_promotion("A", method), _promotion("B", method)])
    result = promos.evaluate(_cart(("item1", 1, "250"), ("item2", 1, "150")), ["A", "B"], NOW)
    assert [a for _, _, a in _amounts(result)] == [D("62.5"), D("37.5"), D("62.5"), D("37.5")]


def test_buy_two_get_one() -> None:
    promos = engine.PromotionSet(
        [
            {
                "id": "promo_b2g1",
                "code": "B2G1",
                "type": "buyget",
                "application_method": {
                    "type": "percentage",
                    "target_type": "items",
                    "value": 100,
                    "buy_rules": [{"attribute": "items.product.id", "operator": "in", "values": ["prod_shirt"]}],
                    "buy_rules_min_quantity": 2,
                    "target_rules": [{"attribute": "items.product.id", "operator": "in", "values": ["prod_shirt"]}],
                    "apply_to_quantity": 1,
                },
            }
        ]
    )
    cart = {
        "currency_code": "usd",
        "items": [{"id": "li", "quantity": 3, "subtotal": D(60), "product": {"id": "prod_shirt"}}],
    }
    assert promos.evaluate(cart, ["B2G1"], NOW)["item_adjustments"][0]["amount"] == D(20)
    cart["items"][0]["quantity"] = 2
    assert promos.evaluate(cart, ["B2G1"], NOW)["rejected_codes"] == [{"code": "B2G1", "reason": "not_applicable"}]


def test_shipping_and_rejections() -> None:
    promos = engine.PromotionSet(
        [
            {
                "id": "promo_ship",
                "code": "FREESHIP",
                "application_method": {
                    "type": "percentage",
                    "target_type": "shipping_methods",
                    "allocation": "each",
                    "value": 100,
                },
                "campaign": {"starts_at": datetime(2026, 1, 1), "ends_at": datetime(2026, 12, 31)},
            },
            {
                "id": "promo_draft",
                "code": "DRAFT",
                "status": "draft",
                "application_method": {"type": "fixed", "value": 1},
            },
            {
                "id": "promo_eur",
                "code": "EURO",
                "application_method": {"type": "fixed", "value": 1, "currency_code": "eur", "allocation": "across"},
            },
        ]
    )
    cart = {"currency_code": "usd", "items": [], "shipping_methods": [{"id": "sm", "subtotal": D("4.99")}]}
    result = promos.evaluate(cart, ["DRAFT", "FREESHIP", "EURO", "NOPE"], NOW)
    assert result["shipping_method_adjustments"] == [
        {"shipping_method_id": "sm", "amount": D("4.99"), "code": "FREESHIP", "promotion_id": "promo_ship"}
    ]
    assert [(r["code"], r["reason"]) for r in result["rejected_codes"]] == [
        ("DRAFT", "inactive"),
        ("EURO", "currency_mismatch"),
        ("NOPE", "unknown"),
    ]
    late = promos.evaluate(cart, ["FREESHIP"], datetime(2027, 1, 1, tzinfo=UTC))
    assert late["rejected_codes"] == [{"code": "FREESHIP", "reason": "expired"}]


def test_incremental_upsert_and_remove() -> None:
    promos = engine.PromotionSet()
    promos.upsert(
        [{"id": "p1", "code": "A", "application_method": {"type": "fixed", "value": 5, "allocation": "across"}}]
    )
    assert len(promos) == 1 and "p1" in promos
    with pytest.raises(engine.InvalidInputError):
        promos.upsert([{"id": "p2", "code": "A", "application_method": {"type": "fixed", "value": 5}}])
    promos.upsert(
        [{"id": "p1", "code": "B", "application_method": {"type": "fixed", "value": 7, "allocation": "across"}}]
    )
    cart = {"currency_code": "usd", "items": [{"id": "li", "quantity": 1, "subtotal": D(100)}]}
    assert promos.evaluate(cart, ["A"], NOW)["rejected_codes"][0]["reason"] == "unknown"
    assert promos.evaluate(cart, ["B"], NOW)["item_adjustments"][0]["amount"] == D(7)
    assert promos.remove(["p1", "zz"]) == 1
    assert len(promos) == 0


@pytest.mark.parametrize(
    ("promotion", "error"),
    [
        ({"code": "X", "application_method": {"type": "fixed"}}, engine.InvalidInputError),
        ({"id": "p", "application_method": {"type": "bogus"}}, engine.InvalidInputError),
        ({"id": "p", "application_method": {"type": "fixed", "value": 1.5}}, engine.InvalidAmountError),
        ({"id": "p", "application_method": {"type": "fixed", "value": -1}}, engine.InvalidAmountError),
        (
            {
                "id": "p",
                "rules": [{"attribute": "a", "operator": "like", "values": ["x"]}],
                "application_method": {"type": "fixed"},
            },
            engine.InvalidInputError,
        ),
        (
            {"id": "p", "campaign": {"starts_at": "2026-01-01"}, "application_method": {"type": "fixed"}},
            engine.InvalidInputError,
        ),
    ],
)
def test_bad_promotions_raise_our_errors(promotion: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.PromotionSet([promotion])


def test_bad_context_raises_our_errors() -> None:
    promos = engine.PromotionSet()
    with pytest.raises(engine.InvalidInputError):
        promos.evaluate({"items": [{"quantity": 1}]}, [], NOW)
    with pytest.raises(engine.InvalidAmountError):
        promos.evaluate({"items": [{"id": "x", "subtotal": 1.5}]}, [], NOW)
    with pytest.raises(engine.InvalidInputError):
        promos.evaluate({"items": []}, "CODE", NOW)
    with pytest.raises(engine.InvalidInputError):
        promos.evaluate({"items": []}, [], "now")
