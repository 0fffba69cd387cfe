"""Admin product routes: /admin/products (+ variants, options, batch); the taxonomy routes join them in ROUTES."""

from typing import Any

from psycopg import AsyncConnection

from commerce.flows import product_admin, product_inventory
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.http.fields import Plan
from commerce.product import service, taxonomy_routes
from commerce.product.schemas import (
    OPTION_DEFAULTS,
    OPTION_SHAPE,
    OPTION_VALUE_DEFAULTS,
    OPTION_VALUE_SHAPE,
    PRODUCT_DEFAULTS,
    PRODUCT_OPTION_DEFAULTS,
    VARIANT_DEFAULTS,
    BatchProducts,
    BatchProductsResponse,
    ChildDeleted,
    CreateOption,
    CreateProduct,
    CreateSharedOption,
    CreateVariant,
    FieldsQuery,
    OptionList,
    OptionListQuery,
    OptionResponse,
    OptionValueList,
    OptionValueListQuery,
    ProductList,
    ProductListQuery,
    ProductOptionListQuery,
    ProductResponse,
    UpdateOption,
    UpdateProduct,
    UpdateSharedOption,
    UpdateVariant,
    VariantList,
    VariantListQuery,
    VariantResponse,
    relations,
)


def _plan(req: Request) -> Plan:
    # Read before any write: a bad `fields` is a 400 with nothing written.
    return fields.plan(product_admin.PRODUCT_VIEW, PRODUCT_DEFAULTS, req.query(FieldsQuery).fields)


async def _product(conn: AsyncConnection[Any], product_id: str, plan: Plan) -> dict[str, Any]:
    found = await service.retrieve(conn, product_id, relations(plan))
    await product_admin.attach_profiles(conn, [found], plan)
    return fields.apply(plan, found)


async def list_products(req: Request) -> Response:
    query = req.query(ProductListQuery)
    plan = fields.plan(product_admin.PRODUCT_VIEW, PRODUCT_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        products, count = await service.list_products(conn, query, relations(plan))
        await product_admin.attach_profiles(conn, products, plan)
    return page("products", [fields.apply(plan, p) for p in products], count, query.offset, query.limit)


async def create_product(req: Request) -> Response:
    data = await req.json(CreateProduct)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            product_id = await service.create(conn, data)
            await product_inventory.add_inventory_items(conn, [product_id], {})
        return json_response({"product": await _product(conn, product_id, plan)})


async def retrieve_product(req: Request) -> Response:
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def update_product(req: Request) -> Response:
    data = await req.json(UpdateProduct)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            before = await product_inventory.variant_states(conn, [req.params["id"]])
            await service.update(conn, req.params["id"], data)
            await product_inventory.add_inventory_items(conn, [req.params["id"]], before)
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def delete_product(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "product")


async def batch_products(req: Request) -> Response:
    data = await req.json(BatchProducts)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            before = await product_inventory.variant_states(conn, [u.id for u in data.update])
            created, updated, removed = await service.batch(conn, data)
            await product_inventory.add_inventory_items(conn, created + updated, before)
        load = relations(plan)
        body = {
            "created": [fields.apply(plan, p) for p in await service.retrieve_many(conn, created, load)],
            "updated": [fields.apply(plan, p) for p in await service.retrieve_many(conn, updated, load)],
            "deleted": {"ids": removed, "object": "product", "deleted": True},
        }
    return json_response(body)


# --- variants -------------------------------------------------------------------------------------
async def list_variants(req: Request) -> Response:
    query = req.query(VariantListQuery)
    plan = fields.plan(product_admin.VARIANT_VIEW, VARIANT_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        variants, count = await service.list_variants(conn, req.params["id"], query, "options" in plan)
        await product_admin.attach_inventory(conn, variants, plan)
    return page("variants", [fields.apply(plan, v) for v in variants], count, query.offset, query.limit)


async def create_variant(req: Request) -> Response:
    data = await req.json(CreateVariant)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            before = await product_inventory.variant_states(conn, [req.params["id"]])
            await service.add_variant(conn, req.params["id"], data)
            await product_inventory.add_inventory_items(conn, [req.params["id"]], before)
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def retrieve_variant(req: Request) -> Response:
    plan = fields.plan(product_admin.VARIANT_VIEW, VARIANT_DEFAULTS, req.query(FieldsQuery).fields)
    async with req.state.pool.connection() as conn:
        variant = await service.retrieve_variant(conn, req.params["id"], req.params["variant_id"], "options" in plan)
        await product_admin.attach_variant_details(conn, req.params["id"], [variant], plan)
    return json_response({"variant": fields.apply(plan, variant)})


async def update_variant(req: Request) -> Response:
    data = await req.json(UpdateVariant)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            before = await product_inventory.variant_states(conn, [req.params["id"]])
            await service.update_variant(conn, req.params["id"], req.params["variant_id"], data)
            await product_inventory.add_inventory_items(conn, [req.params["id"]], before)
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def delete_variant(req: Request) -> Response:
    plan = _plan(req)
    variant_id = req.params["variant_id"]
    async with req.state.pool.connection() as conn:
        await service.delete_variant(conn, req.params["id"], variant_id)
        parent = await _product(conn, req.params["id"], plan)
    return json_response({"id": variant_id, "object": "variant", "deleted": True, "parent": parent})


# --- options --------------------------------------------------------------------------------------
async def list_options(req: Request) -> Response:
    query = req.query(OptionListQuery)
    plan = fields.plan(OPTION_SHAPE, OPTION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        options, count = await service.list_options(conn, req.params["id"], query, "values" in plan)
    return page("product_options", [fields.apply(plan, o) for o in options], count, query.offset, query.limit)


async def list_product_options(req: Request) -> Response:
    """GET /admin/product-options: the shared options (`is_exclusive: false`) and every live product's own."""
    query = req.query(ProductOptionListQuery)
    plan = fields.plan(OPTION_SHAPE, PRODUCT_OPTION_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        options, count = await service.list_all_options(conn, query, "values" in plan)
    return page("product_options", [fields.apply(plan, o) for o in options], count, query.offset, query.limit)


async def retrieve_product_option(req: Request) -> Response:
    plan = fields.plan(OPTION_SHAPE, PRODUCT_OPTION_DEFAULTS, req.query(FieldsQuery).fields)
    async with req.state.pool.connection() as conn:
        option = await service.option(conn, req.params["id"], "values" in plan)
    return json_response({"product_option": fields.apply(plan, option)})


async def create_product_option(req: Request) -> Response:
    data = await req.json(CreateSharedOption)
    plan = fields.plan(OPTION_SHAPE, PRODUCT_OPTION_DEFAULTS, req.query(FieldsQuery).fields)
    async with req.state.pool.connection() as conn:
        option_id = await service.create_shared_option(conn, data)
        option = await service.option(conn, option_id, "values" in plan)
    return json_response({"product_option": fields.apply(plan, option)})


async def update_product_option(req: Request) -> Response:
    data = await req.json(UpdateSharedOption)
    plan = fields.plan(OPTION_SHAPE, PRODUCT_OPTION_DEFAULTS, req.query(FieldsQuery).fields)
    async with req.state.pool.connection() as conn:
        await service.update_any_option(conn, req.params["id"], data)
        option = await service.option(conn, req.params["id"], "values" in plan)
    return json_response({"product_option": fields.apply(plan, option)})


async def delete_product_option(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_any_option(conn, req.params["id"])
    return deleted(req.params["id"], "product_option")


async def list_product_option_values(req: Request) -> Response:
    """GET /admin/product-options/:id/values: the option's values, in rank order."""
    query = req.query(OptionValueListQuery)
    plan = fields.plan(OPTION_VALUE_SHAPE, OPTION_VALUE_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        option = await service.option(conn, req.params["id"], True)
    values = sorted(option["values"], key=lambda v: (v["rank"] is None, v["rank"], v["value"]))
    if query.q:
        values = [v for v in values if query.q.lower() in v["value"].lower()]
    chosen = values[query.offset : query.offset + query.limit]
    return page(
        "product_option_values", [fields.apply(plan, v) for v in chosen], len(values), query.offset, query.limit
    )


async def create_option(req: Request) -> Response:
    data = await req.json(CreateOption)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        await service.add_option(conn, req.params["id"], data)
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def retrieve_option(req: Request) -> Response:
    plan = fields.plan(OPTION_SHAPE, OPTION_DEFAULTS, req.query(FieldsQuery).fields)
    async with req.state.pool.connection() as conn:
        option = await service.retrieve_option(conn, req.params["id"], req.params["option_id"], "values" in plan)
    return json_response({"product_option": fields.apply(plan, option)})


async def update_option(req: Request) -> Response:
    data = await req.json(UpdateOption)
    plan = _plan(req)
    async with req.state.pool.connection() as conn:
        await service.update_option(conn, req.params["id"], req.params["option_id"], data)
        return json_response({"product": await _product(conn, req.params["id"], plan)})


async def delete_option(req: Request) -> Response:
    plan = _plan(req)
    option_id = req.params["option_id"]
    async with req.state.pool.connection() as conn:
        await service.delete_option(conn, req.params["id"], option_id)
        parent = await _product(conn, req.params["id"], plan)
    return json_response({"id": option_id, "object": "product_option", "deleted": True, "parent": parent})


TAG = "Admin Products"
PRODUCT = "/admin/products/:id"
ROUTES = [
    Route(
        "GET",
        "/admin/products",
        list_products,
        "admin",
        "List products",
        query=ProductListQuery,
        response=ProductList,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products",
        create_product,
        "admin",
        "Create a product with its options, variants, images and links",
        body=CreateProduct,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products/batch",
        batch_products,
        "admin",
        "Create, update and delete products in one transaction",
        body=BatchProducts,
        query=FieldsQuery,
        response=BatchProductsResponse,
        tag=TAG,
    ),
    Route(
        "GET", PRODUCT, retrieve_product, "admin", "Get a product", query=FieldsQuery, response=ProductResponse, tag=TAG
    ),
    Route(
        "POST",
        PRODUCT,
        update_product,
        "admin",
        "Update a product (options and variants are upserted; unlisted ones are removed)",
        body=UpdateProduct,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route("DELETE", PRODUCT, delete_product, "admin", "Delete a product and its variants", tag=TAG),
    Route(
        "GET",
        f"{PRODUCT}/variants",
        list_variants,
        "admin",
        "List a product's variants",
        query=VariantListQuery,
        response=VariantList,
        tag=TAG,
    ),
    Route(
        "POST",
        f"{PRODUCT}/variants",
        create_variant,
        "admin",
        "Add a variant to a product",
        body=CreateVariant,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route(
        "GET",
        f"{PRODUCT}/variants/:variant_id",
        retrieve_variant,
        "admin",
        "Get a variant",
        query=FieldsQuery,
        response=VariantResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        f"{PRODUCT}/variants/:variant_id",
        update_variant,
        "admin",
        "Update a variant",
        body=UpdateVariant,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route(
        "DELETE",
        f"{PRODUCT}/variants/:variant_id",
        delete_variant,
        "admin",
        "Delete a variant",
        query=FieldsQuery,
        response=ChildDeleted,
        tag=TAG,
    ),
    Route(
        "GET",
        f"{PRODUCT}/options",
        list_options,
        "admin",
        "List a product's options",
        query=OptionListQuery,
        response=OptionList,
        tag=TAG,
    ),
    Route(
        "POST",
        f"{PRODUCT}/options",
        create_option,
        "admin",
        "Add an option to a product",
        body=CreateOption,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route(
        "GET",
        f"{PRODUCT}/options/:option_id",
        retrieve_option,
        "admin",
        "Get a product option",
        query=FieldsQuery,
        response=OptionResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        f"{PRODUCT}/options/:option_id",
        update_option,
        "admin",
        "Update a product option (values given replace the option's values)",
        body=UpdateOption,
        query=FieldsQuery,
        response=ProductResponse,
        tag=TAG,
    ),
    Route(
        "DELETE",
        f"{PRODUCT}/options/:option_id",
        delete_option,
        "admin",
        "Delete a product option",
        query=FieldsQuery,
        response=ChildDeleted,
        tag=TAG,
    ),
    Route(
        "GET",
        "/admin/product-options",
        list_product_options,
        "admin",
        "List product options (shared ones and every product's own)",
        query=ProductOptionListQuery,
        response=OptionList,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/product-options",
        create_product_option,
        "admin",
        "Create a shared product option (of no product) with its values",
        body=CreateSharedOption,
        query=FieldsQuery,
        response=OptionResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/product-options/:id",
        update_product_option,
        "admin",
        "Update a product option: title, values (dropped ones leave their variants), ranks, metadata",
        body=UpdateSharedOption,
        query=FieldsQuery,
        response=OptionResponse,
        tag=TAG,
    ),
    Route(
        "DELETE",
        "/admin/product-options/:id",
        delete_product_option,
        "admin",
        "Delete a product option and its values",
        tag=TAG,
    ),
    Route(
        "GET",
        "/admin/product-options/:id",
        retrieve_product_option,
        "admin",
        "Get a product option",
        query=FieldsQuery,
        response=OptionResponse,
        tag=TAG,
    ),
    Route(
        "GET",
        "/admin/product-options/:id/values",
        list_product_option_values,
        "admin",
        "List a product option's values",
        query=OptionValueListQuery,
        response=OptionValueList,
        tag=TAG,
    ),
    *taxonomy_routes.ROUTES,
]
