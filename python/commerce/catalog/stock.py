"""Stock for the storefront's `variants.inventory_quantity`: a small per-worker read model kept apart from the
product catalog, so that a reservation (an UPDATE of inventory_level at every checkout) reloads this — and of this
only the levels, one statement of three columns — never the catalog.

It holds what engine.availability reads: the managed variants (with allow_backorder), each variant's inventory
items with their required_quantity, the live locations serving each sales channel (together: `Structure`, reloaded
only when those tables change), and each item's available units (stocked - reserved) per stock location.
Quantities are computed per request for the caller's sales channels, memoised per set of channels until the next
reload; product pages carry them through `Slotted` bodies, so a cached page is re-spliced, not re-rendered, when
stock moves."""

import itertools
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from commerce.catalog import source
from commerce.db.changes import ChangeFeed

_NULL = b"null"
_MEMO_CHANNEL_SETS = 64
_versions = itertools.count(1)


class Structure:
    """The part of the stock model a reservation does not change."""

    def __init__(
        self,
        variants: Iterable[tuple[str, bool]],
        links: Iterable[tuple[str, str, int]],
        channel_locations: Iterable[tuple[str, str]],
    ) -> None:
        self.backorder: dict[str, bool] = dict(variants)  # managed variants only
        self.items: dict[str, list[tuple[str, int]]] = {}
        for variant_id, item_id, required in links:
            if variant_id in self.backorder:
                self.items.setdefault(variant_id, []).append((item_id, required))
        for items in self.items.values():
            items.sort()
        served: dict[str, set[str]] = {}
        for channel_id, location_id in channel_locations:
            served.setdefault(channel_id, set()).add(location_id)
        self.channel_locations = {c: frozenset(locs) for c, locs in served.items()}


class Stock:
    def __init__(self, structure: Structure, levels: Iterable[tuple[str, str, int]]) -> None:
        self.structure = structure
        self.version = next(_versions)  # what a Slotted body remembers (not the Stock: old ones must be freed)
        self.levels: dict[str, dict[str, int]] = {}
        for item_id, location_id, available in levels:
            at = self.levels.get(item_id)
            if at is None:
                self.levels[item_id] = {location_id: available}
            else:
                at[location_id] = available
        # Per set of sales channels: variant id -> its inventory_quantity as JSON bytes.
        self._memo: dict[tuple[str, ...], tuple[frozenset[str], dict[str, bytes]]] = {}

    def locations(self, channel_ids: Iterable[str]) -> frozenset[str]:
        """The live stock locations serving any of these sales channels."""
        served = self.structure.channel_locations
        return frozenset(loc for c in channel_ids for loc in served.get(c, ()))

    def manages(self, variant_id: str) -> bool:
        return variant_id in self.structure.backorder

    def allows_backorder(self, variant_id: str) -> bool:
        return self.structure.backorder.get(variant_id, False)

    def quantity(self, variant_id: str, channel_ids: Iterable[str]) -> int | None:
        """What the channels' locations can sell of a variant (engine.availability's inventory_quantity): None when
        its stock is not managed; a kit sells the least over its items of available // required; never below 0."""
        return self._quantity(variant_id, self.locations(channel_ids))

    def _quantity(self, variant_id: str, locations: frozenset[str]) -> int | None:
        if variant_id not in self.structure.backorder:
            return None
        least: int | None = None
        levels = self.levels
        for item, required in self.structure.items.get(variant_id, ()):
            available = 0
            at = levels.get(item)
            if at is not None:
                for loc, q in at.items():
                    if loc in locations:
                        available += q
            units = available // required
            if least is None or units < least:
                least = units
        return 0 if least is None or least < 0 else least

    def sold_out(self, variant_id: str) -> bool:
        """No location has a unit of this managed, non-backorderable variant (a kit: of one of its items)."""
        if variant_id not in self.structure.backorder or self.structure.backorder[variant_id]:
            return False
        for item, required in self.structure.items.get(variant_id, ()):
            at = self.levels.get(item)
            if at is None or sum(at.values()) < required:
                return True
        return variant_id not in self.structure.items

    def encoded(self, variant_ids: Sequence[str], channel_ids: tuple[str, ...]) -> list[bytes]:
        """Each variant's inventory_quantity as JSON (`null` when its stock is not managed), memoised."""
        memo = self._memo.get(channel_ids)
        if memo is None:
            if len(self._memo) >= _MEMO_CHANNEL_SETS:
                self._memo.clear()
            memo = self._memo[channel_ids] = (self.locations(channel_ids), {})
        locations, values = memo
        out = []
        for vid in variant_ids:
            value = values.get(vid)
            if value is None:
                q = self._quantity(vid, locations)
                value = values[vid] = _NULL if q is None else b"%d" % q
            out.append(value)
        return out


async def load_stock(pool: AsyncConnectionPool[Any], structure: Structure | None = None) -> Stock:
    """The stock model; with `structure`, only the levels are read (one statement)."""
    async with pool.connection() as conn:
        if structure is None:
            structure = Structure(*await source.load_stock_structure(conn))
        return Stock(structure, await source.load_stock_levels(conn))


class StockLoader:
    """The loader to give `Cached(feed, source.STOCK_TABLES, ...)`: it keeps the Structure until one of its own
    tables changes (or the feed is down), so the reload that follows a reservation reads the levels alone."""

    def __init__(self, feed: ChangeFeed) -> None:
        self._feed = feed
        self._structure: Structure | None = None
        self._generation = 0
        # Registered before any load; the feed also calls this whenever it (re)connects.
        feed.watch(source.STOCK_STRUCTURE_TABLES, self.invalidate_structure)

    def invalidate_structure(self) -> None:
        self._structure = None
        self._generation += 1

    async def __call__(self, pool: AsyncConnectionPool[Any]) -> Stock:
        structure = self._structure if self._feed.connected else None
        if structure is None:
            generation = self._generation
            async with pool.connection() as conn:
                rows = await source.load_stock_structure(conn)
            structure = Structure(*rows)
            # Kept unless a change was notified while it loaded (then Cached reloads anyway, structure too).
            if generation == self._generation and self._feed.connected:
                self._structure = structure
        return await load_stock(pool, structure)


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
