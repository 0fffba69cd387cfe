"""Promotions and campaigns (admin), and the engine's PromotionSet that carts evaluate, rebuilt on change."""

from decimal import Decimal
from typing import Any

import msgspec
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from commerce import engine
from commerce.errors import DuplicateError, InvalidData, NotAllowed, NotFound
from commerce.ids import new_id
from commerce.money import check_amount
from commerce.promotion import repository as repo
from commerce.promotion.schemas import (
    ApplicationMethodInput,
    BatchRules,
    CampaignListQuery,
    CreateCampaign,
    CreatePromotion,
    PromotionListQuery,
    RuleInput,
    UpdateCampaign,
    UpdatePromotion,
)
from commerce.structs import given

TABLES = ("promotion", "promotion_campaign")


def _rule(r: RuleInput, rule_id: str | None = None) -> dict[str, Any]:
    values = [r.values] if isinstance(r.values, str) else r.values
    if not values:
        raise InvalidData(f"Invalid request: rule on '{r.attribute}' needs at least one value")
    return {
        "id": rule_id or new_id("prorul"),
        "attribute": r.attribute,
        "operator": r.operator,
        "description": r.description,
        "values": [{"id": new_id("prorulval"), "value": v} for v in values],
    }


def _method(data: ApplicationMethodInput, promo_type: str, method_id: str | None = None) -> dict[str, Any]:
    check_amount(data.value, "application_method.value")
    if data.type == "percentage" and data.value > 100:
        raise InvalidData("Invalid request: a percentage application_method.value must be at most 100")
    if data.type == "fixed" and not data.currency_code:
        raise InvalidData("Invalid request: application_method.currency_code is required for a fixed amount")
    if data.target_type != "order" and data.allocation is None:
        raise InvalidData("Invalid request: application_method.allocation is required for items and shipping")
    if promo_type == "buyget" and (
        not data.buy_rules or data.apply_to_quantity is None or data.buy_rules_min_quantity is None
    ):
        raise InvalidData(
            "Invalid request: a buyget promotion needs buy_rules, buy_rules_min_quantity and apply_to_quantity"
        )
    return {
        "id": method_id or new_id("proappmet"),
        "type": data.type,
        "target_type": data.target_type,
        "allocation": data.allocation if data.target_type != "order" else "across",
        "value": str(data.value),
        "currency_code": data.currency_code.lower() if data.currency_code else None,
        "max_quantity": data.max_quantity,
        "apply_to_quantity": data.apply_to_quantity,
        "buy_rules_min_quantity": data.buy_rules_min_quantity,
        "description": data.description,
        "target_rules": [_rule(r) for r in data.target_rules],
        "buy_rules": [_rule(r) for r in data.buy_rules],
    }


async def _check_campaign(conn: AsyncConnection[Any], campaign_id: str | None) -> None:
    if campaign_id and campaign_id not in await repo.campaigns(conn, [campaign_id]):
        raise NotFound(f"Campaign with id: {campaign_id} was not found")


async def create(conn: AsyncConnection[Any], data: CreatePromotion) -> dict[str, Any]:
    method = _method(data.application_method, data.type)
    await _check_campaign(conn, data.campaign_id)
    try:
        async with conn.transaction():
            row = await repo.insert(
                conn,
                {
                    "id": new_id("promo"),
                    "code": data.code,
                    "type": data.type,
                    "is_automatic": data.is_automatic,
                    "status": data.status,
                    "campaign_id": data.campaign_id,
                    "application_method": method,
                    "rules": [_rule(r) for r in data.rules],
                    "metadata": data.metadata,
                },
            )
    except errors.UniqueViolation:
        raise DuplicateError(f"Promotion with code: {data.code}, already exists.") from None
    return await retrieve(conn, row["id"])


async def retrieve(conn: AsyncConnection[Any], promotion_id: str) -> dict[str, Any]:
    row = await repo.get(conn, promotion_id)
    if row is None:
        raise NotFound(f"Promotion with id: {promotion_id} was not found")
    return (await _assemble(conn, [row]))[0]


async def update(conn: AsyncConnection[Any], promotion_id: str, data: UpdatePromotion) -> dict[str, Any]:
    changes = given(data)
    try:
        async with conn.transaction():
            current = await repo.get(conn, promotion_id, for_update=True)
            if current is None:
                raise NotFound(f"Promotion with id: {promotion_id} was not found")
            if "application_method" in changes:
                changes["application_method"] = _method(
                    data.application_method,  # type: ignore[arg-type]
                    current["type"],
                    current["application_method"]["id"],
                )
            if changes.get("campaign_id"):
                await _check_campaign(conn, changes["campaign_id"])
            await repo.update(conn, promotion_id, changes)
    except errors.UniqueViolation:
        raise DuplicateError(f"Promotion with code: {changes.get('code')}, already exists.") from None
    return await retrieve(conn, promotion_id)


async def delete(conn: AsyncConnection[Any], promotion_id: str) -> None:
    if not await repo.soft_delete(conn, promotion_id):
        raise NotFound(f"Promotion with id: {promotion_id} was not found")


async def batch_rules(conn: AsyncConnection[Any], promotion_id: str, kind: str, batch: BatchRules) -> dict[str, Any]:
    """Create, update and delete rules of one kind: `rules`, `target_rules` or `buy_rules`."""
    async with conn.transaction():
        current = await repo.get(conn, promotion_id, for_update=True)
        if current is None:
            raise NotFound(f"Promotion with id: {promotion_id} was not found")
        method = current["application_method"]
        rules: list[dict[str, Any]] = current["rules"] if kind == "rules" else method[kind]
        by_id = {r["id"]: r for r in rules}
        missing = [u.id for u in batch.update if u.id not in by_id] + [d for d in batch.delete if d not in by_id]
        if missing:
            raise NotFound(f"Promotion rules with ids: {', '.join(missing)} were not found")
        created = [_rule(r) for r in batch.create]
        for u in batch.update:
            old = by_id[u.id]
            merged = RuleInput(
                attribute=old["attribute"] if u.attribute is msgspec.UNSET else u.attribute,
                operator=old["operator"] if u.operator is msgspec.UNSET else u.operator,
                values=[v["value"] for v in old["values"]] if u.values is msgspec.UNSET else u.values,
                description=old.get("description") if u.description is msgspec.UNSET else u.description,
            )
            by_id[u.id] = _rule(merged, u.id)
        kept = [by_id[r["id"]] for r in rules if r["id"] not in set(batch.delete)] + created
        if kind == "rules":
            await repo.update(conn, promotion_id, {"rules": kept})
        else:
            await repo.update(conn, promotion_id, {"application_method": {**method, kind: kept}})
    return {
        "created": created,
        "updated": [by_id[u.id] for u in batch.update],
        "deleted": {"ids": batch.delete, "object": "promotion-rule", "deleted": True},
    }


async def list_promotions(conn: AsyncConnection[Any], query: PromotionListQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "id": query.id,
        "code": query.code,
        "campaign_id": query.campaign_id,
        "status": query.status,
        "q": query.q,
    }
    rows, count = await repo.list_promotions(conn, filters, query.order, query.limit, query.offset)
    return await _assemble(conn, rows), count


def _campaign_view(c: dict[str, Any]) -> dict[str, Any]:
    budget = None
    if c["budget_type"]:
        budget = {
            "type": c["budget_type"],
            "currency_code": c["budget_currency_code"],
            "limit": c["budget_limit"],
            "used": c["budget_used"],
        }
    keys = (
        "id",
        "name",
        "description",
        "campaign_identifier",
        "starts_at",
        "ends_at",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    return {**{k: c[k] for k in keys}, "budget": budget}


async def _assemble(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    campaigns = await repo.campaigns(conn, sorted({r["campaign_id"] for r in rows if r["campaign_id"]}))
    out = []
    for r in rows:
        method = {**r["application_method"], "value": Decimal(r["application_method"]["value"])}
        campaign = campaigns.get(r["campaign_id"] or "")
        out.append({**r, "application_method": method, "campaign": _campaign_view(campaign) if campaign else None})
    return out


# --- campaigns ----------------------------------------------------------------------------------------------------


def _budget(data: Any) -> dict[str, Any]:
    if data is None:
        return {"budget_type": None, "budget_currency_code": None, "budget_limit": None}
    if data.limit is not None:
        check_amount(data.limit, "budget.limit")
    if data.type == "spend" and not data.currency_code:
        raise InvalidData("Invalid request: a spend budget needs budget.currency_code")
    return {
        "budget_type": data.type,
        "budget_currency_code": data.currency_code.lower() if data.currency_code else None,
        "budget_limit": data.limit,
    }


async def create_campaign(conn: AsyncConnection[Any], data: CreateCampaign) -> dict[str, Any]:
    if data.starts_at and data.ends_at and data.starts_at >= data.ends_at:
        raise InvalidData("Invalid request: 'starts_at' must be before 'ends_at'")
    try:
        async with conn.transaction():
            row = await repo.insert_campaign(
                conn,
                {
                    "id": new_id("procamp"),
                    "name": data.name,
                    "description": data.description,
                    "campaign_identifier": data.campaign_identifier,
                    "starts_at": data.starts_at,
                    "ends_at": data.ends_at,
                    **_budget(data.budget),
                },
            )
    except errors.UniqueViolation:
        raise DuplicateError(
            f"Campaign with campaign_identifier: {data.campaign_identifier}, already exists."
        ) from None
    return _campaign_view(row)


async def retrieve_campaign(conn: AsyncConnection[Any], campaign_id: str) -> dict[str, Any]:
    found = await repo.campaigns(conn, [campaign_id])
    if campaign_id not in found:
        raise NotFound(f"Campaign with id: {campaign_id} was not found")
    return _campaign_view(found[campaign_id])


async def update_campaign(conn: AsyncConnection[Any], campaign_id: str, data: UpdateCampaign) -> dict[str, Any]:
    changes = given(data)
    if "budget" in changes:
        changes |= _budget(changes.pop("budget"))
    try:
        async with conn.transaction():
            if not await repo.update_campaign(conn, campaign_id, changes):
                raise NotFound(f"Campaign with id: {campaign_id} was not found")
    except errors.UniqueViolation:
        raise DuplicateError("A campaign with this campaign_identifier already exists.") from None
    return await retrieve_campaign(conn, campaign_id)


async def delete_campaign(conn: AsyncConnection[Any], campaign_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete_campaign(conn, campaign_id):
            raise NotFound(f"Campaign with id: {campaign_id} was not found")


async def list_campaigns(conn: AsyncConnection[Any], query: CampaignListQuery) -> tuple[list[dict[str, Any]], int]:
    rows, count = await repo.list_campaigns(
        conn, {"id": query.id, "q": query.q}, query.order, query.limit, query.offset
    )
    return [_campaign_view(r) for r in rows], count


# --- the engine's compiled set ------------------------------------------------------------------------------------


def _engine_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"attribute": r["attribute"], "operator": r["operator"], "values": [v["value"] for v in r["values"]]}
        for r in rules
    ]


def _engine_promotion(row: dict[str, Any], campaign: dict[str, Any] | None) -> dict[str, Any]:
    m = row["application_method"]
    method = {
        k: v
        for k, v in {
            "type": m["type"],
            "target_type": m["target_type"],
            "allocation": m["allocation"],
            "value": Decimal(m["value"]),
            "currency_code": m["currency_code"],
            "max_quantity": None if m["max_quantity"] is None else Decimal(m["max_quantity"]),
            "apply_to_quantity": None if m["apply_to_quantity"] is None else Decimal(m["apply_to_quantity"]),
            "buy_rules_min_quantity": None
            if m["buy_rules_min_quantity"] is None
            else Decimal(m["buy_rules_min_quantity"]),
            "target_rules": _engine_rules(m["target_rules"]),
            "buy_rules": _engine_rules(m["buy_rules"]),
        }.items()
        if v is not None
    }
    promo: dict[str, Any] = {
        "id": row["id"],
        "code": row["code"],
        "type": row["type"],
        "status": row["status"],
        "is_automatic": row["is_automatic"],
        "application_method": method,
        "rules": _engine_rules(row["rules"]),
    }
    if campaign:
        c: dict[str, Any] = {k: campaign[k] for k in ("starts_at", "ends_at") if campaign[k] is not None}
        if campaign["budget_type"]:
            budget: dict[str, Any] = {"type": campaign["budget_type"], "used": campaign["budget_used"]}
            if campaign["budget_limit"] is not None:
                budget["limit"] = campaign["budget_limit"]
            c["budget"] = budget
        promo["campaign"] = c
    return promo


class Promotions:
    """The engine's PromotionSet of every live promotion, and each code's promotion for the cart's answer."""

    def __init__(self, rows: list[dict[str, Any]], campaigns: list[dict[str, Any]]) -> None:
        by_campaign = {c["id"]: c for c in campaigns}
        self.set = engine.PromotionSet([_engine_promotion(r, by_campaign.get(r["campaign_id"] or "")) for r in rows])
        self.by_id = {r["id"]: r for r in rows}
        # Whether any promotion applies without a code: if none does, a cart without codes has nothing to evaluate.
        self.automatic = any(r["is_automatic"] for r in rows)


async def load_promotions(pool: AsyncConnectionPool[Any]) -> Promotions:
    async with pool.connection() as conn:
        return Promotions(await repo.live(conn), await repo.live_campaigns(conn))


async def register_usage(conn: AsyncConnection[Any], adjustments: list[dict[str, Any]], currency_code: str) -> None:
    """Count an order's promotions against their campaigns' budgets (Medusa's registerUsage): a usage budget by one
    per promotion, a spend budget by the discount given (in the budget's currency). Each is one conditional UPDATE,
    so concurrent orders never take a budget past its limit: NotAllowed names the code whose budget ran out (the
    caller's transaction rolls back)."""
    spent: dict[str, Decimal] = {}
    for a in adjustments:
        if a.get("promotion_id"):
            spent[a["promotion_id"]] = spent.get(a["promotion_id"], Decimal(0)) + Decimal(a["amount"])
    if not spent:
        return
    for budget in await repo.budgets_of(conn, sorted(spent)):
        if budget["budget_type"] == "usage":
            amount = Decimal(1)
        elif (budget["budget_currency_code"] or currency_code) == currency_code:
            amount = spent[budget["promotion_id"]]
        else:
            continue  # a spend budget in another currency cannot count this order's discount
        if not await repo.use_budget(conn, budget["campaign_id"], amount):
            raise NotAllowed(f"The promotion code {budget['code']} is invalid: its budget is used up")
