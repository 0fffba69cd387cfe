"""Admin routes for price lists and price preferences."""

from commerce.http import Request, Response, Route, deleted, json_response, page
from commerce.listing import ListQuery
from commerce.pricing import service
from commerce.pricing.schemas import (
    BatchPrices,
    BatchPricesResult,
    CreatePriceList,
    CreatePricePreference,
    PriceListList,
    PriceListQuery,
    PriceListResponse,
    PricePreferenceList,
    PricePreferenceQuery,
    PricePreferenceResponse,
    UpdatePriceList,
    UpdatePricePreference,
)


async def list_lists(req: Request) -> Response:
    query = req.query(PriceListQuery)
    async with req.state.pool.connection() as conn:
        lists, count = await service.list_lists(conn, query)
    return page("price_lists", lists, count, query.offset, query.limit)


async def create_list(req: Request) -> Response:
    data = await req.json(CreatePriceList)
    async with req.state.pool.connection() as conn:
        return json_response({"price_list": await service.create_list(conn, data)})


async def retrieve_list(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return json_response({"price_list": await service.retrieve_list(conn, req.params["id"])})


async def update_list(req: Request) -> Response:
    data = await req.json(UpdatePriceList)
    async with req.state.pool.connection() as conn:
        return json_response({"price_list": await service.update_list(conn, req.params["id"], data)})


async def delete_list(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_list(conn, req.params["id"])
    return deleted(req.params["id"], "price_list")


async def list_prices(req: Request) -> Response:
    """Medusa's GET /admin/price-lists/:id/prices: the list's prices, a page at a time."""
    query = req.query(ListQuery)
    async with req.state.pool.connection() as conn:
        price_list = await service.retrieve_list(conn, req.params["id"])
    prices = price_list.prices
    return page("prices", prices[query.offset : query.offset + query.limit], len(prices), query.offset, query.limit)


async def batch_prices(req: Request) -> Response:
    data = await req.json(BatchPrices)
    async with req.state.pool.connection() as conn:
        return json_response(await service.batch_list_prices(conn, req.params["id"], data))


async def list_preferences(req: Request) -> Response:
    query = req.query(PricePreferenceQuery)
    async with req.state.pool.connection() as conn:
        prefs, count = await service.list_preferences(conn, query)
    return page("price_preferences", prefs, count, query.offset, query.limit)


async def create_preference(req: Request) -> Response:
    data = await req.json(CreatePricePreference)
    async with req.state.pool.connection() as conn:
        return json_response({"price_preference": await service.create_preference(conn, data)})


async def retrieve_preference(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return json_response({"price_preference": await service.retrieve_preference(conn, req.params["id"])})


async def update_preference(req: Request) -> Response:
    data = await req.json(UpdatePricePreference)
    async with req.state.pool.connection() as conn:
        return json_response({"price_preference": await service.update_preference(conn, req.params["id"], data)})


async def delete_preference(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_preference(conn, req.params["id"])
    return deleted(req.params["id"], "price_preference")


L, P = "Admin Price Lists", "Admin Price Preferences"
ROUTES = [
    Route(
        "GET",
        "/admin/price-lists",
        list_lists,
        "admin",
        "List price lists",
        query=PriceListQuery,
        response=PriceListList,
        tag=L,
    ),
    Route(
        "POST",
        "/admin/price-lists",
        create_list,
        "admin",
        "Create a price list",
        body=CreatePriceList,
        response=PriceListResponse,
        tag=L,
    ),
    Route(
        "GET", "/admin/price-lists/:id", retrieve_list, "admin", "Get a price list", response=PriceListResponse, tag=L
    ),
    Route(
        "POST",
        "/admin/price-lists/:id",
        update_list,
        "admin",
        "Update a price list",
        body=UpdatePriceList,
        response=PriceListResponse,
        tag=L,
    ),
    Route("DELETE", "/admin/price-lists/:id", delete_list, "admin", "Delete a price list", tag=L),
    Route(
        "GET", "/admin/price-lists/:id/prices", list_prices, "admin", "A price list's prices", query=ListQuery, tag=L
    ),
    Route(
        "POST",
        "/admin/price-lists/:id/prices/batch",
        batch_prices,
        "admin",
        "Create, update and delete a price list's prices",
        body=BatchPrices,
        response=BatchPricesResult,
        tag=L,
    ),
    Route(
        "GET",
        "/admin/price-preferences",
        list_preferences,
        "admin",
        "List price preferences",
        query=PricePreferenceQuery,
        response=PricePreferenceList,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/price-preferences",
        create_preference,
        "admin",
        "Create a price preference",
        body=CreatePricePreference,
        response=PricePreferenceResponse,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/price-preferences/:id",
        retrieve_preference,
        "admin",
        "Get a price preference",
        response=PricePreferenceResponse,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/price-preferences/:id",
        update_preference,
        "admin",
        "Update a price preference",
        body=UpdatePricePreference,
        response=PricePreferenceResponse,
        tag=P,
    ),
    Route("DELETE", "/admin/price-preferences/:id", delete_preference, "admin", "Delete a price preference", tag=P),
]
