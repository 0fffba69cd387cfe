"""Shared list-query pieces: Medusa's `limit/offset/order/fields` and the `{<name>, count, offset, limit}` shape."""

from typing import Annotated

import msgspec
from psycopg import sql

from commerce.errors import InvalidData

Limit = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # PostgreSQL's bigint


class ListQuery(msgspec.Struct, kw_only=True):
    limit: Limit = 20
    offset: Offset = 0
    order: str | None = None
    fields: str | None = None


def order_by(
    order: str | None, allowed: frozenset[str], default: str = "created_at", tiebreak: str = "id"
) -> sql.Composed:
    """`order=-created_at` → ORDER BY "created_at" DESC, "id" DESC; only whitelisted columns."""
    text = order or default
    desc = text.startswith("-")
    column = text.lstrip("-")
    if column not in allowed:
        raise InvalidData(f"Invalid request: cannot order by '{column}'")
    direction = sql.SQL("DESC" if desc else "ASC")
    return sql.SQL("ORDER BY {} {}, {} {}").format(
        sql.Identifier(column), direction, sql.Identifier(tiebreak), direction
    )
