"""Store catalog routes: products (documents from catalog.documents, priced by the engine), categories,
collections."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from commerce import customer
from commerce.catalog import service, shapes
from commerce.catalog.documents import Page, ProductQuery
from commerce.catalog.stock import Slotted
from commerce.catalog.stock import entries_of as stock_entries
from commerce.db import replica
from commerce.errors import NotFound
from commerce.http import Request, Response, Route, fields, json_response, page
from commerce.listing import Limit, ListQuery

R = TypeVar("R")


class CategoryQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    handle: list[str] | None = None
    parent_category_id: list[str] | None = None
    include_descendants_tree: bool = False
    include_ancestors_tree: bool = False


class CategoryRetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None
    include_descendants_tree: bool = False
    include_ancestors_tree: bool = False


class CollectionQuery(ListQuery, kw_only=True):
    limit: Limit = 10
    q: str | None = None
    id: list[str] | None = None
    handle: list[str] | None = None
    title: list[str] | None = None


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


async def _priced(req: Request, query: ProductQuery) -> tuple[Any, Any]:
    plan = service.plan(query.fields)
    wants_prices = "calculated_price" in (plan.get("variants") or {})
    prices = context = None
    if wants_prices:
        groups: list[str] = []
        if req.actor is not None and req.actor.type == "customer":
            async with req.state.pool.connection() as conn:
                groups = await customer.service.group_ids(conn, req.actor.id)
        regions = await req.state.regions.get(req.state.pool)
        context = service.pricing_context(query, regions, groups)
        prices = await req.state.prices.get(req.state.pool)
    return prices, context


async def _stocked(req: Request, query: ProductQuery, body: Slotted) -> Response:
    """The body with its inventory_quantity slots filled from the stock model (loaded only when a slot needs it)."""
    if not body.needs_stock:
        return Response(body.body)
    stock = await req.state.stock.get(req.state.pool, body.variant_ids)
    return Response(body.render(stock, service.stock_channels(query, req.sales_channel_ids)))


def _wants_stock(query: ProductQuery) -> bool:
    variant_plan = service.plan(query.fields).get("variants")
    return variant_plan is not None and "inventory_quantity" in variant_plan


async def _with_stock(req: Request, query: ProductQuery, entries: Any, other: Awaitable[Any] | None) -> None:
    """`other` (the prices' read, if any), and at the same time, when the body will show inventory_quantity, the
    stock of these products' variants that this worker does not hold (on the primary: the stock cache follows its
    NOTIFYs), so that a cold page waits for one round trip, not two."""
    if not _wants_stock(query):
        if other is not None:
            await other
        return
    variant_ids = [v for e in entries for v in e.variant_ids]
    stock = req.state.stock.get(req.state.pool, variant_ids)
    if other is None:  # the prices came with the documents: no task to run beside the stock's
        await stock
    else:
        await asyncio.gather(other, stock)


async def _read(req: Request, work: Callable[[Any], Awaitable[R]]) -> R:
    """A catalog read, on a replica that shows the last notified catalog change, else on the primary."""
    return await replica.read(req.state.feed.replica, req.state.pool, req.state.documents.changed_at, work)


async def _select(req: Request, pool: Any, query: ProductQuery, stock: bool, prices: bool = False) -> Page:
    """documents.select; a list by handle or id, or a search (`q`: its pages are seldom asked twice), brings its
    products' documents, their variants' stock too when the body shows it (`stock`, read on the primary), which
    the stock cache keeps as its own reads, unless a change was notified meanwhile, and their price sets' prices
    when the body shows prices (`prices`, on any pool): a cold product page or search page is one round trip. A
    replica's stock may lag the stock NOTIFYs: there the stock cache reads it on its own terms."""
    stock = stock and pool is req.state.pool
    version = req.state.stock.version
    page: Page = await req.state.documents.select(
        pool, query, req.sales_channel_ids, stock=stock, prices=prices, documents=bool(query.q)
    )
    if stock and page.entries:
        variant_ids = [v for e in page.entries.values() for v in e.variant_ids]
        req.state.stock.keep(stock_entries(page.stock_rows, variant_ids), version)
    return page


async def list_products(req: Request) -> Response:
    query = req.query(ProductQuery)
    prices, context = await _priced(req, query)
    documents = req.state.documents
    # The same page for the same channels and pricing context is the same bytes until one of the products changes
    # (every page is dropped then), the price index is rebuilt (a new object) or a price list starts or ends
    # (Prices.memo_until) — but for its inventory_quantity values, which follow the stock model: a cached page is
    # re-spliced when stock moves.
    key = (req.query_string, req.sales_channel_ids, context[1] if context else None)
    hit = documents.page(key)
    if hit is not None and hit[0] is prices and (prices is None or prices.fresh()):
        return await _stocked(req, query, hit[1])
    generation = documents.generation

    async def work(pool: Any) -> tuple[list[str], int, dict[str, Any]]:
        priced = prices is not None and context is not None
        page = await _select(req, pool, query, _wants_stock(query), priced)
        ids, count, found = page.ids, page.count, page.entries
        if not found:
            found = await documents.products(pool, ids)
        set_ids = [s for i in ids if i in found for s in found[i].set_ids]
        load: Awaitable[None] | None = None
        if prices is not None and context is not None:
            if page.price_rows is not None:  # read with the documents
                prices.take(page.price_rows, set_ids, *context)
            else:
                load = prices.load(pool, set_ids, *context)
        await _with_stock(req, query, found.values(), load)
        return ids, count, found

    ids, count, found = await _read(req, work)
    # A product unpublished between the two reads is left out (the page is not kept then: a change was notified).
    body = service.page_body([found[i] for i in ids if i in found], count, query, prices, context)
    documents.remember_page(key, (prices, body), len(body.body) + 2 * len(key[0]) + 500, generation)
    return await _stocked(req, query, body)


async def retrieve_product(req: Request) -> Response:
    query = req.query(ProductQuery)
    prices, context = await _priced(req, query)
    product_id = req.params["id"]

    async def work(pool: Any) -> Any:
        entry = req.state.documents.held(product_id)
        price_rows = None
        if entry is None:  # read as a list by id: the product, its stock and prices in one round trip
            lookup = ProductQuery(id=[product_id], limit=1)
            page = await _select(req, pool, lookup, _wants_stock(query), prices is not None and context is not None)
            entry, price_rows = page.entries.get(product_id), page.price_rows
        if entry is not None:
            load: Awaitable[None] | None = None
            if prices is not None and context is not None:
                if price_rows is not None:
                    prices.take(price_rows, entry.set_ids, *context)
                else:
                    load = prices.load(pool, entry.set_ids, *context)
            await _with_stock(req, query, [entry], load)
        return entry

    entry = await _read(req, work)
    if entry is None or not (entry.channel_ids & set(req.sales_channel_ids)):
        raise NotFound(f"Product with id: {product_id} was not found")
    return await _stocked(req, query, service.product_body(entry, query, prices, context))


async def _refs(req: Request, category_id: str | None = None, collection_id: str | None = None) -> list[Any]:
    documents = req.state.documents

    async def work(pool: Any) -> tuple[list[str], dict[str, Any]]:
        ids = await documents.product_ids_in(pool, req.sales_channel_ids, category_id, collection_id)
        return ids, await documents.products(pool, ids)

    ids, found = await _read(req, work)
    return service.product_refs(found[i] for i in ids if i in found)


def _scalars(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c[k] for k in shapes.CATEGORY_SCALARS}


async def _category(
    req: Request,
    catalog: service.Catalog,
    c: dict[str, Any],
    channels: tuple[str, ...],
    plan: fields.Plan,
    descendants: bool,
    ancestors: bool,
) -> dict[str, Any]:
    """A category with what the plan (or a requested tree) reaches: parents up, children down, products."""
    out = _scalars(c)
    if "products" in plan:
        out["products"] = await _refs(req, category_id=c["id"])
    up = plan.get("parent_category")
    if up is not None or ancestors:
        parent = catalog.category_by_id.get(c["parent_category_id"]) if c["parent_category_id"] else None
        out["parent_category"] = (
            None if parent is None else await _category(req, catalog, parent, channels, up or {}, False, ancestors)
        )
    down = plan.get("category_children")
    if down is not None or descendants:
        out["category_children"] = [
            await _category(req, catalog, ch, channels, down or {}, descendants, False)
            for ch in catalog.children.get(c["id"], [])
        ]
    return out


async def _category_view(
    req: Request,
    catalog: service.Catalog,
    c: dict[str, Any],
    channels: tuple[str, ...],
    plan: fields.Plan,
    descendants: bool,
    ancestors: bool,
) -> dict[str, Any]:
    full = await _category(req, catalog, c, channels, plan, descendants, ancestors)
    view = fields.apply(plan, full)
    # A requested tree goes whole: the plan's nested projection would cut it at one level.
    if descendants and "category_children" in plan:
        view["category_children"] = full["category_children"]
    if ancestors and "parent_category" in plan:
        view["parent_category"] = full["parent_category"]
    return view


async def list_categories(req: Request) -> Response:
    query = req.query(CategoryQuery)
    catalog = await req.state.catalog.get(req.state.pool)
    plan = fields.plan(shapes.CATEGORY, shapes.CATEGORY_DEFAULTS, query.fields)
    selected = []
    for c in catalog.categories:
        if query.id and c["id"] not in query.id:
            continue
        if query.handle and c["handle"] not in query.handle:
            continue
        if query.parent_category_id is not None:
            wanted = {None if p in ("null", "") else p for p in query.parent_category_id}
            if c["parent_category_id"] not in wanted:
                continue
        if query.q and query.q.lower() not in f"{c['name']} {c['handle']} {c['description']}".lower():
            continue
        selected.append(c)
    items = [
        await _category_view(
            req, catalog, c, req.sales_channel_ids, plan, query.include_descendants_tree, query.include_ancestors_tree
        )
        for c in selected[query.offset : query.offset + query.limit]
    ]
    return page("product_categories", items, len(selected), query.offset, query.limit)


async def retrieve_category(req: Request) -> Response:
    query = req.query(CategoryRetrieveQuery)
    catalog = await req.state.catalog.get(req.state.pool)
    c = catalog.category_by_id.get(req.params["id"])
    if c is None:
        raise NotFound(f"Product category with id: {req.params['id']} was not found")
    plan = fields.plan(shapes.CATEGORY, shapes.CATEGORY_DEFAULTS, query.fields)
    view = await _category_view(
        req, catalog, c, req.sales_channel_ids, plan, query.include_descendants_tree, query.include_ancestors_tree
    )
    return json_response({"product_category": view})


async def list_collections(req: Request) -> Response:
    query = req.query(CollectionQuery)
    catalog = await req.state.catalog.get(req.state.pool)
    plan = fields.plan(shapes.STORE_COLLECTION, shapes.COLLECTION_DEFAULTS, query.fields)
    selected = [
        c
        for c in catalog.collections
        if (not query.id or c["id"] in query.id)
        and (not query.handle or c["handle"] in query.handle)
        and (not query.title or c["title"] in query.title)
        and (not query.q or query.q.lower() in f"{c['title']} {c['handle']}".lower())
    ]
    items = [await _collection_view(req, c, plan) for c in selected[query.offset : query.offset + query.limit]]
    return page("collections", items, len(selected), query.offset, query.limit)


async def retrieve_collection(req: Request) -> Response:
    query = req.query(RetrieveQuery)
    catalog = await req.state.catalog.get(req.state.pool)
    c = catalog.collection_by_id.get(req.params["id"])
    if c is None:
        raise NotFound(f"Collection with id: {req.params['id']} was not found")
    plan = fields.plan(shapes.STORE_COLLECTION, shapes.COLLECTION_DEFAULTS, query.fields)
    return json_response({"collection": await _collection_view(req, c, plan)})


async def _collection_view(req: Request, c: dict[str, Any], plan: fields.Plan) -> dict[str, Any]:
    if "products" in plan:
        c = {**c, "products": await _refs(req, collection_id=c["id"])}
    return fields.apply(plan, c)


T = "Store Catalog"
ROUTES = [
    Route(
        "GET",
        "/store/products",
        list_products,
        "store_optional_customer",
        "List published products of the key's sales channels, with calculated prices",
        query=ProductQuery,
        tag=T,
    ),
    Route(
        "GET",
        "/store/products/:id",
        retrieve_product,
        "store_optional_customer",
        "Get a product",
        query=ProductQuery,
        tag=T,
    ),
    Route(
        "GET",
        "/store/product-categories",
        list_categories,
        "store",
        "List product categories",
        query=CategoryQuery,
        tag=T,
    ),
    Route(
        "GET",
        "/store/product-categories/:id",
        retrieve_category,
        "store",
        "Get a product category",
        query=CategoryRetrieveQuery,
        tag=T,
    ),
    Route("GET", "/store/collections", list_collections, "store", "List collections", query=CollectionQuery, tag=T),
    Route(
        "GET", "/store/collections/:id", retrieve_collection, "store", "Get a collection", query=RetrieveQuery, tag=T
    ),
]
