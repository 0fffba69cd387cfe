"""Sales channels: create, update, soft delete, list; existence checks for other modules."""

from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce.errors import NotFound
from commerce.ids import new_id
from commerce.sales_channel import repository as repo
from commerce.sales_channel.schemas import (
    CreateSalesChannel,
    SalesChannel,
    SalesChannelListQuery,
    UpdateSalesChannel,
)
from commerce.structs import given


def _not_found(channel_id: str) -> NotFound:
    return NotFound(f"Sales channel with id: {channel_id} was not found")


async def create(conn: AsyncConnection[Any], data: CreateSalesChannel) -> SalesChannel:
    row = await repo.insert(conn, {"id": new_id("sc"), **msgspec.structs.asdict(data)})
    return SalesChannel(**row)


async def retrieve(conn: AsyncConnection[Any], channel_id: str) -> SalesChannel:
    row = await repo.get(conn, channel_id)
    if row is None:
        raise _not_found(channel_id)
    return SalesChannel(**row)


async def update(conn: AsyncConnection[Any], channel_id: str, data: UpdateSalesChannel) -> SalesChannel:
    changes = given(data)
    row = await repo.update(conn, channel_id, changes)
    if row is None:
        raise _not_found(channel_id)
    return SalesChannel(**row)


async def delete(conn: AsyncConnection[Any], channel_id: str) -> None:
    if not await repo.soft_delete(conn, channel_id):
        raise _not_found(channel_id)


async def list_channels(conn: AsyncConnection[Any], query: SalesChannelListQuery) -> tuple[list[SalesChannel], int]:
    filters = {"id": query.id, "name": query.name, "q": query.q, "is_disabled": query.is_disabled}
    rows, count = await repo.list_channels(conn, filters, query.order, query.limit, query.offset)
    return [SalesChannel(**r) for r in rows], count


async def missing_ids(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """The ids among `ids` that name no live sales channel, in the order given."""
    if not ids:
        return []
    found = await repo.existing(conn, ids)
    return [i for i in dict.fromkeys(ids) if i not in found]


async def hold(conn: AsyncConnection[Any], ids: list[str]) -> None:
    """Lock these sales channels (FOR KEY SHARE) until commit, as a foreign key's trigger does for the rows that
    refer to them: for a bulk writer that has turned those triggers off (commerce.db.triggers)."""
    if ids:
        await repo.hold(conn, ids)


async def names(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, str]:
    return await repo.names(conn, ids) if ids else {}
