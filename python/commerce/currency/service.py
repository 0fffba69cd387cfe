"""Currencies: read-only reference data, served to admin and store."""

from typing import Any

from psycopg import AsyncConnection

from commerce.currency import repository as repo
from commerce.currency.schemas import Currency, CurrencyListQuery
from commerce.errors import NotFound


async def retrieve(conn: AsyncConnection[Any], code: str) -> Currency:
    row = await repo.get(conn, code.lower())
    if row is None:
        raise NotFound(f"Currency with code: {code} was not found")
    return Currency(**row)


async def list_currencies(conn: AsyncConnection[Any], query: CurrencyListQuery) -> tuple[list[Currency], int]:
    rows, count = await repo.list_currencies(
        conn, {"code": query.code, "q": query.q}, query.order, query.limit, query.offset
    )
    return [Currency(**r) for r in rows], count


async def missing_codes(conn: AsyncConnection[Any], codes: list[str]) -> list[str]:
    """Codes (lower-cased) that name no known currency."""
    wanted = [c.lower() for c in codes]
    found = await repo.existing(conn, wanted) if wanted else set()
    return [c for c in dict.fromkeys(wanted) if c not in found]


async def all_currencies(conn: AsyncConnection[Any]) -> list[Currency]:
    return [Currency(**r) for r in await repo.all_currencies(conn)]
