"""A hot level split into buckets (POST /admin/inventory-items/:id/location-levels/:location_id/buckets): its
totals stay exact through reservations, stock changes, cancellations and fulfilments, the storefront sells exactly
what it has, and folding it back (0 buckets) changes nothing but the rows."""

from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import assert_error, eventually
from tests.shop import build, cart_ready, level, ok, product


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def split(admin: httpx.Client, item: str, location: str, buckets: int) -> httpx.Response:
    return admin.post(f"/admin/inventory-items/{item}/location-levels/{location}/buckets", json={"buckets": buckets})


def totals(admin: httpx.Client, item: str, location: str) -> tuple[int, int]:
    found = level(admin, item, location)
    return int(found["stocked_quantity"]), int(found["reserved_quantity"])


def rows(db_url: str, item: str) -> list[tuple[int, int]]:
    """(stocked, reserved) of the level's buckets, in bucket order."""
    with psycopg.connect(db_url) as conn:
        return [
            (int(r[0]), int(r[1]))
            for r in conn.execute(
                "SELECT b.stocked_quantity, b.reserved_quantity FROM inventory_level_bucket b "
                "JOIN inventory_level l ON l.id = b.level_id WHERE l.inventory_item_id = %s ORDER BY b.bucket",
                (item,),
            )
        ]


def sellable(store: httpx.Client, shop: dict[str, Any], variant: dict[str, Any]) -> int | None:
    r = store.get(f"/store/products/{variant['product_id']}", params={"fields": "+variants.inventory_quantity"})
    found = [v for v in r.json()["product"]["variants"] if v["id"] == variant["id"]]
    return found[0]["inventory_quantity"] if found else None


def buy(store: httpx.Client, shop: dict[str, Any], variant: dict[str, Any], quantity: int = 1) -> httpx.Response:
    cart = cart_ready(store, shop, [(variant["id"], quantity)])
    return store.post(f"/store/carts/{cart['id']}/complete")


def test_a_split_level_keeps_exact_totals_through_its_life(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    lamp = product(admin, shop, "Bucket Lamp", 30, 10)
    item, loc = lamp["inventory_item_id"], shop["location"]
    ok(split(admin, item, loc, 4))
    assert rows(db_url, item) == [(3, 0), (3, 0), (2, 0), (2, 0)]
    assert totals(admin, item, loc) == (10, 0)
    assert eventually(lambda: sellable(store, shop, lamp) == 10)

    orders = [ok(buy(store, shop, lamp, q))["order"] for q in (1, 2, 1)]
    assert totals(admin, item, loc) == (10, 4)
    assert sum(r for _, r in rows(db_url, item)) == 4  # taken from the buckets, not the level's row
    assert eventually(lambda: sellable(store, shop, lamp) == 6)

    # The operator sets the stock while the level is split: totals as set, reservations kept, spread again.
    ok(admin.post(f"/admin/inventory-items/{item}/location-levels/{loc}", json={"stocked_quantity": 14}))
    assert totals(admin, item, loc) == (14, 4)
    assert sum(s - r for s, r in rows(db_url, item)) == 10 and len(rows(db_url, item)) == 4

    # A cancelled order gives its units back; a fulfilment takes them off the shelf.
    ok(admin.post(f"/admin/orders/{orders[1]['id']}/cancel"))
    assert totals(admin, item, loc) == (14, 2)
    line = orders[0]["items"][0]["id"]
    ok(
        admin.post(
            f"/admin/orders/{orders[0]['id']}/fulfillments",
            json={"location_id": loc, "items": [{"id": line, "quantity": 1}]},
        )
    )
    assert totals(admin, item, loc) == (13, 1)
    assert eventually(lambda: sellable(store, shop, lamp) == 12)

    # Folded back: one row, the same totals.
    ok(split(admin, item, loc, 0))
    assert rows(db_url, item) == []
    assert totals(admin, item, loc) == (13, 1)


def test_a_split_level_sells_its_last_unit_and_no_more(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    mug = product(admin, shop, "Bucket Mug", 12, 3)
    item, loc = mug["inventory_item_id"], shop["location"]
    ok(split(admin, item, loc, 8))  # more buckets than units: some are empty
    assert eventually(lambda: sellable(store, shop, mug) == 3)
    assert ok(buy(store, shop, mug, 2))["type"] == "order"
    assert ok(buy(store, shop, mug, 1))["type"] == "order"
    late = store.post(
        "/store/carts", json={"region_id": shop["region"], "items": [{"variant_id": mug["id"], "quantity": 1}]}
    )
    assert assert_error(late, 400, "not_allowed")["code"] == "insufficient_inventory"
    assert totals(admin, item, loc) == (3, 3)


def test_splitting_is_checked(admin: httpx.Client, shop: dict[str, Any]) -> None:
    cap = product(admin, shop, "Bucket Cap", 12, 3)
    assert_error(split(admin, cap["inventory_item_id"], shop["location"], 65), 400, "invalid_data")
    assert_error(split(admin, cap["inventory_item_id"], "sloc_nothing", 4), 404, "not_found")
    assert_error(split(admin, "iitem_nothing", shop["location"], 4), 404, "not_found")
