"""The store: name, supported currencies (exactly one default) and default region / sales channel."""

from typing import Any

from psycopg import AsyncConnection

from commerce import currency, region, sales_channel
from commerce.errors import InvalidData, NotFound
from commerce.ids import new_id
from commerce.store import repository as repo
from commerce.store.schemas import Store, StoreCurrency, StoreListQuery, SupportedCurrency, UpdateStore
from commerce.structs import given


def _not_found(store_id: str) -> NotFound:
    return NotFound(f"Store with id: {store_id} was not found")


async def create(
    conn: AsyncConnection[Any],
    name: str,
    currencies: list[SupportedCurrency],
    default_sales_channel_id: str | None = None,
    default_region_id: str | None = None,
) -> Store:
    async with conn.transaction():
        row = await repo.insert(
            conn,
            {
                "id": new_id("store"),
                "name": name,
                "default_sales_channel_id": default_sales_channel_id,
                "default_region_id": default_region_id,
            },
        )
        await _set_currencies(conn, row["id"], currencies)
        return (await _assemble(conn, [row]))[0]


async def retrieve(conn: AsyncConnection[Any], store_id: str) -> Store:
    row = await repo.get(conn, store_id)
    if row is None:
        raise _not_found(store_id)
    return (await _assemble(conn, [row]))[0]


async def default_store(conn: AsyncConnection[Any]) -> Store | None:
    row = await repo.first(conn)
    return (await _assemble(conn, [row]))[0] if row else None


async def update(conn: AsyncConnection[Any], store_id: str, data: UpdateStore) -> Store:
    changes = given(data)
    async with conn.transaction():
        if await repo.get(conn, store_id, for_update=True) is None:
            raise _not_found(store_id)
        if changes.get("default_region_id"):
            await region.service.retrieve(conn, changes["default_region_id"])
        if changes.get("default_sales_channel_id"):
            await sales_channel.service.retrieve(conn, changes["default_sales_channel_id"])
        row = await repo.update(conn, store_id, changes)
        assert row is not None
        if "supported_currencies" in changes:
            await _set_currencies(conn, store_id, data.supported_currencies)  # type: ignore[arg-type]
        return (await _assemble(conn, [row]))[0]


async def list_stores(conn: AsyncConnection[Any], query: StoreListQuery) -> tuple[list[Store], int]:
    filters = {"id": query.id, "name": query.name, "q": query.q}
    rows, count = await repo.list_stores(conn, filters, query.order, query.limit, query.offset)
    return await _assemble(conn, rows), count


async def _set_currencies(conn: AsyncConnection[Any], store_id: str, currencies: list[SupportedCurrency]) -> None:
    codes = [c.currency_code.lower() for c in currencies]
    if len(set(codes)) != len(codes):
        raise InvalidData("Duplicate currency codes in supported_currencies")
    defaults = [c for c in currencies if c.is_default]
    if currencies and len(defaults) != 1:
        raise InvalidData("There should be exactly one default currency for the store")
    missing = await currency.service.missing_codes(conn, codes)
    if missing:
        raise InvalidData(f"Currencies with codes: {', '.join(missing)} were not found")
    await repo.set_currencies(
        conn, store_id, [(new_id("stocur"), c.currency_code.lower(), c.is_default) for c in currencies]
    )


async def _assemble(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[Store]:
    currencies: dict[str, list[StoreCurrency]] = {}
    for c in await repo.currencies_of(conn, [r["id"] for r in rows]):
        currencies.setdefault(c["store_id"], []).append(StoreCurrency(**c))
    return [Store(**r, supported_currencies=currencies.get(r["id"], [])) for r in rows]
