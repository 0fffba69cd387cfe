"""Domain events: in-process subscribers, and the outbox that hands them committed events.

There is no mail sender: the default subscriber logs each event, with its secrets (a password reset's `token`)
redacted, so the log tells that a reset was requested, never how to perform it. Register more subscribers with
`subscribe`, or name them in EVENT_SUBSCRIBERS (`package.module:function`, comma-separated; a mail sender is one);
a subscriber may be a plain function or a coroutine function `(name, data)`.

Two ways to raise an event:
- `await enqueue(conn, name, data)` writes it to the outbox table in the caller's transaction: it is delivered after
  commit, never for a rolled-back change, at least once (a subscriber may see an event again after a crash or a
  failure of another subscriber, so subscribers should be idempotent). Every domain change uses this.
- `emit(name, data)` calls the subscribers now, in the request, swallowing their errors (a password reset: there is
  no transaction to wait for).

Delivery: each worker runs one `Outbox` loop (started by the app). It wakes on the change feed's NOTIFY from the
outbox table, or every `interval` seconds, and claims due rows with one statement (`FOR UPDATE SKIP LOCKED`, pushing
`available_at` forward by a lease), so two workers never deliver one row at the same time. A row whose subscribers
all succeed is marked delivered; one whose subscriber raises comes back after an exponential backoff, and after
`max_attempts` it is kept with `failed_at` and `last_error`.
"""

import asyncio
import importlib
import inspect
import json
import logging
import math
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb, set_json_loads
from psycopg_pool import AsyncConnectionPool

from commerce.ids import new_id

log = logging.getLogger("commerce.events")
Subscriber = Callable[[str, dict[str, Any]], Awaitable[None] | None]
_subscribers: list[Subscriber] = []
SECRET_FIELDS = frozenset({"token", "password"})  # never written to the log


def subscribe(subscriber: Subscriber) -> None:
    _subscribers.append(subscriber)


def load_subscribers(specs: str) -> None:
    """Subscribe the functions named `package.module:function` (comma-separated), once each."""
    for spec in filter(None, (part.strip() for part in specs.split(","))):
        module, _, name = spec.partition(":")
        if not name:
            raise SystemExit(f"EVENT_SUBSCRIBERS: {spec!r} is not 'package.module:function'")
        subscriber = getattr(importlib.import_module(module), name)
        if subscriber not in _subscribers:
            subscribe(subscriber)


def loggable(data: dict[str, Any]) -> dict[str, Any]:
    """The event's data as the log may show it: secret fields redacted."""
    return {k: "[redacted]" if k in SECRET_FIELDS else v for k, v in data.items()}


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def emit(name: str, data: dict[str, Any]) -> None:
    """Call every subscriber now; a failing one is logged and does not fail the caller. A coroutine subscriber is
    scheduled on the running loop."""
    log.info("event %s %s", name, loggable(data))
    for subscriber in list(_subscribers):
        try:
            result = subscriber(name, data)
            if inspect.isawaitable(result):
                _schedule(name, result)
        except Exception:  # a subscriber's failure must not fail the request that emitted
            log.exception("subscriber failed on %s", name)


def _schedule(name: str, result: Awaitable[None]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop to run it on (a synchronous caller): nothing can await it
        if inspect.iscoroutine(result):
            result.close()
        log.error("coroutine subscriber on %s needs a running event loop", name)
        return
    loop.create_task(_awaited(result)).add_done_callback(partial(_log_failure, name))


async def _awaited(result: Awaitable[None]) -> None:
    await result


def _log_failure(name: str, task: "asyncio.Future[Any]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("subscriber failed on %s", name, exc_info=task.exception())


async def deliver(name: str, data: dict[str, Any]) -> None:
    """Call every subscriber (awaiting coroutine ones); when any raised, raise the first error after all ran, so
    one failing subscriber does not starve the others."""
    log.info("event %s %s", name, loggable(data))
    failure: Exception | None = None
    for subscriber in list(_subscribers):
        try:
            result = subscriber(name, data)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log.exception("subscriber failed on %s", name)
            failure = failure or exc
    if failure is not None:
        raise failure


# The outbox ---------------------------------------------------------------------------------------------------------

TABLE = "event_outbox"
_encoder = msgspec.json.Encoder(decimal_format="number")
_EXACT_JSON = partial(json.loads, parse_float=Decimal)  # money in event data stays exact

INSERT = "INSERT INTO event_outbox (id, name, data) VALUES (%s, %s, %s)"
# One statement is the whole claim: lock due rows no other deliverer holds, and lease them by moving available_at.
CLAIM = """
UPDATE event_outbox SET attempts = attempts + 1, available_at = now() + make_interval(secs => %(lease)s)
WHERE id IN (
    SELECT id FROM event_outbox
    WHERE delivered_at IS NULL AND failed_at IS NULL AND available_at <= now()
    ORDER BY available_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id, name, data, attempts
"""
MARK_DELIVERED = "UPDATE event_outbox SET delivered_at = now(), last_error = NULL WHERE id = ANY(%s)"
MARK_FAILED = """
UPDATE event_outbox SET last_error = %(error)s,
       available_at = now() + make_interval(secs => %(delay)s),
       failed_at = CASE WHEN attempts >= %(max_attempts)s THEN now() END
WHERE id = %(id)s
"""
PURGE = "DELETE FROM event_outbox WHERE delivered_at < now() - make_interval(days => %s)"


async def enqueue(conn: AsyncConnection[Any], name: str, data: dict[str, Any]) -> None:
    """Write an event to the outbox in the caller's transaction; it is delivered once that commits."""
    await conn.execute(INSERT, (new_id("event"), name, Jsonb(data, dumps=_dumps)))


def _dumps(obj: Any) -> str:
    return _encoder.encode(obj).decode()


class Outbox:
    """One worker's delivery loop over the outbox table."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        interval: float = 0.2,
        batch: int = 50,
        max_attempts: int = 10,
        backoff: float = 1.0,
        max_backoff: float = 3600.0,
        lease: float = 60.0,
        keep_days: int = 7,
        dispatch: Callable[[str, dict[str, Any]], Awaitable[None]] = deliver,
    ) -> None:
        self._pool = pool
        self.interval = interval
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.lease = lease
        self.keep_days = keep_days
        self._dispatch = dispatch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Deliver now rather than at the next poll (called on the change feed's NOTIFY)."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="commerce-outbox")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: backoff, doubled per attempt, capped."""
        return float(min(self.max_backoff, self.backoff * math.pow(2, max(0, attempts - 1))))

    async def deliver_once(self) -> int:
        """Claim one batch of due events and deliver it; returns how many were claimed."""
        async with self._pool.connection() as conn:
            cur = conn.cursor()
            set_json_loads(_EXACT_JSON, cur)
            await cur.execute(CLAIM, {"lease": self.lease, "limit": self.batch})
            rows = sorted(await cur.fetchall(), key=lambda r: r[0])  # ids are ULIDs: the order they were written
        delivered: list[str] = []
        failed: list[tuple[str, int, str]] = []
        for event_id, name, data, attempts in rows:
            try:
                await self._dispatch(name, data)
            except Exception as exc:
                failed.append((event_id, attempts, f"{type(exc).__name__}: {exc}"[:2000]))
            else:
                delivered.append(event_id)
        if delivered or failed:
            async with self._pool.connection() as conn:
                if delivered:
                    await conn.execute(MARK_DELIVERED, (delivered,))
                for event_id, attempts, error in failed:
                    if attempts >= self.max_attempts:
                        log.error("event %s gave up after %d attempts: %s", event_id, attempts, error)
                    await conn.execute(
                        MARK_FAILED,
                        {
                            "id": event_id,
                            "error": error,
                            "delay": self.delay(attempts),
                            "max_attempts": self.max_attempts,
                        },
                    )
        return len(rows)

    async def drain(self) -> int:
        """Deliver until nothing is due; returns how many were claimed."""
        total = 0
        while True:
            claimed = await self.deliver_once()
            total += claimed
            if claimed < self.batch:
                return total

    async def purge(self) -> None:
        """Drop delivered events older than `keep_days`."""
        async with self._pool.connection() as conn:
            await conn.execute(PURGE, (self.keep_days,))

    async def _run(self) -> None:
        try:
            await self.purge()
        except Exception as exc:
            log.warning("outbox purge failed (%s)", exc)
        while True:
            self._wake.clear()  # before draining: a NOTIFY that lands while we drain runs the loop again
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again at the next tick
                log.warning("outbox delivery failed (%s); retrying", exc)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
