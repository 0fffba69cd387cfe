"""Admin routes for inventory: /admin/inventory-items (with their location levels) and /admin/reservations. The
routes linking variants to inventory items span the product module and live with their flow
(flows/product_inventory.py); they are served from this module's ROUTES."""

from typing import Any

from psycopg import AsyncConnection

from commerce import stock_location
from commerce.errors import NotFound
from commerce.flows import product_admin, product_inventory
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.http.fields import Plan, Shape
from commerce.inventory import service
from commerce.inventory.schemas import (
    ITEM_DEFAULTS,
    ITEM_SHAPE,
    LEVEL_DEFAULTS,
    LEVEL_SHAPE,
    RESERVATION_DEFAULTS,
    RESERVATION_SHAPE,
    CreateInventoryItem,
    CreateReservation,
    InventoryItemList,
    InventoryItemQuery,
    InventoryItemResponse,
    InventoryLevelList,
    ItemLevelsBatch,
    LevelDeleted,
    LevelInput,
    LevelQuery,
    LevelsBatch,
    LevelsBatchResponse,
    ReservationList,
    ReservationQuery,
    ReservationResponse,
    RetrieveQuery,
    SplitLevel,
    UpdateInventoryItem,
    UpdateLevel,
    UpdateReservation,
)
from commerce.stock_location.schemas import StockLocationQuery
from commerce.structs import given


def _item_plan(req: Request) -> Plan:
    # Read before any write: a bad `fields` is a 400 with nothing written.
    return fields.plan(product_admin.ITEM_VIEW, ITEM_DEFAULTS, req.query(RetrieveQuery).fields)


async def _item(conn: AsyncConnection[Any], item_id: str, plan: Plan) -> dict[str, Any]:
    item = await service.retrieve_item(conn, item_id)
    await product_admin.attach_item_variants(conn, [item], plan)  # the variants using it: the product module's
    return fields.apply(plan, item)


async def _check_locations(conn: AsyncConnection[Any], location_ids: list[str]) -> None:
    """Levels are kept at live stock locations only (the stock location module says which exist)."""
    wanted = list(dict.fromkeys(location_ids))
    if not wanted:
        return
    found, _ = await stock_location.service.list_locations(conn, StockLocationQuery(id=wanted, limit=len(wanted)))
    known = {loc["id"] for loc in found}
    missing = [loc for loc in wanted if loc not in known]
    if missing:
        raise NotFound(f"Stock locations with ids: {', '.join(missing)} was not found")


# --- inventory items ------------------------------------------------------------------------------
async def list_items(req: Request) -> Response:
    query = req.query(InventoryItemQuery)
    plan = fields.plan(ITEM_SHAPE, ITEM_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_items(conn, query)
    return page("inventory_items", [fields.apply(plan, i) for i in items], count, query.offset, query.limit)


async def create_item(req: Request) -> Response:
    data = await req.json(CreateInventoryItem)
    plan = _item_plan(req)
    async with req.state.pool.connection() as conn:
        await _check_locations(conn, [level.location_id for level in data.location_levels])
        item_id = await service.create_item(conn, data)
        return json_response({"inventory_item": await _item(conn, item_id, plan)})


async def retrieve_item(req: Request) -> Response:
    plan = _item_plan(req)
    async with req.state.pool.connection() as conn:
        return json_response({"inventory_item": await _item(conn, req.params["id"], plan)})


async def update_item(req: Request) -> Response:
    data = await req.json(UpdateInventoryItem)
    plan = _item_plan(req)
    async with req.state.pool.connection() as conn:
        await service.update_item(conn, req.params["id"], data)
        return json_response({"inventory_item": await _item(conn, req.params["id"], plan)})


async def delete_item(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_item(conn, req.params["id"])
    return deleted(req.params["id"], "inventory_item")


# --- location levels ------------------------------------------------------------------------------
def _level(level: dict[str, Any]) -> dict[str, Any]:
    return fields.apply(DEFAULT_LEVEL_PLAN, level)


DEFAULT_LEVEL_PLAN = fields.plan(LEVEL_SHAPE, LEVEL_DEFAULTS, None)


# A level's page row names its location (Medusa's inventory_level.stock_locations link, the stock location module's).
LEVEL_VIEW = Shape(LEVEL_SHAPE.ordered, {"stock_locations": Shape(("id", "name", "address_id", "metadata"))})


async def _attach_locations(conn: AsyncConnection[Any], levels: list[dict[str, Any]]) -> None:
    wanted = list({lv["location_id"] for lv in levels})
    found, _ = await stock_location.service.list_locations(conn, StockLocationQuery(id=wanted, limit=len(wanted)))
    by_id = {loc["id"]: loc for loc in found}
    for lv in levels:
        lv["stock_locations"] = [by_id[lv["location_id"]]] if lv["location_id"] in by_id else []


async def list_levels(req: Request) -> Response:
    query = req.query(LevelQuery)
    plan = fields.plan(LEVEL_VIEW, LEVEL_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        levels, count = await service.list_levels(conn, req.params["id"], query)
        if "stock_locations" in plan:
            await _attach_locations(conn, levels)
    return page("inventory_levels", [fields.apply(plan, lv) for lv in levels], count, query.offset, query.limit)


async def create_level(req: Request) -> Response:
    data = await req.json(LevelInput)
    plan = _item_plan(req)
    async with req.state.pool.connection() as conn:
        await _check_locations(conn, [data.location_id])
        await service.create_level(conn, req.params["id"], data)
        return json_response({"inventory_item": await _item(conn, req.params["id"], plan)})


async def update_level(req: Request) -> Response:
    data = given(await req.json(UpdateLevel))
    plan = _item_plan(req)
    item_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        await service.update_level(
            conn, item_id, req.params["location_id"], data.get("stocked_quantity"), data.get("incoming_quantity")
        )
        return json_response({"inventory_item": await _item(conn, item_id, plan)})


async def split_level(req: Request) -> Response:
    data = await req.json(SplitLevel)
    plan = _item_plan(req)
    item_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        await service.split_level(conn, item_id, req.params["location_id"], data.buckets)
        return json_response({"inventory_item": await _item(conn, item_id, plan)})


async def delete_level(req: Request) -> Response:
    plan = _item_plan(req)
    item_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        level_id = await service.delete_level(conn, item_id, req.params["location_id"])
        parent = await _item(conn, item_id, plan)
    return json_response({"id": level_id, "object": "inventory-level", "deleted": True, "parent": parent})


def _change(item_id: str, location_id: str, level: Any) -> tuple[str, str, int | None, int | None]:
    values = given(level)
    return item_id, location_id, values.get("stocked_quantity"), values.get("incoming_quantity")


async def batch_levels(req: Request) -> Response:
    data = await req.json(LevelsBatch)
    create = [(c.inventory_item_id, LevelInput(location_id=c.location_id, **_quantities(c))) for c in data.create]
    update = [_change(u.inventory_item_id, u.location_id, u) for u in data.update]
    async with req.state.pool.connection() as conn:
        await _check_locations(conn, [c.location_id for c in data.create])
        created, updated, removed = await service.batch_levels(conn, create, update, data.delete, data.force)
    return json_response(
        {"created": [_level(c) for c in created], "updated": [_level(u) for u in updated], "deleted": removed}
    )


async def batch_item_levels(req: Request) -> Response:
    data = await req.json(ItemLevelsBatch)
    item_id = req.params["id"]
    create = [(item_id, level) for level in data.create]
    update = [_change(item_id, u.location_id, u) for u in data.update]
    async with req.state.pool.connection() as conn:
        await _check_locations(conn, [c.location_id for c in data.create])
        created, updated, removed = await service.batch_levels(
            conn, create, update, data.delete, data.force, only_item=item_id
        )
    return json_response(
        {"created": [_level(c) for c in created], "updated": [_level(u) for u in updated], "deleted": removed}
    )


def _quantities(level: Any) -> dict[str, int]:
    return {k: v for k, v in given(level).items() if k in ("stocked_quantity", "incoming_quantity")}


# --- reservations ---------------------------------------------------------------------------------
def _reservation_plan(req: Request) -> Plan:
    return fields.plan(RESERVATION_SHAPE, RESERVATION_DEFAULTS, req.query(RetrieveQuery).fields)


async def _reservation(conn: AsyncConnection[Any], reservation_id: str, plan: Plan) -> dict[str, Any]:
    return fields.apply(plan, await service.retrieve_reservation(conn, reservation_id))


async def list_reservations(req: Request) -> Response:
    query = req.query(ReservationQuery)
    plan = fields.plan(RESERVATION_SHAPE, RESERVATION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        rows, count = await service.list_reservations(conn, query)
    return page("reservations", [fields.apply(plan, r) for r in rows], count, query.offset, query.limit)


async def create_reservation(req: Request) -> Response:
    data = await req.json(CreateReservation)
    plan = _reservation_plan(req)
    created_by = req.actor.id if req.actor is not None else None
    async with req.state.pool.connection() as conn:
        reservation_id = await service.create_reservation(conn, data, created_by)
        return json_response({"reservation": await _reservation(conn, reservation_id, plan)})


async def retrieve_reservation(req: Request) -> Response:
    plan = _reservation_plan(req)
    async with req.state.pool.connection() as conn:
        return json_response({"reservation": await _reservation(conn, req.params["id"], plan)})


async def update_reservation(req: Request) -> Response:
    data = await req.json(UpdateReservation)
    plan = _reservation_plan(req)
    async with req.state.pool.connection() as conn:
        await service.update_reservation(conn, req.params["id"], data)
        return json_response({"reservation": await _reservation(conn, req.params["id"], plan)})


async def delete_reservation(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_reservation(conn, req.params["id"])
    return deleted(req.params["id"], "reservation")


T = "Admin Inventory Items"
R = "Admin Reservations"
ITEM = "/admin/inventory-items/:id"
LEVELS = f"{ITEM}/location-levels"
ROUTES = [
    Route(
        "GET",
        "/admin/inventory-items",
        list_items,
        "admin",
        "List inventory items",
        query=InventoryItemQuery,
        response=InventoryItemList,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/inventory-items",
        create_item,
        "admin",
        "Create an inventory item (and its levels)",
        body=CreateInventoryItem,
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/inventory-items/location-levels/batch",
        batch_levels,
        "admin",
        "Create, update and delete the levels of any inventory items",
        body=LevelsBatch,
        response=LevelsBatchResponse,
        tag=T,
    ),
    Route(
        "GET",
        ITEM,
        retrieve_item,
        "admin",
        "Get an inventory item",
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "POST",
        ITEM,
        update_item,
        "admin",
        "Update an inventory item",
        body=UpdateInventoryItem,
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "DELETE",
        ITEM,
        delete_item,
        "admin",
        "Delete an inventory item (refused while it has reservations)",
        tag=T,
    ),
    Route(
        "GET",
        LEVELS,
        list_levels,
        "admin",
        "List the item's levels at stock locations",
        query=LevelQuery,
        response=InventoryLevelList,
        tag=T,
    ),
    Route(
        "POST",
        LEVELS,
        create_level,
        "admin",
        "Stock the item at a location",
        body=LevelInput,
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "POST",
        f"{LEVELS}/batch",
        batch_item_levels,
        "admin",
        "Create, update and delete the item's levels",
        body=ItemLevelsBatch,
        response=LevelsBatchResponse,
        tag=T,
    ),
    Route(
        "POST",
        f"{LEVELS}/:location_id",
        update_level,
        "admin",
        "Set the item's stocked and incoming quantity at a location",
        body=UpdateLevel,
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "POST",
        f"{LEVELS}/:location_id/buckets",
        split_level,
        "admin",
        "Split a hot level over N rows (flash sales: buyers of one SKU reserve side by side; totals stay exact)",
        body=SplitLevel,
        query=RetrieveQuery,
        response=InventoryItemResponse,
        tag=T,
    ),
    Route(
        "DELETE",
        f"{LEVELS}/:location_id",
        delete_level,
        "admin",
        "Remove the item's level at a location (refused while it holds reservations)",
        query=RetrieveQuery,
        response=LevelDeleted,
        tag=T,
    ),
    Route(
        "GET",
        "/admin/reservations",
        list_reservations,
        "admin",
        "List reservations",
        query=ReservationQuery,
        response=ReservationList,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/reservations",
        create_reservation,
        "admin",
        "Reserve stock of an item at a location (refused beyond what is available)",
        body=CreateReservation,
        query=RetrieveQuery,
        response=ReservationResponse,
        tag=R,
    ),
    Route(
        "GET",
        "/admin/reservations/:id",
        retrieve_reservation,
        "admin",
        "Get a reservation",
        query=RetrieveQuery,
        response=ReservationResponse,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/reservations/:id",
        update_reservation,
        "admin",
        "Change a reservation's location, quantity, description or metadata",
        body=UpdateReservation,
        query=RetrieveQuery,
        response=ReservationResponse,
        tag=R,
    ),
    Route(
        "DELETE",
        "/admin/reservations/:id",
        delete_reservation,
        "admin",
        "Delete a reservation (its quantity is available again)",
        tag=R,
    ),
    *product_inventory.ROUTES,
]
