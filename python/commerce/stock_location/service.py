"""Stock locations: their address, and links to sales channels, fulfillment providers and fulfillment sets.
The fulfillment module asks here which sets serve a sales channel and which providers a location may use."""

from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import sales_channel
from commerce.errors import InvalidData, NotFound
from commerce.ids import new_id
from commerce.stock_location import repository as repo
from commerce.stock_location.schemas import AddressInput, CreateStockLocation, StockLocationQuery, UpdateStockLocation
from commerce.structs import given


def _not_found(location_id: str) -> NotFound:
    return NotFound(f"Stock location with id: {location_id} was not found")


async def _address(conn: AsyncConnection[Any], data: AddressInput) -> str:
    values = msgspec.structs.asdict(data)
    row = await repo.insert_address(
        conn, {**values, "id": new_id("laddr"), "country_code": values["country_code"].lower()}
    )
    return str(row["id"])


async def _check_address_id(conn: AsyncConnection[Any], address_id: str | None) -> None:
    if address_id is not None and not await repo.address_exists(conn, address_id):
        raise InvalidData(f"Stock location address with id: {address_id} was not found")


async def create(conn: AsyncConnection[Any], data: CreateStockLocation) -> dict[str, Any]:
    name = data.name.strip()
    if not name:
        raise InvalidData("Invalid request: 'name' must not be empty")
    async with conn.transaction():
        address_id = data.address_id
        await _check_address_id(conn, address_id)
        if data.address is not None:
            address_id = await _address(conn, data.address)
        row = await repo.insert(
            conn, {"id": new_id("sloc"), "name": name, "address_id": address_id, "metadata": data.metadata}
        )
    return (await _assemble(conn, [row]))[0]


async def retrieve(conn: AsyncConnection[Any], location_id: str) -> dict[str, Any]:
    row = await repo.get(conn, location_id)
    if row is None:
        raise _not_found(location_id)
    return (await _assemble(conn, [row]))[0]


async def update(conn: AsyncConnection[Any], location_id: str, data: UpdateStockLocation) -> dict[str, Any]:
    changes = given(data)
    async with conn.transaction():
        if not await repo.lock(conn, location_id):
            raise _not_found(location_id)
        if "name" in changes:
            changes["name"] = changes["name"].strip()
            if not changes["name"]:
                raise InvalidData("Invalid request: 'name' must not be empty")
        if "address_id" in changes:
            await _check_address_id(conn, changes["address_id"])
        address = changes.pop("address", None)
        if address is not None:
            changes["address_id"] = await _address(conn, address)
        await repo.update(conn, location_id, changes)
    return await retrieve(conn, location_id)


async def delete(conn: AsyncConnection[Any], location_id: str) -> list[str]:
    """Soft-delete the location and its links; returns the ids of the fulfillment sets it had (the caller deletes
    them in the same transaction, as Medusa's delete workflow does)."""
    sets = [r["fulfillment_set_id"] for r in await repo.sets_of(conn, [location_id])]
    if not await repo.soft_delete(conn, location_id):
        raise _not_found(location_id)
    return sets


async def list_locations(conn: AsyncConnection[Any], query: StockLocationQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {"id": query.id, "name": query.name, "sales_channel_id": query.sales_channel_id, "q": query.q}
    rows, count = await repo.list_locations(conn, filters, query.order, query.limit, query.offset)
    return await _assemble(conn, rows), count


async def link_sales_channels(conn: AsyncConnection[Any], location_id: str, add: list[str], remove: list[str]) -> None:
    async with conn.transaction():
        if not await repo.lock(conn, location_id):
            raise _not_found(location_id)
        missing = await sales_channel.service.missing_ids(conn, add)
        if missing:
            raise InvalidData(f"Sales channels with ids: {', '.join(missing)} were not found")
        for channel_id in dict.fromkeys(add):
            await repo.link_channel(conn, location_id, channel_id)
        for channel_id in dict.fromkeys(remove):
            await repo.unlink_channel(conn, location_id, channel_id)


async def link_providers(conn: AsyncConnection[Any], location_id: str, add: list[str], remove: list[str]) -> None:
    """Link and unlink fulfillment providers (the caller has checked that the added ones exist)."""
    async with conn.transaction():
        if not await repo.lock(conn, location_id):
            raise _not_found(location_id)
        for provider_id in dict.fromkeys(add):
            await repo.link_provider(conn, location_id, provider_id)
        for provider_id in dict.fromkeys(remove):
            await repo.unlink_provider(conn, location_id, provider_id)


async def lock(conn: AsyncConnection[Any], location_id: str) -> None:
    """Lock a live location for the caller's transaction (NotFound if there is none)."""
    if not await repo.lock(conn, location_id):
        raise _not_found(location_id)


async def link_fulfillment_set(conn: AsyncConnection[Any], location_id: str, set_id: str) -> None:
    await repo.link_set(conn, location_id, set_id)


async def fulfillment_sets_for_channel(conn: AsyncConnection[Any], channel_id: str) -> list[str]:
    """The fulfillment sets of the live locations that serve a sales channel."""
    return await repo.sets_for_channel(conn, channel_id)


async def locations_for_channel(conn: AsyncConnection[Any], channel_id: str) -> list[str]:
    """The live stock locations that serve a sales channel (where its orders' stock comes from)."""
    return await repo.locations_for_channel(conn, channel_id)


async def fulfillment_set_ids(conn: AsyncConnection[Any], location_ids: list[str]) -> list[str]:
    """The fulfillment sets linked to these locations (none for an unknown location)."""
    return [r["fulfillment_set_id"] for r in await repo.sets_of(conn, location_ids)] if location_ids else []


async def location_of_fulfillment_set(conn: AsyncConnection[Any], set_id: str) -> str | None:
    return await repo.location_of_set(conn, set_id)


async def provider_ids(conn: AsyncConnection[Any], location_id: str) -> set[str]:
    """The fulfillment providers linked to a location."""
    return await repo.provider_ids_of(conn, location_id)


async def _assemble(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Locations with address, sales channels and providers; `fulfillment_set_ids` for the caller to expand."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    addresses = await repo.addresses(conn, [r["address_id"] for r in rows if r["address_id"]])
    channel_links = await repo.channels_of(conn, ids)
    channel_names = await sales_channel.service.names(conn, [c["sales_channel_id"] for c in channel_links])
    channels: dict[str, list[dict[str, Any]]] = {}
    for c in channel_links:
        if c["sales_channel_id"] in channel_names:
            channels.setdefault(c["stock_location_id"], []).append(
                {"id": c["sales_channel_id"], "name": channel_names[c["sales_channel_id"]]}
            )
    providers: dict[str, list[dict[str, Any]]] = {}
    for p in await repo.providers_of(conn, ids):
        providers.setdefault(p["stock_location_id"], []).append({"id": p["id"], "is_enabled": p["is_enabled"]})
    sets: dict[str, list[str]] = {}
    for s in await repo.sets_of(conn, ids):
        sets.setdefault(s["stock_location_id"], []).append(s["fulfillment_set_id"])
    return [
        {
            **r,
            "address": addresses.get(r["address_id"] or ""),
            "sales_channels": channels.get(r["id"], []),
            "fulfillment_providers": providers.get(r["id"], []),
            "fulfillment_set_ids": sets.get(r["id"], []),
        }
        for r in rows
    ]
