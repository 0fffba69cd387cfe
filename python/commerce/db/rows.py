"""Small shared statement builders: a partial UPDATE by id. Tables and columns come from the calling
repository's constants, never from input."""

from collections.abc import Iterable
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


async def fetch_all(conn: AsyncConnection[Any], query: Any, params: Any = None) -> list[dict[str, Any]]:
    """Every row of a query, as dicts."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    return await cur.fetchall()


async def fetch_one(conn: AsyncConnection[Any], query: Any, params: Any = None) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    return await cur.fetchone()


def jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


async def update_by_id(
    conn: AsyncConnection[Any],
    table: str,
    row_id: str,
    changes: dict[str, Any],
    updatable: Iterable[str],
    returning: str,
    *,
    also: dict[str, Any] | None = None,
    json_columns: frozenset[str] = frozenset({"metadata"}),
) -> dict[str, Any] | None:
    """UPDATE the live row `row_id` (and, if given, `also` column = value) with the `changes` whose keys are in
    `updatable`; returns the updated row or None when no live row matched."""
    keys = [k for k in updatable if k in changes]
    assignments = [sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in keys]
    params: dict[str, Any] = {k: (jsonb(changes[k]) if k in json_columns else changes[k]) for k in keys}
    conditions: list[sql.Composable] = [sql.SQL("id = %(_id)s"), sql.SQL("deleted_at IS NULL")]
    for n, (column, value) in enumerate((also or {}).items()):
        conditions.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(f"_also{n}")))
        params[f"_also{n}"] = value
    query = sql.SQL("UPDATE {table} SET {sets} WHERE {where} RETURNING {cols}").format(
        table=sql.Identifier(table),
        sets=sql.SQL(", ").join([*assignments, sql.SQL("updated_at = now()")]),
        where=sql.SQL(" AND ").join(conditions),
        cols=sql.SQL(returning),
    )
    return await fetch_one(conn, query, {**params, "_id": row_id})
