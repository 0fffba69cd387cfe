"""Shared list-query pieces: Medusa's `limit/offset/order/fields` and the `{<name>, count, offset, limit}` shape."""

from datetime import UTC, datetime
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


When = Annotated[str, msgspec.Meta(max_length=64)]
_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class DatedListQuery(ListQuery, kw_only=True):
    """A list that also filters by Medusa's `created_at[$gte]=...` / `updated_at[$lt]=...` bounds (a date or a
    date-time; a `+` of the offset that a query string decoded as a space is read as `+`)."""

    created_at_gt: When | None = msgspec.field(default=None, name="created_at[$gt]")
    created_at_gte: When | None = msgspec.field(default=None, name="created_at[$gte]")
    created_at_lt: When | None = msgspec.field(default=None, name="created_at[$lt]")
    created_at_lte: When | None = msgspec.field(default=None, name="created_at[$lte]")
    updated_at_gt: When | None = msgspec.field(default=None, name="updated_at[$gt]")
    updated_at_gte: When | None = msgspec.field(default=None, name="updated_at[$gte]")
    updated_at_lt: When | None = msgspec.field(default=None, name="updated_at[$lt]")
    updated_at_lte: When | None = msgspec.field(default=None, name="updated_at[$lte]")

    def ranges(self) -> list[tuple[str, str, datetime]]:
        """(column, operator, value) for each bound given (for `db.paging.date_ranges`); InvalidData naming a bound
        that is not a date."""
        out = []
        for column in ("created_at", "updated_at"):
            for name, op in _OPERATORS.items():
                text = getattr(self, f"{column}_{name}")
                if text is not None:
                    out.append((column, op, _when(f"{column}[${name}]", text)))
        return out


def _when(name: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise InvalidData(f"Invalid request: '{name}' must be a date or a date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
