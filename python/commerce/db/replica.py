"""A streaming read replica for reads that tolerate a little lag (the storefront's cached catalog), with the
primary as the fallback: a replica that is behind by more than `max_lag`, unreachable or promoted serves nothing,
and a read it fails is read again from the primary, so a replica can slow a read down but never fail it.

Lag is measured, not guessed: every `interval` the primary's WAL position is sampled and compared with what the
replica has replayed; the lag is the age of the newest primary sample the replica has passed. A cache reloading
after a NOTIFY needs more than "a little behind": the change it was told about must be on the replica, else it would
keep the old value until the next change. `source(fresh_after)` gives the replica only once it has replayed a
primary position sampled after that moment (NOTIFY is sent after commit, so such a position covers the change)."""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from commerce.db.pool import make_pool, transaction_pooled

log = logging.getLogger("commerce.replica")
PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0')::bigint"
REPLICA_LSN = "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint"
Pool = AsyncConnectionPool[AsyncConnection[TupleRow]]
R = TypeVar("R")


class Replica:
    def __init__(
        self,
        url: str,
        primary: Pool,
        *,
        size: int,
        pooled: bool,
        max_lag: float,
        interval: float = 0.5,
        catch_up: float = 0.2,
    ) -> None:
        # A short acquire timeout: a replica that went away must hand reads to the primary quickly.
        self.pool = make_pool(url, size, pooled=pooled, name="commerce-replica", timeout=2.0)
        self._primary = primary
        self.max_lag = max_lag
        self.interval = interval
        self.catch_up = catch_up  # how long a fenced read waits for the replica before going to the primary
        self.healthy = False
        self._replayed = -1
        self._samples: deque[tuple[float, int]] = deque(maxlen=64)  # (when, primary LSN), oldest first
        self._caught_up_at = float("-inf")
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.pool.open(wait=False)
        self._task = asyncio.create_task(self._watch(), name="commerce-replica-lag")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.pool.close()

    def lag(self) -> float:
        """Seconds the replica is behind the primary, as last measured (to within `interval`)."""
        return monotonic() - self._caught_up_at

    def usable(self) -> bool:
        return self.healthy and self.lag() <= self.max_lag

    def failed(self, exc: BaseException) -> None:
        """A read on the replica failed: the primary serves until the next measurement finds the replica again."""
        if self.healthy:
            log.warning("read replica failed (%s); reading from the primary", exc)
        self.healthy = False

    async def source(self, fresh_after: float | None = None) -> Pool | None:
        """The replica's pool when it may serve this read, else None (read from the primary). With `fresh_after`
        (a monotonic time), only a replica that shows every commit made before that moment."""
        if not self.usable():
            return None
        if fresh_after is None:
            return self.pool
        try:
            fence = await self._fence(fresh_after)
            deadline = monotonic() + self.catch_up
            while self._replayed < fence:
                if monotonic() >= deadline:
                    return None
                await self._measure_replica()
                if self._replayed < fence:
                    await asyncio.sleep(0.005)
        except Exception as exc:
            self.failed(exc)
            return None
        return self.pool

    async def _fence(self, after: float) -> int:
        """A primary WAL position sampled at or after `after`."""
        if self._samples and self._samples[-1][0] >= after:
            return self._samples[-1][1]
        return await self._sample_primary()

    async def _sample_primary(self) -> int:
        taken = monotonic()
        async with self._primary.connection() as conn:
            row = await (await conn.execute(PRIMARY_LSN)).fetchone()
        assert row is not None
        lsn = int(row[0])
        if not self._samples or taken >= self._samples[-1][0]:
            self._samples.append((taken, lsn))
        return lsn

    async def _measure_replica(self) -> None:
        async with self.pool.connection() as conn:
            row: Any = await (await conn.execute(REPLICA_LSN)).fetchone()
        in_recovery, replayed = row
        if not in_recovery or replayed is None:  # promoted, or not a standby at all: its data is not ours
            raise RuntimeError("DATABASE_REPLICA_URL is not a streaming replica (pg_is_in_recovery() is false)")
        self._replayed = max(self._replayed, int(replayed))
        for taken, lsn in reversed(self._samples):
            if lsn <= self._replayed:
                self._caught_up_at = max(self._caught_up_at, taken)
                break

    async def _watch(self) -> None:
        while True:
            try:
                await self._sample_primary()
            except Exception as exc:  # the primary is away: its own errors are the pool's business
                log.debug("primary WAL position not sampled (%s)", exc)
            try:
                await self._measure_replica()
                if not self.healthy:
                    log.info("read replica in use (%.2f s behind)", self.lag())
                self.healthy = True
            except Exception as exc:
                self.failed(exc)
            await asyncio.sleep(self.interval)


async def make_replica(url: str | None, primary: Pool, size: int, pooling: str, max_lag: float) -> Replica | None:
    """The replica for DATABASE_REPLICA_URL (None when unset); `pooling` is DATABASE_POOLING."""
    if not url:
        return None
    try:
        pooled = await transaction_pooled(pooling, url, wait=0)
    except Exception as exc:  # unreachable now, it may come back: meanwhile the primary serves
        log.warning("read replica unreachable at start (%s)", exc)
        pooled = pooling != "none"  # the safe guess: without prepared statements
    return Replica(url, primary, size=size, pooled=pooled, max_lag=max_lag)


async def read(replica: "Replica | None", primary: Pool, fresh_after: float, work: Callable[[Pool], Awaitable[R]]) -> R:
    """`work` on the replica when there is one that already shows every change notified up to `fresh_after` (so
    nothing stale is cached from it), else on the primary; a read the replica fails is done again on the primary."""
    source = await replica.source(fresh_after=fresh_after) if replica is not None else None
    if source is not None:
        try:
            return await work(source)
        except (psycopg.Error, PoolTimeout) as exc:  # gone, or a read cancelled by a recovery conflict
            assert replica is not None
            replica.failed(exc)
    return await work(primary)
