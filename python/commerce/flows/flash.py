"""Flash-sale work that spans the cart, checkout and the stock read model: a sold-out variant is refused from this
worker's memory, before any database work; a product with a hold policy (inventory.holds) reserves at add-to-cart,
and every worker sweeps the expired holds back into stock.

The stock read model (catalog.stock) holds each variant a request asked for; a change of its levels NOTIFYs its id
(migrations/0045) and every worker drops it, then reads it again in the background on the next refusal check, so a
sell-out is known within milliseconds. What the model says sold out is refused with the checkout's own answer (400
insufficient_inventory); what it says available, or does not hold, is still decided by the add-to-cart check and
the checkout's conditional UPDATE, so a stale picture can refuse a sale for those milliseconds but never oversell."""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce import product
from commerce.catalog.stock import StockCache
from commerce.errors import NotAllowed
from commerce.inventory import holds

log = logging.getLogger("commerce.flash")


class SoldOut:
    """The worker's stock model (one per process; the app hands it over at startup)."""

    def __init__(self) -> None:
        self.stock: StockCache | None = None
        self.pool: AsyncConnectionPool[Any] | None = None

    def serve(self, stock: StockCache, pool: AsyncConnectionPool[Any]) -> None:
        self.stock, self.pool = stock, pool

    async def refuse(self, variant_ids: Iterable[str]) -> None:
        """NotAllowed (insufficient_inventory, as the checkout says it) when a variant is sold out everywhere, as
        this worker's stock model holds it now; a variant it does not hold is read in the background and not
        refused here."""
        if self.stock is None or self.pool is None:
            return
        # peek, not get: the caller may hold a pooled connection already (see StockCache.peek).
        ids = list(variant_ids)
        stock = self.stock.peek(self.pool, ids)
        for vid in ids:
            if vid in stock.entries and stock.sold_out(vid):
                raise NotAllowed(
                    f"Some variant does not have the required inventory: {vid} has 0 available",
                    code="insufficient_inventory",
                )


SOLD_OUT = SoldOut()


async def refuse_sold_out(variant_ids: Iterable[str]) -> None:
    await SOLD_OUT.refuse(variant_ids)


# --- holds: reserve at add-to-cart ------------------------------------------------------------------------------
def holds_at_add(catalog: Any, policies: Mapping[str, dict[str, Any]], variant_id: str) -> bool:
    """Whether adding this variant to a cart reserves it (its product has a hold time): from memory.
    `catalog`: the catalog read model (catalog.service.Catalog), which knows the variant's product."""
    found = catalog.variants.get(variant_id)
    policy = policies.get(found[0].id) if found is not None else None
    return policy is not None and policy["hold_seconds"] is not None


async def hold(
    conn: AsyncConnection[Any],
    catalog: Any,
    policies: Mapping[str, dict[str, Any]],
    cart: dict[str, Any],
    variant_id: str,
) -> None:
    """Reserve the units of the cart's lines of this variant that are not held yet, until now + its product's hold
    time, in the caller's transaction (with the cart's write: a shortage fails the change, a lost write its holds).
    `cart`: the cart aggregate as it will be written (flows.cart)."""
    if not holds_at_add(catalog, policies, variant_id):
        return
    policy = policies[catalog.variants[variant_id][0].id]
    found = (await product.service.purchasable(conn, [variant_id])).get(variant_id)
    if found is None or not found["manage_inventory"]:
        return
    lines = [i for i in cart["items"] if i["variant_id"] == variant_id]
    have = await holds.held(conn, [str(i["id"]) for i in lines])
    short = [
        {"id": i["id"], "variant_id": variant_id, "quantity": i["quantity"] - have.get(str(i["id"]), 0)}
        for i in lines
        if i["quantity"] > have.get(str(i["id"]), 0)
    ]
    if not short:
        return
    until = datetime.now(UTC) + timedelta(seconds=policy["hold_seconds"])
    extra = {"description": f"Hold of cart {cart['id']}", "external_id": cart["id"], "created_by": "hold"}
    from commerce.flows import checkout  # checkout imports this module (sold-out refusals)

    await checkout.reserve_lines(
        conn, cart["sales_channel_id"], short, {variant_id: found}, {**extra, "expires_at": until}
    )


class Sweeper:
    """This worker's release of expired holds, every `interval` seconds (safe with any number of workers and
    processes: each batch claims its rows FOR UPDATE SKIP LOCKED)."""

    def __init__(self, pool: AsyncConnectionPool[Any], interval: float) -> None:
        self.pool = pool
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="commerce-hold-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                async with self.pool.connection() as conn:
                    while await holds.sweep(conn) == holds.SWEEP_BATCH:
                        pass
            except Exception as exc:  # the next round tries again
                log.warning("hold sweep failed: %s", exc)
