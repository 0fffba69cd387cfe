"""Admin routes for /admin/product-categories, /admin/collections, /admin/product-tags and /admin/product-types."""

from typing import Any

from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.http.fields import Plan
from commerce.http.router import Handler
from commerce.product import taxonomy
from commerce.product.schemas import (
    CATEGORY_DEFAULTS,
    CATEGORY_SHAPE,
    COLLECTION_DEFAULTS,
    COLLECTION_WITH_PRODUCTS,
    VALUE_DEFAULTS,
    VALUE_SHAPE,
    CategoryList,
    CategoryListQuery,
    CategoryQuery,
    CategoryResponse,
    CollectionList,
    CollectionListQuery,
    CollectionResponse,
    CreateCategory,
    CreateCollection,
    CreateValue,
    FieldsQuery,
    LinkProducts,
    TagList,
    TagResponse,
    TypeList,
    TypeResponse,
    UpdateCategory,
    UpdateCollection,
    UpdateValue,
    ValueListQuery,
)


# --- categories -----------------------------------------------------------------------------------
def _category_plan(fields_param: str | None, ancestors: bool, descendants: bool) -> Plan:
    plan = fields.plan(CATEGORY_SHAPE, CATEGORY_DEFAULTS, fields_param)
    for key, whole_tree in (("parent_category", ancestors), ("category_children", descendants)):
        sub = plan.get(key)
        if whole_tree and sub is not None:
            # The same selection at every level: the whole chain of parents, or the whole subtree.
            sub[key] = sub
    return plan


async def _category(req: Request, category_id: str) -> dict[str, Any]:
    query = req.query(CategoryQuery)
    plan = _category_plan(query.fields, query.include_ancestors_tree, query.include_descendants_tree)
    async with req.state.pool.connection() as conn:
        category = await taxonomy.retrieve_category(
            conn, category_id, query.include_ancestors_tree, query.include_descendants_tree
        )
    return {"product_category": fields.apply(plan, category)}


async def list_categories(req: Request) -> Response:
    query = req.query(CategoryListQuery)
    plan = _category_plan(query.fields, query.include_ancestors_tree, query.include_descendants_tree)
    async with req.state.pool.connection() as conn:
        rows, count = await taxonomy.list_categories(conn, query)
    return page("product_categories", [fields.apply(plan, r) for r in rows], count, query.offset, query.limit)


async def create_category(req: Request) -> Response:
    data = await req.json(CreateCategory)
    req.query(CategoryQuery)
    async with req.state.pool.connection() as conn:
        category_id = await taxonomy.create_category(conn, data)
    return json_response(await _category(req, category_id))


async def retrieve_category(req: Request) -> Response:
    return json_response(await _category(req, req.params["id"]))


async def update_category(req: Request) -> Response:
    data = await req.json(UpdateCategory)
    req.query(CategoryQuery)
    async with req.state.pool.connection() as conn:
        await taxonomy.update_category(conn, req.params["id"], data)
    return json_response(await _category(req, req.params["id"]))


async def delete_category(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await taxonomy.delete_category(conn, req.params["id"])
    return deleted(req.params["id"], "product_category")


async def category_products(req: Request) -> Response:
    data = await req.json(LinkProducts)
    req.query(CategoryQuery)
    async with req.state.pool.connection() as conn:
        await taxonomy.category_products(conn, req.params["id"], data)
    return json_response(await _category(req, req.params["id"]))


# --- collections ----------------------------------------------------------------------------------
def _collection_plan(req: Request) -> Plan:
    return fields.plan(COLLECTION_WITH_PRODUCTS, COLLECTION_DEFAULTS, req.query(FieldsQuery).fields)


async def _collection_out(conn: Any, row: dict[str, Any], plan: Plan) -> dict[str, Any]:
    if "products" in plan:
        await taxonomy.attach_products(conn, [row])
    return fields.apply(plan, row)


async def list_collections(req: Request) -> Response:
    query = req.query(CollectionListQuery)
    plan = fields.plan(COLLECTION_WITH_PRODUCTS, COLLECTION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        rows, count = await taxonomy.list_collections(conn, query)
        if "products" in plan:
            await taxonomy.attach_products(conn, rows)
    return page("collections", [fields.apply(plan, r) for r in rows], count, query.offset, query.limit)


async def create_collection(req: Request) -> Response:
    data = await req.json(CreateCollection)
    plan = _collection_plan(req)
    async with req.state.pool.connection() as conn:
        row = await taxonomy.create_collection(conn, data)
        return json_response({"collection": await _collection_out(conn, row, plan)})


async def retrieve_collection(req: Request) -> Response:
    plan = _collection_plan(req)
    async with req.state.pool.connection() as conn:
        row = await taxonomy.retrieve_collection(conn, req.params["id"])
        return json_response({"collection": await _collection_out(conn, row, plan)})


async def update_collection(req: Request) -> Response:
    data = await req.json(UpdateCollection)
    plan = _collection_plan(req)
    async with req.state.pool.connection() as conn:
        row = await taxonomy.update_collection(conn, req.params["id"], data)
        return json_response({"collection": await _collection_out(conn, row, plan)})


async def delete_collection(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await taxonomy.delete_collection(conn, req.params["id"])
    return deleted(req.params["id"], "collection")


async def collection_products(req: Request) -> Response:
    data = await req.json(LinkProducts)
    plan = _collection_plan(req)
    async with req.state.pool.connection() as conn:
        row = await taxonomy.collection_products(conn, req.params["id"], data)
        return json_response({"collection": await _collection_out(conn, row, plan)})


# --- tags and types: one set of handlers per table ---------------------------------------------------
def _value_routes(table: str, path: str, one: str, many: str, summary: str, responses: tuple[Any, Any]) -> list[Route]:
    def plan(fields_param: str | None) -> Plan:
        return fields.plan(VALUE_SHAPE, VALUE_DEFAULTS, fields_param)

    async def list_(req: Request) -> Response:
        query = req.query(ValueListQuery)
        selected = plan(query.fields)
        async with req.state.pool.connection() as conn:
            rows, count = await taxonomy.list_values(conn, table, query)
        return page(many, [fields.apply(selected, r) for r in rows], count, query.offset, query.limit)

    async def create(req: Request) -> Response:
        data = await req.json(CreateValue)
        selected = plan(req.query(FieldsQuery).fields)
        async with req.state.pool.connection() as conn:
            row = await taxonomy.create_value(conn, table, data)
        return json_response({one: fields.apply(selected, row)})

    async def retrieve(req: Request) -> Response:
        selected = plan(req.query(FieldsQuery).fields)
        async with req.state.pool.connection() as conn:
            row = await taxonomy.retrieve_value(conn, table, req.params["id"])
        return json_response({one: fields.apply(selected, row)})

    async def update(req: Request) -> Response:
        data = await req.json(UpdateValue)
        selected = plan(req.query(FieldsQuery).fields)
        async with req.state.pool.connection() as conn:
            row = await taxonomy.update_value(conn, table, req.params["id"], data)
        return json_response({one: fields.apply(selected, row)})

    async def delete(req: Request) -> Response:
        async with req.state.pool.connection() as conn:
            await taxonomy.delete_value(conn, table, req.params["id"])
        return deleted(req.params["id"], one)

    one_response, list_response = responses
    tag = f"Admin {summary}s"
    handlers: list[tuple[str, str, Handler, str, Any, Any, Any]] = [
        ("GET", path, list_, f"List {summary.lower()}s", None, ValueListQuery, list_response),
        ("POST", path, create, f"Create a {summary.lower()}", CreateValue, FieldsQuery, one_response),
        ("GET", f"{path}/:id", retrieve, f"Get a {summary.lower()}", None, FieldsQuery, one_response),
        ("POST", f"{path}/:id", update, f"Update a {summary.lower()}", UpdateValue, FieldsQuery, one_response),
        ("DELETE", f"{path}/:id", delete, f"Delete a {summary.lower()}", None, None, None),
    ]
    return [
        Route(method, route_path, handler, "admin", text, body=body, query=query, response=response, tag=tag)
        for method, route_path, handler, text, body, query, response in handlers
    ]


CATEGORIES = "/admin/product-categories"
COLLECTIONS = "/admin/collections"
CATEGORY_TAG = "Admin Product Categories"
COLLECTION_TAG = "Admin Collections"
ROUTES = [
    Route(
        "GET",
        CATEGORIES,
        list_categories,
        "admin",
        "List product categories",
        query=CategoryListQuery,
        response=CategoryList,
        tag=CATEGORY_TAG,
    ),
    Route(
        "POST",
        CATEGORIES,
        create_category,
        "admin",
        "Create a product category",
        body=CreateCategory,
        query=CategoryQuery,
        response=CategoryResponse,
        tag=CATEGORY_TAG,
    ),
    Route(
        "GET",
        f"{CATEGORIES}/:id",
        retrieve_category,
        "admin",
        "Get a product category",
        query=CategoryQuery,
        response=CategoryResponse,
        tag=CATEGORY_TAG,
    ),
    Route(
        "POST",
        f"{CATEGORIES}/:id",
        update_category,
        "admin",
        "Update a product category (move it, re-rank it)",
        body=UpdateCategory,
        query=CategoryQuery,
        response=CategoryResponse,
        tag=CATEGORY_TAG,
    ),
    Route("DELETE", f"{CATEGORIES}/:id", delete_category, "admin", "Delete a product category", tag=CATEGORY_TAG),
    Route(
        "POST",
        f"{CATEGORIES}/:id/products",
        category_products,
        "admin",
        "Add products to and remove products from a category",
        body=LinkProducts,
        query=CategoryQuery,
        response=CategoryResponse,
        tag=CATEGORY_TAG,
    ),
    Route(
        "GET",
        COLLECTIONS,
        list_collections,
        "admin",
        "List collections",
        query=CollectionListQuery,
        response=CollectionList,
        tag=COLLECTION_TAG,
    ),
    Route(
        "POST",
        COLLECTIONS,
        create_collection,
        "admin",
        "Create a collection",
        body=CreateCollection,
        query=FieldsQuery,
        response=CollectionResponse,
        tag=COLLECTION_TAG,
    ),
    Route(
        "GET",
        f"{COLLECTIONS}/:id",
        retrieve_collection,
        "admin",
        "Get a collection",
        query=FieldsQuery,
        response=CollectionResponse,
        tag=COLLECTION_TAG,
    ),
    Route(
        "POST",
        f"{COLLECTIONS}/:id",
        update_collection,
        "admin",
        "Update a collection",
        body=UpdateCollection,
        query=FieldsQuery,
        response=CollectionResponse,
        tag=COLLECTION_TAG,
    ),
    Route("DELETE", f"{COLLECTIONS}/:id", delete_collection, "admin", "Delete a collection", tag=COLLECTION_TAG),
    Route(
        "POST",
        f"{COLLECTIONS}/:id/products",
        collection_products,
        "admin",
        "Add products to and remove products from a collection",
        body=LinkProducts,
        query=FieldsQuery,
        response=CollectionResponse,
        tag=COLLECTION_TAG,
    ),
    *_value_routes(
        "product_tag", "/admin/product-tags", "product_tag", "product_tags", "Product tag", (TagResponse, TagList)
    ),
    *_value_routes(
        "product_type",
        "/admin/product-types",
        "product_type",
        "product_types",
        "Product type",
        (TypeResponse, TypeList),
    ),
]
