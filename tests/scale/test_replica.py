"""A real streaming replica (pg_basebackup -R) behind DATABASE_REPLICA_URL: the store's catalog is read there, the
shopper's own cart and order from the primary (proved by pausing the replica's replay: what a shopper just wrote is
still there for them), a change the replica has not replayed yet is read from the primary instead of cached stale,
and a replica that goes away leaves the store answering from the primary."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from commerce.db.connect import with_dbname
from commerce.db.migrate import migrate
from tests.conftest import Server, eventually
from tests.scale.infra import PRICED, ReplicatedPair, reprice
from tests.shop import build, cart_ready, money, ok, product

DBNAME = "shop"


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicatedPair]:
    p = ReplicatedPair().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def db_url(pair: ReplicatedPair) -> str:
    """Replaces conftest's: the module's database lives on the private primary (conftest's `seeded` seeds it)."""
    with psycopg.connect(pair.primary.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DBNAME}")
    url = pair.primary.url(DBNAME)
    migrate(url)
    return url


@pytest.fixture(scope="module")
def replica_url(pair: ReplicatedPair, db_url: str) -> str:
    return with_dbname(pair.replica.url(), DBNAME)


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str], replica_url: str) -> Iterator[Server]:
    srv = Server(db_url, env={"DATABASE_REPLICA_URL": replica_url, "DATABASE_REPLICA_MAX_LAG": "1"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


def _statements(log: str) -> list[str]:
    return [line for line in log.splitlines() if f" {DBNAME} " in line and "statement:" in line]


def _replay(replica_url: str, paused: bool) -> None:
    with psycopg.connect(replica_url, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


def _listed(store: httpx.Client, region: str, title: str) -> dict[str, Any] | None:
    products = store.get("/store/products", params={"q": title, "region_id": region}).json()["products"]
    return next((p for p in products if p["title"] == title), None)


def test_catalog_is_read_from_the_replica(
    pair: ReplicatedPair, store: httpx.Client, admin: httpx.Client, shop: dict[str, Any]
) -> None:
    product(admin, shop, "Replica Vase", 30, 10)
    assert eventually(lambda: _listed(store, shop["region"], "Replica Vase") is not None, timeout=5)
    # (The stock of a page's variants is read once per variant and then held until a change of its levels: that
    # one read goes to the replica only if it has replayed the product's creation by then, so it is not asserted.)
    # The product pages themselves: the documents and their page query (catalog.documents), not only the caches.
    # (parameterised: logged as `execute`, not `statement:`; a search page joins its documents to its page query)
    documents = [s for s in pair.replica.log_text().splitlines() if f" {DBNAME} " in s and " catalog_product " in s]
    assert documents, "no product document was read on the replica"


def test_own_cart_and_order_come_from_the_primary_while_the_replica_stands_still(
    pair: ReplicatedPair, replica_url: str, store: httpx.Client, admin: httpx.Client, shop: dict[str, Any]
) -> None:
    lamp = product(admin, shop, "Replica Lamp", 40, 5)
    assert eventually(lambda: _listed(store, shop["region"], "Replica Lamp") is not None, timeout=5)
    _replay(replica_url, paused=True)
    try:
        # Everything below exists only on the primary until replay resumes.
        cart = cart_ready(store, shop, [(lamp["id"], 2)], email="own@example.com")
        assert ok(store.get(f"/store/carts/{cart['id']}"))["cart"]["items"][0]["quantity"] == 2
        order = ok(store.post(f"/store/carts/{cart['id']}/complete"))["order"]
        assert ok(store.get(f"/store/orders/{order['id']}"))["order"]["id"] == order["id"]
        # An admin change the replica has not replayed: the store reloads from the primary, not stale from it.
        ok(admin.post(f"/admin/products/{lamp['product_id']}", json={"title": "Replica Lamp II"}))
        assert eventually(lambda: _listed(store, shop["region"], "Replica Lamp II") is not None, timeout=5)
    finally:
        _replay(replica_url, paused=False)
    own = [s for s in _statements(pair.replica.log_text()) if re.search(r'\b(cart\w*|"order"|order_\w+)\b', s)]
    assert not own, own[:5]


def test_a_change_the_replica_has_not_replayed_is_not_cached_stale(
    replica_url: str, store: httpx.Client, admin: httpx.Client, shop: dict[str, Any]
) -> None:
    """Right after replay stops the replica is still within its allowed lag; the reload that follows the change's
    NOTIFY must still not read it there (it would keep the old title until the next change)."""
    clock = product(admin, shop, "Replica Clock", 15, 5)
    assert eventually(lambda: _listed(store, shop["region"], "Replica Clock") is not None, timeout=5)
    _replay(replica_url, paused=True)
    try:
        ok(admin.post(f"/admin/products/{clock['product_id']}", json={"title": "Replica Clock II"}))
        assert eventually(lambda: _listed(store, shop["region"], "Replica Clock II") is not None, timeout=5)
    finally:
        _replay(replica_url, paused=False)


def test_store_keeps_answering_when_the_replica_goes_away(
    pair: ReplicatedPair, store: httpx.Client, admin: httpx.Client, shop: dict[str, Any], server: Server
) -> None:
    mug = product(admin, shop, "Replica Mug", 12, 5)
    assert eventually(lambda: _listed(store, shop["region"], "Replica Mug") is not None, timeout=5)
    pair.replica.stop()
    reprice(admin, mug, 10)

    def repriced() -> bool:
        r = store.get("/store/products", params={"q": "Replica Mug", "region_id": shop["region"], "fields": PRICED})
        assert r.status_code == 200, r.text  # never an error while the replica is gone
        found = r.json()["products"]
        return bool(found) and money(found[0]["variants"][0]["calculated_price"]["calculated_amount"]) == 10

    assert eventually(repriced, timeout=10)
    cart = cart_ready(store, shop, [(mug["id"], 1)], email="after@example.com")
    assert ok(store.post(f"/store/carts/{cart['id']}/complete"))["type"] == "order"
