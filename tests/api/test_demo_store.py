"""The demo store sells out of the box: on a database seeded as `commerce serve` seeds it (full catalog), a shopper
with the demo publishable key browses, gets shipping options for their address, pays with the system provider and
completes an order; sold-out variants are refused, backorderable ones sell, and product images load from the server."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from commerce.db.connect import run_with_conn, with_dbname
from commerce.flows import demo_catalog, demo_orders, setup
from tests.conftest import BIN, ROOT, Server, assert_error, eventually
from tests.shop import ADDRESS, ok

EU_ADDRESS = {
    **ADDRESS,
    "address_1": "Unter den Linden 1",
    "city": "Berlin",
    "country_code": "de",
    "postal_code": "10117",
}


@pytest.fixture(scope="module")
def shop(db_url: str) -> Iterator[Server]:
    """A server on a database with the whole demo seed (catalog included, images pointing at this server)."""
    srv = Server(db_url)

    async def seed(conn: psycopg.AsyncConnection[Any]) -> None:
        await setup.seed_demo(conn, public_url=srv.url)

    run_with_conn(db_url, seed)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shopper(shop: Server, db_url: str) -> Iterator[httpx.Client]:
    info = run_with_conn(db_url, setup.demo_info)
    assert info.publishable_key
    headers = {"x-publishable-api-key": info.publishable_key}
    with httpx.Client(base_url=shop.url, timeout=30, headers=headers) as c:
        yield c


@pytest.fixture(scope="module")
def regions(shopper: httpx.Client) -> dict[str, str]:
    return {r["name"]: r["id"] for r in ok(shopper.get("/store/regions"))["regions"]}


@pytest.fixture(scope="module")
def products(shopper: httpx.Client, regions: dict[str, str]) -> list[dict[str, Any]]:
    """The first ten demo products as the storefront lists them (variants with price and stock)."""
    listed = ok(
        shopper.get(
            "/store/products",
            params={
                "limit": 10,
                "order": "created_at",
                "region_id": regions["North America"],
                "fields": "*variants.calculated_price,+variants.inventory_quantity",
            },
        )
    )
    assert listed["count"] == demo_catalog.PRODUCTS
    found: list[dict[str, Any]] = listed["products"]
    return found


def _variant(products: list[dict[str, Any]], sku: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for p in products for v in p["variants"] if v["sku"] == sku)
    return found


def _cart(shopper: httpx.Client, region: str, lines: list[tuple[str, int]], address: dict[str, Any]) -> dict[str, Any]:
    cart: dict[str, Any] = ok(
        shopper.post(
            "/store/carts",
            json={
                "region_id": region,
                "email": "shopper@example.com",
                "items": [{"variant_id": v, "quantity": q} for v, q in lines],
            },
        )
    )["cart"]
    ok(shopper.post(f"/store/carts/{cart['id']}", json={"shipping_address": address, "billing_address": address}))
    return cart


def _options(shopper: httpx.Client, cart_id: str) -> dict[str, dict[str, Any]]:
    listed = ok(shopper.get("/store/shipping-options", params={"cart_id": cart_id}))["shipping_options"]
    return {o["name"]: o for o in listed}


def _pay_and_complete(shopper: httpx.Client, cart_id: str, region: str) -> httpx.Response:
    providers = ok(shopper.get("/store/payment-providers", params={"region_id": region}))["payment_providers"]
    assert [p["id"] for p in providers] == ["pp_system_default"]
    collection = ok(shopper.post("/store/payment-collections", json={"cart_id": cart_id}))["payment_collection"]
    ok(
        shopper.post(
            f"/store/payment-collections/{collection['id']}/payment-sessions", json={"provider_id": providers[0]["id"]}
        )
    )
    return shopper.post(f"/store/carts/{cart_id}/complete")


def test_the_seed_documents_its_stock() -> None:
    assert demo_catalog.stock_of(0, 0) == (demo_catalog.STOCKED, False)
    assert demo_catalog.stock_of(3, 2) == (0, False)  # DEMO-0004-L: sold out
    assert demo_catalog.stock_of(6, 0) == (0, True)  # DEMO-0007-S: backorderable
    plans = [demo_catalog.stock_of(n, i) for n in range(demo_catalog.PRODUCTS) for i in range(3)]
    assert plans.count((0, False)) == plans.count((0, True)) == 100
    assert plans.count((demo_catalog.STOCKED, False)) == 2800


def test_a_shopper_buys_a_stocked_variant_out_of_the_box(
    shopper: httpx.Client, regions: dict[str, str], products: list[dict[str, Any]]
) -> None:
    region = regions["North America"]
    first = products[0]
    assert first["title"] == "Linen Black Shirt 1"
    variant = next(v for v in first["variants"] if v["inventory_quantity"] > 0 and not v["allow_backorder"])
    assert variant["manage_inventory"] is True and variant["inventory_quantity"] == demo_catalog.STOCKED
    price = Decimal(str(variant["calculated_price"]["calculated_amount"]))
    assert variant["calculated_price"]["currency_code"] == "usd" and price > 0

    cart = _cart(shopper, region, [(variant["id"], 2)], ADDRESS)
    options = _options(shopper, cart["id"])
    assert sorted(options) == ["Express Shipping", "Standard Shipping"]
    assert Decimal(str(options["Standard Shipping"]["amount"])) == 8
    assert Decimal(str(options["Express Shipping"]["amount"])) == 20
    assert options["Standard Shipping"]["provider_id"] == "manual_manual"
    ok(
        shopper.post(
            f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": options["Standard Shipping"]["id"]}
        )
    )

    body = ok(_pay_and_complete(shopper, cart["id"], region))
    assert body["type"] == "order"
    order = body["order"]
    assert order["currency_code"] == "usd" and order["payment_status"] == "authorized"
    assert [m["name"] for m in order["shipping_methods"]] == ["Standard Shipping"]
    assert [(i["variant_id"], i["quantity"]) for i in order["items"]] == [(variant["id"], 2)]
    assert Decimal(str(order["shipping_total"])) == 8
    assert Decimal(str(order["item_total"])) == 2 * price

    # Stock is reserved at the warehouse: the storefront sees two fewer (once the NOTIFY reached the worker).
    def shown() -> int:
        after = ok(shopper.get(f"/store/products/{first['id']}", params={"fields": "+variants.inventory_quantity"}))
        quantity: int = _variant([after["product"]], variant["sku"])["inventory_quantity"]
        return quantity

    assert eventually(lambda: shown() == demo_catalog.STOCKED - 2), shown()


def test_europe_ships_from_the_same_warehouse_in_euros(
    shopper: httpx.Client, regions: dict[str, str], products: list[dict[str, Any]]
) -> None:
    region = regions["Europe"]
    variant = _variant(products, "DEMO-0002-M")
    cart = _cart(shopper, region, [(variant["id"], 1)], EU_ADDRESS)
    options = _options(shopper, cart["id"])
    assert {name: Decimal(str(o["amount"])) for name, o in options.items()} == {
        "Standard Shipping": 7,
        "Express Shipping": 18,
    }
    ok(
        shopper.post(
            f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": options["Express Shipping"]["id"]}
        )
    )
    body = ok(_pay_and_complete(shopper, cart["id"], region))
    assert body["type"] == "order" and body["order"]["currency_code"] == "eur"


def test_a_sold_out_variant_is_refused(
    shopper: httpx.Client, regions: dict[str, str], products: list[dict[str, Any]]
) -> None:
    sold_out = _variant(products, "DEMO-0004-L")
    assert sold_out["inventory_quantity"] == 0 and sold_out["allow_backorder"] is False
    cart = _cart(shopper, regions["North America"], [(_variant(products, "DEMO-0004-S")["id"], 1)], ADDRESS)
    body = assert_error(
        shopper.post(f"/store/carts/{cart['id']}/line-items", json={"variant_id": sold_out["id"], "quantity": 1}),
        400,
        "not_allowed",
        "required inventory",
    )
    assert body.get("code") == "insufficient_inventory"


def test_a_backorderable_variant_sells_with_nothing_in_stock(
    shopper: httpx.Client, regions: dict[str, str], products: list[dict[str, Any]]
) -> None:
    region = regions["North America"]
    backorder = _variant(products, "DEMO-0007-S")
    assert backorder["inventory_quantity"] == 0 and backorder["allow_backorder"] is True
    cart = _cart(shopper, region, [(backorder["id"], 3)], ADDRESS)
    option = _options(shopper, cart["id"])["Standard Shipping"]
    ok(shopper.post(f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": option["id"]}))
    body = ok(_pay_and_complete(shopper, cart["id"], region))
    assert body["type"] == "order"
    assert [(i["variant_id"], i["quantity"]) for i in body["order"]["items"]] == [(backorder["id"], 3)]


def test_product_images_load_from_the_server(
    shop: Server, shopper: httpx.Client, products: list[dict[str, Any]]
) -> None:
    first = ok(shopper.get(f"/store/products/{products[0]['id']}", params={"fields": "thumbnail,*images"}))["product"]
    urls = [first["thumbnail"], *(i["url"] for i in first["images"])]
    assert urls == [
        f"{shop.url}/static/demo/shirt-front.png",
        f"{shop.url}/static/demo/shirt-front.png",
        f"{shop.url}/static/demo/shirt-back.png",
    ]
    for url in [*urls, products[8]["thumbnail"]]:
        r = httpx.get(url, timeout=10)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")


def test_the_seed_places_the_demo_customers_orders(shop: Server, db_url: str) -> None:
    """Four orders of the demo customers, placed through the checkout and worked as an operator would: what the
    admin's orders screens show out of the box."""
    info = run_with_conn(db_url, setup.demo_info)
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        token = ok(
            client.post("/auth/user/emailpass", json={"email": info.admin_email, "password": setup.DEMO_ADMIN_PASSWORD})
        )
        client.headers["authorization"] = f"Bearer {token['token']}"
        listed = ok(
            client.get(
                "/admin/orders",
                params={
                    "limit": 50,
                    "fields": "display_id,email,currency_code,payment_status,fulfillment_status,*items",
                },
            )
        )["orders"]
        seeded = sorted(
            (o for o in listed if o["display_id"] <= len(demo_orders.ORDERS)), key=lambda o: o["display_id"]
        )
        assert [(o["email"], o["currency_code"], o["payment_status"], o["fulfillment_status"]) for o in seeded] == [
            ("grace.hopper@example.com", "usd", "captured", "shipped"),
            ("alan.turing@example.com", "usd", "captured", "fulfilled"),
            ("ada.lovelace@example.com", "eur", "captured", "not_fulfilled"),
            ("grace.hopper@example.com", "usd", "authorized", "not_fulfilled"),
        ]
        assert [i["variant_sku"] for i in seeded[0]["items"]] == ["DEMO-0009-M", "DEMO-0010-S"]
        customers = ok(client.get("/admin/customers", params={"email": "grace.hopper@example.com"}))["customers"]
        assert len(customers) == 1  # the orders belong to the seeded customer, not to a second guest record
        # The shipped units left the warehouse; the unfulfilled ones are reserved there.
        item = ok(client.get("/admin/inventory-items", params={"sku": "DEMO-0010-S", "fields": "*location_levels"}))
        level = item["inventory_items"][0]["location_levels"][0]
        assert (level["stocked_quantity"], level["reserved_quantity"]) == (demo_catalog.STOCKED - 2, 0)
        item = ok(client.get("/admin/inventory-items", params={"sku": "DEMO-0019-M", "fields": "*location_levels"}))
        level = item["inventory_items"][0]["location_levels"][0]
        assert (level["stocked_quantity"], level["reserved_quantity"]) == (demo_catalog.STOCKED, 3)


@pytest.fixture(scope="module")
def sized_db(server_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database of its own (the module's `db_url` holds the full seed)."""
    name = f"commerce_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [str(BIN / "commerce"), "seed", "--demo", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_sized_seed_through_the_cli(sized_db: str) -> None:
    """`commerce seed --demo --products 50`: the same store at another size, written through the bulk import path
    (stock levels, the USD quantity tier and both price lists included); a second run changes nothing."""
    done = _seed_cli(sized_db, "--products", "50")
    assert done.returncode == 0, done.stderr
    assert "seeded the demo store: 50 products" in done.stdout
    assert "50/50" in done.stderr  # the progress bar
    again = _seed_cli(sized_db, "--products", "50", "-q")
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout and again.stderr == ""
    assert _seed_cli(sized_db, "--products", "0").returncode == 2

    srv = Server(sized_db).start()
    try:
        info = run_with_conn(sized_db, setup.demo_info)
        assert info.publishable_key and info.admin_email and info.admin_password
        headers = {"x-publishable-api-key": info.publishable_key}
        with httpx.Client(base_url=srv.url, timeout=30, headers=headers) as shopper:
            regions = {r["name"]: r["id"] for r in ok(shopper.get("/store/regions"))["regions"]}
            listed = ok(
                shopper.get(
                    "/store/products",
                    params={
                        "limit": 50,
                        "order": "created_at",
                        "region_id": regions["North America"],
                        "fields": "*variants.calculated_price,+variants.inventory_quantity,*categories,*tags,*images",
                    },
                )
            )
            assert listed["count"] == 50
            products = listed["products"]
            assert [p["title"] for p in products[:2]] == ["Linen Black Shirt 1", "Linen Black Sweater 2"]
            assert products[49]["title"] == "Everyday Black Bag 50"
            first = products[0]
            assert first["handle"] == "linen-black-shirt-1"
            assert [c["name"] for c in first["categories"]] == ["Shirts"]
            assert [t["value"] for t in first["tags"]] == ["new"]
            assert [i["url"] for i in first["images"]] == [
                f"{setup.DEMO_PUBLIC_URL}/static/demo/shirt-front.png",
                f"{setup.DEMO_PUBLIC_URL}/static/demo/shirt-back.png",
            ]
            assert [v["sku"] for v in first["variants"]] == ["DEMO-0001-S", "DEMO-0001-M", "DEMO-0001-L"]
            # The first products are on sale: 20 % off the base price.
            price = _variant(products, "DEMO-0001-S")["calculated_price"]
            assert Decimal(str(price["original_amount"])) == Decimal("15.99")
            assert Decimal(str(price["calculated_amount"])) == Decimal("12.79")
            sold_out, backorder = _variant(products, "DEMO-0004-L"), _variant(products, "DEMO-0007-S")
            assert (sold_out["inventory_quantity"], sold_out["allow_backorder"]) == (0, False)
            assert (backorder["inventory_quantity"], backorder["allow_backorder"]) == (0, True)
            stocked = _variant(products, "DEMO-0050-M")
            assert stocked["inventory_quantity"] == demo_catalog.STOCKED and stocked["manage_inventory"] is True

        with httpx.Client(base_url=srv.url, timeout=30) as client:
            login = {"email": info.admin_email, "password": info.admin_password}
            token = ok(client.post("/auth/user/emailpass", json=login))["token"]
            client.headers["authorization"] = f"Bearer {token}"
            product = ok(client.get(f"/admin/products/{first['id']}", params={"fields": "*variants.prices"}))["product"]
            small = next(v for v in product["variants"] if v["sku"] == "DEMO-0001-S")
            prices = {(p["currency_code"], p["min_quantity"]): Decimal(str(p["amount"])) for p in small["prices"]}
            assert prices == {
                ("usd", None): Decimal("15.99"),
                ("eur", None): Decimal("14.71"),
                ("usd", 10): Decimal("14.39"),  # 10 or more: 10 % off
            }
            lists = {p["title"]: p for p in ok(client.get("/admin/price-lists", params={"limit": 10}))["price_lists"]}
            assert sorted(lists) == ["Demo sale", "VIP prices"]
            assert len(lists["Demo sale"]["prices"]) == len(lists["VIP prices"]["prices"]) == 50 * 3 * 2
            assert lists["VIP prices"]["rules"]["customer_group_id"]
    finally:
        srv.stop()
