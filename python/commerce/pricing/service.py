"""Prices of variants, price lists and price preferences. The storefront's calculated prices come from the
engine's PriceIndex, built from `index_source` (see commerce.catalog)."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, errors

from commerce.errors import DuplicateError, InvalidData, NotFound
from commerce.ids import new_id
from commerce.money import check_amount
from commerce.pricing import repository as repo
from commerce.pricing.schemas import (
    BatchPrices,
    BatchPricesResult,
    CreatePriceList,
    CreatePricePreference,
    ListPriceInput,
    Price,
    PriceInput,
    PriceList,
    PriceListQuery,
    PricePreference,
    PricePreferenceQuery,
    UpdatePriceList,
    UpdatePricePreference,
)
from commerce.structs import given


def _check_price(p: PriceInput | ListPriceInput, where: str) -> None:
    check_amount(p.amount, f"{where}.amount")
    if p.min_quantity is not None and p.max_quantity is not None and p.min_quantity > p.max_quantity:
        raise InvalidData(f"Invalid request: {where}.min_quantity is greater than max_quantity")


async def ensure_price_sets(conn: AsyncConnection[Any], variant_ids: list[str]) -> dict[str, str]:
    """The price set of each variant, created for those that have none."""
    sets = await repo.price_sets_of(conn, variant_ids)
    for variant_id in variant_ids:
        if variant_id not in sets:
            sets[variant_id] = new_id("pset")
            await repo.create_price_set(conn, sets[variant_id], variant_id)
    return sets


async def set_variant_prices(conn: AsyncConnection[Any], variant_id: str, prices: list[PriceInput]) -> None:
    """Replace the variant's base prices (not its price-list prices). Call inside the caller's transaction."""
    for n, p in enumerate(prices):
        _check_price(p, f"prices[{n}]")
    price_set_id = (await ensure_price_sets(conn, [variant_id]))[variant_id]
    await repo.delete_base_prices(conn, price_set_id)
    for p in prices:
        await repo.insert_price(
            conn,
            {
                "id": new_id("price"),
                "price_set_id": price_set_id,
                "price_list_id": None,
                "currency_code": p.currency_code.lower(),
                "amount": p.amount,
                "min_quantity": p.min_quantity,
                "max_quantity": p.max_quantity,
                "rules": p.rules,
            },
        )


async def variant_prices(conn: AsyncConnection[Any], variant_ids: list[str]) -> dict[str, list[Price]]:
    """Base prices per variant, for admin product responses."""
    out: dict[str, list[Price]] = {}
    for row in await repo.base_prices_of_variants(conn, variant_ids) if variant_ids else []:
        out.setdefault(row["variant_id"], []).append(Price(**row))
    return out


async def remove_variants(conn: AsyncConnection[Any], variant_ids: list[str]) -> None:
    """Detach deleted variants from pricing (their price sets stop being served)."""
    if variant_ids:
        await repo.unlink_variants(conn, variant_ids)


# --- price lists ------------------------------------------------------------------------------------------------


def _list_not_found(list_id: str) -> NotFound:
    return NotFound(f"Price list with id: {list_id} was not found")


def _check_window(starts_at: Any, ends_at: Any) -> None:
    if starts_at is not None and ends_at is not None and starts_at >= ends_at:
        raise InvalidData("Invalid request: 'starts_at' must be before 'ends_at'")


async def _insert_list_prices(conn: AsyncConnection[Any], list_id: str, prices: list[ListPriceInput]) -> list[str]:
    for n, p in enumerate(prices):
        _check_price(p, f"prices[{n}]")
    variant_ids = list(dict.fromkeys(p.variant_id for p in prices))
    sets = await repo.price_sets_of(conn, variant_ids) if variant_ids else {}
    missing = [v for v in variant_ids if v not in sets]
    if missing:
        raise InvalidData(f"Variants with ids: {', '.join(missing)} were not found")
    ids = []
    for p in prices:
        price_id = new_id("price")
        await repo.insert_price(
            conn,
            {
                "id": price_id,
                "price_set_id": sets[p.variant_id],
                "price_list_id": list_id,
                "currency_code": p.currency_code.lower(),
                "amount": p.amount,
                "min_quantity": p.min_quantity,
                "max_quantity": p.max_quantity,
                "rules": p.rules,
            },
        )
        ids.append(price_id)
    return ids


async def create_list(conn: AsyncConnection[Any], data: CreatePriceList) -> PriceList:
    _check_window(data.starts_at, data.ends_at)
    async with conn.transaction():
        row = await repo.insert_list(
            conn,
            {
                "id": new_id("plist"),
                "title": data.title,
                "description": data.description,
                "status": data.status,
                "type": data.type,
                "starts_at": data.starts_at,
                "ends_at": data.ends_at,
                "rules": data.rules,
                "metadata": data.metadata,
            },
        )
        await _insert_list_prices(conn, row["id"], data.prices)
    return await retrieve_list(conn, row["id"])


async def retrieve_list(conn: AsyncConnection[Any], list_id: str) -> PriceList:
    row = await repo.get_list(conn, list_id)
    if row is None:
        raise _list_not_found(list_id)
    return (await _assemble(conn, [row]))[0]


async def update_list(conn: AsyncConnection[Any], list_id: str, data: UpdatePriceList) -> PriceList:
    changes = given(data)
    if changes.get("description", "") is None:
        changes["description"] = ""
    async with conn.transaction():
        current = await repo.get_list(conn, list_id)
        if current is None:
            raise _list_not_found(list_id)
        _check_window(changes.get("starts_at", current["starts_at"]), changes.get("ends_at", current["ends_at"]))
        await repo.update_list(conn, list_id, changes)
    return await retrieve_list(conn, list_id)


async def delete_list(conn: AsyncConnection[Any], list_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete_list(conn, list_id):
            raise _list_not_found(list_id)


async def list_lists(conn: AsyncConnection[Any], query: PriceListQuery) -> tuple[list[PriceList], int]:
    rows, count = await repo.list_lists(
        conn, {"id": query.id, "status": query.status, "q": query.q}, query.order, query.limit, query.offset
    )
    return await _assemble(conn, rows), count


async def batch_list_prices(conn: AsyncConnection[Any], list_id: str, batch: BatchPrices) -> BatchPricesResult:
    """Create, update and delete a list's prices in one transaction."""
    async with conn.transaction():
        if await repo.get_list(conn, list_id) is None:
            raise _list_not_found(list_id)
        created_ids = await _insert_list_prices(conn, list_id, batch.create)
        updated_ids = []
        for n, u in enumerate(batch.update):
            changes = given(u)
            if "amount" in changes:
                check_amount(changes["amount"], f"update[{n}].amount")
            if "currency_code" in changes:
                changes["currency_code"] = changes["currency_code"].lower()
            if not await repo.update_price(conn, u.id, list_id, changes):
                raise NotFound(f"Price with id: {u.id} was not found in price list {list_id}")
            updated_ids.append(u.id)
        deleted = await repo.delete_list_prices(conn, list_id, batch.delete) if batch.delete else []
        missing = sorted(set(batch.delete) - set(deleted))
        if missing:
            raise NotFound(f"Prices with ids: {', '.join(missing)} were not found in price list {list_id}")
        rows = {r["id"]: Price(**r) for r in await repo.prices_by_id(conn, created_ids + updated_ids)}
    return BatchPricesResult(
        created=[rows[i] for i in created_ids],
        updated=[rows[i] for i in updated_ids],
        deleted={"ids": deleted, "object": "price", "deleted": True},
    )


async def _assemble(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[PriceList]:
    prices: dict[str, list[Price]] = {}
    for p in await repo.prices_of_lists(conn, [r["id"] for r in rows]) if rows else []:
        prices.setdefault(p["price_list_id"], []).append(Price(**p))
    return [PriceList(**r, prices=prices.get(r["id"], [])) for r in rows]


# --- price preferences ------------------------------------------------------------------------------------------


async def create_preference(conn: AsyncConnection[Any], data: CreatePricePreference) -> PricePreference:
    value = data.value.lower() if data.attribute == "currency_code" else data.value
    try:
        async with conn.transaction():
            row = await repo.insert_preference(conn, (new_id("prpref"), data.attribute, value, data.is_tax_inclusive))
    except errors.UniqueViolation:
        raise DuplicateError(
            f"Price preference with attribute: {data.attribute}, value: {value}, already exists."
        ) from None
    return PricePreference(**row)


async def retrieve_preference(conn: AsyncConnection[Any], pref_id: str) -> PricePreference:
    row = await repo.get_preference(conn, pref_id)
    if row is None:
        raise NotFound(f"Price preference with id: {pref_id} was not found")
    return PricePreference(**row)


async def update_preference(conn: AsyncConnection[Any], pref_id: str, data: UpdatePricePreference) -> PricePreference:
    try:
        async with conn.transaction():
            row = await repo.update_preference(conn, pref_id, given(data))
    except errors.UniqueViolation:
        raise DuplicateError("A price preference for this attribute and value already exists.") from None
    if row is None:
        raise NotFound(f"Price preference with id: {pref_id} was not found")
    return PricePreference(**row)


async def delete_preference(conn: AsyncConnection[Any], pref_id: str) -> None:
    if not await repo.soft_delete_preference(conn, pref_id):
        raise NotFound(f"Price preference with id: {pref_id} was not found")


async def list_preferences(
    conn: AsyncConnection[Any], query: PricePreferenceQuery
) -> tuple[list[PricePreference], int]:
    filters = {"id": query.id, "attribute": query.attribute, "value": query.value}
    rows, count = await repo.list_preferences(conn, filters, query.order, query.limit, query.offset)
    return [PricePreference(**r) for r in rows], count


async def index_source(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    return await repo.index_source(conn)


async def index_rules(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    return await repo.index_rules(conn)


async def prices_of_sets(conn: AsyncConnection[Any], set_ids: list[str]) -> list[dict[str, Any]]:
    return await repo.prices_of_sets(conn, set_ids)


# --- bulk (CSV import / export) -----------------------------------------------------------------------------------


def variant_price_rows(
    items: list[tuple[str, list[tuple[str, Decimal]]]], ids: Callable[[str], str] = new_id
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, Decimal]]]:
    """Price sets `(variant_id, price_set_id)` and their base prices `(id, price_set_id, currency, amount)` for the
    new variants of a bulk import, `[(variant_id, [(currency_code, amount)])]`, ids from `ids`: built, not written
    (nothing is read: a bulk import builds them while its connection writes the chunk before). Write them with
    `copy_variant_prices`."""
    sets, prices = [], []
    for variant_id, amounts in items:
        price_set_id = ids("pset")
        sets.append((variant_id, price_set_id))
        for currency_code, amount in amounts:
            check_amount(amount)
            prices.append((ids("price"), price_set_id, currency_code.lower(), amount))
    return sets, prices


async def copy_variant_prices(
    conn: AsyncConnection[Any], sets: list[tuple[str, str]], prices: list[tuple[str, str, str, Decimal]]
) -> None:
    """Write `variant_price_rows`' rows in three COPY statements, in the caller's transaction. A variant that has a
    price set already is refused by product_variant_price_set's primary key."""
    await repo.copy_base_prices(conn, sets, prices)


async def plain_base_currencies(conn: AsyncConnection[Any]) -> list[str]:
    """The currencies of base prices without rules or quantity ranges (the CSV export's price columns)."""
    return await repo.plain_base_currencies(conn)


def price_rows(
    prices: list[ListPriceInput], sets: dict[str, str], price_list_id: str | None, ids: Callable[[str], str] = new_id
) -> list[dict[str, Any]]:
    """More prices for variants that have their price sets (`sets`, by variant id: a bulk writer that has just
    made them), checked, built, not written (`copy_prices` writes them; a bulk writer builds them while its
    connection writes what came before): a catalog import's quantity tiers or a big price list's prices; base prices
    when `price_list_id` is None, else prices of that list, which the caller has checked exists. Nothing is
    replaced (unlike `set_variant_prices`)."""
    for n, p in enumerate(prices):
        _check_price(p, f"prices[{n}]")
    missing = list(dict.fromkeys(p.variant_id for p in prices if p.variant_id not in sets))
    if missing:
        raise InvalidData(f"Variants with ids: {', '.join(missing[:10])} were not found")
    return [
        {
            "id": ids("price"),
            "price_set_id": sets[p.variant_id],
            "price_list_id": price_list_id,
            "currency_code": p.currency_code.lower(),
            "amount": p.amount,
            "min_quantity": p.min_quantity,
            "max_quantity": p.max_quantity,
            "rules": p.rules,
        }
        for p in prices
    ]


async def copy_prices(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    """Write `price_rows`' rows in one COPY, in the caller's transaction."""
    if rows:
        await repo.copy_prices(conn, rows)
