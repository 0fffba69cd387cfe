"""Storefront reads: product pages priced by the engine, categories (a tree), collections — all from memory."""

from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from commerce.catalog import model, shapes, source
from commerce.catalog.prices import Prices
from commerce.catalog.stock import Slotted
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.http import fields
from commerce.listing import Limit, ListQuery

_encode = msgspec.json.Encoder(decimal_format="number").encode
ORDERABLE = frozenset({"created_at", "updated_at", "title", "handle"})


class ProductQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    handle: list[str] | None = None
    category_id: list[str] | None = None
    collection_id: list[str] | None = None
    tag_id: list[str] | None = None
    type_id: list[str] | None = None
    sales_channel_id: list[str] | None = None
    region_id: str | None = None
    country_code: str | None = None
    province: str | None = None
    currency_code: str | None = None
    cart_id: str | None = None


class Catalog:
    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.entries = model.build(rows)
        self.by_id = {e.id: e for e in self.entries}
        self.variants = {vid: (e, snap) for e in self.entries for vid, snap in e.snapshots.items()}
        self.by_category: dict[str, list[model.Entry]] = {}
        self.by_collection: dict[str, list[model.Entry]] = {}
        for e in self.entries:
            for c in e.category_ids:
                self.by_category.setdefault(c, []).append(e)
            if e.collection_id:
                self.by_collection.setdefault(e.collection_id, []).append(e)
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
        self.plans: dict[str | None, fields.Plan] = {}
        self.by_channels: dict[tuple[str, ...], list[model.Entry]] = {}
        # Rendered pages per query; their inventory_quantity slots are filled per request (stock.Slotted).
        self.pages: dict[tuple[Any, ...], tuple[Prices | None, Slotted]] = {}

    def remember_page(self, key: tuple[Any, ...], prices: Prices | None, body: Slotted) -> None:
        if len(self.pages) >= 512:
            self.pages.clear()
        self.pages[key] = (prices, body)

    def product_refs(self, entries: list[model.Entry], channel_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        """The products of a category or collection that the caller's sales channels may see."""
        channels = set(channel_ids)
        keys = shapes.PRODUCT_REF.ordered
        out = []
        for e in entries:
            if e.channel_ids & channels:
                full = e.full
                out.append({k: full[k] for k in keys})
        return out

    def plan(self, fields_param: str | None) -> fields.Plan:
        plan = self.plans.get(fields_param)
        if plan is None:
            plan = fields.plan(shapes.PRODUCT, shapes.PRODUCT_DEFAULTS, fields_param)
            if len(self.plans) < 256:
                self.plans[fields_param] = plan
        return plan

    def select(self, query: ProductQuery, channel_ids: tuple[str, ...]) -> list[model.Entry]:
        unfiltered = not (
            query.sales_channel_id
            or query.category_id
            or query.q
            or query.id
            or query.handle
            or query.collection_id
            or query.type_id
            or query.tag_id
            or query.order
        )
        if unfiltered:
            # The storefront's most common list: keep it per set of channels instead of scanning every product.
            cached = self.by_channels.get(channel_ids)
            if cached is not None:
                return cached
        channels = set(channel_ids)
        if query.sales_channel_id:
            asked = set(query.sales_channel_id)
            if not asked <= channels:
                raise NotAllowed("Requested sales channel is not part of the publishable key")
            channels = asked
        category_ids = set(query.category_id or ())
        q = query.q.lower() if query.q else None
        out = []
        for e in self.entries:
            if not (e.channel_ids & channels):
                continue
            if query.id and e.id not in query.id:
                continue
            if query.handle and e.handle not in query.handle:
                continue
            if category_ids and not (e.category_ids & category_ids):
                continue
            if query.collection_id and e.collection_id not in query.collection_id:
                continue
            if query.type_id and e.type_id not in query.type_id:
                continue
            if query.tag_id and not (e.tag_ids & set(query.tag_id)):
                continue
            if q and q not in e.search:
                continue
            out.append(e)
        if query.order:
            column = query.order.lstrip("-")
            if column not in ORDERABLE:
                raise InvalidData(f"Invalid request: cannot order by '{column}'")
            out.sort(key=lambda e: (getattr(e, column), e.id), reverse=query.order.startswith("-"))
        if unfiltered and len(self.by_channels) < 64:
            self.by_channels[channel_ids] = out
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
    catalog: Catalog,
    entries: list[model.Entry],
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> Slotted:
    """The page's JSON, with a slot for each selected variants.inventory_quantity (filled by Slotted.render)."""
    body, variant_ids = _page(catalog, entries, query, prices, context)
    return Slotted(body, variant_ids)


def _page(
    catalog: Catalog,
    entries: list[model.Entry],
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> tuple[bytes, list[str]]:
    plan = catalog.plan(query.fields)
    page = entries[query.offset : query.offset + query.limit]
    variant_plan = plan.get("variants")
    cp_plan = variant_plan.get("calculated_price") if variant_plan else None
    stocked = variant_plan is not None and "inventory_quantity" in variant_plan
    per_entry: list[list[bytes | None]] = []
    if cp_plan is not None and prices is not None and context is not None:
        ctx, key = context
        for e in page:
            per_entry.append(prices.encoded(e.set_ids, ctx, key))
    parts: list[bytes] = []
    variant_ids: list[str] = []
    fast = _same_as_default(plan)
    for n, e in enumerate(page):
        if fast:
            priced = per_entry[n] if per_entry else [None] * len(e.set_ids)
            parts.append(model.splice(e, priced))
        else:
            parts.append(_projected(e, plan, cp_plan, per_entry[n] if per_entry else None, stocked))
        if stocked:
            variant_ids.extend(e.variant_ids)
    body = (
        b'{"products":['
        + b",".join(parts)
        + b'],"count":%d,"offset":%d,"limit":%d}' % (len(entries), query.offset, query.limit)
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
    catalog: Catalog,
    entry: model.Entry,
    query: ProductQuery,
    prices: Prices | None,
    context: tuple[dict[str, Any], tuple[Any, ...]] | None,
) -> Slotted:
    listing, variant_ids = _page(catalog, [entry], msgspec.structs.replace(query, offset=0, limit=1), prices, context)
    # {"products":[X],...} → {"product":X}
    start = len(b'{"products":[')
    end = listing.rindex(b'],"count":')
    return Slotted(b'{"product":' + listing[start:end] + b"}", variant_ids)


async def load_catalog(pool: AsyncConnectionPool[Any]) -> Catalog:
    async with pool.connection() as conn:
        rows = await source.load_products(conn)
    catalog = Catalog(rows)
    del rows
    model.release_memory()
    return catalog
