"""A flash sale across two server processes: 200 buyers, each on their own connection, half to each of two separate
Granian servers on one database, complete their carts for one variant with 20 units at the same moment, its level one
row or split into 8 buckets. Exactly 20 orders are placed, the level holds exactly 20 reserved units, the 180 others
get a clean 400 insufficient_inventory and no one a 5xx."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.concurrency.test_checkout_oversell import (
    COMPLETE,
    METRIC,
    assert_orders,
    assert_sold_out,
    carts,
    outcome,
    reservations,
    reserved,
)
from tests.conftest import Server, at_once, eventually
from tests.shop import build, ok, product

BUYERS, UNITS = 200, 20
RACE_TIMEOUT = 90.0
# Roomy: 100 checkouts queue on one hot row per server; the test is about correctness, not shedding load.
ROOMY = {"DB_POOL_SIZE": "4", "DB_POOL_TIMEOUT": "60", "MAX_IN_FLIGHT": "1000"}


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, env=ROOMY).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def second(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    """Another server process on the same database."""
    srv = Server(db_url, env=ROOMY).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def sellable(client: httpx.Client, shop: dict[str, Any], variant: dict[str, Any], units: int) -> bool:
    params = {"region_id": shop["region"], "fields": "*variants.calculated_price,+variants.inventory_quantity"}
    r = client.get(f"/store/products/{variant['product_id']}", params=params)
    if r.status_code != 200:
        return False
    found = [v for v in r.json()["product"]["variants"] if v["id"] == variant["id"]]
    return bool(found) and found[0]["inventory_quantity"] == units


def completes(srv: Server) -> int:
    """The checkouts this server process has answered."""
    found = (METRIC.match(line) for line in httpx.get(f"{srv.url}/metrics").text.splitlines())
    return sum(int(m.group(5)) for m in found if m and m.group(3) == COMPLETE and m.group(2) == "POST")


def race(urls: list[str], headers: dict[str, str], cart_ids: list[str]) -> list[httpx.Response]:
    """Buyer i completes cart i on server i mod 2, all released by one barrier; their answers in order."""
    n = len(cart_ids)
    clients = [
        httpx.Client(
            base_url=urls[i % len(urls)], headers=headers, timeout=RACE_TIMEOUT, limits=httpx.Limits(max_connections=1)
        )
        for i in range(n)
    ]
    try:
        for c in clients:  # connected before the start
            assert c.get("/health").status_code == 200
        return at_once(n, lambda i: clients[i].post(f"/store/carts/{cart_ids[i]}/complete"), RACE_TIMEOUT)
    finally:
        for c in clients:
            c.close()


@pytest.mark.timeout(300)  # 200 carts are made first, through the API (a minute on a busy machine)
@pytest.mark.parametrize("buckets", [0, 8], ids=["one-row", "split-in-8"])
def test_two_hundred_buyers_on_two_servers_buy_twenty_units(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], server: Server, second: Server, buckets: int
) -> None:
    drop = product(admin, shop, f"Flash Sneaker {buckets}", 120, UNITS)
    if buckets:
        path = f"/admin/inventory-items/{drop['inventory_item_id']}/location-levels/{shop['location']}/buckets"
        ok(admin.post(path, json={"buckets": buckets}))
    for url in (server.url, second.url):
        with httpx.Client(base_url=url, headers=dict(store.headers), timeout=10) as c:
            assert eventually(lambda c=c: sellable(c, shop, drop, UNITS), timeout=5), url
    tag = f"flash{buckets}"
    prepared = carts(store, shop, tag, [[(drop["id"], 1)]] * BUYERS)
    before = [completes(srv) for srv in (server, second)]

    answers = race([server.url, second.url], dict(store.headers), [c["id"] for c in prepared])

    errors = [line for srv in (server, second) for line in srv.log_text().splitlines() if "Error" in line]
    assert not [r for r in answers if r.status_code >= 500], (
        errors[:10],
        [r.text for r in answers if r.status_code >= 500][:3],
    )
    orders, refusals = outcome(answers)
    assert len(orders) == UNITS and len(refusals) == BUYERS - UNITS
    for refusal in refusals.values():
        assert_sold_out(refusal)
    assert reserved(admin, drop["inventory_item_id"], shop["location"]) == (UNITS, UNITS)
    held = reservations(admin, drop["inventory_item_id"])
    assert sum(r["quantity"] for r in held) == UNITS and len({r["line_item_id"] for r in held}) == UNITS
    assert_orders(admin, tag, prepared, orders)
    # The race really ran across both processes: each answered its half of the checkouts.
    for srv, earlier in zip((server, second), before, strict=True):
        assert completes(srv) - earlier == BUYERS // 2, srv.url
    for srv in (server, second):
        assert "[ERROR]" not in srv.log_text() and "Traceback" not in srv.log_text()
    ok(store.get(f"/store/carts/{prepared[0]['id']}"))
