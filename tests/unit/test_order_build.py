"""build(cart) → order rows, without a database: every snapshot field, adjustment, tax line, shipping method and
address is carried over, linked by the new ids, and the order's totals (from those rows) are the cart's."""

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from commerce import engine
from commerce.order.build import build
from commerce.order.schemas import ITEM_FIELDS
from commerce.order.service import draft_totals, fulfillment_status, payment_status
from commerce.totals import FIELDS as TOTAL_FIELDS

CART_TOTALS = TOTAL_FIELDS


def _ids() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}_{next(counter)}"


def _line(line_id: str, variant: str, unit_price: str, quantity: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": line_id,
        "cart_id": "cart_1",
        "title": f"Shirt {variant}",
        "subtitle": f"Size {variant}",
        "thumbnail": f"https://img.example/{variant}.png",
        "quantity": quantity,
        "variant_id": f"variant_{variant}",
        "product_id": "prod_shirt",
        "product_title": "Shirt",
        "product_description": "A shirt",
        "product_subtitle": "Cotton",
        "product_type": "Apparel",
        "product_type_id": "ptyp_1",
        "product_collection": "Summer",
        "product_handle": "shirt",
        "variant_sku": f"SHIRT-{variant}",
        "variant_barcode": f"0000{variant}",
        "variant_title": variant,
        "variant_option_values": {"Size": variant},
        "requires_shipping": True,
        "is_discountable": True,
        "is_tax_inclusive": False,
        "is_custom_price": False,
        "compare_at_unit_price": None,
        "unit_price": Decimal(unit_price),
        "metadata": {"gift": variant == "M"},
        "adjustments": [],
        "tax_lines": [],
        **extra,
    }


def hand_made_cart(
    cart_id: str = "cart_1", customer_id: str | None = "cus_1", email: str = "ada@example.com"
) -> dict[str, Any]:
    """A cart view as the cart flow returns it: two lines (one discounted, both taxed), a taxed shipping method, two
    addresses, and every totals field the engine gives for exactly these lines."""
    address = {
        "id": "caaddr_ship",
        "customer_id": customer_id,
        "company": "Analytical Engines",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_1": "12 St James's Square",
        "address_2": None,
        "city": "London",
        "country_code": "gb",
        "province": None,
        "postal_code": "SW1Y 4JH",
        "phone": "+44 20 7946 0000",
        "metadata": None,
    }
    items = [
        _line(
            "cali_1",
            "M",
            "25.50",
            2,
            compare_at_unit_price=Decimal("30"),
            adjustments=[
                {
                    "id": "caliadj_1",
                    "item_id": "cali_1",
                    "amount": Decimal("5.10"),
                    "code": "TENOFF",
                    "promotion_id": "promo_1",
                    "is_tax_inclusive": False,
                }
            ],
            tax_lines=[
                {
                    "id": "calitxl_1",
                    "item_id": "cali_1",
                    "rate": Decimal("20"),
                    "code": "VAT",
                    "name": "UK VAT",
                    "tax_rate_id": "txr_1",
                    "provider_id": "tp_system",
                }
            ],
        ),
        _line(
            "cali_2",
            "L",
            "9.99",
            3,
            is_tax_inclusive=True,
            tax_lines=[
                {
                    "id": "calitxl_2",
                    "item_id": "cali_2",
                    "rate": Decimal("5"),
                    "code": "RED",
                    "name": "Reduced",
                    "tax_rate_id": "txr_2",
                    "provider_id": "tp_system",
                }
            ],
        ),
    ]
    methods = [
        {
            "id": "casm_1",
            "cart_id": cart_id,
            "shipping_option_id": "so_standard",
            "name": "Standard",
            "amount": Decimal("4.95"),
            "is_tax_inclusive": False,
            "data": {"carrier": "post"},
            "tax_lines": [
                {"rate": Decimal("20"), "code": "VAT", "name": "UK VAT", "tax_rate_id": "txr_1", "provider_id": "tp"}
            ],
            "adjustments": [],
        }
    ]
    totals = engine.cart_totals(
        {
            "currency_code": "gbp",
            "items": [
                {
                    "id": i["id"],
                    "unit_price": i["unit_price"],
                    "quantity": i["quantity"],
                    "is_tax_inclusive": i["is_tax_inclusive"],
                    "adjustments": i["adjustments"],
                    "tax_lines": i["tax_lines"],
                }
                for i in items
            ],
            "shipping_methods": methods,
        }
    )
    return {
        "id": cart_id,
        "region_id": "reg_uk",
        "customer_id": customer_id,
        "sales_channel_id": "sc_web",
        "email": email,
        "currency_code": "gbp",
        "shipping_address_id": address["id"],
        "billing_address_id": "caaddr_bill",
        "metadata": {"source": "test"},
        "completed_at": None,
        **{k: totals[k] for k in CART_TOTALS},
        "items": items,
        "shipping_methods": methods,
        "promotions": [{"id": "promo_1", "code": "TENOFF"}],
        "shipping_address": address,
        "billing_address": {**address, "id": "caaddr_bill", "address_1": "1 Billing Road"},
    }


def test_every_row_is_carried_over_and_linked() -> None:
    cart = hand_made_cart()
    draft = build(cart, ids=_ids())
    order = draft.order
    assert order["id"].startswith("order_") and order["display_id"] is None and order["status"] == "pending"
    for key in ("region_id", "customer_id", "sales_channel_id", "email", "currency_code", "metadata"):
        assert order[key] == cart[key], key
    assert draft.cart_id == "cart_1"

    # Addresses: new rows, same contents; the order points at them.
    shipping, billing = draft.addresses
    assert order["shipping_address_id"] == shipping["id"] and order["billing_address_id"] == billing["id"]
    assert shipping["id"].startswith("ordaddr_") and shipping["id"] != billing["id"]
    for key, value in cart["shipping_address"].items():
        if key != "id":
            assert shipping[key] == value, key
    assert billing["address_1"] == "1 Billing Road"

    # Lines: every snapshot field, in cart order, each with its detail row.
    assert [i["position"] for i in draft.items] == [0, 1]
    for line, item, detail in zip(cart["items"], draft.items, draft.details, strict=True):
        assert item["id"].startswith("ordli_") and item["order_id"] == order["id"]
        for key in ITEM_FIELDS:
            assert item[key] == line[key], key
        assert detail == {
            "id": detail["id"],
            "order_id": order["id"],
            "item_id": item["id"],
            "quantity": line["quantity"],
        }
        assert detail["id"].startswith("orditem_")
    assert draft.item_ids == {"cali_1": draft.items[0]["id"], "cali_2": draft.items[1]["id"]}

    (adjustment,) = draft.adjustments
    assert adjustment["item_id"] == draft.items[0]["id"] and adjustment["id"].startswith("ordliadj_")
    assert (adjustment["amount"], adjustment["code"], adjustment["promotion_id"], adjustment["is_tax_inclusive"]) == (
        Decimal("5.10"),
        "TENOFF",
        "promo_1",
        False,
    )
    first, second = draft.tax_lines
    assert (first["item_id"], first["rate"], first["code"], first["description"], first["tax_rate_id"]) == (
        draft.items[0]["id"],
        Decimal("20"),
        "VAT",
        "UK VAT",
        "txr_1",
    )
    assert second["item_id"] == draft.items[1]["id"] and second["rate"] == Decimal("5")

    (method,) = draft.shipping_methods
    assert method["id"].startswith("ordsm_") and method["order_id"] == order["id"]
    assert (method["name"], method["amount"], method["shipping_option_id"], method["data"]) == (
        "Standard",
        Decimal("4.95"),
        "so_standard",
        {"carrier": "post"},
    )
    (method_tax,) = draft.shipping_method_tax_lines
    assert method_tax["shipping_method_id"] == method["id"] and method_tax["rate"] == Decimal("20")
    assert method_tax["description"] == "UK VAT" and draft.shipping_method_adjustments == []


def test_ids_are_fresh_and_unique() -> None:
    draft = build(hand_made_cart())
    ids = [
        draft.order["id"],
        *(r["id"] for r in draft.addresses),
        *(r["id"] for r in draft.items),
        *(r["id"] for r in draft.details),
        *(r["id"] for r in draft.adjustments),
        *(r["id"] for r in draft.tax_lines),
        *(r["id"] for r in draft.shipping_methods),
        *(r["id"] for r in draft.shipping_method_tax_lines),
    ]
    assert len(ids) == len(set(ids)) == 12
    assert build(hand_made_cart()).order["id"] != draft.order["id"]


def test_totals_carried_and_recomputed_equal_the_carts() -> None:
    cart = hand_made_cart()
    draft = build(cart, display_id=42)
    assert draft.order["display_id"] == 42
    assert draft.totals == {k: cart[k] for k in CART_TOTALS}
    computed = draft_totals(draft)
    for key in CART_TOTALS:
        assert computed[key] == cart[key], key
    # The numbers themselves, worked by hand: line 1 (25.50 x 2 - 5.10) + 20 % = 55.08; line 2 is 29.97 with
    # tax included; shipping 4.95 + 20 % = 5.94.
    assert computed["item_total"] == Decimal("85.05")
    assert computed["shipping_total"] == Decimal("5.94")
    assert computed["total"] == Decimal("90.99")
    assert computed["discount_total"] == Decimal("6.12")


def test_a_cart_without_addresses_shipping_or_customer() -> None:
    cart = {**hand_made_cart(customer_id=None), "shipping_address": None, "billing_address": None}
    cart["shipping_methods"] = []
    draft = build(cart)
    assert draft.addresses == [] and draft.shipping_methods == [] and draft.shipping_method_tax_lines == []
    assert draft.order["shipping_address_id"] is None and draft.order["billing_address_id"] is None
    assert draft.order["customer_id"] is None


def _collection(status: str, amount: str, captured: str = "0", refunded: str = "0") -> dict[str, Any]:
    return {
        "id": status,
        "status": status,
        "amount": Decimal(amount),
        "captured_amount": Decimal(captured),
        "refunded_amount": Decimal(refunded),
    }


@pytest.mark.parametrize(
    ("collections", "expected"),
    [
        ([], "not_paid"),
        ([_collection("not_paid", "10")], "not_paid"),
        ([_collection("awaiting", "10")], "awaiting"),
        ([_collection("authorized", "10")], "authorized"),
        ([_collection("authorized", "10"), _collection("awaiting", "5")], "partially_authorized"),
        ([_collection("completed", "10", captured="10")], "captured"),
        ([_collection("authorized", "10", captured="4")], "partially_captured"),
        ([_collection("completed", "10", captured="10", refunded="10")], "refunded"),
        ([_collection("completed", "10", captured="10", refunded="3")], "partially_refunded"),
        ([_collection("canceled", "10")], "canceled"),
        ([_collection("requires_action", "10")], "requires_action"),
    ],
)
def test_payment_status_as_medusa_derives_it(collections: list[dict[str, Any]], expected: str) -> None:
    assert payment_status(collections, "usd") == expected


def _items(*quantities: tuple[int, int, int, int]) -> list[dict[str, Any]]:
    return [
        {
            "detail": {
                "quantity": q,
                "fulfilled_quantity": f,
                "shipped_quantity": s,
                "delivered_quantity": d,
            }
        }
        for q, f, s, d in quantities
    ]


def test_fulfillment_status_from_fulfillments_and_from_quantities() -> None:
    at = "2026-01-01T00:00:00Z"
    whole = _items((2, 2, 0, 0))
    part = _items((2, 1, 0, 0))
    assert fulfillment_status(whole, []) == "not_fulfilled"
    assert fulfillment_status(whole, [{"packed_at": at}]) == "fulfilled"
    assert fulfillment_status(part, [{"packed_at": at}]) == "partially_fulfilled"
    assert fulfillment_status(whole, [{"packed_at": at, "shipped_at": at}]) == "shipped"
    assert fulfillment_status(whole, [{"packed_at": at, "shipped_at": at}, {"packed_at": at}]) == "partially_shipped"
    assert fulfillment_status(whole, [{"delivered_at": at, "shipped_at": at}]) == "delivered"
    assert fulfillment_status(whole, [{"canceled_at": at, "packed_at": at}]) == "canceled"
    assert fulfillment_status(whole, [{"canceled_at": at}, {"packed_at": at}]) == "fulfilled"
    # Without fulfillments to look at, the lines' quantities tell the same ladder.
    assert fulfillment_status(_items((2, 0, 0, 0)), None) == "not_fulfilled"
    assert fulfillment_status(_items((2, 1, 0, 0)), None) == "partially_fulfilled"
    assert fulfillment_status(_items((2, 2, 0, 0), (1, 1, 0, 0)), None) == "fulfilled"
    assert fulfillment_status(_items((2, 2, 1, 0)), None) == "partially_shipped"
    assert fulfillment_status(_items((2, 2, 2, 0)), None) == "shipped"
    assert fulfillment_status(_items((2, 2, 2, 1)), None) == "partially_delivered"
    assert fulfillment_status(_items((2, 2, 2, 2)), None) == "delivered"
