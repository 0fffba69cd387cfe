"""Sold out is answered from memory: once a variant's last unit is sold, both worker processes refuse add-to-cart and
checkout of it without database work, and the catalog shows it sold out. "Without database work" is shown by
holding the tables that work would need locked from the test: a refusal that needed them would wait, and time out."""

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.concurrency.test_checkout_oversell import Crowd
from tests.conftest import Server, assert_error, eventually
from tests.shop import build, cart_ready, ok, product


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=2).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def quantity(client: httpx.Client, variant: dict[str, Any]) -> int | None:
    r = client.get(f"/store/products/{variant['product_id']}", params={"fields": "+variants.inventory_quantity"})
    found = [v for v in r.json()["product"]["variants"] if v["id"] == variant["id"]]
    return found[0]["inventory_quantity"] if found else None


def add(client: httpx.Client, shop: dict[str, Any], variant: dict[str, Any]) -> httpx.Response:
    items = [{"variant_id": variant["id"], "quantity": 1}]
    return client.post("/store/carts", json={"region_id": shop["region"], "items": items}, timeout=5)


def assert_sold_out(r: httpx.Response, variant: dict[str, Any]) -> None:
    body = assert_error(r, 400, "not_allowed", f"{variant['id']} has 0 available")
    assert body["code"] == "insufficient_inventory"


def test_a_sold_out_variant_is_refused_by_every_worker_from_memory(
    server: Server, admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    hat = product(admin, shop, "Memory Hat", 40, 1)
    crowd = Crowd(server, dict(store.headers), 2)
    try:
        workers = [clients[0] for clients in crowd.by_worker.values()]
        for c in workers:
            assert eventually(lambda c=c: quantity(c, hat) == 1, timeout=5)
        first, late = (cart_ready(store, shop, [(hat["id"], 1)], email=f"{n}@memory.example") for n in "ab")
        assert ok(store.post(f"/store/carts/{first['id']}/complete"))["type"] == "order"

        # Every worker learns it (NOTIFY), refuses it, and shows it sold out.
        for c in workers:
            assert eventually(lambda c=c: add(c, shop, hat).status_code == 400, timeout=5)
            assert quantity(c, hat) == 0
        # ... with the tables a database check would need held: the refusals do not wait for them.
        with psycopg.connect(db_url) as holder:
            holder.execute("LOCK TABLE cart, inventory_level, reservation_item IN ACCESS EXCLUSIVE MODE")
            for c in workers:
                assert_sold_out(add(c, shop, hat), hat)
            holder.rollback()
        with psycopg.connect(db_url) as holder:
            holder.execute("LOCK TABLE inventory_level, reservation_item IN ACCESS EXCLUSIVE MODE")
            for c in workers:
                assert_sold_out(c.post(f"/store/carts/{late['id']}/complete", timeout=5), hat)
            holder.rollback()
        # A completed cart still answers its order; the sold-out one's cart is as it was.
        assert ok(store.post(f"/store/carts/{first['id']}/complete"))["type"] == "order"
        assert ok(store.get(f"/store/carts/{late['id']}"))["cart"]["completed_at"] is None
    finally:
        crowd.close()

    # Back in stock: sold again (the model reloads on the stock change).
    ok(
        admin.post(
            f"/admin/inventory-items/{hat['inventory_item_id']}/location-levels/{shop['location']}",
            json={"stocked_quantity": 2},
        )
    )
    assert eventually(lambda: add(store, shop, hat).status_code == 200, timeout=5)
