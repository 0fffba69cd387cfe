"""Admin routes for promotions (+ rules batches) and campaigns."""

from typing import Any

import msgspec

from commerce.errors import InvalidData, NotFound
from commerce.http import Request, Response, Route, deleted, json_response, page
from commerce.promotion import rule_attributes, service
from commerce.promotion.schemas import (
    BatchRules,
    CampaignListQuery,
    CreateCampaign,
    CreatePromotion,
    PromotionListQuery,
    UpdateCampaign,
    UpdatePromotion,
)


async def list_promotions(req: Request) -> Response:
    query = req.query(PromotionListQuery)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_promotions(conn, query)
    return page("promotions", items, count, query.offset, query.limit)


async def create(req: Request) -> Response:
    data = await req.json(CreatePromotion)
    async with req.state.pool.connection() as conn:
        return json_response({"promotion": await service.create(conn, data)})


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return json_response({"promotion": await service.retrieve(conn, req.params["id"])})


async def update(req: Request) -> Response:
    data = await req.json(UpdatePromotion)
    async with req.state.pool.connection() as conn:
        return json_response({"promotion": await service.update(conn, req.params["id"], data)})


async def delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "promotion")


def batch(kind: str) -> Any:
    async def handler(req: Request) -> Response:
        data = await req.json(BatchRules)
        async with req.state.pool.connection() as conn:
            return json_response(await service.batch_rules(conn, req.params["id"], kind, data))

    return handler


class RuleTypesQuery(msgspec.Struct, kw_only=True):
    promotion_type: str | None = None
    application_method_type: str | None = None
    application_method_target_type: str | None = None


def rules_of(rule_type: str) -> Any:
    """GET /admin/promotions/:id/{rules,target-rules,buy-rules}: a promotion's rules of one type as the admin's
    forms show them (rule_attributes.shown_rules); an unknown id answers the query's types' disguised rules."""

    async def handler(req: Request) -> Response:
        query = req.query(RuleTypesQuery)
        async with req.state.pool.connection() as conn:
            try:
                promotion = await service.retrieve(conn, req.params["id"])
            except NotFound:
                promotion = {}
        shown = rule_attributes.shown_rules(promotion, rule_type, msgspec.structs.asdict(query))
        return json_response({"rules": shown})

    return handler


async def rule_attribute_options(req: Request) -> Response:
    rule_type = req.params["rule_type"]
    if rule_type not in ("rules", "target-rules", "buy-rules"):
        raise InvalidData(f"Invalid param rule_type ({rule_type})")
    query = req.query(RuleTypesQuery)
    found = rule_attributes.attributes(query.promotion_type, query.application_method_type)
    return json_response({"attributes": found[rule_type]})


async def list_campaigns(req: Request) -> Response:
    query = req.query(CampaignListQuery)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_campaigns(conn, query)
    return page("campaigns", items, count, query.offset, query.limit)


async def create_campaign(req: Request) -> Response:
    data = await req.json(CreateCampaign)
    async with req.state.pool.connection() as conn:
        return json_response({"campaign": await service.create_campaign(conn, data)})


async def retrieve_campaign(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return json_response({"campaign": await service.retrieve_campaign(conn, req.params["id"])})


async def update_campaign(req: Request) -> Response:
    data = await req.json(UpdateCampaign)
    async with req.state.pool.connection() as conn:
        return json_response({"campaign": await service.update_campaign(conn, req.params["id"], data)})


async def delete_campaign(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_campaign(conn, req.params["id"])
    return deleted(req.params["id"], "campaign")


P, C = "Admin Promotions", "Admin Campaigns"
ROUTES = [
    Route("GET", "/admin/promotions", list_promotions, "admin", "List promotions", query=PromotionListQuery, tag=P),
    Route("POST", "/admin/promotions", create, "admin", "Create a promotion", body=CreatePromotion, tag=P),
    Route("GET", "/admin/promotions/:id", retrieve, "admin", "Get a promotion", tag=P),
    Route("POST", "/admin/promotions/:id", update, "admin", "Update a promotion", body=UpdatePromotion, tag=P),
    Route("DELETE", "/admin/promotions/:id", delete, "admin", "Delete a promotion", tag=P),
    Route(
        "POST",
        "/admin/promotions/:id/rules/batch",
        batch("rules"),
        "admin",
        "Batch the promotion's rules",
        body=BatchRules,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/promotions/:id/target-rules/batch",
        batch("target_rules"),
        "admin",
        "Batch the promotion's target rules",
        body=BatchRules,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/promotions/:id/buy-rules/batch",
        batch("buy_rules"),
        "admin",
        "Batch the promotion's buy rules",
        body=BatchRules,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/promotions/rule-attribute-options/:rule_type",
        rule_attribute_options,
        "admin",
        "The attributes a promotion rule may test",
        tag=P,
    ),
    Route("GET", "/admin/promotions/:id/rules", rules_of("rules"), "admin", "A promotion's rules", tag=P),
    Route("GET", "/admin/promotions/:id/target-rules", rules_of("target-rules"), "admin", "Its target rules", tag=P),
    Route("GET", "/admin/promotions/:id/buy-rules", rules_of("buy-rules"), "admin", "Its buy rules", tag=P),
    Route("GET", "/admin/campaigns", list_campaigns, "admin", "List campaigns", query=CampaignListQuery, tag=C),
    Route("POST", "/admin/campaigns", create_campaign, "admin", "Create a campaign", body=CreateCampaign, tag=C),
    Route("GET", "/admin/campaigns/:id", retrieve_campaign, "admin", "Get a campaign", tag=C),
    Route("POST", "/admin/campaigns/:id", update_campaign, "admin", "Update a campaign", body=UpdateCampaign, tag=C),
    Route("DELETE", "/admin/campaigns/:id", delete_campaign, "admin", "Delete a campaign", tag=C),
]
