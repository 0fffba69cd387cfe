"""Flash-sale holds, on a server of two worker processes (both sweep): a product set to hold at add-to-cart reserves
its units when buyers add it, so exactly as many buyers as units get one; holds not checked out in time expire, the
sweepers put their units back on sale exactly once, they are sold again, and the late holders get a clear 400 and can
add again (sold out by then)."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, assert_error, at_once, eventually
from tests.shop import ADDRESS, build, cart_ready, level, ok, product

HOLD_SECONDS = 8  # long enough for the on-time buyers to check out on a busy machine
UNITS = 5


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=2, env={"HOLD_SWEEP_INTERVAL": "1"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def add(store: httpx.Client, shop: dict[str, Any], variant_id: str, email: str) -> httpx.Response:
    body = {
        "region_id": shop["region"],
        "email": email,
        "shipping_address": ADDRESS,
        "items": [{"variant_id": variant_id, "quantity": 1}],
    }
    return store.post("/store/carts", json=body)


def ready(store: httpx.Client, shop: dict[str, Any], cart_id: str) -> None:
    ok(store.post(f"/store/carts/{cart_id}/shipping-methods", json={"option_id": shop["option"]}))
    collection = ok(store.post("/store/payment-collections", json={"cart_id": cart_id}))["payment_collection"]
    ok(
        store.post(
            f"/store/payment-collections/{collection['id']}/payment-sessions", json={"provider_id": "pp_system_default"}
        )
    )


def race_adds(store: httpx.Client, shop: dict[str, Any], variant_id: str, emails: list[str]) -> list[httpx.Response]:
    def run(i: int) -> httpx.Response:
        with httpx.Client(base_url=store.base_url, headers=dict(store.headers), timeout=30) as c:
            return add(c, shop, variant_id, emails[i])

    return at_once(len(emails), run)


def on_sale(store: httpx.Client, variant: dict[str, Any]) -> int | None:
    r = store.get(f"/store/products/{variant['product_id']}", params={"fields": "+variants.inventory_quantity"})
    return next((v["inventory_quantity"] for v in r.json()["product"]["variants"] if v["id"] == variant["id"]), None)


def holds(admin: httpx.Client, item: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        admin.get("/admin/reservations", params={"inventory_item_id": item, "limit": 100, "fields": "+created_by"})
    )["reservations"]
    return found


def test_the_flash_sale_setting_is_an_admin_route(admin: httpx.Client, shop: dict[str, Any]) -> None:
    cap = product(admin, shop, "Hold Cap", 10, 3)
    path = f"/admin/products/{cap['product_id']}/flash-sale"
    assert ok(admin.get(path))["flash_sale"] is None
    assert ok(admin.post(path, json={"hold_seconds": 600}))["flash_sale"]["hold_seconds"] == 600
    assert ok(admin.get(path))["flash_sale"]["hold_seconds"] == 600
    assert_error(admin.post(path, json={"hold_seconds": 0}), 400, "invalid_data")
    assert_error(admin.post("/admin/products/prod_nothing/flash-sale", json={"hold_seconds": 60}), 404, "not_found")
    assert ok(admin.delete(path))["deleted"] is True
    assert ok(admin.get(path))["flash_sale"] is None


def test_holds_expire_mid_sale_and_their_units_are_sold_again_once(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    drop = product(admin, shop, "Hold Drop", 80, UNITS)
    item, loc = drop["inventory_item_id"], shop["location"]
    ok(admin.post(f"/admin/products/{drop['product_id']}/flash-sale", json={"hold_seconds": HOLD_SECONDS}))

    # 12 buyers add it at once: 5 get a unit held, 7 are refused.
    emails = [f"buyer{i}@hold.example" for i in range(12)]
    answers = race_adds(store, shop, drop["id"], emails)
    winners = [i for i, r in enumerate(answers) if r.status_code == 200]
    assert len(winners) == UNITS, [r.text for r in answers]
    for r in answers:
        if r.status_code != 200:
            assert assert_error(r, 400, "not_allowed")["code"] == "insufficient_inventory"
    assert level(admin, item, loc)["reserved_quantity"] == UNITS
    assert all(h["created_by"] == "hold" for h in holds(admin, item))
    carts = {i: answers[i].json()["cart"]["id"] for i in winners}

    # Two check out in time: their holds become their orders' reservations.
    on_time, late = winners[:2], winners[2:]
    for i in on_time:
        ready(store, shop, carts[i])
        assert ok(store.post(f"/store/carts/{carts[i]}/complete"))["type"] == "order"
    for i in late:
        ready(store, shop, carts[i])

    # The other three holds expire: the sweepers give their units back, once.
    assert eventually(lambda: level(admin, item, loc)["reserved_quantity"] == 2, timeout=HOLD_SECONDS + 20)
    for i in late:
        body = assert_error(store.post(f"/store/carts/{carts[i]}/complete"), 400, "not_allowed", "expired")
        assert body["code"] == "hold_expired"

    # The released units are sold again, to buyers refused before; then it is sold out.
    assert eventually(lambda: on_sale(store, drop) == UNITS - 2, timeout=5)  # the workers' stock model caught up
    losers = [i for i in range(12) if i not in winners]
    resold = []
    for i in losers[:3]:
        r = add(store, shop, drop["id"], emails[i])
        assert r.status_code == 200, r.text
        cart = r.json()["cart"]["id"]
        ready(store, shop, cart)
        resold.append(ok(store.post(f"/store/carts/{cart}/complete"))["order"])
    assert assert_error(add(store, shop, drop["id"], emails[losers[3]]), 400, "not_allowed")["code"] == (
        "insufficient_inventory"
    )
    # A late holder removes the expired line and adds it again: sold out by now.
    late_cart = ok(store.get(f"/store/carts/{carts[late[0]]}"))["cart"]
    ok(store.delete(f"/store/carts/{late_cart['id']}/line-items/{late_cart['items'][0]['id']}"))
    again = store.post(f"/store/carts/{late_cart['id']}/line-items", json={"variant_id": drop["id"], "quantity": 1})
    assert assert_error(again, 400, "not_allowed")["code"] == "insufficient_inventory"

    # Exactly the units were sold, each once: 5 orders' reservations, nothing held, nothing released twice.
    found = level(admin, item, loc)
    assert (found["stocked_quantity"], found["reserved_quantity"]) == (UNITS, UNITS)
    live = holds(admin, item)
    assert sum(h["quantity"] for h in live) == UNITS and all(h["created_by"] == "checkout" for h in live)
    assert len({h["line_item_id"] for h in live}) == UNITS


def test_a_per_customer_limit_holds_under_concurrent_checkouts(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    tee = product(admin, shop, "Limited Tee", 25, 20)
    setting = ok(admin.post(f"/admin/products/{tee['product_id']}/flash-sale", json={"max_per_customer": 2}))
    assert setting["flash_sale"]["max_per_customer"] == 2 and setting["flash_sale"]["hold_seconds"] is None
    # One buyer (one email, any case) with six carts of one unit each, completed at once: two orders.
    emails = [f"{'Ada' if n % 2 else 'ada'}@limit.example" for n in range(6)]
    prepared = [cart_ready(store, shop, [(tee["id"], 1)], email=e) for e in emails]

    def run(i: int) -> httpx.Response:
        with httpx.Client(base_url=store.base_url, headers=dict(store.headers), timeout=30) as c:
            return c.post(f"/store/carts/{prepared[i]['id']}/complete")

    done = at_once(len(prepared), run)
    assert len(done) == len(prepared)
    assert sum(1 for a in done if a.status_code == 200) == 2, [a.text for a in done]
    for a in done:
        if a.status_code != 200:
            body = assert_error(a, 400, "not_allowed", "limited to 2 per customer")
            assert body["code"] == "purchase_limit"
    # Over the limit in one cart: refused; another buyer: sold.
    big = cart_ready(store, shop, [(tee["id"], 3)], email="grace@limit.example")
    assert (
        assert_error(store.post(f"/store/carts/{big['id']}/complete"), 400, "not_allowed")["code"] == "purchase_limit"
    )
    other = cart_ready(store, shop, [(tee["id"], 2)], email="grace@limit.example")
    assert ok(store.post(f"/store/carts/{other['id']}/complete"))["type"] == "order"
    assert level(admin, tee["inventory_item_id"], shop["location"])["reserved_quantity"] == 4
    assert_error(admin.post(f"/admin/products/{tee['product_id']}/flash-sale", json={}), 400, "invalid_data")
