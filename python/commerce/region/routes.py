"""Region routes: /store/regions from the per-worker catalog, /admin/regions on PostgreSQL."""

import msgspec

from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.region import service
from commerce.region.schemas import (
    ADMIN_DEFAULTS,
    REGION_SHAPE,
    CreateRegion,
    Region,
    RegionList,
    RegionListQuery,
    RegionResponse,
    RetrieveQuery,
    UpdateRegion,
)


async def store_list(req: Request) -> Response:
    raw = req.query_string
    catalog = await req.state.regions.get(req.state.pool)
    body = catalog.memo.get(("list", raw))
    if body is None:
        body = catalog.remember(("list", raw), catalog.list_body(req.query(RegionListQuery)))
    return Response(body)


async def store_retrieve(req: Request) -> Response:
    catalog = await req.state.regions.get(req.state.pool)
    query = req.query(RetrieveQuery)
    return Response(catalog.one_body(req.params["id"], query.fields))


def _admin_view(region: Region, fields_param: str | None) -> dict[str, object]:
    return fields.apply(fields.plan(REGION_SHAPE, ADMIN_DEFAULTS, fields_param), msgspec.to_builtins(region))


async def admin_list(req: Request) -> Response:
    query = req.query(RegionListQuery)
    plan = fields.plan(REGION_SHAPE, ADMIN_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        regions, count = await service.list_regions(conn, query)
    items = [fields.apply(plan, msgspec.to_builtins(r)) for r in regions]
    return page("regions", items, count, query.offset, query.limit)


async def admin_create(req: Request) -> Response:
    data = await req.json(CreateRegion)
    query = req.query(RetrieveQuery)
    async with req.state.pool.connection() as conn:
        region = await service.create(conn, data)
    return json_response({"region": _admin_view(region, query.fields)})


async def admin_retrieve(req: Request) -> Response:
    query = req.query(RetrieveQuery)
    async with req.state.pool.connection() as conn:
        region = await service.retrieve(conn, req.params["id"])
    return json_response({"region": _admin_view(region, query.fields)})


async def admin_update(req: Request) -> Response:
    data = await req.json(UpdateRegion)
    query = req.query(RetrieveQuery)
    async with req.state.pool.connection() as conn:
        region = await service.update(conn, req.params["id"], data)
    return json_response({"region": _admin_view(region, query.fields)})


async def admin_delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "region")


ROUTES = [
    Route(
        "GET",
        "/store/regions",
        store_list,
        "store",
        "List regions",
        query=RegionListQuery,
        response=RegionList,
        tag="Store Regions",
    ),
    Route(
        "GET",
        "/store/regions/:id",
        store_retrieve,
        "store",
        "Get a region",
        query=RetrieveQuery,
        response=RegionResponse,
        tag="Store Regions",
    ),
    Route(
        "GET",
        "/admin/regions",
        admin_list,
        "admin",
        "List regions",
        query=RegionListQuery,
        response=RegionList,
        tag="Admin Regions",
    ),
    Route(
        "POST",
        "/admin/regions",
        admin_create,
        "admin",
        "Create a region",
        body=CreateRegion,
        response=RegionResponse,
        tag="Admin Regions",
    ),
    Route(
        "GET",
        "/admin/regions/:id",
        admin_retrieve,
        "admin",
        "Get a region",
        query=RetrieveQuery,
        response=RegionResponse,
        tag="Admin Regions",
    ),
    Route(
        "POST",
        "/admin/regions/:id",
        admin_update,
        "admin",
        "Update a region",
        body=UpdateRegion,
        response=RegionResponse,
        tag="Admin Regions",
    ),
    Route("DELETE", "/admin/regions/:id", admin_delete, "admin", "Delete a region", tag="Admin Regions"),
]
