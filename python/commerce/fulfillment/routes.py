"""Admin routes for fulfillment providers, fulfillment sets' service zones, shipping profiles and shipping options.
(The store's shipping options for a cart are cart flows: commerce.flows.cart_routes.)"""

from typing import Any

from commerce.errors import NotFound
from commerce.fulfillment import service
from commerce.fulfillment.schemas import (
    OPTION_DEFAULTS,
    OPTION_SHAPE,
    BatchRules,
    CreateServiceZone,
    CreateShippingOption,
    CreateShippingProfile,
    FulfillmentSetResponse,
    OptionQuery,
    ProfileQuery,
    ProviderList,
    ProviderQuery,
    RetrieveQuery,
    ServiceZoneResponse,
    ShippingOptionList,
    ShippingOptionResponse,
    ShippingProfileList,
    ShippingProfileResponse,
    UpdateServiceZone,
    UpdateShippingOption,
    UpdateShippingProfile,
)
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.stock_location.schemas import FULFILLMENT_SET_SHAPE, SERVICE_ZONE_SHAPE

SET_DEFAULTS = (
    "id",
    "name",
    "type",
    "created_at",
    "updated_at",
    "deleted_at",
    "*service_zones",
    "*service_zones.geo_zones",
)
ZONE_DEFAULTS = ("id", "name", "fulfillment_set_id", "created_at", "updated_at", "deleted_at", "*geo_zones")


def _set_body(req: Request, fulfillment_set: dict[str, Any]) -> Response:
    plan = fields.plan(FULFILLMENT_SET_SHAPE, SET_DEFAULTS, req.query(RetrieveQuery).fields)
    return json_response({"fulfillment_set": fields.apply(plan, fulfillment_set)})


def _option_view(option: dict[str, Any], fields_param: str | None) -> dict[str, Any]:
    return fields.apply(fields.plan(OPTION_SHAPE, OPTION_DEFAULTS, fields_param), option)


# --- providers and fulfillment sets -----------------------------------------------------------------------------


async def list_providers(req: Request) -> Response:
    query = req.query(ProviderQuery)
    async with req.state.pool.connection() as conn:
        rows, count = await service.list_providers(conn, query)
    return page("fulfillment_providers", rows, count, query.offset, query.limit)


async def delete_set(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_set(conn, req.params["id"])
    return deleted(req.params["id"], "fulfillment_set")


async def create_zone(req: Request) -> Response:
    data = await req.json(CreateServiceZone)
    async with req.state.pool.connection() as conn:
        return _set_body(req, await service.create_zone(conn, req.params["id"], data))


async def retrieve_zone(req: Request) -> Response:
    plan = fields.plan(SERVICE_ZONE_SHAPE, ZONE_DEFAULTS, req.query(RetrieveQuery).fields)
    async with req.state.pool.connection() as conn:
        zone = await service.retrieve_zone(conn, req.params["zone_id"])
    if zone["fulfillment_set_id"] != req.params["id"]:
        raise NotFound(f"Service zone with id: {req.params['zone_id']} not found")
    return json_response({"service_zone": fields.apply(plan, zone)})


async def update_zone(req: Request) -> Response:
    data = await req.json(UpdateServiceZone)
    async with req.state.pool.connection() as conn:
        return _set_body(req, await service.update_zone(conn, req.params["id"], req.params["zone_id"], data))


async def delete_zone(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        parent = await service.delete_zone(conn, req.params["id"], req.params["zone_id"])
    plan = fields.plan(FULFILLMENT_SET_SHAPE, SET_DEFAULTS, None)
    body = {
        "id": req.params["zone_id"],
        "object": "service_zone",
        "deleted": True,
        "parent": fields.apply(plan, parent),
    }
    return json_response(body)


# --- shipping profiles ------------------------------------------------------------------------------------------


async def list_profiles(req: Request) -> Response:
    query = req.query(ProfileQuery)
    async with req.state.pool.connection() as conn:
        profiles, count = await service.list_profiles(conn, query)
    return page("shipping_profiles", profiles, count, query.offset, query.limit)


async def create_profile(req: Request) -> Response:
    data = await req.json(CreateShippingProfile)
    async with req.state.pool.connection() as conn:
        return json_response({"shipping_profile": await service.create_profile(conn, data)})


async def retrieve_profile(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return json_response({"shipping_profile": await service.retrieve_profile(conn, req.params["id"])})


async def update_profile(req: Request) -> Response:
    data = await req.json(UpdateShippingProfile)
    async with req.state.pool.connection() as conn:
        return json_response({"shipping_profile": await service.update_profile(conn, req.params["id"], data)})


async def delete_profile(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_profile(conn, req.params["id"])
    return deleted(req.params["id"], "shipping_profile")


# --- shipping options -------------------------------------------------------------------------------------------


async def list_options(req: Request) -> Response:
    query = req.query(OptionQuery)
    plan = fields.plan(OPTION_SHAPE, OPTION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        options, count = await service.list_options(conn, query)
    return page("shipping_options", [fields.apply(plan, o) for o in options], count, query.offset, query.limit)


async def create_option(req: Request) -> Response:
    data = await req.json(CreateShippingOption)
    regions = await req.state.regions.get(req.state.pool)
    async with req.state.pool.connection() as conn:
        option_id = await service.create_option(conn, data, regions)
        option = await service.retrieve_option(conn, option_id)
    return json_response({"shipping_option": _option_view(option, req.query(RetrieveQuery).fields)})


async def retrieve_option(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        option = await service.retrieve_option(conn, req.params["id"])
    return json_response({"shipping_option": _option_view(option, req.query(RetrieveQuery).fields)})


async def update_option(req: Request) -> Response:
    data = await req.json(UpdateShippingOption)
    regions = await req.state.regions.get(req.state.pool)
    async with req.state.pool.connection() as conn:
        await service.update_option(conn, req.params["id"], data, regions)
        option = await service.retrieve_option(conn, req.params["id"])
    return json_response({"shipping_option": _option_view(option, req.query(RetrieveQuery).fields)})


async def delete_option(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_option(conn, req.params["id"])
    return deleted(req.params["id"], "shipping_option")


async def batch_rules(req: Request) -> Response:
    data = await req.json(BatchRules)
    async with req.state.pool.connection() as conn:
        return json_response(await service.batch_rules(conn, req.params["id"], data))


F, Z, P, OPT, S = (
    "Admin Fulfillment Providers",
    "Admin Fulfillment Sets",
    "Admin Shipping Profiles",
    "Admin Shipping Options",
    "Store Shipping Options",
)
ROUTES = [
    Route(
        "GET",
        "/admin/fulfillment-providers",
        list_providers,
        "admin",
        "List fulfillment providers",
        query=ProviderQuery,
        response=ProviderList,
        tag=F,
    ),
    Route("DELETE", "/admin/fulfillment-sets/:id", delete_set, "admin", "Delete a fulfillment set", tag=Z),
    Route(
        "POST",
        "/admin/fulfillment-sets/:id/service-zones",
        create_zone,
        "admin",
        "Add a service zone to a fulfillment set",
        body=CreateServiceZone,
        response=FulfillmentSetResponse,
        tag=Z,
    ),
    Route(
        "GET",
        "/admin/fulfillment-sets/:id/service-zones/:zone_id",
        retrieve_zone,
        "admin",
        "Get a service zone",
        query=RetrieveQuery,
        response=ServiceZoneResponse,
        tag=Z,
    ),
    Route(
        "POST",
        "/admin/fulfillment-sets/:id/service-zones/:zone_id",
        update_zone,
        "admin",
        "Update a service zone (its geo zones are replaced)",
        body=UpdateServiceZone,
        response=FulfillmentSetResponse,
        tag=Z,
    ),
    Route(
        "DELETE",
        "/admin/fulfillment-sets/:id/service-zones/:zone_id",
        delete_zone,
        "admin",
        "Delete a service zone and its shipping options",
        tag=Z,
    ),
    Route(
        "GET",
        "/admin/shipping-profiles",
        list_profiles,
        "admin",
        "List shipping profiles",
        query=ProfileQuery,
        response=ShippingProfileList,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/shipping-profiles",
        create_profile,
        "admin",
        "Create a shipping profile",
        body=CreateShippingProfile,
        response=ShippingProfileResponse,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/shipping-profiles/:id",
        retrieve_profile,
        "admin",
        "Get a shipping profile",
        response=ShippingProfileResponse,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/shipping-profiles/:id",
        update_profile,
        "admin",
        "Update a shipping profile",
        body=UpdateShippingProfile,
        response=ShippingProfileResponse,
        tag=P,
    ),
    Route("DELETE", "/admin/shipping-profiles/:id", delete_profile, "admin", "Delete a shipping profile", tag=P),
    Route(
        "GET",
        "/admin/shipping-options",
        list_options,
        "admin",
        "List shipping options",
        query=OptionQuery,
        response=ShippingOptionList,
        tag=OPT,
    ),
    Route(
        "POST",
        "/admin/shipping-options",
        create_option,
        "admin",
        "Create a shipping option (flat prices per currency or region, or calculated by its provider)",
        body=CreateShippingOption,
        response=ShippingOptionResponse,
        tag=OPT,
    ),
    Route(
        "GET",
        "/admin/shipping-options/:id",
        retrieve_option,
        "admin",
        "Get a shipping option",
        query=RetrieveQuery,
        response=ShippingOptionResponse,
        tag=OPT,
    ),
    Route(
        "POST",
        "/admin/shipping-options/:id",
        update_option,
        "admin",
        "Update a shipping option (prices and rules given are the new set)",
        body=UpdateShippingOption,
        response=ShippingOptionResponse,
        tag=OPT,
    ),
    Route("DELETE", "/admin/shipping-options/:id", delete_option, "admin", "Delete a shipping option", tag=OPT),
    Route(
        "POST",
        "/admin/shipping-options/:id/rules/batch",
        batch_rules,
        "admin",
        "Create, update and delete a shipping option's rules",
        body=BatchRules,
        tag=OPT,
    ),
]
