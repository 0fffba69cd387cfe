"""Inventory items, their levels at stock locations, reservations, and the links variant -> inventory item.

The stock operations the checkout and fulfilment flows call (`reserve`, `release`, `fulfil`, `unfulfil`) run in the
caller's transaction when it holds one, and in their own otherwise. A reservation is one conditional UPDATE of its
level: stock is never read into Python and written back, so concurrent checkouts cannot oversell."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus

from commerce import engine
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.ids import new_id
from commerce.inventory import repository as repo
from commerce.inventory.schemas import (
    CreateInventoryItem,
    CreateReservation,
    InventoryItemQuery,
    LevelInput,
    LevelQuery,
    ReservationQuery,
    UpdateInventoryItem,
    UpdateReservation,
)
from commerce.structs import given

INSUFFICIENT = "Some variant does not have the required inventory"


def _atomic(conn: AsyncConnection[Any]) -> AbstractAsyncContextManager[Any]:
    """The caller's transaction when it holds one (no savepoint round trips), else a transaction of our own."""
    if conn.info.transaction_status == TransactionStatus.IDLE:
        return conn.transaction()
    return nullcontext()


def _item_not_found(item_id: str) -> NotFound:
    return NotFound(f"Inventory item with id: {item_id} was not found")


def _not_stocked(item_id: str, location_id: str) -> NotFound:
    return NotFound(f"Item {item_id} is not stocked at location {location_id}")


def _short(item_id: str, location_id: str) -> NotAllowed:
    return NotAllowed(f"Not enough stock available for item {item_id} at location {location_id}")


# --- the checkout's interface ---------------------------------------------------------------------
async def variant_links(conn: AsyncConnection[Any], variant_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """`{variant_id: [{inventory_item_id, required_quantity}]}` for every variant asked about (live items only)."""
    out: dict[str, list[dict[str, Any]]] = {v: [] for v in variant_ids}
    for link in await repo.links_of_variants(conn, list(dict.fromkeys(variant_ids))):
        out[link["variant_id"]].append(
            {"inventory_item_id": link["inventory_item_id"], "required_quantity": link["required_quantity"]}
        )
    return out


async def levels(
    conn: AsyncConnection[Any], inventory_item_ids: list[str], location_ids: list[str] | None
) -> list[dict[str, Any]]:
    """Live levels of these items (at these locations, when given), in engine.allocate / availability's shape:
    inventory_item_id, location_id, stocked_quantity, reserved_quantity, incoming_quantity."""
    if not inventory_item_ids or location_ids == []:
        return []
    return await repo.stock(conn, list(dict.fromkeys(inventory_item_ids)), location_ids)


async def reserve(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reserve stock for order lines. Each row: line_item_id, inventory_item_id, location_id, quantity (inventory
    units), allow_backorder, and optionally description, external_id, created_by, metadata.

    Per row one conditional UPDATE of the level (available >= quantity, unless allow_backorder) that inserts the
    reservation only if it matched. Rows run in (item, location) order so two checkouts lock levels in the same
    order and cannot deadlock. If any row finds its level short or missing this raises NotAllowed
    (code insufficient_inventory) and the caller's transaction must roll back. Returns the reservations, in the
    order of `rows`."""
    if not rows:
        return []
    prepared = []
    for row in rows:
        quantity = row.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise InvalidData(f"Invalid request: reservation quantity must be a positive integer, got {quantity!r}")
        prepared.append({**row, "id": new_id("resitem"), "allow_backorder": bool(row.get("allow_backorder"))})
    order = sorted(range(len(prepared)), key=lambda n: (prepared[n]["inventory_item_id"], prepared[n]["location_id"]))
    async with _atomic(conn):
        made = await repo.reserve(conn, [prepared[n] for n in order])
        if any(m is None for m in made):
            raise NotAllowed(INSUFFICIENT, code="insufficient_inventory")
    out: list[dict[str, Any]] = [{}] * len(prepared)
    for n, reservation in zip(order, made, strict=True):
        assert reservation is not None
        out[n] = reservation
    return out


async def release(conn: AsyncConnection[Any], line_item_ids: list[str]) -> None:
    """Cancel the reservations of these lines: soft-deleted, their quantity given back to the levels (one
    statement)."""
    if line_item_ids:
        await repo.release(conn, list(dict.fromkeys(line_item_ids)))


async def fulfil(
    conn: AsyncConnection[Any],
    line_item_id: str,
    location_id: str,
    quantity: int,
    inventory_item_id: str | None = None,
) -> None:
    """Goods of a line leave `location_id`: the level's stocked and reserved quantities drop by `quantity`
    (inventory units: line quantity x required_quantity) and the line's reservation there shrinks by as much
    (soft-deleted at 0). A line whose variant is a kit reserves several items: name the one shipped.
    NotAllowed when the line has less than `quantity` reserved there, or the level less than that in stock."""
    if quantity < 1:
        raise InvalidData("Invalid request: the quantity to fulfil must be at least 1")
    async with _atomic(conn):
        held = await repo.line_reservations(conn, line_item_id, location_id, inventory_item_id)
        item_ids = {r["inventory_item_id"] for r in held}
        if len(item_ids) > 1:
            raise InvalidData(
                f"Line item {line_item_id} reserves several inventory items at location {location_id}: "
                "name the inventory item to fulfil"
            )
        if sum(r["quantity"] for r in held) < quantity:
            raise NotAllowed(f"Line item {line_item_id} has less than {quantity} reserved at location {location_id}")
        remaining = quantity
        for reservation in held:
            take = min(reservation["quantity"], remaining)
            await repo.shrink_reservation(conn, reservation["id"], take)
            remaining -= take
            if not remaining:
                break
        item_id = held[0]["inventory_item_id"]
        if not await repo.ship(conn, item_id, location_id, quantity):
            raise _not_stocked(item_id, location_id)


async def unfulfil(
    conn: AsyncConnection[Any], line_item_id: str, inventory_item_id: str, location_id: str, quantity: int
) -> None:
    """A cancelled fulfilment: the goods are back in stock at the location and reserved for the line again."""
    if quantity < 1:
        raise InvalidData("Invalid request: the quantity to restock must be at least 1")
    async with _atomic(conn):
        if not await repo.restock(conn, inventory_item_id, location_id, quantity):
            raise _not_stocked(inventory_item_id, location_id)
        held = await repo.line_reservations(conn, line_item_id, location_id, inventory_item_id)
        if held:
            await repo.grow_reservation(conn, held[0]["id"], quantity)
        else:
            await repo.insert_reservation(
                conn,
                {
                    "id": new_id("resitem"),
                    "line_item_id": line_item_id,
                    "inventory_item_id": inventory_item_id,
                    "location_id": location_id,
                    "quantity": quantity,
                },
            )


async def availability_by_variant(
    conn: AsyncConnection[Any], variant_ids: list[str], location_ids: list[str]
) -> dict[str, int]:
    """What each variant can sell at these locations (engine.availability: a kit's quantity is the minimum over its
    items of available // required_quantity; 0 without inventory items). For variants that manage inventory: the
    caller knows which do not."""
    links = await variant_links(conn, variant_ids)
    item_ids = [link["inventory_item_id"] for linked in links.values() for link in linked]
    stock = await levels(conn, item_ids, location_ids)
    variants = [
        {"id": vid, "manage_inventory": True, "allow_backorder": False, "inventory_items": linked}
        for vid, linked in links.items()
    ]
    result = engine.availability(variants, stock, location_ids)
    return {vid: int(result[vid]["inventory_quantity"] or 0) for vid in links}


# --- inventory items ------------------------------------------------------------------------------
def _item_row(data: CreateInventoryItem) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if k != "location_levels"}


async def create_item(conn: AsyncConnection[Any], data: CreateInventoryItem) -> str:
    """An item with its levels (the caller has checked the locations exist); returns its id."""
    async with conn.transaction():
        item = await repo.insert_item(conn, {**_item_row(data), "id": new_id("iitem")})
        for level in data.location_levels:
            await _insert_level(conn, item["id"], level)
    return str(item["id"])


def item_rows(items: list[CreateInventoryItem], ids: Callable[[str], str] = new_id) -> list[dict[str, Any]]:
    """Many items without levels (a catalog import, ids from `ids`), built, not written: `copy_items` writes them."""
    return [{**_item_row(data), "id": ids("iitem")} for data in items]


async def copy_items(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    """Write `item_rows`' items in one COPY."""
    if rows:
        await repo.copy_items(conn, rows)


async def retrieve_item(conn: AsyncConnection[Any], item_id: str) -> dict[str, Any]:
    found = await repo.items(conn, [item_id])
    if not found:
        raise _item_not_found(item_id)
    return (await _assemble_items(conn, found))[0]


async def items_by_id(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    """Live items with their levels and totals, by id (unknown ids are absent)."""
    rows = await repo.items(conn, list(dict.fromkeys(ids))) if ids else []
    return {r["id"]: r for r in await _assemble_items(conn, rows)}


async def items_by_sku(conn: AsyncConnection[Any], skus: list[str]) -> dict[str, str]:
    """`{sku: item id}` of the live items with these SKUs."""
    return await repo.items_by_sku(conn, list(dict.fromkeys(skus))) if skus else {}


async def missing_item_ids(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """The ids among `ids` that name no live item, in the order given."""
    live = await repo.live_item_ids(conn, ids) if ids else set()
    return [i for i in dict.fromkeys(ids) if i not in live]


async def list_items(conn: AsyncConnection[Any], query: InventoryItemQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "q": query.q,
        "id": query.id,
        "sku": query.sku,
        "origin_country": query.origin_country,
        "hs_code": query.hs_code,
        "mid_code": query.mid_code,
        "material": query.material,
        "requires_shipping": query.requires_shipping,
        "location_id": query.location_id,
    }
    rows, count = await repo.list_items(conn, filters, query.order, query.limit, query.offset)
    return await _assemble_items(conn, rows), count


async def update_item(conn: AsyncConnection[Any], item_id: str, data: UpdateInventoryItem) -> None:
    async with conn.transaction():
        if not await repo.lock_item(conn, item_id):
            raise _item_not_found(item_id)
        changes = given(data)
        if changes:
            await repo.update_item(conn, item_id, changes)


async def delete_item(conn: AsyncConnection[Any], item_id: str) -> None:
    """Soft-delete the item with its levels, and unlink it from its variants; refused while it has reservations."""
    async with conn.transaction():
        if not await repo.lock_item(conn, item_id):
            raise _item_not_found(item_id)
        if await repo.reserved_item_ids(conn, [item_id]):
            raise NotAllowed(f"Cannot remove following inventory item(s) since they have reservations: [{item_id}].")
        await repo.soft_delete_item(conn, item_id)


async def _assemble_items(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items with `location_levels` and Medusa's computed totals `stocked_quantity` / `reserved_quantity`."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for level in await repo.levels_of_items(conn, [r["id"] for r in rows]):
        by_item.setdefault(level["inventory_item_id"], []).append(level)
    for row in rows:
        found = by_item.get(row["id"], [])
        row["location_levels"] = found
        row["stocked_quantity"] = sum(lv["stocked_quantity"] for lv in found)
        row["reserved_quantity"] = sum(lv["reserved_quantity"] for lv in found)
    return rows


# --- inventory levels -----------------------------------------------------------------------------
async def _insert_level(conn: AsyncConnection[Any], item_id: str, level: LevelInput) -> dict[str, Any]:
    return await repo.insert_level(
        conn,
        {
            "id": new_id("iilev"),
            "inventory_item_id": item_id,
            "location_id": level.location_id,
            "stocked_quantity": level.stocked_quantity,
            "incoming_quantity": level.incoming_quantity,
        },
    )


def level_rows(
    levels: list[tuple[str, LevelInput]], ids: Callable[[str], str] = new_id
) -> list[tuple[str, str, str, int, int]]:
    """Many levels `(item id, level)` at once (a catalog import, ids from `ids`), built, not written: `copy_levels`
    writes them in one COPY, in the caller's transaction. The caller has made the items and checked the locations
    exist; an item already stocked at a location is a DuplicateError, a negative quantity NotAllowed."""
    return [
        (ids("iilev"), item_id, level.location_id, level.stocked_quantity, level.incoming_quantity)
        for item_id, level in levels
    ]


async def copy_levels(conn: AsyncConnection[Any], rows: list[tuple[str, str, str, int, int]]) -> None:
    if rows:
        await repo.copy_levels(conn, rows)


async def list_levels(conn: AsyncConnection[Any], item_id: str, query: LevelQuery) -> tuple[list[dict[str, Any]], int]:
    if not await repo.live_item_ids(conn, [item_id]):
        raise _item_not_found(item_id)
    return await repo.list_levels(conn, item_id, query.location_id, query.order, query.limit, query.offset)


async def create_level(conn: AsyncConnection[Any], item_id: str, level: LevelInput) -> dict[str, Any]:
    """A level of the item at a location (the caller has checked the location exists)."""
    async with conn.transaction():
        if not await repo.lock_item(conn, item_id):
            raise _item_not_found(item_id)
        return await _insert_level(conn, item_id, level)


async def update_level(
    conn: AsyncConnection[Any], item_id: str, location_id: str, stocked: int | None, incoming: int | None
) -> dict[str, Any]:
    """Set the stocked and/or incoming quantity (None: unchanged). The reserved quantity only moves with
    reservations."""
    row = await repo.update_level(conn, item_id, location_id, stocked, incoming)
    if row is None:
        raise _not_stocked(item_id, location_id)
    return row


async def split_level(conn: AsyncConnection[Any], item_id: str, location_id: str, buckets: int) -> None:
    """Spread the level's available units over `buckets` rows (0: one row again); totals do not change. Reservations
    then take units from a bucket picked at random, so a flash sale's buyers of one SKU proceed side by side."""
    if not await repo.set_buckets(conn, item_id, location_id, buckets):
        raise _not_stocked(item_id, location_id)


async def delete_level(conn: AsyncConnection[Any], item_id: str, location_id: str) -> str:
    """Soft-delete the item's level at the location, refused while it holds reservations; returns the level id."""
    level = await repo.level_at(conn, item_id, location_id)
    if level is None:
        raise NotFound(f"Inventory Level for Item {item_id} at Location {location_id} not found")
    if not await repo.delete_unreserved_level(conn, level["id"]):
        raise NotAllowed(
            f"Cannot remove Inventory Level {item_id} at Location {location_id} because there are reservations "
            "at location"
        )
    return str(level["id"])


async def batch_levels(
    conn: AsyncConnection[Any],
    create: list[tuple[str, LevelInput]],
    update: list[tuple[str, str, int | None, int | None]],
    delete: list[str],
    force: bool,
    only_item: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Create (item id, level), update (item id, location id, stocked, incoming) and delete (level ids) levels, all
    or nothing. A level with reserved or incoming units is never deleted; one with stocked units only with `force`.
    With `only_item`, deletes are limited to that item's levels. Returns (created, updated, deleted ids)."""
    async with conn.transaction():
        await _delete_levels(conn, delete, force, only_item)
        for item_id in dict.fromkeys(i for i, _ in create):
            if not await repo.lock_item(conn, item_id):
                raise _item_not_found(item_id)
        created = [await _insert_level(conn, item_id, level) for item_id, level in create]
        updated = [await update_level(conn, *change) for change in update]
    return created, updated, delete


async def _delete_levels(conn: AsyncConnection[Any], ids: list[str], force: bool, only_item: str | None) -> None:
    found = [
        lv
        for lv in await repo.levels_by_id(conn, list(dict.fromkeys(ids)))
        if only_item in (None, lv["inventory_item_id"])
    ]

    def refuse(blocked: list[dict[str, Any]], why: str) -> NotAllowed:
        locations = ", ".join(dict.fromkeys(lv["location_id"] for lv in blocked))
        return NotAllowed(f"Cannot remove Inventory Levels for {locations} because {why}")

    held = [lv for lv in found if lv["reserved_quantity"] > 0 or lv["incoming_quantity"] > 0]
    if held:
        raise refuse(held, "there are reserved or incoming items at the locations")
    stocked = [lv for lv in found if lv["stocked_quantity"] > 0 and not force]
    if stocked:
        raise refuse(stocked, "there are stocked items at the locations. Use force flag to delete anyway.")
    for level in found:
        # The same conditions, in the statement that deletes: a reservation made meanwhile keeps its level.
        if not await repo.delete_free_level(conn, level["id"], force):
            raise refuse([level], "there are reserved or incoming items at the locations")


# --- reservations ---------------------------------------------------------------------------------
async def create_reservation(conn: AsyncConnection[Any], data: CreateReservation, created_by: str | None) -> str:
    """An admin's reservation: refused (NotAllowed) when the level has less available than its quantity."""
    async with conn.transaction():
        if await repo.level_at(conn, data.inventory_item_id, data.location_id) is None:
            raise _not_stocked(data.inventory_item_id, data.location_id)
        row = {**msgspec.structs.asdict(data), "created_by": created_by, "allow_backorder": False}
        made = await repo.reserve(conn, [{**row, "id": new_id("resitem")}])
        if made[0] is None:
            raise _short(data.inventory_item_id, data.location_id)
        return str(made[0]["id"])


async def retrieve_reservation(conn: AsyncConnection[Any], reservation_id: str) -> dict[str, Any]:
    found = await repo.reservations(conn, [reservation_id])
    if not found:
        raise NotFound(f"Reservation with id: {reservation_id} was not found")
    return (await _assemble_reservations(conn, found))[0]


async def list_reservations(conn: AsyncConnection[Any], query: ReservationQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "q": query.q,
        "id": query.id,
        "location_id": query.location_id,
        "inventory_item_id": query.inventory_item_id,
        "line_item_id": query.line_item_id,
        "created_by": query.created_by,
    }
    rows, count = await repo.list_reservations(conn, filters, query.order, query.limit, query.offset)
    return await _assemble_reservations(conn, rows), count


async def update_reservation(conn: AsyncConnection[Any], reservation_id: str, data: UpdateReservation) -> None:
    """Change a reservation's location, quantity, description or metadata; its levels' reserved quantities move
    with it in the same transaction (more reserved needs that much available)."""
    changes = given(data)
    async with conn.transaction():
        current = await repo.lock_reservation(conn, reservation_id)
        if current is None:
            raise NotFound(f"Reservation with id: {reservation_id} was not found")
        item_id, old_location, old_quantity = (
            current["inventory_item_id"],
            current["location_id"],
            current["quantity"],
        )
        location = changes.get("location_id", old_location)
        quantity = changes.get("quantity", old_quantity)
        backorder = current["allow_backorder"]
        if location != old_location:
            if await repo.level_at(conn, item_id, location) is None:
                raise _not_stocked(item_id, location)
            await repo.adjust_reserved(conn, item_id, old_location, -old_quantity, backorder)
            if not await repo.adjust_reserved(conn, item_id, location, quantity, backorder):
                raise _short(item_id, location)
        elif quantity != old_quantity:
            if not await repo.adjust_reserved(conn, item_id, location, quantity - old_quantity, backorder):
                raise _short(item_id, location)
        if changes:
            await repo.update_reservation(conn, reservation_id, changes)


async def delete_reservation(conn: AsyncConnection[Any], reservation_id: str) -> None:
    """Soft-delete a reservation and give its quantity back to the level (one statement)."""
    if not await repo.delete_reservation(conn, reservation_id):
        raise NotFound(f"Reservation with id: {reservation_id} was not found")


async def _assemble_reservations(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = await items_by_id(conn, [r["inventory_item_id"] for r in rows])
    for row in rows:
        row["inventory_item"] = found.get(row["inventory_item_id"])
    return rows


# --- variant <-> inventory item links -------------------------------------------------------------
async def link_variants(conn: AsyncConnection[Any], links: list[tuple[str, str, int]]) -> None:
    """Link (variant id, item id, required quantity) triples; an existing link takes the new required quantity. The
    caller has checked the variants exist."""
    item_ids = list(dict.fromkeys(item_id for _, item_id, _ in links))
    missing = await missing_item_ids(conn, item_ids)
    if missing:
        raise _item_not_found(missing[0])
    await repo.insert_links(
        conn,
        [
            {
                "id": new_id("pvitem"),
                "variant_id": variant_id,
                "inventory_item_id": item_id,
                "required_quantity": required,
            }
            for variant_id, item_id, required in links
        ],
    )


def new_link_rows(
    links: list[tuple[str, str, int]], ids: Callable[[str], str] = new_id
) -> list[tuple[str, str, str, int]]:
    """`link_variants`' rows for variants a transaction has just created (linked to nothing yet) and items it has
    just made or read live (a bulk import), built, not written: `copy_links` writes them, nothing read first."""
    return [(ids("pvitem"), variant, item, required) for variant, item, required in links]


async def copy_links(conn: AsyncConnection[Any], rows: list[tuple[str, str, str, int]]) -> None:
    """Write `new_link_rows`' links in one COPY."""
    if rows:
        await repo.copy_links(conn, rows)


async def update_variant_link(conn: AsyncConnection[Any], variant_id: str, item_id: str, required: int) -> None:
    if await repo.update_link(conn, variant_id, item_id, required) is None:
        raise NotFound(f"Variant {variant_id} is not linked to inventory item {item_id}")


async def unlink_variant(conn: AsyncConnection[Any], variant_id: str, item_id: str) -> None:
    if await repo.delete_link(conn, variant_id, item_id) is None:
        raise NotFound(f"Variant {variant_id} is not linked to inventory item {item_id}")


async def linked_variant_ids(conn: AsyncConnection[Any], variant_ids: list[str]) -> set[str]:
    """The variants among these that have a link to an inventory item (live or not)."""
    return await repo.linked_variants(conn, variant_ids)


async def item_variant_ids(conn: AsyncConnection[Any], item_ids: list[str]) -> dict[str, list[str]]:
    """`{item_id: [variant ids linked to it]}` (Medusa's inventory_item.variants, as ids)."""
    out: dict[str, list[str]] = {i: [] for i in item_ids}
    for link in await repo.links_of_items(conn, list(dict.fromkeys(item_ids))):
        out[link["inventory_item_id"]].append(link["variant_id"])
    return out


async def variant_inventory_items(
    conn: AsyncConnection[Any], variant_ids: list[str], with_items: bool
) -> dict[str, list[dict[str, Any]]]:
    """The link rows of each variant (Medusa's `variant.inventory_items`), with `inventory` (the item) if asked."""
    links = await repo.links_of_variants(conn, list(dict.fromkeys(variant_ids)))
    found = await items_by_id(conn, [link["inventory_item_id"] for link in links]) if with_items else {}
    out: dict[str, list[dict[str, Any]]] = {v: [] for v in variant_ids}
    for link in links:
        if with_items:
            link["inventory"] = found.get(link["inventory_item_id"])
        out[link["variant_id"]].append(link)
    return out
