"""Flash-sale work that spans the cart, checkout and the stock read model: a sold-out variant is refused from this
worker's memory, before any database work.

The stock read model (catalog.stock) is this worker's picture of every level's available units; PostgreSQL NOTIFYs
`inventory_sold_out` when a level's available quantity reaches zero (migrations/0041), and the app reloads the model at
once on it (not after the usual 100 ms), so every worker knows within milliseconds. What the model says sold out is
refused with the checkout's own answer (400 insufficient_inventory); what it says available is still decided by the
checkout's conditional UPDATE, so a stale picture can refuse a sale for those milliseconds but never oversell."""

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from psycopg_pool import AsyncConnectionPool

from commerce.catalog.stock import Stock
from commerce.db.changes import Cached
from commerce.errors import NotAllowed

log = logging.getLogger("commerce.flash")
SOLD_OUT_NOTICE = "inventory_sold_out"  # the payload of migrations/0041's NOTIFY


class SoldOut:
    """The worker's stock model (one per process; the app hands it over at startup)."""

    def __init__(self) -> None:
        self.stock: Cached[Stock] | None = None
        self.pool: AsyncConnectionPool[Any] | None = None

    def serve(self, stock: "Cached[Stock]", pool: AsyncConnectionPool[Any]) -> None:
        self.stock, self.pool = stock, pool

    async def refuse(self, variant_ids: Iterable[str]) -> None:
        """NotAllowed (insufficient_inventory, as the checkout says it) when a variant is sold out everywhere. The
        model is as fresh as the catalog's (reloaded after a stock change, at most 100 ms behind; at once after a
        sell-out); until the worker has loaded it once, nothing is refused here."""
        if self.stock is None or self.pool is None:
            return
        # peek, not get: the caller may hold a pooled connection already (see Cached.peek).
        stock = self.stock.peek(self.pool)
        if stock is None:
            return
        for vid in variant_ids:
            if stock.sold_out(vid):
                raise NotAllowed(
                    f"Some variant does not have the required inventory: {vid} has 0 available",
                    code="insufficient_inventory",
                )


SOLD_OUT = SoldOut()


async def refuse_sold_out(variant_ids: Iterable[str]) -> None:
    await SOLD_OUT.refuse(variant_ids)


def reload_on_sold_out(stock: "Cached[Any]", pool: AsyncConnectionPool[Any]) -> None:
    """Reload the stock model now (in the background), not at the next throttled refresh."""
    stock.expire()
    task = asyncio.get_running_loop().create_task(stock.get(pool), name="commerce-stock-sold-out")
    task.add_done_callback(_log_failure)


def _log_failure(task: "asyncio.Task[Any]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("stock reload after a sell-out failed: %s", task.exception())
