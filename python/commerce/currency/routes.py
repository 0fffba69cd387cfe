"""Currency routes: /store/currencies and /admin/currencies (read-only)."""

from commerce.currency import service
from commerce.currency.schemas import CurrencyList, CurrencyListQuery, CurrencyResponse
from commerce.http import Request, Response, Route, json_response, page


async def list_currencies(req: Request) -> Response:
    query = req.query(CurrencyListQuery)
    async with req.state.pool.connection() as conn:
        currencies, count = await service.list_currencies(conn, query)
    return page("currencies", currencies, count, query.offset, query.limit)


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        currency = await service.retrieve(conn, req.params["code"])
    return json_response({"currency": currency})


ROUTES = [
    Route(
        "GET",
        "/store/currencies",
        list_currencies,
        "store",
        "List currencies",
        query=CurrencyListQuery,
        response=CurrencyList,
        tag="Store Currencies",
    ),
    Route(
        "GET",
        "/store/currencies/:code",
        retrieve,
        "store",
        "Get a currency",
        response=CurrencyResponse,
        tag="Store Currencies",
    ),
    Route(
        "GET",
        "/admin/currencies",
        list_currencies,
        "admin",
        "List currencies",
        query=CurrencyListQuery,
        response=CurrencyList,
        tag="Admin Currencies",
    ),
    Route(
        "GET",
        "/admin/currencies/:code",
        retrieve,
        "admin",
        "Get a currency",
        response=CurrencyResponse,
        tag="Admin Currencies",
    ),
]
