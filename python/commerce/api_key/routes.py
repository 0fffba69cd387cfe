"""Admin routes for API keys: CRUD, revoke, and the publishable key ↔ sales channel link."""

from commerce.api_key import service
from commerce.api_key.schemas import (
    ApiKeyList,
    ApiKeyListQuery,
    ApiKeyResponse,
    CreateApiKey,
    LinkSalesChannels,
    RevokeApiKey,
    UpdateApiKey,
)
from commerce.http import Request, Response, Route, deleted, json_response, page


def _actor_id(req: Request) -> str:
    return req.actor.id if req.actor else ""


async def list_keys(req: Request) -> Response:
    query = req.query(ApiKeyListQuery)
    async with req.state.pool.connection() as conn:
        keys, count = await service.list_keys(conn, query)
    return page("api_keys", keys, count, query.offset, query.limit)


async def create(req: Request) -> Response:
    data = await req.json(CreateApiKey)
    async with req.state.pool.connection() as conn:
        key = await service.create(conn, data, _actor_id(req))
    return json_response({"api_key": key})


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        key = await service.retrieve(conn, req.params["id"])
    return json_response({"api_key": key})


async def update(req: Request) -> Response:
    data = await req.json(UpdateApiKey)
    async with req.state.pool.connection() as conn:
        key = await service.update_title(conn, req.params["id"], data.title)
    return json_response({"api_key": key})


async def delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "api_key")


async def revoke(req: Request) -> Response:
    data = await req.json(RevokeApiKey)
    async with req.state.pool.connection() as conn:
        key = await service.revoke(conn, req.params["id"], data.revoke_in, _actor_id(req))
    return json_response({"api_key": key})


async def sales_channels(req: Request) -> Response:
    data = await req.json(LinkSalesChannels)
    async with req.state.pool.connection() as conn:
        key = await service.link_sales_channels(conn, req.params["id"], data.add, data.remove)
    return json_response({"api_key": key})


TAG = "Admin Api Keys"
ROUTES = [
    Route(
        "GET",
        "/admin/api-keys",
        list_keys,
        "admin",
        "List API keys",
        query=ApiKeyListQuery,
        response=ApiKeyList,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/api-keys",
        create,
        "admin",
        "Create an API key (the token is shown once)",
        body=CreateApiKey,
        response=ApiKeyResponse,
        tag=TAG,
    ),
    Route("GET", "/admin/api-keys/:id", retrieve, "admin", "Get an API key", response=ApiKeyResponse, tag=TAG),
    Route(
        "POST",
        "/admin/api-keys/:id",
        update,
        "admin",
        "Update an API key",
        body=UpdateApiKey,
        response=ApiKeyResponse,
        tag=TAG,
    ),
    Route("DELETE", "/admin/api-keys/:id", delete, "admin", "Delete an API key", tag=TAG),
    Route(
        "POST",
        "/admin/api-keys/:id/revoke",
        revoke,
        "admin",
        "Revoke an API key",
        body=RevokeApiKey,
        response=ApiKeyResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/api-keys/:id/sales-channels",
        sales_channels,
        "admin",
        "Add or remove sales channels of a publishable key",
        body=LinkSalesChannels,
        response=ApiKeyResponse,
        tag=TAG,
    ),
]
