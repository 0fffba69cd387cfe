"""Prices for the storefront, from the engine. The price lists, the price preferences and the prices of price sets
that are not a variant's (shipping options: few) are one PriceIndex per worker, rebuilt when a price table changes;
variants' prices are not held whole (a catalog of 100,000 products has millions): a page or a cart reads the prices
of the sets it shows, in one statement, and prices them with an index of just those. The encoded calculated prices
are memoised per pricing context until the next price-list window boundary, within MEMO_SIZE entries."""

import bisect
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce import engine, pricing
from commerce.catalog import model, source
from commerce.catalog.documents import ByteLRU

_encode = msgspec.json.Encoder(decimal_format="number").encode
MEMO_SIZE = 20_000
SET_INDEXES_SIZE = 1_000  # engine indexes of a cart's sets, by the sets (a few KB each)
SET_ROWS_SIZE = 4_000  # price sets whose rows a worker keeps for cart changes (a few rows of ~1 KB each)


def _price(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "amount": p["amount"],
        "currency_code": p["currency_code"],
        "min_quantity": p["min_quantity"],
        "max_quantity": p["max_quantity"],
        "rules": p["rules"] or {},
    }


class Prices:
    def __init__(self, source: dict[str, list[dict[str, Any]]]) -> None:
        self.lists: dict[str, dict[str, Any]] = {
            row["id"]: {
                "id": row["id"],
                "type": row["type"],
                "status": row["status"],
                "starts_at": row["starts_at"],
                "ends_at": row["ends_at"],
                "rules": row["rules"] or {},
            }
            for row in source["lists"]
        }
        self.preferences = [
            {"attribute": r["attribute"], "value": r["value"], "is_tax_inclusive": r["is_tax_inclusive"]}
            for r in source["preferences"]
        ]
        self.index = self._index(source["prices"])
        # Instants where a list starts or ends: memoised prices are valid only until the next one.
        self.boundaries = sorted({t for lst in self.lists.values() for t in (lst["starts_at"], lst["ends_at"]) if t})
        self.memo: dict[tuple[Any, ...], bytes | None] = {}
        # Price rows of variants' sets as cart changes read them (least recently used first out).
        # Both bounded by count: each entry costs 1 of its LRU's budget.
        self.set_rows: ByteLRU[str, list[dict[str, Any]]] = ByteLRU(SET_ROWS_SIZE)
        self.set_indexes: ByteLRU[tuple[str, ...], engine.PriceIndex] = ByteLRU(SET_INDEXES_SIZE)  # from those rows
        self.memo_until: datetime | None = None

    def _index(self, rows: Iterable[dict[str, Any]]) -> engine.PriceIndex:
        """An engine index of these price rows, with every price list and preference."""
        sets: dict[str, list[dict[str, Any]]] = {}
        listed: dict[str, list[dict[str, Any]]] = {list_id: [] for list_id in self.lists}
        for p in rows:
            if p["price_list_id"] is None:
                sets.setdefault(p["price_set_id"], []).append(_price(p))
            elif p["price_list_id"] in listed:
                listed[p["price_list_id"]].append({**_price(p), "price_set_id": p["price_set_id"]})
        return engine.PriceIndex(
            price_sets=[{"id": k, "prices": v} for k, v in sets.items()],
            price_lists=[{**lst, "prices": listed[list_id]} for list_id, lst in self.lists.items()],
            price_preferences=self.preferences,
        )

    def _index_of_rows(self, rows: Iterable[Any], wanted: set[str]) -> engine.PriceIndex:
        """`_index` of documents.PriceRow rows, those of the `wanted` sets."""
        return self._index(msgspec.structs.asdict(r) for r in rows if r.price_set_id in wanted)

    async def index_for(
        self, conn: AsyncConnection[Any], set_ids: Iterable[str], *, cached: bool = False
    ) -> engine.PriceIndex:
        """An engine index of these price sets (a page's or a cart's variants), read in one statement; with `cached`,
        the sets' price rows this worker read before are not read again (this object is replaced at any price
        change, and its rows with it)."""
        wanted = sorted(set(set_ids))
        if not cached:
            return self._index(await pricing.service.prices_of_sets(conn, wanted))
        key = tuple(wanted)
        index = self.set_indexes.get(key)
        if index is not None:  # the same variants as a cart change before (the next change of a cart, mostly)
            return index
        rows: list[dict[str, Any]] = []
        missing = []
        for set_id in wanted:
            hit = self.set_rows.get(set_id)
            if hit is None:
                missing.append(set_id)
            else:
                rows.extend(hit)
        if missing:
            fetched = await pricing.service.prices_of_sets(conn, missing)
            by_set: dict[str, list[dict[str, Any]]] = {s: [] for s in missing}
            for p in fetched:
                by_set[p["price_set_id"]].append(p)
            for set_id, set_rows in by_set.items():
                self.set_rows.put(set_id, set_rows, 1)
            rows.extend(fetched)
        index = self._index(rows)
        self.set_indexes.put(key, index, 1)
        return index

    def _expire(self, now: datetime) -> None:
        if self.memo_until is None or now >= self.memo_until or len(self.memo) > MEMO_SIZE:
            self.memo.clear()
            i = bisect.bisect_right(self.boundaries, now)
            self.memo_until = self.boundaries[i] if i < len(self.boundaries) else datetime.max.replace(tzinfo=UTC)

    async def load(
        self, pool: AsyncConnectionPool[Any], set_ids: Iterable[str | None], context: dict[str, Any], key: Any
    ) -> None:
        """Compute and memoise the calculated prices of these sets in this context (what `encoded` then reads)."""
        missing = self._missing(set_ids, context, key)
        if not missing:
            return
        async with pool.connection() as conn:
            index = await self.index_for(conn, missing)
        self._memoise(index, missing, context, key)

    def take(self, rows: Iterable[Any], set_ids: Iterable[str | None], context: dict[str, Any], key: Any) -> None:
        """As `load`, from these sets' price rows read already (documents.PriceRow: a product page's statement read
        them with its documents)."""
        missing = self._missing(set_ids, context, key)
        if not missing:
            return
        self._memoise(self._index_of_rows(rows, set(missing)), missing, context, key)

    def _missing(self, set_ids: Iterable[str | None], context: dict[str, Any], key: Any) -> list[str]:
        """These sets' ids whose prices in this context are not memoised (the memo expired first if it is due)."""
        self._expire(context["now"])
        return sorted({s for s in set_ids if s is not None and (key, s) not in self.memo})

    def _memoise(self, index: engine.PriceIndex, missing: list[str], context: dict[str, Any], key: Any) -> None:
        calculated = index.calculate(missing, context)
        for s in missing:
            cp = calculated.get(s)
            self.memo[(key, s)] = None if cp is None else _encode(cp.to_dict())

    def encoded(self, set_ids: list[str | None], key: Any) -> list[bytes | None]:
        """Medusa's calculated_price JSON for each price set (None when it has no price in this context), as
        `load` memoised it."""
        return [None if s is None else self.memo[(key, s)] for s in set_ids]

    def fresh(self) -> bool:
        """Whether what was computed from this index still holds: no price list has started or ended since."""
        return self.memo_until is not None and datetime.now(UTC) < self.memo_until

    def calculate(self, set_ids: list[str], context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Prices of sets that are not a variant's (shipping options), from the worker's index."""
        return {k: v.to_dict() for k, v in self.index.calculate(set_ids, context).items()}

    async def calculate_sets(
        self, conn: AsyncConnection[Any], set_ids: list[str], context: dict[str, Any]
    ) -> dict[str, engine.CalculatedPrice]:
        """Prices of any sets (a cart's variants), read on the caller's connection."""
        return (await self.index_for(conn, set_ids)).calculate(set_ids, context)


async def load_prices(pool: AsyncConnectionPool[Any]) -> Prices:
    async with pool.connection() as conn:
        rows = {**await pricing.service.index_rules(conn), "prices": await source.load_shared_prices(conn)}
    prices = Prices(rows)
    del rows
    model.release_memory()
    return prices
