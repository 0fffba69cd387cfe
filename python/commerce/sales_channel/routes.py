"""Admin routes for sales channels."""

from commerce.http import Request, Response, Route, deleted, json_response, page
from commerce.sales_channel import service
from commerce.sales_channel.schemas import (
    CreateSalesChannel,
    SalesChannelList,
    SalesChannelListQuery,
    SalesChannelResponse,
    UpdateSalesChannel,
)


async def list_channels(req: Request) -> Response:
    query = req.query(SalesChannelListQuery)
    async with req.state.pool.connection() as conn:
        channels, count = await service.list_channels(conn, query)
    return page("sales_channels", channels, count, query.offset, query.limit)


async def create(req: Request) -> Response:
    data = await req.json(CreateSalesChannel)
    async with req.state.pool.connection() as conn:
        channel = await service.create(conn, data)
    return json_response({"sales_channel": channel})


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        channel = await service.retrieve(conn, req.params["id"])
    return json_response({"sales_channel": channel})


async def update(req: Request) -> Response:
    data = await req.json(UpdateSalesChannel)
    async with req.state.pool.connection() as conn:
        channel = await service.update(conn, req.params["id"], data)
    return json_response({"sales_channel": channel})


async def delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "sales-channel")


TAG = "Admin Sales Channels"
ROUTES = [
    Route(
        "GET",
        "/admin/sales-channels",
        list_channels,
        "admin",
        "List sales channels",
        query=SalesChannelListQuery,
        response=SalesChannelList,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/sales-channels",
        create,
        "admin",
        "Create a sales channel",
        body=CreateSalesChannel,
        response=SalesChannelResponse,
        tag=TAG,
    ),
    Route(
        "GET",
        "/admin/sales-channels/:id",
        retrieve,
        "admin",
        "Get a sales channel",
        response=SalesChannelResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/sales-channels/:id",
        update,
        "admin",
        "Update a sales channel",
        body=UpdateSalesChannel,
        response=SalesChannelResponse,
        tag=TAG,
    ),
    Route("DELETE", "/admin/sales-channels/:id", delete, "admin", "Delete a sales channel", tag=TAG),
]
