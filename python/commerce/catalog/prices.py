"""The engine's PriceIndex for the storefront, built from the pricing module's rows, with the encoded
calculated prices memoised per pricing context until the next price-list window boundary."""

import bisect
from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from commerce import engine, pricing
from commerce.catalog import model

_encode = msgspec.json.Encoder(decimal_format="number").encode
MEMO_SIZE = 200_000


class Prices:
    def __init__(self, source: dict[str, list[dict[str, Any]]]) -> None:
        sets: dict[str, list[dict[str, Any]]] = {}
        lists: dict[str, dict[str, Any]] = {}
        for row in source["lists"]:
            lists[row["id"]] = {
                "id": row["id"],
                "type": row["type"],
                "status": row["status"],
                "starts_at": row["starts_at"],
                "ends_at": row["ends_at"],
                "rules": row["rules"] or {},
                "prices": [],
            }
        for p in source["prices"]:
            price = {
                "id": p["id"],
                "amount": p["amount"],
                "currency_code": p["currency_code"],
                "min_quantity": p["min_quantity"],
                "max_quantity": p["max_quantity"],
                "rules": p["rules"] or {},
            }
            if p["price_list_id"] is None:
                sets.setdefault(p["price_set_id"], []).append(price)
            elif p["price_list_id"] in lists:
                lists[p["price_list_id"]]["prices"].append({**price, "price_set_id": p["price_set_id"]})
        self.index = engine.PriceIndex(
            price_sets=[{"id": k, "prices": v} for k, v in sets.items()],
            price_lists=list(lists.values()),
            price_preferences=[
                {"attribute": r["attribute"], "value": r["value"], "is_tax_inclusive": r["is_tax_inclusive"]}
                for r in source["preferences"]
            ],
        )
        # Instants where a list starts or ends: memoised prices are valid only until the next one.
        self.boundaries = sorted({t for lst in lists.values() for t in (lst["starts_at"], lst["ends_at"]) if t})
        self.memo: dict[tuple[Any, ...], bytes | None] = {}
        self.memo_until: datetime | None = None

    def encoded(self, set_ids: list[str | None], context: dict[str, Any], key: tuple[Any, ...]) -> list[bytes | None]:
        """Medusa's calculated_price JSON for each price set (None when it has no price in this context)."""
        now: datetime = context["now"]
        if self.memo_until is None or now >= self.memo_until:
            self.memo.clear()
            i = bisect.bisect_right(self.boundaries, now)
            self.memo_until = self.boundaries[i] if i < len(self.boundaries) else datetime.max.replace(tzinfo=UTC)
        if len(self.memo) > MEMO_SIZE:
            self.memo.clear()
        missing = [s for s in set_ids if s is not None and (key, s) not in self.memo]
        if missing:
            calculated = self.index.calculate(list(dict.fromkeys(missing)), context)
            for s in missing:
                cp = calculated.get(s)
                self.memo[(key, s)] = None if cp is None else _encode(cp.to_dict())
        return [None if s is None else self.memo[(key, s)] for s in set_ids]

    def fresh(self) -> bool:
        """Whether what was computed from this index still holds: no price list has started or ended since."""
        return self.memo_until is not None and datetime.now(UTC) < self.memo_until

    def calculate(self, set_ids: list[str], context: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {k: v.to_dict() for k, v in self.index.calculate(set_ids, context).items()}


async def load_prices(pool: AsyncConnectionPool[Any]) -> Prices:
    async with pool.connection() as conn:
        source = await pricing.service.index_source(conn)
    prices = Prices(source)
    del source
    model.release_memory()
    return prices
