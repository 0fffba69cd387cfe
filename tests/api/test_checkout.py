"""Checkout over HTTP: a guest and a logged-in customer buy; the order mirrors the cart; the admin captures, fulfils,
ships and marks delivered, and statuses follow; a cancel releases stock and payment; and every failure (declined
card, shortfall, a variant gone, a used-up budget, no shipping method, no payment) is a clean answer that leaves
nothing half-written."""

from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.shop import ADDRESS, build, cart_ready, level, money, ok, product

TOTALS = ("total", "subtotal", "tax_total", "discount_total", "shipping_total", "item_total", "original_total")


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def _complete(store: httpx.Client, cart_id: str, **kw: Any) -> httpx.Response:
    return store.post(f"/store/carts/{cart_id}/complete", **kw)


def _reserved(admin: httpx.Client, variant: dict[str, Any], shop: dict[str, Any]) -> int:
    return int(level(admin, variant["inventory_item_id"], shop["location"])["reserved_quantity"])


def test_a_guest_buys_and_the_order_mirrors_the_cart(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    mug = product(admin, shop, "Mug", "12.50", 10)
    poster = product(admin, shop, "Poster", 8, None)  # stock not managed
    cart = cart_ready(store, shop, [(mug["id"], 2), (poster["id"], 1)])
    assert cart["payment_collection"]["payment_sessions"][0]["provider_id"] == "pp_system_default"
    body = ok(_complete(store, cart["id"]))
    assert body["type"] == "order"
    order = body["order"]
    assert order["email"] == "ada@example.com" and order["currency_code"] == "usd"
    assert order["display_id"] >= 1 and order["status"] == "pending"
    assert order["payment_status"] == "authorized" and order["fulfillment_status"] == "not_fulfilled"
    for key in TOTALS:
        assert money(order[key]) == money(cart[key]), key
    assert money(order["total"]) == money("43.00")  # 2 x 12.50 + 8 + 10 shipping (no tax region here)
    assert sorted((i["title"], i["quantity"], money(i["unit_price"])) for i in order["items"]) == sorted(
        (i["title"], i["quantity"], money(i["unit_price"])) for i in cart["items"]
    )
    assert order["shipping_address"]["address_1"] == ADDRESS["address_1"]
    assert [m["name"] for m in order["shipping_methods"]] == ["Standard"]
    assert _reserved(admin, mug, shop) == 2
    # The cart is done: completing again answers the same order, changing it is refused.
    again = ok(_complete(store, cart["id"]))
    assert again["type"] == "order" and again["order"]["id"] == order["id"]
    assert _reserved(admin, mug, shop) == 2
    assert_error(
        store.post(f"/store/carts/{cart['id']}/line-items", json={"variant_id": mug["id"], "quantity": 1}),
        400,
        "not_allowed",
    )
    # The order by id, as the storefront asks for it.
    fields = "*payment_collections.payments,*items,*items.metadata,*items.variant,*items.product"
    fetched = ok(store.get(f"/store/orders/{order['id']}", params={"fields": fields}))["order"]
    assert fetched["id"] == order["id"] and len(fetched["items"]) == 2
    assert fetched["payment_collections"][0]["payments"][0]["provider_id"] == "pp_system_default"


def test_a_customer_buys_and_sees_the_order(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    lamp = product(admin, shop, "Lamp", 40, 5)
    token = ok(
        store.post("/auth/customer/emailpass/register", json={"email": "c@example.com", "password": "pw-123456"})
    )["token"]
    ok(store.post("/store/customers", json={"email": "c@example.com"}, headers={"authorization": f"Bearer {token}"}))
    token = ok(store.post("/auth/customer/emailpass", json={"email": "c@example.com", "password": "pw-123456"}))[
        "token"
    ]
    auth = {"authorization": f"Bearer {token}"}
    cart = cart_ready(store, shop, [(lamp["id"], 1)], email="c@example.com", headers=auth)
    order = ok(_complete(store, cart["id"], headers=auth))["order"]
    listed = ok(
        store.get(
            "/store/orders",
            params={
                "limit": 10,
                "offset": 0,
                "order": "-created_at",
                "fields": "*items,+items.metadata,*items.variant",
            },
            headers=auth,
        )
    )
    assert [o["id"] for o in listed["orders"]] == [order["id"]] and listed["count"] == 1
    me = ok(store.get("/store/customers/me", params={"fields": "*orders"}, headers=auth))["customer"]
    assert me["email"] == "c@example.com" and [o["id"] for o in me["orders"]] == [order["id"]]
    assert "orders" not in ok(store.get("/store/customers/me", headers=auth))["customer"]
    assert_error(store.get("/store/orders"), 401, "unauthorized")


def test_the_admin_captures_fulfils_ships_and_delivers(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    chair = product(admin, shop, "Chair", 70, 4)
    order = ok(_complete(store, cart_ready(store, shop, [(chair["id"], 3)])["id"]))["order"]
    full = ok(admin.get(f"/admin/orders/{order['id']}", params={"fields": "*payment_collections.payments"}))["order"]
    payment = full["payment_collections"][0]["payments"][0]
    ok(admin.post(f"/admin/payments/{payment['id']}/capture", json={"amount": 100}))
    assert ok(admin.get(f"/admin/orders/{order['id']}"))["order"]["payment_status"] == "partially_captured"
    ok(admin.post(f"/admin/payments/{payment['id']}/capture", json={}))
    assert ok(admin.get(f"/admin/orders/{order['id']}"))["order"]["payment_status"] == "captured"

    line = order["items"][0]["id"]
    part = ok(admin.post(f"/admin/orders/{order['id']}/fulfillments", json={"items": [{"id": line, "quantity": 2}]}))
    assert part["order"]["fulfillment_status"] == "partially_fulfilled"
    after = level(admin, chair["inventory_item_id"], shop["location"])
    assert (after["stocked_quantity"], after["reserved_quantity"]) == (2, 1)  # 2 left the shelf, 1 still held
    assert_error(
        admin.post(f"/admin/orders/{order['id']}/fulfillments", json={"items": [{"id": line, "quantity": 2}]}),
        400,
        "invalid_data",
    )
    rest = ok(admin.post(f"/admin/orders/{order['id']}/fulfillments", json={"items": [{"id": line, "quantity": 1}]}))
    assert rest["order"]["fulfillment_status"] == "fulfilled"
    f1, f2 = (f["id"] for f in rest["order"]["fulfillments"])
    labels = [{"tracking_number": "TRACK-1", "tracking_url": "https://track.example/1", "label_url": "#"}]
    shipped = ok(admin.post(f"/admin/orders/{order['id']}/fulfillments/{f1}/shipments", json={"labels": labels}))
    assert shipped["order"]["fulfillment_status"] == "partially_shipped"
    assert_error(admin.post(f"/admin/orders/{order['id']}/fulfillments/{f1}/cancel", json={}), 400, "not_allowed")
    ok(admin.post(f"/admin/orders/{order['id']}/fulfillments/{f2}/shipments", json={"labels": labels}))
    ok(admin.post(f"/admin/orders/{order['id']}/fulfillments/{f1}/mark-as-delivered"))
    done = ok(admin.post(f"/admin/orders/{order['id']}/fulfillments/{f2}/mark-as-delivered"))["order"]
    assert done["fulfillment_status"] == "delivered"
    tracked = ok(admin.get(f"/admin/orders/{order['id']}", params={"fields": "*fulfillments,*fulfillments.labels"}))
    assert tracked["order"]["fulfillments"][0]["labels"][0]["tracking_number"] == "TRACK-1"
    final = level(admin, chair["inventory_item_id"], shop["location"])
    assert (final["stocked_quantity"], final["reserved_quantity"]) == (1, 0)
    # A shipped order cannot be canceled.
    assert_error(admin.post(f"/admin/orders/{order['id']}/cancel"), 400, "not_allowed")


def test_cancel_releases_stock_and_payment(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    kettle = product(admin, shop, "Kettle", 30, 3)
    order = ok(_complete(store, cart_ready(store, shop, [(kettle["id"], 2)])["id"]))["order"]
    line = order["items"][0]["id"]
    made = ok(admin.post(f"/admin/orders/{order['id']}/fulfillments", json={"items": [{"id": line, "quantity": 1}]}))
    assert_error(admin.post(f"/admin/orders/{order['id']}/cancel"), 400, "not_allowed")
    fulfillment_id = made["order"]["fulfillments"][0]["id"]
    ok(admin.post(f"/admin/orders/{order['id']}/fulfillments/{fulfillment_id}/cancel", json={}))
    back = level(admin, kettle["inventory_item_id"], shop["location"])
    assert (back["stocked_quantity"], back["reserved_quantity"]) == (3, 2)
    canceled = ok(admin.post(f"/admin/orders/{order['id']}/cancel"))["order"]
    assert canceled["status"] == "canceled" and canceled["payment_status"] == "canceled"
    assert _reserved(admin, kettle, shop) == 0
    assert_error(admin.post(f"/admin/orders/{order['id']}/cancel"), 400, "invalid_data")


def test_a_declined_card_changes_nothing(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    ok(
        admin.post(
            f"/admin/regions/{shop['region']}", json={"payment_providers": ["pp_system_default", "pp_test_test"]}
        )
    )
    vase = product(admin, shop, "Vase", 25, 2)
    cart = cart_ready(
        store,
        shop,
        [(vase["id"], 2)],
        email="decline@example.com",
        provider="pp_test_test",
        data={"outcome": "decline"},
    )
    body = ok(_complete(store, cart["id"]))
    assert body["type"] == "cart" and body["cart"]["id"] == cart["id"] and body["cart"]["completed_at"] is None
    assert body["error"]["type"] == "payment_authorization_error"
    assert _reserved(admin, vase, shop) == 0
    assert ok(admin.get("/admin/orders", params={"q": "decline@example.com"}))["count"] == 0
    # The shopper picks another way to pay, and the same cart goes through.
    collection = body["cart"]["payment_collection"]["id"]
    ok(
        store.post(
            f"/store/payment-collections/{collection}/payment-sessions", json={"provider_id": "pp_system_default"}
        )
    )
    assert ok(_complete(store, cart["id"]))["type"] == "order"
    assert _reserved(admin, vase, shop) == 2


def test_a_shortfall_is_refused_with_nothing_written(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    rug = product(admin, shop, "Rug", 90, 3)
    cart = cart_ready(store, shop, [(rug["id"], 3)])
    # Stock falls after the cart was filled.
    ok(
        admin.post(
            f"/admin/inventory-items/{rug['inventory_item_id']}/location-levels/{shop['location']}",
            json={"stocked_quantity": 2},
        )
    )
    body = assert_error(_complete(store, cart["id"]), 400, "not_allowed", "required inventory")
    assert body.get("code") == "insufficient_inventory"
    assert _reserved(admin, rug, shop) == 0
    assert ok(store.get(f"/store/carts/{cart['id']}"))["cart"]["completed_at"] is None
    payments = ok(admin.get("/admin/payments", params={"limit": 1000}))["payments"]
    assert all(p["payment_collection_id"] != cart["payment_collection"]["id"] for p in payments)


def test_a_backorderable_variant_sells_past_its_stock(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    print_ = product(admin, shop, "Print", 15, 1, allow_backorder=True)
    order = ok(_complete(store, cart_ready(store, shop, [(print_["id"], 3)])["id"]))["order"]
    assert order["items"][0]["quantity"] == 3
    assert _reserved(admin, print_, shop) == 3


def test_a_deleted_variant_and_missing_steps_are_refused(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    bowl = product(admin, shop, "Bowl", 9, 5)
    cart = cart_ready(store, shop, [(bowl["id"], 1)])
    ok(admin.delete(f"/admin/products/{bowl['product_id']}"))
    assert_error(_complete(store, cart["id"]), 400, "invalid_data", "no longer available")
    assert _reserved(admin, bowl, shop) == 0

    cup = product(admin, shop, "Cup", 5, 5)
    bare = ok(
        store.post(
            "/store/carts",
            json={
                "region_id": shop["region"],
                "email": "x@example.com",
                "items": [{"variant_id": cup["id"], "quantity": 1}],
            },
        )
    )["cart"]
    assert_error(_complete(store, bare["id"]), 400, "invalid_data", "shipping address")
    ok(store.post(f"/store/carts/{bare['id']}", json={"shipping_address": ADDRESS}))
    assert_error(_complete(store, bare["id"]), 400, "invalid_data", "shipping profiles")
    ok(store.post(f"/store/carts/{bare['id']}/shipping-methods", json={"option_id": shop["option"]}))
    assert_error(_complete(store, bare["id"]), 400, "invalid_data", "Payment collection")
    assert_error(_complete(store, "cart_missing"), 404, "not_found")


def test_a_budget_used_up_between_add_and_complete(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    hat = product(admin, shop, "Hat", 20, 10)
    campaign = ok(
        admin.post(
            "/admin/campaigns",
            json={"name": "Once", "campaign_identifier": "ONCE", "budget": {"type": "usage", "limit": 1}},
        )
    )["campaign"]
    ok(
        admin.post(
            "/admin/promotions",
            json={
                "code": "ONCE5",
                "type": "standard",
                "status": "active",
                "campaign_id": campaign["id"],
                "application_method": {
                    "type": "fixed",
                    "target_type": "order",
                    "allocation": "across",
                    "value": 5,
                    "currency_code": "usd",
                },
            },
        )
    )
    first = cart_ready(store, shop, [(hat["id"], 1)])
    second = cart_ready(store, shop, [(hat["id"], 1)])
    for cart in (first, second):
        applied = ok(store.post(f"/store/carts/{cart['id']}/promotions", json={"promo_codes": ["ONCE5"]}))["cart"]
        assert money(applied["discount_total"]) == money(5)
    assert ok(_complete(store, first["id"]))["type"] == "order"
    assert_error(_complete(store, second["id"]), 400, "not_allowed", "ONCE5")
    assert _reserved(admin, hat, shop) == 1
    used = ok(admin.get(f"/admin/campaigns/{campaign['id']}"))["campaign"]["budget"]["used"]
    assert money(used) == 1


def test_idempotency_key_makes_one_cart_and_one_order(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    pen = product(admin, shop, "Pen", 3, 10)
    key = {"idempotency-key": "cart-create-1"}
    body = {"region_id": shop["region"], "items": [{"variant_id": pen["id"], "quantity": 1}]}
    a = ok(store.post("/store/carts", json=body, headers=key))["cart"]
    b = ok(store.post("/store/carts", json=body, headers=key))["cart"]
    assert a["id"] == b["id"]
    cart = cart_ready(store, shop, [(pen["id"], 2)])
    done = {"idempotency-key": f"complete-{cart['id']}"}
    first = ok(_complete(store, cart["id"], headers=done))
    second = ok(_complete(store, cart["id"], headers=done))
    assert first == second and first["type"] == "order"
    assert _reserved(admin, pen, shop) == 2


def test_add_to_cart_refuses_more_than_is_available(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    tray = product(admin, shop, "Tray", 6, 3)
    cart = ok(store.post("/store/carts", json={"region_id": shop["region"]}))["cart"]
    lines = f"/store/carts/{cart['id']}/line-items"
    assert_error(store.post(lines, json={"variant_id": tray["id"], "quantity": 4}), 400, "not_allowed", tray["id"])
    line = ok(store.post(lines, json={"variant_id": tray["id"], "quantity": 2}))["cart"]["items"][0]
    body = assert_error(store.post(lines, json={"variant_id": tray["id"], "quantity": 2}), 400, "not_allowed")
    assert body["code"] == "insufficient_inventory"
    assert_error(store.post(f"{lines}/{line['id']}", json={"quantity": 4}), 400, "not_allowed", "required inventory")
    assert ok(store.post(f"{lines}/{line['id']}", json={"quantity": 3}))["cart"]["items"][0]["quantity"] == 3
    # Stock that is not managed, or may be backordered, is never short.
    free = product(admin, shop, "Leaflet", 1, None)
    late = product(admin, shop, "Preorder", 50, 0, allow_backorder=True)
    for variant in (free, late):
        ok(store.post(lines, json={"variant_id": variant["id"], "quantity": 50}))


def test_an_operator_collects_more_for_an_order(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    frame = product(admin, shop, "Frame", 20, 5)
    order = ok(_complete(store, cart_ready(store, shop, [(frame["id"], 1)])["id"]))["order"]
    extra = ok(admin.post("/admin/payment-collections", json={"order_id": order["id"], "amount": 5}))
    collection = extra["payment_collection"]
    assert money(collection["amount"]) == money(5) and collection["status"] == "not_paid"
    paid = ok(
        admin.post(f"/admin/payment-collections/{collection['id']}/mark-as-paid", json={"order_id": order["id"]})
    )["payment_collection"]
    assert money(paid["captured_amount"]) == money(5)
    assert paid["payments"][0]["provider_id"] == "pp_system_default"
    assert_error(
        admin.post(f"/admin/payment-collections/{collection['id']}/mark-as-paid", json={"order_id": order["id"]}),
        400,
        "not_allowed",
    )
    assert_error(admin.delete(f"/admin/payment-collections/{collection['id']}"), 400, "not_allowed", "payments")
    spare = ok(admin.post("/admin/payment-collections", json={"order_id": order["id"], "amount": "2.50"}))
    spare_id = spare["payment_collection"]["id"]
    assert ok(admin.delete(f"/admin/payment-collections/{spare_id}")) == {
        "id": spare_id,
        "object": "payment-collection",
        "deleted": True,
    }
    listed = ok(admin.get(f"/admin/orders/{order['id']}", params={"fields": "*payment_collections"}))["order"]
    assert {c["id"] for c in listed["payment_collections"]} >= {collection["id"]}
    assert_error(admin.post("/admin/payment-collections", json={"order_id": "order_nope"}), 404, "not_found")
    assert_error(
        admin.post("/admin/payment-collections", json={"order_id": order["id"], "amount": -1}), 400, "invalid_data"
    )
