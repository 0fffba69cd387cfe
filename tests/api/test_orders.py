"""Orders over HTTP: orders are placed by calling the order service with a hand-made cart view (checkout is a flow
built elsewhere), then read through the store (the customer's list, by id) and admin routes (filters, fields,
archive, complete); the service's status changes, fulfilment quantities, idempotency per cart and events."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from commerce import errors
from commerce.db.connect import run_with_conn
from commerce.order import service
from tests.api.test_customers import register
from tests.conftest import Server, assert_error, eventually
from tests.unit.test_order_build import CART_TOTALS, hand_made_cart

T = TypeVar("T")
STOREFRONT_LIST = "*items,+items.metadata,*items.variant,*items.product"
STOREFRONT_RETRIEVE = "*payment_collections.payments,*items,*items.metadata,*items.variant,*items.product"


def _db(db_url: str, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    return run_with_conn(db_url, work)


def _place(
    db_url: str, cart: dict[str, Any], collection: str | None = None, promotions: list[str] | None = None
) -> str:
    return _db(db_url, lambda conn: service.create(conn, cart, collection, promotions or []))


def _cart(customer_id: str | None, email: str) -> dict[str, Any]:
    return hand_made_cart(cart_id=f"cart_{uuid.uuid4().hex[:12]}", customer_id=customer_id, email=email)


@pytest.fixture(scope="module")
def shop(store: httpx.Client, db_url: str) -> dict[str, Any]:
    """A registered customer with two orders, and a guest's order placed after them."""
    email = f"orders-{uuid.uuid4().hex[:8]}@example.com"
    account = register(store, email)
    customer_id = account["customer"]["id"]
    first_cart = _cart(customer_id, email)
    first = _place(db_url, first_cart, "pay_col_1", ("promo_1",))
    second = _place(db_url, _cart(customer_id, email))
    guest_email = f"guest-{uuid.uuid4().hex[:8]}@example.com"
    guest = _place(db_url, _cart("cus_guest", guest_email))
    return {
        "headers": account["headers"],
        "customer_id": customer_id,
        "email": email,
        "cart": first_cart,
        "orders": [first, second],
        "guest": guest,
        "guest_email": guest_email,
    }


def test_the_store_lists_only_the_customers_orders(store: httpx.Client, shop: dict[str, Any]) -> None:
    assert_error(store.get("/store/orders"), 401, "unauthorized")
    r = store.get("/store/orders", params={"order": "-created_at", "fields": STOREFRONT_LIST}, headers=shop["headers"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["count"], body["offset"], body["limit"]) == (2, 0, 50)
    assert [o["id"] for o in body["orders"]] == shop["orders"][::-1]  # newest first
    order = body["orders"][1]
    assert set(order) >= {"id", "status", "display_id", "total", "currency_code", "summary", "items"}
    assert order["status"] == "pending" and order["currency_code"] == "gbp"
    assert Decimal(str(order["total"])) == shop["cart"]["total"]
    item = order["items"][0]
    assert item["metadata"] == {"gift": True} and item["title"] == "Shirt M"
    assert item["variant"]["sku"] == "SHIRT-M" and item["variant"]["id"] == "variant_M"
    assert item["product"]["handle"] == "shirt" and item["product"]["id"] == "prod_shirt"
    paged = store.get("/store/orders", params={"limit": 1, "offset": 1, "order": "created_at"}, headers=shop["headers"])
    assert [o["id"] for o in paged.json()["orders"]] == shop["orders"][1:]
    assert paged.json()["count"] == 2
    only = store.get("/store/orders", params={"id": shop["orders"][0]}, headers=shop["headers"])
    assert [o["id"] for o in only.json()["orders"]] == shop["orders"][:1]
    # Another customer's order is not in the list even when asked for by id.
    theirs = store.get("/store/orders", params={"id": shop["guest"]}, headers=shop["headers"])
    assert theirs.json()["orders"] == [] and theirs.json()["count"] == 0


def test_the_store_reads_an_order_by_id_with_every_total(store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = shop["cart"]
    # Medusa's store defaults leave out two totals fields: `+` adds them.
    r = store.get(f"/store/orders/{shop['orders'][0]}", params={"fields": "+discount_subtotal,+original_subtotal"})
    assert r.status_code == 200, r.text
    order = r.json()["order"]
    for key in CART_TOTALS:
        assert Decimal(str(order[key])) == cart[key], key
    assert order["email"] == shop["email"] and order["region_id"] == "reg_uk"
    assert order["payment_status"] == "not_paid" and order["fulfillment_status"] == "not_fulfilled"
    assert isinstance(order["display_id"], int) and order["version"] == 1
    assert order["summary"]["paid_total"] == 0
    assert Decimal(str(order["summary"]["pending_difference"])) == cart["total"]
    first, second = order["items"]
    assert first["detail"]["quantity"] == 2 and first["detail"]["fulfilled_quantity"] == 0
    assert first["unit_price"] == 25.5 and first["compare_at_unit_price"] == 30
    assert first["adjustments"][0]["amount"] == 5.1 and first["adjustments"][0]["code"] == "TENOFF"
    assert first["tax_lines"][0]["rate"] == 20 and first["tax_lines"][0]["description"] == "UK VAT"
    assert first["variant"]["product"]["title"] == "Shirt"
    assert first["total"] == 55.08 and first["discount_total"] == 6.12
    assert second["is_tax_inclusive"] is True and second["total"] == 29.97
    (method,) = order["shipping_methods"]
    assert method["name"] == "Standard" and method["amount"] == 4.95 and method["total"] == 5.94
    assert method["tax_lines"][0]["rate"] == 20 and method["adjustments"] == []
    assert order["shipping_address"]["address_1"] == "12 St James's Square"
    assert order["billing_address"]["address_1"] == "1 Billing Road"
    assert order["payment_collections"] == []
    assert_error(store.get("/store/orders/order_missing"), 404, "not_found")
    # The storefront's own field list, with its `*items.metadata`.
    r = store.get(f"/store/orders/{shop['orders'][0]}", params={"fields": STOREFRONT_RETRIEVE})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["items"][0]["metadata"] == {"gift": True}
    only = store.get(f"/store/orders/{shop['orders'][0]}", params={"fields": "id,total"})
    assert only.json()["order"] == {"id": shop["orders"][0], "total": order["total"]}
    assert_error(store.get(f"/store/orders/{shop['orders'][0]}", params={"fields": "nope"}), 400, "invalid_data")


def test_the_store_needs_a_publishable_key(client: httpx.Client, shop: dict[str, Any]) -> None:
    r = client.get(f"/store/orders/{shop['orders'][0]}")
    assert r.status_code in (400, 401), r.text


def test_admin_lists_with_filters_fields_and_order(admin: httpx.Client, shop: dict[str, Any]) -> None:
    assert_error(httpx.get(f"{admin.base_url}/admin/orders"), 401, "unauthorized")
    r = admin.get("/admin/orders")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["limit"] == 15 and body["count"] >= 3
    ids = [o["id"] for o in body["orders"]]
    assert ids.index(shop["guest"]) < ids.index(shop["orders"][1]) < ids.index(shop["orders"][0])
    assert set(body["orders"][0]) == {
        "id",
        "display_id",
        "status",
        "version",
        "summary",
        "total",
        "metadata",
        "created_at",
        "updated_at",
    }

    def ids_for(**params: Any) -> list[str]:
        r = admin.get("/admin/orders", params={"order": "created_at", **params})
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["orders"]]

    assert ids_for(customer_id=shop["customer_id"]) == shop["orders"]
    assert ids_for(q=shop["guest_email"][:12].upper()) == [shop["guest"]]
    display = admin.get(f"/admin/orders/{shop['guest']}").json()["order"]["display_id"]
    assert shop["guest"] in ids_for(q=str(display))
    assert ids_for(id=[shop["orders"][1], shop["guest"]]) == [shop["orders"][1], shop["guest"]]
    assert set(ids_for(status=["pending"])) >= {*shop["orders"], shop["guest"]}
    assert ids_for(status=["archived"], customer_id=shop["customer_id"]) == []
    assert shop["guest"] in ids_for(region_id="reg_uk", sales_channel_id="sc_web")
    assert ids_for(region_id="reg_elsewhere") == []
    assert shop["guest"] in ids_for(**{"created_at[$gte]": "2000-01-01"})
    assert ids_for(**{"created_at[$lt]": "2000-01-01T00:00:00Z"}) == []
    assert_error(admin.get("/admin/orders", params={"created_at[$gte]": "yesterday"}), 400, "invalid_data")
    assert_error(admin.get("/admin/orders", params={"order": "total"}), 400, "invalid_data")

    r = admin.get(
        "/admin/orders",
        params={
            "customer_id": shop["customer_id"],
            "fields": "id,email,payment_status,fulfillment_status,*items,*customer,*sales_channel",
            "limit": 1,
        },
    )
    order = r.json()["orders"][0]
    assert set(order) == {"id", "email", "payment_status", "fulfillment_status", "items", "customer", "sales_channel"}
    assert order["payment_status"] == "not_paid" and len(order["items"]) == 2
    assert r.json()["count"] == 2 and len(r.json()["orders"]) == 1


def test_admin_retrieve_has_the_relations(admin: httpx.Client, shop: dict[str, Any]) -> None:
    r = admin.get(f"/admin/orders/{shop['orders'][0]}")
    assert r.status_code == 200, r.text
    order = r.json()["order"]
    assert order["customer_id"] == shop["customer_id"] and order["sales_channel_id"] == "sc_web"
    assert order["payment_collections"] == [] and order["fulfillments"] == [] and order["credit_lines"] == []
    assert order["items"][0]["detail"]["item_id"] == order["items"][0]["id"]
    assert order["credit_line_total"] == 0 and order["original_subtotal"] is not None
    assert_error(admin.get("/admin/orders/order_missing"), 404, "not_found")


def test_archive_and_complete(admin: httpx.Client, db_url: str, shop: dict[str, Any]) -> None:
    order_id = _place(db_url, _cart(None, "someone@example.com"))
    assert_error(admin.post(f"/admin/orders/{order_id}/archive"), 400, "invalid_data", "cannot be archived")
    r = admin.post(f"/admin/orders/{order_id}/complete", json={"order_id": order_id})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "completed" and r.json()["order"]["id"] == order_id
    r = admin.post(f"/admin/orders/{order_id}/archive", params={"fields": "id,status"})
    assert r.status_code == 200, r.text
    assert r.json()["order"] == {"id": order_id, "status": "archived"}
    assert_error(admin.post(f"/admin/orders/{order_id}/archive"), 400, "invalid_data")
    assert_error(admin.post("/admin/orders/order_missing/complete"), 404, "not_found")

    canceled = _place(db_url, _cart(None, "someone@example.com"))
    _db(db_url, lambda conn: service.set_canceled(conn, canceled))
    with pytest.raises(errors.InvalidData, match="has been canceled"):
        _db(db_url, lambda conn: service.set_canceled(conn, canceled))
    assert_error(admin.post(f"/admin/orders/{canceled}/complete"), 400, "invalid_data", "canceled")
    after = admin.get(f"/admin/orders/{canceled}", params={"fields": "status,canceled_at"}).json()["order"]
    assert after["status"] == "canceled" and after["canceled_at"]
    r = admin.post(f"/admin/orders/{canceled}/archive")
    assert r.status_code == 200 and r.json()["order"]["status"] == "archived"
    with pytest.raises(errors.NotFound):
        _db(db_url, lambda conn: service.set_canceled(conn, "order_missing"))


def test_one_order_per_cart(db_url: str, shop: dict[str, Any]) -> None:
    cart = shop["cart"]
    with pytest.raises(errors.DuplicateError):
        _place(db_url, cart)
    assert _db(db_url, lambda conn: service.by_cart(conn, cart["id"])) == shop["orders"][0]
    assert _db(db_url, lambda conn: service.by_cart(conn, "cart_unknown")) is None

    async def placed_in_a_rolled_back_transaction(conn: psycopg.AsyncConnection[Any]) -> str | None:
        other = _cart(None, "x@example.com")
        try:
            async with conn.transaction():
                await service.create(conn, other, None, [])
                raise RuntimeError("checkout failed later")
        except RuntimeError:
            pass
        return await service.by_cart(conn, other["id"])

    assert _db(db_url, placed_in_a_rolled_back_transaction) is None


def test_links_are_kept(db_url: str, shop: dict[str, Any]) -> None:
    order_id = shop["orders"][0]
    assert _db(db_url, lambda conn: service.payment_collection_ids(conn, order_id)) == ["pay_col_1"]

    async def link(conn: psycopg.AsyncConnection[Any]) -> tuple[list[str], str | None]:
        await service.link_fulfillment(conn, order_id, "ful_1")
        await service.link_fulfillment(conn, order_id, "ful_1")
        return await service.fulfillment_ids(conn, order_id), await service.order_of_fulfillment(conn, "ful_1")

    assert _db(db_url, link) == (["ful_1"], order_id)
    with psycopg.connect(db_url) as conn:
        promotions = conn.execute("SELECT promotion_id FROM order_promotion WHERE order_id = %s", (order_id,))
        assert promotions.fetchall() == [("promo_1",)]


def test_fulfilment_quantities_never_pass_their_bounds(admin: httpx.Client, db_url: str) -> None:
    order_id = _place(db_url, _cart(None, "ship@example.com"))
    lines = _db(db_url, lambda conn: service.items(conn, order_id))
    assert [(i["title"], i["quantity"], i["fulfilled_quantity"]) for i in lines] == [
        ("Shirt M", 2, 0),
        ("Shirt L", 3, 0),
    ]
    m, big = lines[0]["id"], lines[1]["id"]

    def record(kind: str, quantities: dict[str, int]) -> None:
        _db(db_url, lambda conn: getattr(service, f"record_{kind}")(conn, order_id, quantities))

    def status() -> tuple[str, list[tuple[int, int, int]]]:
        # The order module alone (no fulfillment records here): the status follows the lines' quantities.
        order = _db(db_url, lambda conn: service.retrieve(conn, order_id))
        details = [i["detail"] for i in order["items"]]
        return order["fulfillment_status"], [
            (d["fulfilled_quantity"], d["shipped_quantity"], d["delivered_quantity"]) for d in details
        ]

    record("fulfilled", {m: 1})
    assert status() == ("partially_fulfilled", [(1, 0, 0), (0, 0, 0)])
    # A batch in which one line would pass its bound moves nothing.
    with pytest.raises(errors.InvalidData, match="fulfill more"):
        record("fulfilled", {m: 1, big: 4})
    assert status() == ("partially_fulfilled", [(1, 0, 0), (0, 0, 0)])
    with pytest.raises(errors.InvalidData, match="does not exist"):
        record("fulfilled", {"ordli_other": 1})
    with pytest.raises(errors.InvalidData, match="positive"):
        record("fulfilled", {m: 0})
    with pytest.raises(errors.InvalidData, match="ship more"):
        record("shipped", {m: 2})
    record("fulfilled", {m: 1, big: 3})
    assert status() == ("fulfilled", [(2, 0, 0), (3, 0, 0)])
    record("shipped", {m: 2})
    assert status() == ("partially_shipped", [(2, 2, 0), (3, 0, 0)])
    with pytest.raises(errors.InvalidData, match="unfulfill"):
        record("unfulfilled", {m: 1})
    record("unfulfilled", {big: 1})
    assert status() == ("partially_shipped", [(2, 2, 0), (2, 0, 0)])
    record("fulfilled", {big: 1})
    record("shipped", {big: 3})
    record("delivered", {m: 2, big: 3})
    assert status() == ("delivered", [(2, 2, 2), (3, 3, 3)])
    with pytest.raises(errors.InvalidData, match="deliver more"):
        record("delivered", {m: 1})
    with pytest.raises(errors.NotFound):
        _db(db_url, lambda conn: service.record_fulfilled(conn, "order_missing", {m: 1}))


def test_concurrent_fulfilments_never_overfulfil(db_url: str) -> None:
    order_id = _place(db_url, _cart(None, "race@example.com"))
    line = _db(db_url, lambda conn: service.items(conn, order_id))[1]  # quantity 3

    async def race() -> list[bool]:
        async def one() -> bool:
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                try:
                    await service.record_fulfilled(conn, order_id, {line["id"]: 1})
                    return True
                except errors.InvalidData:
                    return False

        return list(await asyncio.gather(*(one() for _ in range(8))))

    assert sorted(asyncio.run(race())) == [False] * 5 + [True] * 3
    (after,) = [i for i in _db(db_url, lambda conn: service.items(conn, order_id)) if i["id"] == line["id"]]
    assert after["fulfilled_quantity"] == 3


def test_canceled_orders_take_no_fulfilment(db_url: str) -> None:
    order_id = _place(db_url, _cart(None, "cancel@example.com"))
    line = _db(db_url, lambda conn: service.items(conn, order_id))[0]
    _db(db_url, lambda conn: service.set_canceled(conn, order_id))
    with pytest.raises(errors.InvalidData, match="has been canceled"):
        _db(db_url, lambda conn: service.record_fulfilled(conn, order_id, {line["id"]: 1}))


def test_statuses_and_summary_from_the_related_modules(db_url: str) -> None:
    cart = _cart(None, "related@example.com")
    order_id = _place(db_url, cart, "pay_col_2")
    _db(db_url, lambda conn: service.link_fulfillment(conn, order_id, "ful_2"))
    total = cart["total"]
    asked: dict[str, list[str]] = {}

    async def collections(conn: psycopg.AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
        asked["payment_collections"] = ids
        return [
            {
                "id": i,
                "status": "completed",
                "amount": total,
                "captured_amount": total,
                "refunded_amount": Decimal("10"),
                "payments": [],
            }
            for i in ids
        ]

    async def fulfillments(conn: psycopg.AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
        asked["fulfillments"] = ids
        return [{"id": i, "packed_at": "2026-01-01T00:00:00Z", "canceled_at": None} for i in ids]

    related = service.Related(payment_collections=collections, fulfillments=fulfillments)
    order = _db(db_url, lambda conn: service.retrieve(conn, order_id, related))
    assert asked["payment_collections"] == ["pay_col_2"]
    assert order["payment_status"] == "partially_refunded"
    assert order["summary"]["paid_total"] == total and order["summary"]["refunded_total"] == Decimal("10.00")
    assert order["summary"]["pending_difference"] == Decimal("10.00")
    assert order["payment_collections"][0]["id"] == "pay_col_2"
    assert order["fulfillments"] == [{"id": "ful_2", "packed_at": "2026-01-01T00:00:00Z", "canceled_at": None}]
    # A fulfillment is packed, yet no line is fulfilled: Medusa calls that partially fulfilled.
    assert order["fulfillment_status"] == "partially_fulfilled"
    # Only what is asked for is fetched.
    asked.clear()
    _db(db_url, lambda conn: service.retrieve(conn, order_id, related, relations=["fulfillments"]))
    assert set(asked) == {"fulfillments"}


def test_events_are_delivered_after_commit(server: Server, admin: httpx.Client, db_url: str) -> None:
    order_id = _place(db_url, _cart(None, "events@example.com"))
    assert eventually(lambda: f"event order.placed {{'id': '{order_id}'}}" in server.log_text(), timeout=5)
    admin.post(f"/admin/orders/{order_id}/complete")
    assert eventually(lambda: f"event order.completed {{'id': '{order_id}'}}" in server.log_text(), timeout=5)

    def undelivered() -> int:
        with psycopg.connect(db_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL AND data->>'id' = %s", (order_id,)
            ).fetchone()
            return int(row[0]) if row else -1

    assert eventually(lambda: undelivered() == 0, timeout=5)
