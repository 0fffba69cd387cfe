"""Hot-row ceiling: reservations per second on ONE SKU at one location (a flash sale), the level one row vs split
into buckets (migrations/0040), measured on the database alone, in one run.

Each of CONNECTIONS asyncio connections runs reservations back to back for DURATION, each in a transaction shaped like
the checkout's: the reservation statement the checkout runs (commerce.inventory.repository.RESERVE), then HOLD of
other work while the transaction holds the row (the checkout goes on to register promotions, authorize the payment
and mark the cart: ~2 ms here), then COMMIT. The level has far more units than any run takes, so every reservation
succeeds. `bare UPDATE` is the conditional UPDATE alone in autocommit (DESIGN.md's ~2.7k/s figure).

    .venv/bin/python bench/hot_row.py   # HOT_ROW_DURATION=5 HOT_ROW_CONNECTIONS=32 HOT_ROW_BUCKETS=8,32
"""

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import harness
from results import default_command, load_average, table, update_section

SECTION = "hot-row"
TITLE = "hot-row: reservations/s on one SKU, one level row vs split into buckets"
ENV_NAMES = ("HOT_ROW_DURATION", "HOT_ROW_CONNECTIONS", "HOT_ROW_BUCKETS", "HOT_ROW_HOLD_MS")
UNITS = 100_000_000
BARE = """
UPDATE inventory_level SET reserved_quantity = reserved_quantity + 1
WHERE inventory_item_id = %s AND location_id = %s AND stocked_quantity - reserved_quantity >= 1
"""


@dataclass
class Run:
    label: str
    buckets: int
    done: int
    seconds: float
    failed: int

    @property
    def per_s(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


async def _prepare(db_url: str, buckets: int) -> tuple[str, str]:
    """A fresh item with UNITS units at one location, its level split into `buckets`."""
    import psycopg

    from commerce.ids import new_id
    from commerce.inventory import repository as repo

    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        item, location = new_id("iitem"), new_id("sloc")
        await conn.execute("INSERT INTO inventory_item (id, sku) VALUES (%s, %s)", (item, item))
        await conn.execute(
            "INSERT INTO inventory_level (id, inventory_item_id, location_id, stocked_quantity) "
            "VALUES (%s, %s, %s, %s)",
            (new_id("iilev"), item, location, UNITS),
        )
        if buckets:
            await repo.set_buckets(conn, item, location, buckets)
    return item, location


async def _run(db_url: str, label: str, buckets: int, connections: int, seconds: float, hold_s: float) -> Run:
    import psycopg

    from commerce.ids import new_id
    from commerce.inventory import repository as repo

    item, location = await _prepare(db_url, buckets)
    conns = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in range(connections)]
    done = failed = 0
    stop = time.perf_counter() + seconds

    async def worker(conn: Any) -> None:
        nonlocal done, failed
        while time.perf_counter() < stop:
            if label == "bare UPDATE":
                cur = await conn.execute(BARE, (item, location))
                ok = cur.rowcount == 1
            else:
                async with conn.transaction():
                    row = {
                        "id": new_id("resitem"),
                        "inventory_item_id": item,
                        "location_id": location,
                        "quantity": 1,
                        "line_item_id": None,
                    }
                    ok = (await repo.reserve(conn, [row]))[0] is not None
                    if hold_s:
                        await conn.execute("SELECT pg_sleep(%s)", (hold_s,))
            if ok:
                done += 1
            else:
                failed += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in conns))
    finally:
        for c in conns:
            await c.close()
    return Run(label, buckets, done, time.perf_counter() - started, failed)


def measure(db_url: str, connections: int, seconds: float, buckets: list[int], hold_ms: float) -> list[Run]:
    import uvloop

    runs = []
    plan = [("bare UPDATE", 0, 0.0), ("one row", 0, hold_ms / 1000)]
    plan += [(f"split in {n}", n, hold_ms / 1000) for n in buckets]
    for label, n, hold in plan:
        run = uvloop.run(_run(db_url, label, n, connections, seconds, hold))
        harness.log(f"{label}: {run.per_s:,.0f} reservations/s ({run.failed} failed)")
        runs.append(run)
    return runs


def render(runs: list[Run], connections: int, seconds: float, hold_ms: float, load_before: str) -> str:
    base = next((r for r in runs if r.label == "one row"), None)
    rows = [
        [
            r.label,
            "autocommit, no hold" if r.label == "bare UPDATE" else f"checkout-shaped, {hold_ms:g} ms hold",
            f"{r.per_s:,.0f}",
            f"{r.per_s / base.per_s:.1f}x" if base and base.per_s and r.label != "bare UPDATE" else "—",
            str(r.failed),
        ]
        for r in runs
    ]
    return "\n".join(
        [
            f"- {connections} connections, {seconds:g} s per row of the table, one run; {harness.database_kind()}. "
            f"**The machine was shared with other engineers' builds and tests** (load average before: {load_before}).",
            "- A reservation is the checkout's statement (`inventory.repository.reserve`); in a flash sale every "
            "buyer's transaction holds the level's row lock from its reservation to its commit, so one row admits "
            "about 1 / (hold + commit) buyers per second whatever the server does. Split into N buckets, N buyers "
            "hold N different rows at once.",
            "",
            table(["level", "transaction", "reservations/s", "vs one row", "failed"], rows, "llrrr"),
        ]
    )


def main() -> int:
    seconds = float(os.environ.get("HOT_ROW_DURATION") or 5)
    connections = int(os.environ.get("HOT_ROW_CONNECTIONS") or 32)
    buckets = [int(b) for b in (os.environ.get("HOT_ROW_BUCKETS") or "8,32").split(",") if b.strip()]
    hold_ms = float(os.environ.get("HOT_ROW_HOLD_MS") or 2)
    load_before = load_average()
    with harness.postgres() as server, harness.fresh_database(server, prefix="commerce_hot_row") as db_url:
        runs = measure(db_url, connections, seconds, buckets, hold_ms)
    update_section(
        SECTION,
        render(runs, connections, seconds, hold_ms, load_before),
        title=TITLE,
        command=default_command(ENV_NAMES),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
