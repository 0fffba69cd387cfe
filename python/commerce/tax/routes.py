"""Admin routes: /admin/tax-regions, /admin/tax-rates (with their rules) and /admin/tax-providers."""

from decimal import Decimal
from typing import Any

import msgspec

from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.tax import service
from commerce.tax.schemas import (
    RATE_DEFAULTS,
    RATE_SHAPE,
    REGION_DEFAULTS,
    REGION_SHAPE,
    CreateTaxRate,
    CreateTaxRegion,
    TaxProviderList,
    TaxProviderListQuery,
    TaxRate,
    TaxRateList,
    TaxRateListQuery,
    TaxRateResponse,
    TaxRateRuleDeleted,
    TaxRateRuleInput,
    TaxRegion,
    TaxRegionList,
    TaxRegionListQuery,
    TaxRegionResponse,
    TaxRetrieveQuery,
    UpdateTaxRate,
    UpdateTaxRegion,
)


def _actor(req: Request) -> str | None:
    return req.actor.id if req.actor else None


def _fields(req: Request) -> str | None:
    return req.query(TaxRetrieveQuery).fields


def _builtins(obj: msgspec.Struct) -> Any:
    # Rates stay Decimal so the response encoder writes them as JSON numbers, exactly.
    return msgspec.to_builtins(obj, builtin_types=(Decimal,))


def _region_view(region: TaxRegion, plan: fields.Plan) -> dict[str, Any]:
    return fields.apply(plan, _builtins(region))


def _rate_view(rate: TaxRate, plan: fields.Plan) -> dict[str, Any]:
    return fields.apply(plan, _builtins(rate))


def _region_response(req: Request, region: TaxRegion) -> Response:
    plan = fields.plan(REGION_SHAPE, REGION_DEFAULTS, _fields(req))
    return json_response({"tax_region": _region_view(region, plan)})


def _rate_response(req: Request, rate: TaxRate) -> Response:
    plan = fields.plan(RATE_SHAPE, RATE_DEFAULTS, _fields(req))
    return json_response({"tax_rate": _rate_view(rate, plan)})


# --- tax regions --------------------------------------------------------------------------------------------------


async def list_regions(req: Request) -> Response:
    query = req.query(TaxRegionListQuery)
    plan = fields.plan(REGION_SHAPE, REGION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        regions, count = await service.list_regions(conn, query)
    return page("tax_regions", [_region_view(r, plan) for r in regions], count, query.offset, query.limit)


async def create_region(req: Request) -> Response:
    data = await req.json(CreateTaxRegion)
    fields.plan(REGION_SHAPE, REGION_DEFAULTS, _fields(req))  # a bad `fields` fails before anything is written
    async with req.state.pool.connection() as conn:
        region = await service.create_region(conn, data, _actor(req))
    return _region_response(req, region)


async def retrieve_region(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        region = await service.retrieve_region(conn, req.params["id"])
    return _region_response(req, region)


async def update_region(req: Request) -> Response:
    data = await req.json(UpdateTaxRegion)
    fields.plan(REGION_SHAPE, REGION_DEFAULTS, _fields(req))
    async with req.state.pool.connection() as conn:
        region = await service.update_region(conn, req.params["id"], data)
    return _region_response(req, region)


async def delete_region(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_region(conn, req.params["id"])
    return deleted(req.params["id"], "tax_region")


# --- tax rates ----------------------------------------------------------------------------------------------------


async def list_rates(req: Request) -> Response:
    query = req.query(TaxRateListQuery)
    plan = fields.plan(RATE_SHAPE, RATE_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        rates, count = await service.list_rates(conn, query)
    return page("tax_rates", [_rate_view(r, plan) for r in rates], count, query.offset, query.limit)


async def create_rate(req: Request) -> Response:
    data = await req.json(CreateTaxRate)
    fields.plan(RATE_SHAPE, RATE_DEFAULTS, _fields(req))
    async with req.state.pool.connection() as conn:
        rate = await service.create_rate(conn, data, _actor(req))
    return _rate_response(req, rate)


async def retrieve_rate(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        rate = await service.retrieve_rate(conn, req.params["id"])
    return _rate_response(req, rate)


async def update_rate(req: Request) -> Response:
    data = await req.json(UpdateTaxRate)
    fields.plan(RATE_SHAPE, RATE_DEFAULTS, _fields(req))
    async with req.state.pool.connection() as conn:
        rate = await service.update_rate(conn, req.params["id"], data, _actor(req))
    return _rate_response(req, rate)


async def delete_rate(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_rate(conn, req.params["id"])
    return deleted(req.params["id"], "tax_rate")


async def add_rule(req: Request) -> Response:
    data = await req.json(TaxRateRuleInput)
    fields.plan(RATE_SHAPE, RATE_DEFAULTS, _fields(req))
    async with req.state.pool.connection() as conn:
        rate = await service.add_rule(conn, req.params["id"], data, _actor(req))
    return _rate_response(req, rate)


async def delete_rule(req: Request) -> Response:
    plan = fields.plan(RATE_SHAPE, RATE_DEFAULTS, _fields(req))
    rule_id = req.params["rule_id"]
    async with req.state.pool.connection() as conn:
        rate = await service.delete_rule(conn, req.params["id"], rule_id)
    return json_response({"id": rule_id, "object": "tax_rate_rule", "deleted": True, "parent": _rate_view(rate, plan)})


# --- tax providers ------------------------------------------------------------------------------------------------


async def list_providers(req: Request) -> Response:
    query = req.query(TaxProviderListQuery)
    async with req.state.pool.connection() as conn:
        providers, count = await service.list_providers(conn, query)
    return page("tax_providers", providers, count, query.offset, query.limit)


G, R, P = "Admin Tax Regions", "Admin Tax Rates", "Admin Tax Providers"
ROUTES = [
    Route(
        "GET",
        "/admin/tax-regions",
        list_regions,
        "admin",
        "List tax regions",
        query=TaxRegionListQuery,
        response=TaxRegionList,
        tag=G,
    ),
    Route(
        "POST",
        "/admin/tax-regions",
        create_region,
        "admin",
        "Create a country or province tax region, optionally with its default rate",
        body=CreateTaxRegion,
        query=TaxRetrieveQuery,
        response=TaxRegionResponse,
        tag=G,
    ),
    Route(
        "GET",
        "/admin/tax-regions/:id",
        retrieve_region,
        "admin",
        "Get a tax region",
        query=TaxRetrieveQuery,
        response=TaxRegionResponse,
        tag=G,
    ),
    Route(
        "POST",
        "/admin/tax-regions/:id",
        update_region,
        "admin",
        "Update a tax region",
        body=UpdateTaxRegion,
        query=TaxRetrieveQuery,
        response=TaxRegionResponse,
        tag=G,
    ),
    Route(
        "DELETE",
        "/admin/tax-regions/:id",
        delete_region,
        "admin",
        "Delete a tax region with its province regions and rates",
        tag=G,
    ),
    Route(
        "GET",
        "/admin/tax-rates",
        list_rates,
        "admin",
        "List tax rates",
        query=TaxRateListQuery,
        response=TaxRateList,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/tax-rates",
        create_rate,
        "admin",
        "Create a tax rate, optionally with rules",
        body=CreateTaxRate,
        query=TaxRetrieveQuery,
        response=TaxRateResponse,
        tag=R,
    ),
    Route(
        "GET",
        "/admin/tax-rates/:id",
        retrieve_rate,
        "admin",
        "Get a tax rate",
        query=TaxRetrieveQuery,
        response=TaxRateResponse,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/tax-rates/:id",
        update_rate,
        "admin",
        "Update a tax rate (rules, when given, replace its rules)",
        body=UpdateTaxRate,
        query=TaxRetrieveQuery,
        response=TaxRateResponse,
        tag=R,
    ),
    Route("DELETE", "/admin/tax-rates/:id", delete_rate, "admin", "Delete a tax rate", tag=R),
    Route(
        "POST",
        "/admin/tax-rates/:id/rules",
        add_rule,
        "admin",
        "Add a rule to a tax rate",
        body=TaxRateRuleInput,
        query=TaxRetrieveQuery,
        response=TaxRateResponse,
        tag=R,
    ),
    Route(
        "DELETE",
        "/admin/tax-rates/:id/rules/:rule_id",
        delete_rule,
        "admin",
        "Remove a rule from a tax rate",
        query=TaxRetrieveQuery,
        response=TaxRateRuleDeleted,
        tag=R,
    ),
    Route(
        "GET",
        "/admin/tax-providers",
        list_providers,
        "admin",
        "List tax providers",
        query=TaxProviderListQuery,
        response=TaxProviderList,
        tag=P,
    ),
]
