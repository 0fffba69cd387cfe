"""Stock for the storefront's `variants.inventory_quantity`: read per request for the variants a page, product or
cart needs, and kept per worker variant by variant in a cache bounded in bytes — never every level of the catalog.

A variant's entry holds what engine.availability reads of it: whether its stock is managed (and allow_backorder),
its live inventory items with their required_quantity, and each item's available units (stocked - reserved) per
stock location. Which locations serve which sales channel is a small model of its own (`Cached`). A change of levels
NOTIFYs the variants it moves on `commerce_stock` (migrations/0045): those entries leave every worker's cache, so
the next request reads them again; a change of a variant's links or settings drops them all. Quantities are
computed per request for the caller's sales channels; product pages carry them through `Slotted` bodies, so a cached
page is re-spliced, not re-rendered, when stock moves. An add-to-cart checks the entries of this cache, reading
those it lacks on its own connection (`StockReads`)."""

import asyncio
import itertools
import logging
from array import array
from collections.abc import Collection, Iterable, Sequence
from time import monotonic
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from commerce.db import replica
from commerce.db.changes import Cached, ChangeFeed

log = logging.getLogger("commerce.stock")
CHANNEL = "commerce_stock"  # migrations/0045: the variants whose levels a commit changed
_NULL = b"null"
_versions = itertools.count(1)

# A change here may move any variant's entry (its links, manage_inventory, allow_backorder): all are dropped.
VARIANT_TABLES = ("product_variant_inventory_item", "product_variant")
LOCATION_TABLES = ("stock_location_sales_channel", "stock_location")

# One statement for a set of variants: each live one with its live items' levels (no row for an unknown or deleted
# variant: not managed, as for the engine). Written as per-variant index lookups (LATERAL, a scalar subquery for
# the item's deleted_at): a planner misjudging tables not analysed yet (a freshly seeded store) cannot turn it into
# scans of every link. For a list of ids given, they come through a scalar subquery, so the planner cannot count them:
# with `ANY(%s)` it saw each call's array, found a plan for its 1-4 ids cheaper than the generic one (costed for 10)
# and planned this statement afresh on every run (~0.55 ms of PostgreSQL CPU, 5/6 of the statement, once per
# add-to-cart); this way the prepared statement's generic plan is used (measured: 146 µs per run for one id, 266 µs
# for four, was 655/719).
LEVELS = """
FROM product_variant v
LEFT JOIN LATERAL (
    SELECT l.inventory_item_id, l.required_quantity, t.location_id,
           t.stocked_quantity - t.reserved_quantity AS available
    FROM product_variant_inventory_item l
    LEFT JOIN inventory_level_total t ON t.inventory_item_id = l.inventory_item_id AND t.deleted_at IS NULL
    WHERE l.variant_id = v.id
      AND (SELECT i.deleted_at FROM inventory_item i WHERE i.id = l.inventory_item_id) IS NULL
) x ON v.manage_inventory
WHERE v.id = ANY({}) AND v.deleted_at IS NULL
"""
COLUMNS = (
    "v.id, v.manage_inventory, v.allow_backorder, x.inventory_item_id, x.required_quantity, x.location_id, x.available"
)
VARIANTS = "SELECT " + COLUMNS + LEVELS.format("(SELECT %s::text[])::text[]")
# The same rows for a catalog_product row's variants, as one JSON array of arrays (a column of a statement that reads
# documents: catalog.documents, a product page by handle reads its stock in the same round trip); text, which the
# reader decodes with msgspec (psycopg's json loader is the standard library's).
VARIANTS_OF_ROW = "(SELECT json_agg(json_build_array(" + COLUMNS + "))::text" + LEVELS.format("variant_ids") + ")"
CHANNEL_LOCATIONS = """
SELECT c.sales_channel_id, c.stock_location_id FROM stock_location_sales_channel c
JOIN stock_location s ON s.id = c.stock_location_id AND s.deleted_at IS NULL
"""


class VariantStock:
    """One variant's part of the stock: `backorder` None when its stock is not managed; `items`: (required units,
    ((location, available), ...)) per live inventory item."""

    __slots__ = ("backorder", "items", "nbytes")

    def __init__(self, backorder: bool | None, items: tuple[tuple[int, tuple[tuple[str, int], ...]], ...]) -> None:
        self.backorder = backorder
        self.items = items
        self.nbytes = 120 + sum(80 + 90 * len(levels) for _, levels in items)  # for the cache's byte budget


UNMANAGED = VariantStock(None, ())


def _entries(rows: Iterable[Sequence[Any]]) -> dict[str, VariantStock]:
    """VARIANTS' rows as entries."""
    backorder: dict[str, bool | None] = {}
    items: dict[str, dict[str, tuple[int, list[tuple[str, int]]]]] = {}
    for vid, managed, allow_backorder, item, required, location, available in rows:
        if not managed:
            backorder[vid] = None
            continue
        backorder[vid] = bool(allow_backorder)
        if item is None:
            continue
        at = items.setdefault(vid, {}).setdefault(item, (int(required), []))
        if location is not None:
            at[1].append((location, int(available)))
    out = {}
    for vid, allows in backorder.items():
        if allows is None:
            out[vid] = UNMANAGED
        else:
            linked = items.get(vid, {})
            out[vid] = VariantStock(allows, tuple((req, tuple(levels)) for _, (req, levels) in sorted(linked.items())))
    return out


async def read_variants(conn: AsyncConnection[Any], variant_ids: Collection[str]) -> dict[str, VariantStock]:
    """These variants' entries, read now on this connection (one statement); unknown ones are not managed."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(VARIANTS, (list(variant_ids),))
    return entries_of(await cur.fetchall(), variant_ids)


def entries_of(rows: Iterable[Sequence[Any]], variant_ids: Iterable[str]) -> dict[str, VariantStock]:
    """VARIANTS' rows (or VARIANTS_OF_ROW's) as these variants' entries; those without a row are not managed."""
    found = _entries(rows)
    return {vid: found.get(vid, UNMANAGED) for vid in variant_ids}


async def load_channel_locations(pool: AsyncConnectionPool[Any]) -> dict[str, frozenset[str]]:
    """The live stock locations serving each sales channel."""
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(CHANNEL_LOCATIONS)
        rows = await cur.fetchall()
    served: dict[str, set[str]] = {}
    for channel_id, location_id in rows:
        served.setdefault(channel_id, set()).add(location_id)
    return {c: frozenset(locs) for c, locs in served.items()}


class Stock:
    """The stock of the variants one request asked for, with which locations serve which channel. `version` changes
    whenever one of them may have (what a Slotted body remembers, not the Stock itself)."""

    def __init__(self, entries: dict[str, VariantStock], served: dict[str, frozenset[str]], version: int) -> None:
        self.entries = entries
        self.served = served
        self.version = version

    def entry(self, variant_id: str) -> VariantStock:
        return self.entries[variant_id]  # a KeyError: the variant was not asked for (a bug in the caller)

    def locations(self, channel_ids: Iterable[str]) -> frozenset[str]:
        """The live stock locations serving any of these sales channels."""
        return frozenset(loc for c in channel_ids for loc in self.served.get(c, ()))

    def manages(self, variant_id: str) -> bool:
        return self.entry(variant_id).backorder is not None

    def allows_backorder(self, variant_id: str) -> bool:
        return bool(self.entry(variant_id).backorder)

    def quantity(self, variant_id: str, channel_ids: Iterable[str]) -> int | None:
        """What the channels' locations can sell of a variant (engine.availability's inventory_quantity): None when
        its stock is not managed; a kit sells the least over its items of available // required; never below 0."""
        return _quantity(self.entry(variant_id), self.locations(channel_ids))

    def sold_out(self, variant_id: str) -> bool:
        """No location has a unit of this managed, non-backorderable variant (a kit: of one of its items)."""
        e = self.entry(variant_id)
        if e.backorder is None or e.backorder:
            return False
        if not e.items:
            return True
        return any(sum(q for _, q in levels) < required for required, levels in e.items)

    def encoded(self, variant_ids: Sequence[str], channel_ids: tuple[str, ...]) -> list[bytes]:
        """Each variant's inventory_quantity as JSON (`null` when its stock is not managed)."""
        locations = self.locations(channel_ids)
        out = []
        for vid in variant_ids:
            q = _quantity(self.entry(vid), locations)
            out.append(_NULL if q is None else b"%d" % q)
        return out


def _quantity(e: VariantStock, locations: frozenset[str]) -> int | None:
    if e.backorder is None:
        return None
    least: int | None = None
    for required, levels in e.items:
        units = sum(q for loc, q in levels if loc in locations) // required
        if least is None or units < least:
            least = units
    return 0 if least is None or least < 0 else least


class StockReads(Stock):
    """The stock a cart change checks, for the variants it meets (`load`): the entries this worker's StockCache holds
    (each dropped by the NOTIFY of a change of its levels, so as fresh as that NOTIFY: milliseconds), the others read
    on the change's own connection (never waiting for a second pooled one) and kept for the next change. Without a
    cache, all are read. The check is Medusa's confirm-inventory, advisory: checkout reserves with one conditional
    UPDATE, so a picture behind by a NOTIFY in flight can let a change through for those milliseconds, never oversell.
    (Read on every add, it was a statement per add: ~150 µs of PostgreSQL CPU, 0.65 ms before VARIANTS' plan fix.)"""

    def __init__(self, served: dict[str, frozenset[str]], cache: "StockCache | None" = None) -> None:
        super().__init__({}, served, next(_versions))
        self.cache = cache

    async def load(self, conn: AsyncConnection[Any], variant_ids: Iterable[str]) -> None:
        wanted = [v for v in dict.fromkeys(variant_ids) if v and v not in self.entries]
        if not wanted:
            return
        if self.cache is None:
            self.entries.update(await read_variants(conn, wanted))
            return
        held, missing = self.cache.held(wanted)
        self.entries.update(held)
        if missing:
            version = self.cache.version
            found = await read_variants(conn, missing)
            self.entries.update(found)
            self.cache.keep(found, version)


class StockCache:
    """This worker's stock: entries of the variants requests asked for, in a byte-bounded LRU, each dropped when a
    NOTIFY names it. While the change feed is down nothing is kept (every request reads). Entries are read on the
    read replica when it shows every change notified so far (db.replica.read), else on the primary."""

    def __init__(self, feed: ChangeFeed, budget_bytes: int) -> None:
        from commerce.catalog.documents import ByteLRU  # documents -> model -> this module: imported when used

        self.cache: ByteLRU[str, VariantStock] = ByteLRU(budget_bytes)
        self.feed = feed
        self.connected = False
        self.changed_at = monotonic()  # when the last change was notified: what a replica must show
        self.version = next(_versions)  # a new one at every invalidation
        self.reads = 0  # statements run for entries (tests count them)
        self.locations = Cached(feed, LOCATION_TABLES, load_channel_locations)
        self._loading: dict[str, asyncio.Task[Any]] = {}
        feed.listen(CHANNEL, self.changed, self.set_connected)
        feed.watch(VARIANT_TABLES, self.clear)

    def __len__(self) -> int:
        """How many variants' stock this worker holds."""
        return len(self.cache)

    # -- invalidation (from the change feed) --
    def changed(self, payload: str) -> None:
        """A commit changed these variants' levels (comma-separated ids, `*` for many)."""
        if payload == "*":
            self.clear()
            return
        self.version = next(_versions)
        self.changed_at = monotonic()
        for vid in payload.split(","):
            self.cache.pop(vid)

    def clear(self) -> None:
        self.version = next(_versions)
        self.changed_at = monotonic()
        self.cache.clear()

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self.clear()

    # -- reads --
    async def get(self, pool: AsyncConnectionPool[Any], variant_ids: Sequence[str]) -> Stock:
        """These variants' stock: from the cache, the others in one statement."""
        served = await self.locations.get(pool)
        version = self.version
        entries, missing = self.held(variant_ids)
        if missing:
            self.reads += 1
            wanted = set(missing)

            async def work(source: AsyncConnectionPool[Any]) -> dict[str, VariantStock]:
                async with source.connection() as conn:
                    return await read_variants(conn, wanted)

            found = await replica.read(self.feed.replica, pool, self.changed_at, work)
            entries.update(found)
            if not self.keep(found, version):  # a change was notified meanwhile: this reading is its own version
                version = next(_versions)
        return Stock(entries, served, version)

    def keep(self, found: dict[str, VariantStock], version: int) -> bool:
        """Hold entries read since the cache was at `version`, unless a change was notified since (the entries may
        predate it) or none can be (the feed is down); whether they were kept."""
        if not self.connected or version != self.version:
            return False
        for vid, e in found.items():
            self.cache.put(vid, e, e.nbytes)
        return True

    def peek(self, pool: AsyncConnectionPool[Any], variant_ids: Iterable[str]) -> Stock:
        """The entries this worker holds of these variants, without waiting (for a caller that already holds one of
        `pool`'s connections); those it does not hold are read in the background, for the next caller."""
        entries, missing = self.held(variant_ids)
        missing = [v for v in missing if v not in self._loading]
        if missing and self.connected:
            task = asyncio.get_running_loop().create_task(self.get(pool, missing), name="commerce-stock-peek")
            for vid in missing:
                self._loading[vid] = task
            ids = tuple(missing)

            def loaded(t: "asyncio.Task[Any]") -> None:
                self._loaded(t, ids)

            task.add_done_callback(loaded)
        served = self.locations.peek(pool) or {}
        return Stock(entries, served, next(_versions))

    def held(self, variant_ids: Iterable[str]) -> tuple[dict[str, VariantStock], list[str]]:
        """The entries this worker holds of these variants (none while the feed is down), and the ids it does not."""
        entries: dict[str, VariantStock] = {}
        missing = []
        for vid in variant_ids:
            hit = self.cache.get(vid) if self.connected else None
            if hit is None:
                missing.append(vid)
            else:
                entries[vid] = hit
        return entries, missing

    def _loaded(self, task: "asyncio.Task[Any]", variant_ids: tuple[str, ...]) -> None:
        for vid in variant_ids:
            if self._loading.get(vid) is task:
                del self._loading[vid]
        if not task.cancelled() and task.exception() is not None:
            log.warning("background stock read failed: %s", task.exception())

    async def for_cart(self, pool: AsyncConnectionPool[Any]) -> StockReads:
        """An empty StockReads for a cart change (which locations serve which channel: from this worker's model),
        answering from this cache where it can."""
        return StockReads(await self.locations.get(pool), self)


# --- bodies with inventory_quantity slots ------------------------------------------------------------------------
# Rendered pages carry this string where a variant's inventory_quantity goes. PostgreSQL's text and jsonb cannot
# hold U+0000, so no product data ever encodes to it.
MARK_VALUE = "\x00inventory_quantity"
MARK = msgspec.json.encode(MARK_VALUE)


class Slotted:
    """A response body with a slot per variant's inventory_quantity (in `variant_ids` order). `render` fills the
    slots from a Stock; it keeps the last rendering and re-splices only when the stock (a new version after each
    reload) or the channels differ, so a cached page costs one join per stock change, and nothing otherwise."""

    __slots__ = ("body", "channel_ids", "spans", "stock_version", "variant_ids")

    def __init__(self, template: bytes, variant_ids: list[str]) -> None:
        self.body = template
        self.variant_ids = variant_ids
        self.stock_version = 0
        self.channel_ids: tuple[str, ...] = ()
        # Start and end offsets of each slot's value in `body`.
        self.spans = array("q")
        at = template.find(MARK)
        while at >= 0:
            self.spans.extend((at, at + len(MARK)))
            at = template.find(MARK, at + len(MARK))
        if len(self.spans) != 2 * len(variant_ids):
            raise RuntimeError("inventory_quantity slots and variants differ")

    @property
    def needs_stock(self) -> bool:
        return bool(self.variant_ids)

    def render(self, stock: Stock | None, channel_ids: tuple[str, ...]) -> bytes:
        if not self.variant_ids:
            return self.body
        if stock is None:
            raise ValueError("this body needs the stock")
        if stock.version == self.stock_version and channel_ids == self.channel_ids:
            return self.body
        values = stock.encoded(self.variant_ids, channel_ids)
        view = memoryview(self.body)
        parts: list[Any] = []
        spans = array("q")
        prev = size = 0
        spans_in = self.spans
        for n, value in enumerate(values):
            start, end = spans_in[2 * n], spans_in[2 * n + 1]
            parts.append(view[prev:start])
            size += start - prev
            spans.extend((size, size + len(value)))
            parts.append(value)
            size += len(value)
            prev = end
        parts.append(view[prev:])
        body = b"".join(parts)
        self.body, self.spans, self.stock_version, self.channel_ids = body, spans, stock.version, channel_ids
        return body
