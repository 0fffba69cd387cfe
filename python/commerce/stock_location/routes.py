"""Admin routes for stock locations: CRUD, their sales channels and fulfillment providers, and creating their
fulfillment sets."""

from typing import Any

from psycopg import AsyncConnection

from commerce import fulfillment
from commerce.errors import InvalidData
from commerce.fulfillment.schemas import OPTION_SHAPE
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.http.fields import Shape
from commerce.stock_location import service
from commerce.stock_location.schemas import (
    FULFILLMENT_SET_SHAPE,
    LOCATION_DEFAULTS,
    LOCATION_SHAPE,
    SERVICE_ZONE_SHAPE,
    BatchLinks,
    CreateLocationFulfillmentSet,
    CreateStockLocation,
    RetrieveQuery,
    StockLocationList,
    StockLocationQuery,
    StockLocationResponse,
    UpdateStockLocation,
)

# A location's page shows its fulfillment sets down to each service zone's shipping options (fulfillment owns them).
_ZONE = Shape(SERVICE_ZONE_SHAPE.ordered, {**SERVICE_ZONE_SHAPE.relations, "shipping_options": OPTION_SHAPE})
_SET = Shape(FULFILLMENT_SET_SHAPE.ordered, {"service_zones": _ZONE})
LOCATION_VIEW = Shape(LOCATION_SHAPE.ordered, {**LOCATION_SHAPE.relations, "fulfillment_sets": _SET})


def _wants_options(plan: fields.Plan) -> bool:
    sets = plan.get("fulfillment_sets") or {}
    zones = sets.get("service_zones") or {}
    return "shipping_options" in zones


async def _expand(conn: AsyncConnection[Any], location: dict[str, Any], plan: fields.Plan) -> dict[str, Any]:
    set_ids = location.pop("fulfillment_set_ids")
    if "fulfillment_sets" in plan:
        location["fulfillment_sets"] = await fulfillment.service.sets_view(conn, set_ids, _wants_options(plan))
    return fields.apply(plan, location)


async def _respond(req: Request, conn: AsyncConnection[Any], location_id: str) -> Response:
    plan = fields.plan(LOCATION_VIEW, LOCATION_DEFAULTS, req.query(RetrieveQuery).fields)
    location = await service.retrieve(conn, location_id)
    return json_response({"stock_location": await _expand(conn, location, plan)})


async def list_locations(req: Request) -> Response:
    query = req.query(StockLocationQuery)
    plan = fields.plan(LOCATION_VIEW, LOCATION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        locations, count = await service.list_locations(conn, query)
        body = [await _expand(conn, loc, plan) for loc in locations]
    return page("stock_locations", body, count, query.offset, query.limit)


async def create(req: Request) -> Response:
    data = await req.json(CreateStockLocation)
    async with req.state.pool.connection() as conn:
        location = await service.create(conn, data)
        return await _respond(req, conn, location["id"])


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return await _respond(req, conn, req.params["id"])


async def update(req: Request) -> Response:
    data = await req.json(UpdateStockLocation)
    async with req.state.pool.connection() as conn:
        await service.update(conn, req.params["id"], data)
        return await _respond(req, conn, req.params["id"])


async def delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn, conn.transaction():
        set_ids = await service.delete(conn, req.params["id"])
        await fulfillment.service.delete_sets(conn, set_ids)
    return deleted(req.params["id"], "stock_location")


async def sales_channels(req: Request) -> Response:
    data = await req.json(BatchLinks)
    async with req.state.pool.connection() as conn:
        await service.link_sales_channels(conn, req.params["id"], data.add, data.remove)
        return await _respond(req, conn, req.params["id"])


async def fulfillment_providers(req: Request) -> Response:
    data = await req.json(BatchLinks)
    async with req.state.pool.connection() as conn:
        missing = await fulfillment.service.missing_providers(conn, data.add)
        if missing:
            raise InvalidData(f"Fulfillment providers with ids: {', '.join(missing)} were not found")
        await service.link_providers(conn, req.params["id"], data.add, data.remove)
        return await _respond(req, conn, req.params["id"])


async def create_fulfillment_set(req: Request) -> Response:
    data = await req.json(CreateLocationFulfillmentSet)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            await service.lock(conn, req.params["id"])
            set_id = await fulfillment.service.create_set(conn, data.name, data.type)
            await service.link_fulfillment_set(conn, req.params["id"], set_id)
        return await _respond(req, conn, req.params["id"])


T = "Admin Stock Locations"
ROUTES = [
    Route(
        "GET",
        "/admin/stock-locations",
        list_locations,
        "admin",
        "List stock locations",
        query=StockLocationQuery,
        response=StockLocationList,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/stock-locations",
        create,
        "admin",
        "Create a stock location",
        body=CreateStockLocation,
        response=StockLocationResponse,
        tag=T,
    ),
    Route(
        "GET",
        "/admin/stock-locations/:id",
        retrieve,
        "admin",
        "Get a stock location",
        query=RetrieveQuery,
        response=StockLocationResponse,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/stock-locations/:id",
        update,
        "admin",
        "Update a stock location",
        body=UpdateStockLocation,
        response=StockLocationResponse,
        tag=T,
    ),
    Route(
        "DELETE",
        "/admin/stock-locations/:id",
        delete,
        "admin",
        "Delete a stock location and its fulfillment sets",
        tag=T,
    ),
    Route(
        "POST",
        "/admin/stock-locations/:id/sales-channels",
        sales_channels,
        "admin",
        "Link sales channels to the location or unlink them",
        body=BatchLinks,
        response=StockLocationResponse,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/stock-locations/:id/fulfillment-providers",
        fulfillment_providers,
        "admin",
        "Link fulfillment providers to the location or unlink them",
        body=BatchLinks,
        response=StockLocationResponse,
        tag=T,
    ),
    Route(
        "POST",
        "/admin/stock-locations/:id/fulfillment-sets",
        create_fulfillment_set,
        "admin",
        "Create a fulfillment set at the location",
        body=CreateLocationFulfillmentSet,
        response=StockLocationResponse,
        tag=T,
    ),
]
