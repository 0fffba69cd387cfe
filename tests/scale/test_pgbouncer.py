"""The server behind Debian's PgBouncer in transaction pooling mode: the store's core flows — catalog, cart,
checkout, an admin change the store sees — through a pooler that gives each transaction whichever of its two
server connections is free (so a prepared statement or a SET would be found missing), with LISTEN on a direct
connection (DATABASE_LISTEN_URL). The test database's own time zone is not UTC: the app's UTC has to come
through PgBouncer too."""

import asyncio
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from commerce.db.connect import behind_pooler
from tests.conftest import BIN, Server, eventually
from tests.scale.infra import PRICED, PgBouncer, reprice
from tests.shop import build, cart_ready, level, money, ok, product


@pytest.fixture(scope="module")
def bouncer(server_url: str) -> Iterator[PgBouncer]:
    b = PgBouncer(server_url, pool_size=2).start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def pooled_url(db_url: str, bouncer: PgBouncer) -> str:
    dbname = conninfo_to_dict(db_url)["dbname"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET timezone = 'Asia/Tokyo'").format(sql.Identifier(dbname)))
    return bouncer.url(dbname)


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str], pooled_url: str) -> Iterator[Server]:
    """The app's pool (8) larger than PgBouncer's (2 server connections): transactions of one app connection run
    on different server connections."""
    srv = Server(pooled_url, env={"DATABASE_LISTEN_URL": db_url, "DB_POOL_SIZE": "8"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def test_pgbouncer_is_detected_and_a_direct_connection_is_not(pooled_url: str, db_url: str) -> None:
    assert asyncio.run(behind_pooler(pooled_url)) is True
    assert asyncio.run(behind_pooler(db_url)) is False


def test_catalog_cart_and_checkout_through_the_pooler(
    store: httpx.Client, admin: httpx.Client, shop: dict[str, Any]
) -> None:
    lamp = product(admin, shop, "Pooled Lamp", 25, 13)
    assert eventually(lambda: any(p["title"] == "Pooled Lamp" for p in store.get("/store/products").json()["products"]))
    listed = ok(
        store.get("/store/products", params={"q": "Pooled Lamp", "region_id": shop["region"], "fields": PRICED})
    )["products"]
    assert money(listed[0]["variants"][0]["calculated_price"]["calculated_amount"]) == 25
    assert listed[0]["created_at"].endswith("Z"), listed[0]["created_at"]  # UTC, whatever the database's zone

    # Six buyers at once, each statement run many more times than psycopg's prepare threshold (5).
    def buy(n: int) -> dict[str, Any]:
        cart = cart_ready(store, shop, [(lamp["id"], 1)], email=f"pooled{n}@example.com")
        ok(store.post(f"/store/carts/{cart['id']}/line-items", json={"variant_id": lamp["id"], "quantity": 1}))
        again = ok(store.get(f"/store/carts/{cart['id']}"))["cart"]
        assert again["items"][0]["quantity"] == 2
        body = ok(store.post(f"/store/carts/{cart['id']}/complete"))
        assert body["type"] == "order", body
        return dict(body["order"])

    with ThreadPoolExecutor(6) as pool:
        orders = list(pool.map(buy, range(6)))
    assert len({o["id"] for o in orders}) == 6
    for order in orders:
        fetched = ok(store.get(f"/store/orders/{order['id']}"))["order"]
        assert fetched["items"][0]["quantity"] == 2 and money(fetched["total"]) == money(order["total"])
        assert fetched["created_at"].endswith("Z")
    assert level(admin, lamp["inventory_item_id"], shop["location"])["reserved_quantity"] == 12
    # 13 in stock: one more lamp fits, then none (the conditional UPDATE still decides).
    cart = cart_ready(store, shop, [(lamp["id"], 1)], email="late@example.com")
    r = store.post(f"/store/carts/{cart['id']}/complete")
    assert r.status_code == 200 and r.json()["type"] == "order"
    sold_out = store.post(
        "/store/carts", json={"region_id": shop["region"], "items": [{"variant_id": lamp["id"], "quantity": 1}]}
    )
    assert sold_out.status_code == 400 and sold_out.json()["code"] == "insufficient_inventory", sold_out.text


def test_admin_change_reaches_the_store(store: httpx.Client, admin: httpx.Client, shop: dict[str, Any]) -> None:
    desk = product(admin, shop, "Pooled Desk", 100, 5)
    product_id = desk["product_id"]
    ok(admin.post(f"/admin/products/{product_id}", json={"title": "Pooled Standing Desk"}))
    reprice(admin, desk, 80)

    def seen() -> bool:
        body = store.get(
            f"/store/products/{product_id}", params={"region_id": shop["region"], "fields": PRICED}
        ).json()["product"]
        price = body["variants"][0]["calculated_price"]["calculated_amount"]
        return bool(body["title"] == "Pooled Standing Desk" and money(price) == 80)

    assert eventually(seen, timeout=5)


def test_nothing_failed_on_the_way(server: Server, bouncer: PgBouncer) -> None:
    log = server.log_text()
    assert "prepared statement" not in log and "Traceback" not in log, log[-4000:]
    assert "ERROR" not in bouncer.log_text(), bouncer.log_text()[-4000:]


def test_without_a_listen_url_the_caches_read_through(
    pooled_url: str, admin: httpx.Client, shop: dict[str, Any], seeded: dict[str, str]
) -> None:
    """No DATABASE_LISTEN_URL behind a pooler: no LISTEN (it would be lost on a pooled connection), so every read
    goes to the database — slower, never stale — and the server says so."""
    srv = Server(pooled_url, env={"DB_POOL_SIZE": "4"}).start()
    try:
        with httpx.Client(base_url=srv.url, headers={"x-publishable-api-key": seeded["publishable_key"]}) as store:
            vase = product(admin, shop, "Unlistened Vase", 30, 5)
            path = f"/store/products/{vase['product_id']}"
            assert ok(store.get(path))["product"]["title"] == "Unlistened Vase"
            ok(admin.post(f"/admin/products/{vase['product_id']}", json={"title": "Unlistened Vase II"}))
            assert ok(store.get(path))["product"]["title"] == "Unlistened Vase II"  # at once: nothing was cached
    finally:
        srv.stop()
    assert "DATABASE_LISTEN_URL is unset: caches read through" in srv.log_text()


def test_the_cli_migrates_over_the_direct_url(bouncer: PgBouncer, db_url: str) -> None:
    """`commerce migrate` holds a session advisory lock: it uses DATABASE_DIRECT_URL, not DATABASE_URL (here a
    pooled URL naming a database that does not exist, so using it would fail)."""
    env = {**os.environ, "DATABASE_URL": bouncer.url("no_such_database"), "DATABASE_DIRECT_URL": db_url}
    done = subprocess.run([str(BIN / "commerce"), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
