"""One paged SELECT with its total, shared by every module's list query (each passes its own table)."""

from collections.abc import Iterable
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row


async def fetch_page(
    conn: AsyncConnection[Any],
    table: str,
    columns: str,
    where: list[sql.Composable],
    params: dict[str, Any],
    order: sql.Composable,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Rows of one page and the count of all matching rows, in one round trip when the page is not empty."""
    condition = sql.SQL(" AND ").join(where) if where else sql.SQL("true")
    query = sql.SQL(
        "SELECT {cols}, count(*) OVER () AS total_count FROM {table} WHERE {where} {order} "
        "LIMIT %(limit)s OFFSET %(offset)s"
    ).format(cols=sql.SQL(columns), table=sql.Identifier(table), where=condition, order=order)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, {**params, "limit": limit, "offset": offset})
    rows = await cur.fetchall()
    if rows:
        total = int(rows[0]["total_count"])
        for row in rows:
            del row["total_count"]
        return rows, total
    # Past the last page the window count is absent: count separately.
    count_query = sql.SQL("SELECT count(*) FROM {table} WHERE {where}").format(
        table=sql.Identifier(table), where=condition
    )
    count_cur = await conn.execute(count_query, params)
    count_row = await count_cur.fetchone()
    return [], int(count_row[0]) if count_row else 0


def like(text: str) -> str:
    """A `%text%` ILIKE pattern with the user's wildcards escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def any_of(where: list[sql.Composable], params: dict[str, Any], filters: dict[str, Any], keys: Iterable[str]) -> None:
    """`column = ANY(values)` for each of these list filters that is given (the column is named like the filter)."""
    for key in keys:
        if filters.get(key):
            where.append(sql.SQL("{} = ANY({})").format(sql.Identifier(key), sql.Placeholder(key)))
            params[key] = filters[key]


def date_ranges(where: list[sql.Composable], params: dict[str, Any], ranges: Iterable[tuple[str, str, Any]]) -> None:
    """`column op value` for each (column, operator, value) bound, as Medusa's `created_at[$gte]=...` filters."""
    for n, (column, op, value) in enumerate(ranges):
        if op not in ("<", "<=", ">", ">="):
            raise ValueError(f"not a comparison: {op}")
        name = f"_range{n}"
        where.append(sql.SQL("{} {} {}").format(sql.Identifier(column), sql.SQL(op), sql.Placeholder(name)))
        params[name] = value
