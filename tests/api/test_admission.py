"""Admission under overload: a worker serving MAX_IN_FLIGHT requests answers the next one 503 with Retry-After at
once (no queueing into timeouts, never a 500); a full database pool is tests/faults' case. The requests are held in
the database by a cart row lock the test takes, so the overload is exact, not timed."""

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import Server, assert_error, eventually
from tests.shop import build, ok, product

WAITING = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'
  AND (query ILIKE '%%FROM cart%%' OR query ILIKE '%%UPDATE cart%%')
"""


def waiting(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(WAITING).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    shop = build(admin)
    shop["tee"] = product(admin, shop, "Admission Tee", 10, 100)
    return shop


def new_cart(store: httpx.Client, shop: dict[str, Any]) -> str:
    cart_id: str = ok(store.post("/store/carts", json={"region_id": shop["region"]}))["cart"]["id"]
    return cart_id


class Held:
    """`n` add-to-cart requests on a cart whose row the test holds locked: each occupies a slot of the worker (and a
    database connection) until released."""

    def __init__(self, url: str, headers: dict[str, str], cart_id: str, variant_id: str, n: int) -> None:
        self.answers: list[httpx.Response | BaseException] = []

        def add() -> None:
            try:
                with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
                    r = c.post(f"/store/carts/{cart_id}/line-items", json={"variant_id": variant_id, "quantity": 1})
                self.answers.append(r)
            except BaseException as exc:
                self.answers.append(exc)

        self.threads = [threading.Thread(target=add, daemon=True) for _ in range(n)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=30)


def hold_cart(db_url: str, cart_id: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(db_url)
    conn.execute("SELECT id FROM cart WHERE id = %s FOR UPDATE", (cart_id,))
    return conn


@pytest.fixture(scope="module")
def narrow(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    """A second server on the same database that serves 3 requests at a time."""
    srv = Server(db_url, env={"MAX_IN_FLIGHT": "3"}).start()
    yield srv
    srv.stop()


def test_a_worker_at_capacity_sheds_the_next_request_with_retry_after(
    narrow: Server, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    cart_id = new_cart(store, shop)
    headers = dict(store.headers)
    holder = hold_cart(db_url, cart_id)
    held = Held(narrow.url, headers, cart_id, shop["tee"]["id"], 3)
    try:
        held.start()
        assert eventually(lambda: waiting(db_url) == 3, timeout=10), "the three requests do not wait on the cart"
        with httpx.Client(base_url=narrow.url, headers=headers, timeout=5) as c:
            shed = c.get("/store/regions")
            also = c.post(f"/store/carts/{cart_id}/line-items", json={"variant_id": shop["tee"]["id"], "quantity": 1})
            health = c.get("/health")
        for r in (shed, also):
            assert_error(r, 503, "service_unavailable", "too many requests in flight")
            assert r.headers["retry-after"] == "1"
        assert health.status_code == 200  # probes still see the worker alive
    finally:
        holder.rollback()
        holder.close()
        held.join()
    assert [a.status_code for a in held.answers if isinstance(a, httpx.Response)] == [200, 200, 200], held.answers
    # Capacity again once the held requests are done; the cart got exactly the three admitted units.
    with httpx.Client(base_url=narrow.url, headers=headers, timeout=5) as c:
        assert c.get("/store/regions").status_code == 200
        items = ok(c.get(f"/store/carts/{cart_id}"))["cart"]["items"]
    assert sum(i["quantity"] for i in items) == 3
    metrics = httpx.get(f"{narrow.url}/metrics").text
    assert 'route="shed",status="503"' in metrics
