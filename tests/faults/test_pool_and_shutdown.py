"""A full connection pool answers 503 at once, not after a hang; SIGTERM lets the requests in flight finish.

Requests are held in flight the way real traffic holds them: the test takes a cart's row lock in its own
transaction (as a long checkout of that cart would), and requests that change the cart wait for it, each holding one
of the server's pooled connections. With DB_POOL_SIZE=2 two such requests take the whole pool."""

import signal
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import Server, assert_error, eventually
from tests.shop import ok

POOL_SIZE = 2


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    env = {"DB_POOL_SIZE": str(POOL_SIZE), "DB_POOL_TIMEOUT": "1"}
    srv = Server(db_url, env=env).start()
    yield srv
    srv.stop()


def new_cart(store: httpx.Client) -> str:
    region = ok(store.get("/store/regions"))["regions"][0]["id"]
    cart_id: str = ok(store.post("/store/carts", json={"region_id": region}))["cart"]["id"]
    return cart_id


class CartLock:
    """The cart's row lock, held by the test until `release()`; `waiting()` counts the server's requests queued on
    it (each holds a pooled connection while it waits)."""

    def __init__(self, db_url: str, cart_id: str) -> None:
        self.db_url = db_url
        self.conn = psycopg.connect(db_url)
        self.conn.execute("SELECT id FROM cart WHERE id = %s FOR UPDATE", (cart_id,))

    def waiting(self) -> int:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
        return int(row[0]) if row else 0

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def hold(
    pool: ThreadPoolExecutor, store: httpx.Client, lock: CartLock, cart_id: str, n: int
) -> list[Future[httpx.Response]]:
    """`n` requests that change the locked cart, sent now, each waiting on the lock until it is released."""
    url = f"/store/carts/{cart_id}"
    held = [pool.submit(store.post, url, json={"email": f"wait{i}@example.com"}, timeout=60) for i in range(n)]
    assert eventually(lambda: lock.waiting() == n, timeout=10), f"{lock.waiting()} requests wait on the lock"
    return held


def test_a_full_pool_answers_503_with_retry_after_at_once(db_url: str, server: Server, store: httpx.Client) -> None:
    locked, other = new_cart(store), new_cart(store)
    lock = CartLock(db_url, locked)
    try:
        with ThreadPoolExecutor(POOL_SIZE) as pool:
            held = hold(pool, store, lock, locked, POOL_SIZE)
            # Every pooled connection waits on the lock: the next request that needs one is refused while they
            # still wait, not queued behind them.
            busy = store.get(f"/store/carts/{other}", timeout=30)
            assert lock.waiting() == POOL_SIZE and not any(f.done() for f in held)
            body = assert_error(busy, 503, "database_error", "Retry shortly")
            assert busy.headers["retry-after"] == "1", busy.headers
            assert set(body) == {"type", "message"}
            lock.release()
            for answer in held:
                assert answer.result(timeout=30).status_code == 200, answer.result().text
    finally:
        lock.release()
    # The pool is whole again.
    assert ok(store.get(f"/store/carts/{other}"))["cart"]["id"] == other
    assert "Traceback" not in server.log_text()


def test_sigterm_lets_requests_in_flight_finish(db_url: str, seeded: dict[str, str]) -> None:
    """A request in flight when SIGTERM arrives completes with its 200, and the server then exits cleanly."""
    srv = Server(db_url, workers=2).start()
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    try:
        with httpx.Client(base_url=srv.url, headers=headers, timeout=60) as store:
            cart_id = new_cart(store)
            lock = CartLock(db_url, cart_id)
            try:
                with ThreadPoolExecutor(1) as pool:
                    (in_flight,) = hold(pool, store, lock, cart_id, 1)
                    assert srv.proc is not None
                    srv.proc.send_signal(signal.SIGTERM)
                    # The server stops taking new connections while the request still waits ...
                    assert eventually(lambda: refused(srv.url), timeout=10), "still accepting after SIGTERM"
                    assert not in_flight.done() and srv.proc.poll() is None
                    lock.release()
                    # ... and answers it before it exits.
                    answer = in_flight.result(timeout=30)
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["cart"]["email"] == "wait0@example.com"
            finally:
                lock.release()
        assert srv.proc.wait(timeout=30) == 0, srv.log_text()
    finally:
        srv.stop()
    with psycopg.connect(db_url) as conn:
        row: Any = conn.execute("SELECT email FROM cart WHERE id = %s", (cart_id,)).fetchone()
    assert row[0] == "wait0@example.com"


def refused(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False
