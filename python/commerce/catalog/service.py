"""Storefront reads: product pages (documents from catalog.documents) priced by the engine, categories (a tree) and
collections (kept in memory: they are few)."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from commerce.catalog import model, shapes, source
from commerce.catalog.documents import ProductQuery
from commerce.catalog.prices import Prices
from commerce.catalog.stock import Slotted
from commerce.errors import InvalidData, NotFound
from commerce.http import fields

_encode = msgspec.json.Encoder(decimal_format="number").encode


class Catalog:
    """The store's categories (a tree) and collections: small, kept whole per worker, reloaded when they change."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        cats = [msgspec.json.decode(_encode(c)) for c in rows["categories"]]
        # The store sees active, public categories only (and no category below a hidden one).
        visible = {c["id"] for c in cats if c["is_active"] and not c["is_internal"]}
        by_id = {c["id"]: c for c in cats}
        self.categories = [
            c for c in cats if c["id"] in visible and all(a in visible for a in c["mpath"].split(".") if a in by_id)
        ]
        self.category_by_id = {c["id"]: c for c in self.categories}
        self.children: dict[str | None, list[dict[str, Any]]] = {}
        for c in self.categories:
            self.children.setdefault(c["parent_category_id"], []).append(c)
        self.collections = [msgspec.json.decode(_encode(c)) for c in rows["collections"]]
        self.collection_by_id = {c["id"]: c for c in self.collections}


_plans: dict[str | None, fields.Plan] = {}


def plan(fields_param: str | None) -> fields.Plan:
    """The product projection for a `fields` parameter (kept for the 256 first seen)."""
    found = _plans.get(fields_param)
    if found is None:
        found = fields.plan(shapes.PRODUCT, shapes.PRODUCT_DEFAULTS, fields_param)
        if len(_plans) < 256:
            _plans[fields_param] = found
    return found


def product_refs(entries: Iterable[model.Entry]) -> list[dict[str, Any]]:
    """A category's or a collection's products as Medusa nests them."""
    keys = shapes.PRODUCT_REF.ordered
    out = []
    for e in entries:
        full = e.full
        out.append({k: full[k] for k in keys})
    return out


def pricing_context(
    query: ProductQuery, regions: Any, customer_group_ids: list[str]
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The engine's pricing context from region_id, country_code or currency_code, and its memo key."""
    region = None
    if query.region_id:
        region = regions.by_id.get(query.region_id)
        if region is None:
            raise NotFound(f"Region with id: {query.region_id} was not found")
    elif query.country_code:
        code = query.country_code.lower()
        region = next((r for r in regions.regions if any(c.iso_2 == code for c in r.countries)), None)
        if region is None:
            raise InvalidData(f"No region serves the country {query.country_code}")
    currency = region.currency_code if region else (query.currency_code or "").lower()
    if not currency:
        raise InvalidData("Missing required pricing context to calculate prices - currency_code or region_id")
    region_id = region.id if region else None
    groups = sorted(customer_group_ids)
    context = {
        "currency_code": currency,
        "region_id": region_id,
        "customer_group_ids": groups,
        "quantity": 1,
        "now": datetime.now(UTC),
    }
    return context, (currency, region_id, tuple(groups))


def stock_channels(query: ProductQuery, channel_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The sales channels whose stock locations inventory_quantity counts: the `sales_channel_id` asked for (within
    the key's), else the key's (as Medusa; a key with several channels counts all their locations)."""
    if query.sales_channel_id:
        return tuple(c for c in channel_ids if c in query.sales_channel_id)
    return channel_ids


def page_body(
    entries: list[model.Entry],
    count: int,
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> Slotted:
    """The page's JSON, with a slot for each selected variants.inventory_quantity (filled by Slotted.render)."""
    body, variant_ids = _page(entries, count, query, prices, context)
    return Slotted(body, variant_ids)


def _page(
    page: list[model.Entry],
    count: int,
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> tuple[bytes, list[str]]:
    plan_ = plan(query.fields)
    variant_plan = plan_.get("variants")
    cp_plan = variant_plan.get("calculated_price") if variant_plan else None
    stocked = variant_plan is not None and "inventory_quantity" in variant_plan
    per_entry: list[list[bytes | None]] = []
    if cp_plan is not None and prices is not None and context is not None:
        _, key = context
        for e in page:
            per_entry.append(prices.encoded(e.set_ids, key))
    parts: list[bytes] = []
    variant_ids: list[str] = []
    fast = _same_as_default(plan_)
    for n, e in enumerate(page):
        if fast:
            priced = per_entry[n] if per_entry else [None] * len(e.set_ids)
            parts.append(model.splice(e, priced))
        else:
            parts.append(_projected(e, plan_, cp_plan, per_entry[n] if per_entry else None, stocked))
        if stocked:
            variant_ids.extend(e.variant_ids)
    body = (
        b'{"products":['
        + b",".join(parts)
        + b'],"count":%d,"offset":%d,"limit":%d}' % (count, query.offset, query.limit)
    )
    return body, variant_ids


def _same_as_default(plan: fields.Plan) -> bool:
    variants = plan.get("variants")
    if variants is None or "calculated_price" not in variants:
        return plan == model.DEFAULT_PLAN
    stripped = {**plan, "variants": {k: v for k, v in variants.items() if k != "calculated_price"}}
    return stripped == model.DEFAULT_PLAN and variants["calculated_price"] == _FULL_CP


_FULL_CP = fields.plan(shapes.CALCULATED_PRICE, ("*",), None)


def _projected(
    e: model.Entry,
    plan: fields.Plan,
    cp_plan: fields.Plan | None,
    priced: list[bytes | None] | None,
    stocked: bool,
) -> bytes:
    product = fields.apply(plan, e.full_with_slots() if stocked else e.full)
    if cp_plan is not None and priced is not None and "variants" in product:
        for variant, cp in zip(product["variants"], priced, strict=True):
            if cp is not None:
                variant["calculated_price"] = fields.apply(cp_plan, msgspec.json.decode(cp))
    return _encode(product)


def product_body(
    entry: model.Entry,
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> Slotted:
    listing, variant_ids = _page([entry], 1, msgspec.structs.replace(query, offset=0, limit=1), prices, context)
    # {"products":[X],...} → {"product":X}
    start = len(b'{"products":[')
    end = listing.rindex(b'],"count":')
    return Slotted(b'{"product":' + listing[start:end] + b"}", variant_ids)


async def load_catalog(pool: AsyncConnectionPool[Any]) -> Catalog:
    async with pool.connection() as conn:
        rows = await source.load_taxonomy(conn)
    return Catalog(rows)
