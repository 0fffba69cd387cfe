"""Three server processes on three ports over one database, as three machines behind a load balancer would be: a
flash sale spread over all three sells exactly the stock, a cart started on one node is finished on another (no
state that matters lives in a process), every order's event is delivered once in all (the outbox's SKIP LOCKED
claims), and an admin change made through one node reaches the other two through the change feed."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, at_once, eventually
from tests.scale.infra import PRICED, reprice
from tests.shop import build, cart_ready, level, money, product

NODES = 3
STOCK = 7
BUYERS = 30


@pytest.fixture(scope="module")
def nodes(db_url: str, seeded: dict[str, str]) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(NODES):
            started.append(Server(db_url).start())
        yield started
    finally:
        for srv in started:
            srv.stop()


@pytest.fixture(scope="module")
def server(nodes: list[Server]) -> Server:
    """conftest's `admin` and `store` clients talk to the first node."""
    return nodes[0]


@pytest.fixture(scope="module")
def stores(nodes: list[Server], seeded: dict[str, str]) -> Iterator[list[httpx.Client]]:
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    clients = [httpx.Client(base_url=n.url, headers=headers, timeout=60) for n in nodes]
    yield clients
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def test_flash_sale_over_three_nodes_sells_exactly_the_stock(
    nodes: list[Server], stores: list[httpx.Client], admin: httpx.Client, shop: dict[str, Any]
) -> None:
    drop = product(admin, shop, "Flash Sneaker", 120, STOCK)
    # Each buyer's cart is made on one node and completed on the next: carts live in PostgreSQL only.
    carts = [
        cart_ready(stores[n % NODES], shop, [(drop["id"], 1)], email=f"buyer{n}@example.com")["id"]
        for n in range(BUYERS)
    ]
    answers = at_once(BUYERS, lambda n: stores[(n + 1) % NODES].post(f"/store/carts/{carts[n]}/complete"))
    sold = [r for r in answers if r.status_code == 200 and r.json()["type"] == "order"]
    refused = [r for r in answers if r not in sold]
    assert len(sold) == STOCK, [r.text for r in answers]
    assert all(r.status_code == 400 and r.json().get("code") == "insufficient_inventory" for r in refused), [
        r.text for r in refused
    ]
    assert {r.request.url.port for r in sold} <= {n.port for n in nodes}
    assert len({r.request.url.port for r in answers}) == NODES
    lvl = level(admin, drop["inventory_item_id"], shop["location"])
    assert (lvl["stocked_quantity"], lvl["reserved_quantity"]) == (STOCK, STOCK)

    # Every node runs the outbox; each order.placed is delivered by exactly one of them.
    order_ids = {r.json()["order"]["id"] for r in sold}

    def delivered() -> list[str]:
        found = []
        for srv in nodes:
            found += re.findall(r"event order\.placed .*?'id': '(order_\w+)'", srv.log_text())
        return [o for o in found if o in order_ids]

    assert eventually(lambda: set(delivered()) == order_ids, timeout=10)
    assert sorted(delivered()) == sorted(order_ids)


def test_admin_price_change_reaches_every_node(
    stores: list[httpx.Client], admin: httpx.Client, shop: dict[str, Any]
) -> None:
    mug = product(admin, shop, "Node Mug", 9, 50)
    pid = mug["product_id"]

    def price_on(client: httpx.Client) -> Any:
        r = client.get(f"/store/products/{pid}", params={"region_id": shop["region"], "fields": PRICED})
        if not r.is_success:
            return None
        return money(r.json()["product"]["variants"][0]["calculated_price"]["calculated_amount"])

    assert all(eventually(lambda c=c: price_on(c) == 9) for c in stores)  # each node has it cached
    reprice(admin, mug, 7)
    for client in stores:
        assert eventually(lambda c=client: price_on(c) == 7, timeout=5), client.base_url
