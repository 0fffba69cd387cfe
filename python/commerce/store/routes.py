"""Admin routes for the store."""

from commerce.http import Request, Response, Route, json_response, page
from commerce.store import service
from commerce.store.schemas import StoreList, StoreListQuery, StoreResponse, UpdateStore


async def list_stores(req: Request) -> Response:
    query = req.query(StoreListQuery)
    async with req.state.pool.connection() as conn:
        stores, count = await service.list_stores(conn, query)
    return page("stores", stores, count, query.offset, query.limit)


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        store = await service.retrieve(conn, req.params["id"])
    return json_response({"store": store})


async def update(req: Request) -> Response:
    data = await req.json(UpdateStore)
    async with req.state.pool.connection() as conn:
        store = await service.update(conn, req.params["id"], data)
    return json_response({"store": store})


TAG = "Admin Stores"
ROUTES = [
    Route(
        "GET", "/admin/stores", list_stores, "admin", "List stores", query=StoreListQuery, response=StoreList, tag=TAG
    ),
    Route("GET", "/admin/stores/:id", retrieve, "admin", "Get a store", response=StoreResponse, tag=TAG),
    Route(
        "POST",
        "/admin/stores/:id",
        update,
        "admin",
        "Update a store",
        body=UpdateStore,
        response=StoreResponse,
        tag=TAG,
    ),
]
