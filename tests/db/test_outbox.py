"""The event outbox against a real PostgreSQL: only committed events are delivered, each once; a failing subscriber
is retried with backoff and given up on after the last attempt; concurrent deliverers never share a row."""

import asyncio
import collections
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from commerce import events
from commerce.db.pool import make_pool


@pytest.fixture
def url(db_url: str) -> Iterator[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM event_outbox")
    yield db_url


@pytest.fixture
def seen() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """What the subscribers were handed, in order."""
    got: list[tuple[str, dict[str, Any]]] = []

    def record(name: str, data: dict[str, Any]) -> None:
        if name.startswith("test."):
            got.append((name, data))

    events.subscribe(record)
    yield got
    events.unsubscribe(record)


def run(url: str, work: Callable[[Any], Awaitable[Any]], **options: Any) -> Any:
    """Run `work(outbox)` with an outbox on its own pool."""

    async def main() -> Any:
        pool = make_pool(url, 4)
        await pool.open(wait=True)
        try:
            return await work(events.Outbox(pool, **options))
        finally:
            await pool.close()

    return asyncio.run(main())


async def _enqueue(url: str, name: str, data: dict[str, Any], *, commit: bool = True) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        try:
            async with conn.transaction():
                await events.enqueue(conn, name, data)
                if not commit:
                    raise RuntimeError("roll back")
        except RuntimeError:
            pass


def _rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT name, data, attempts, delivered_at IS NOT NULL, failed_at IS NOT NULL, last_error "
            "FROM event_outbox ORDER BY id"
        ).fetchall()


def test_a_rolled_back_event_is_never_delivered(url: str, seen: list[Any]) -> None:
    async def work(outbox: events.Outbox) -> int:
        await _enqueue(url, "test.rolled_back", {"n": 1}, commit=False)
        return await outbox.drain()

    assert run(url, work) == 0
    assert seen == [] and _rows(url) == []


def test_a_committed_event_is_delivered_once(url: str, seen: list[Any]) -> None:
    async def work(outbox: events.Outbox) -> tuple[int, int]:
        await _enqueue(url, "test.placed", {"id": "order_1", "total": Decimal("10.50")})
        return await outbox.drain(), await outbox.drain()

    assert run(url, work) == (1, 0)
    assert seen == [("test.placed", {"id": "order_1", "total": Decimal("10.50")})]
    assert str(seen[0][1]["total"]) == "10.50"  # money stays exact through the outbox
    ((name, data, attempts, delivered, failed, error),) = _rows(url)
    assert (name, data, attempts, delivered, failed, error) == ("test.placed", seen[0][1], 1, True, False, None)


def test_a_failing_subscriber_is_retried_with_backoff_then_succeeds(url: str, seen: list[Any]) -> None:
    calls = collections.Counter[str]()

    async def flaky(name: str, data: dict[str, Any]) -> None:
        if name == "test.flaky":
            calls[name] += 1
            if calls[name] < 3:
                raise ConnectionError("mail server down")

    async def work(outbox: events.Outbox) -> list[int]:
        await _enqueue(url, "test.flaky", {"id": "x"})
        claimed = [await outbox.deliver_once()]  # fails
        claimed.append(await outbox.deliver_once())  # not due yet: backing off
        await asyncio.sleep(0.15)
        claimed.append(await outbox.deliver_once())  # fails again
        await asyncio.sleep(0.3)
        claimed.append(await outbox.deliver_once())  # succeeds
        claimed.append(await outbox.deliver_once())  # nothing left
        return claimed

    events.subscribe(flaky)
    try:
        assert run(url, work, backoff=0.1) == [1, 0, 1, 1, 0]
    finally:
        events.unsubscribe(flaky)
    assert calls["test.flaky"] == 3
    # The other subscriber saw the event on every attempt (at least once, not exactly once).
    assert len(seen) == 3
    ((_, _, attempts, delivered, failed, error),) = _rows(url)
    assert (attempts, delivered, failed, error) == (3, True, False, None)


def test_a_subscriber_that_keeps_failing_is_given_up_on(url: str) -> None:
    def broken(name: str, data: dict[str, Any]) -> None:
        if name == "test.broken":
            raise ValueError("template missing")

    async def work(outbox: events.Outbox) -> list[int]:
        await _enqueue(url, "test.broken", {"id": "y"})
        claimed = []
        for _ in range(4):
            claimed.append(await outbox.deliver_once())
            await asyncio.sleep(0.05)
        return claimed

    events.subscribe(broken)
    try:
        assert run(url, work, backoff=0.01, max_attempts=2) == [1, 1, 0, 0]
    finally:
        events.unsubscribe(broken)
    ((_, _, attempts, delivered, failed, error),) = _rows(url)
    assert (attempts, delivered, failed) == (2, False, True)
    assert error == "ValueError: template missing"


def test_backoff_doubles_and_is_capped() -> None:
    outbox = events.Outbox(None, backoff=1.0, max_backoff=30)  # type: ignore[arg-type]
    assert [outbox.delay(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [1, 2, 4, 8, 16, 30, 30]


def test_two_deliverers_never_deliver_one_row_twice(url: str) -> None:
    total = 300
    delivered: collections.Counter[int] = collections.Counter()

    async def count(name: str, data: dict[str, Any]) -> None:
        if name == "test.race":
            delivered[data["n"]] += 1
            await asyncio.sleep(0)  # let the other deliverer run in between

    async def work(first: events.Outbox) -> None:
        pool = make_pool(url, 4)
        await pool.open(wait=True)
        second = events.Outbox(pool, batch=7, interval=0.02)
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                async with conn.transaction():
                    for n in range(total):
                        await events.enqueue(conn, "test.race", {"n": n})
            await first.start()
            await second.start()
            for _ in range(500):
                if sum(delivered.values()) >= total:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # time for a double delivery to show, were there one
        finally:
            await first.stop()
            await second.stop()
            await pool.close()

    events.subscribe(count)
    try:
        run(url, work, batch=5, interval=0.02)
    finally:
        events.unsubscribe(count)
    assert sorted(delivered) == list(range(total))
    assert set(delivered.values()) == {1}
    rows = _rows(url)
    assert len(rows) == total and all(r[3] and r[2] == 1 for r in rows)


def test_emit_still_calls_the_subscribers_now_and_swallows_their_errors() -> None:
    got: list[str] = []

    def ok(name: str, data: dict[str, Any]) -> None:
        got.append(name)

    def bad(name: str, data: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    events.subscribe(bad)
    events.subscribe(ok)
    try:
        events.emit("auth.password_reset", {"token": "t"})
    finally:
        events.unsubscribe(bad)
        events.unsubscribe(ok)
    assert got == ["auth.password_reset"]
