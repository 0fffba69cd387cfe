"""Products with their options, variants, images and links: every write is one transaction on a locked product."""

import re
import secrets
from collections.abc import Iterable
from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import fulfillment, pricing, sales_channel
from commerce.errors import InvalidData, NotFound
from commerce.ids import new_id
from commerce.product import repository as repo
from commerce.product import taxonomy_repository as taxonomy_repo
from commerce.product.schemas import (
    UNSET,
    BatchProducts,
    CreateOption,
    CreateProduct,
    CreateSharedOption,
    CreateVariant,
    IdRef,
    OptionListQuery,
    ProductListQuery,
    ProductOptionListQuery,
    UpdateOption,
    UpdateProduct,
    UpdateSharedOption,
    UpdateVariant,
    UpsertOption,
    UpsertVariant,
    VariantListQuery,
)
from commerce.sales_channel.schemas import SalesChannelListQuery

# Everything a product can carry; what a response needs is usually less (see schemas.relations).
ALL_RELATIONS = frozenset(
    {
        "variants",
        "variants.options",
        "options",
        "options.values",
        "images",
        "tags",
        "categories",
        "sales_channels",
        "collection",
        "type",
    }
)
# Option title -> (option id, value -> value id), in the option's order.
OptionMap = dict[str, tuple[str, dict[str, str]]]


def to_handle(value: str) -> str:
    """Medusa's toHandle: lower-case, letters and digits kept, spaces and underscores to single hyphens."""
    handle = value.lower().replace("ß", "ss")
    handle = re.sub(r"[^\w\s-]", "", handle)
    handle = re.sub(r"[\s_]+", "-", handle)
    handle = re.sub(r"-+", "-", handle).strip("-")
    return handle or f"product-{secrets.token_hex(3)}"


def _not_found(product_id: str) -> NotFound:
    return NotFound(f"Product with id: {product_id} was not found")


# --- reads ----------------------------------------------------------------------------------------
async def retrieve(conn: AsyncConnection[Any], product_id: str, load: frozenset[str] = ALL_RELATIONS) -> dict[str, Any]:
    row = await repo.get(conn, product_id)
    if row is None:
        raise _not_found(product_id)
    return (await assemble(conn, [row], load))[0]


async def retrieve_many(
    conn: AsyncConnection[Any], ids: list[str], load: frozenset[str] = ALL_RELATIONS
) -> list[dict[str, Any]]:
    return await assemble(conn, await repo.get_many(conn, ids), load) if ids else []


async def list_products(
    conn: AsyncConnection[Any], query: ProductListQuery, load: frozenset[str] = ALL_RELATIONS
) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "q": query.q,
        "id": query.id,
        "title": query.title,
        "handle": query.handle,
        "status": query.status,
        "is_giftcard": query.is_giftcard,
        "external_id": query.external_id,
        "collection_id": query.collection_id,
        "type_id": query.type_id,
        "tag_id": query.tag_id,
        "category_id": query.category_id,
        "sales_channel_id": query.sales_channel_id,
        "option_id": query.option_id,
    }
    rows, count = await repo.list_products(conn, filters, query.order, query.limit, query.offset)
    return await assemble(conn, rows, load), count


def _group(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    # Rows keep their grouping key: `fields` projects it away where Medusa does not show it.
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


async def assemble(
    conn: AsyncConnection[Any], rows: list[dict[str, Any]], load: frozenset[str]
) -> list[dict[str, Any]]:
    """Products with the relations in `load`: one query per relation for the whole page, never one per product."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    if "variants" in load:
        variants = await repo.variants_of(conn, ids)
        if "variants.options" in load:
            await _attach_variant_values(conn, variants)
        if "variants.prices" in load:
            await _attach_variant_prices(conn, variants)
        by_product = _group(variants, "product_id")
        for r in rows:
            r["variants"] = by_product.get(r["id"], [])
    # `product_options` (Medusa's link to a product's options) lists the same options.
    option_keys = [k for k in ("options", "product_options") if k in load]
    if option_keys:
        options = await repo.options_of(conn, ids)
        if any(f"{k}.values" in load for k in option_keys):
            await _attach_option_values(conn, options)
        by_product = _group(options, "product_id")
        for r in rows:
            for key in option_keys:
                r[key] = by_product.get(r["id"], [])
    if "images" in load:
        images = _group(await repo.images_of(conn, ids), "product_id")
        for r in rows:
            r["images"] = images.get(r["id"], [])
    if "tags" in load:
        tags = _group(await repo.tags_of(conn, ids), "product_id")
        for r in rows:
            r["tags"] = tags.get(r["id"], [])
    if "categories" in load:
        categories = _group(await repo.categories_of(conn, ids), "product_id")
        for r in rows:
            r["categories"] = categories.get(r["id"], [])
    if "sales_channels" in load:
        await _attach_channels(conn, rows)
    if "collection" in load:
        wanted = sorted({r["collection_id"] for r in rows if r["collection_id"]})
        found = {c["id"]: c for c in await taxonomy_repo.collections_by_id(conn, wanted)} if wanted else {}
        for r in rows:
            r["collection"] = found.get(r["collection_id"] or "")
    if "type" in load:
        wanted = sorted({r["type_id"] for r in rows if r["type_id"]})
        types = await taxonomy_repo.values_by_id(conn, "product_type", wanted) if wanted else []
        found = {t["id"]: t for t in types}
        for r in rows:
            r["type"] = found.get(r["type_id"] or "")
    return rows


async def _attach_variant_prices(conn: AsyncConnection[Any], variants: list[dict[str, Any]]) -> None:
    prices = await pricing.service.variant_prices(conn, [v["id"] for v in variants])
    for v in variants:
        v["prices"] = [msgspec.structs.asdict(p) for p in prices.get(v["id"], [])]


async def _attach_variant_values(conn: AsyncConnection[Any], variants: list[dict[str, Any]]) -> None:
    values: dict[str, list[dict[str, Any]]] = {}
    for v in await repo.variant_values(conn, [v["id"] for v in variants]) if variants else []:
        values.setdefault(v["variant_id"], []).append(v)
    for variant in variants:
        variant["options"] = values.get(variant["id"], [])


async def _attach_option_values(conn: AsyncConnection[Any], options: list[dict[str, Any]]) -> None:
    values: dict[str, list[dict[str, Any]]] = {}
    for v in await repo.values_of(conn, [o["id"] for o in options]) if options else []:
        values.setdefault(v["option_id"], []).append(v)
    for option in options:
        option["values"] = values.get(option["id"], [])


async def _attach_channels(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    links = await repo.channels_of(conn, [r["id"] for r in rows])
    wanted = sorted({c for _, c in links})
    channels: dict[str, dict[str, Any]] = {}
    if wanted:
        # The sales channel module owns its table: ask its service for the page's channels in one call.
        found, _ = await sales_channel.service.list_channels(conn, SalesChannelListQuery(id=wanted, limit=len(wanted)))
        channels = {c.id: msgspec.to_builtins(c) for c in found}
    by_product: dict[str, list[dict[str, Any]]] = {}
    for product_id, channel_id in links:
        if channel_id in channels:
            by_product.setdefault(product_id, []).append(channels[channel_id])
    for r in rows:
        r["sales_channels"] = by_product.get(r["id"], [])


async def list_variants(
    conn: AsyncConnection[Any], product_id: str, query: VariantListQuery, with_options: bool
) -> tuple[list[dict[str, Any]], int]:
    await _live(conn, product_id)
    filters = {
        "q": query.q,
        "id": query.id,
        "manage_inventory": query.manage_inventory,
        "allow_backorder": query.allow_backorder,
    }
    rows, count = await repo.list_variants(conn, product_id, filters, query.order, query.limit, query.offset)
    if with_options:
        await _attach_variant_values(conn, rows)
    await _attach_variant_prices(conn, rows)
    return rows, count


async def retrieve_variant(
    conn: AsyncConnection[Any], product_id: str, variant_id: str, with_options: bool
) -> dict[str, Any]:
    row = await repo.get_variant(conn, product_id, variant_id)
    if row is None:
        raise NotFound(f"Product variant with id: {variant_id} was not found")
    if with_options:
        await _attach_variant_values(conn, [row])
    await _attach_variant_prices(conn, [row])
    return row


async def list_options(
    conn: AsyncConnection[Any], product_id: str, query: OptionListQuery, with_values: bool
) -> tuple[list[dict[str, Any]], int]:
    await _live(conn, product_id)
    filters = {"q": query.q, "id": query.id, "title": query.title}
    rows, count = await repo.list_options(conn, product_id, filters, query.order, query.limit, query.offset)
    if with_values:
        await _attach_option_values(conn, rows)
    return rows, count


async def list_all_options(
    conn: AsyncConnection[Any], query: ProductOptionListQuery, with_values: bool
) -> tuple[list[dict[str, Any]], int]:
    """Medusa's /admin/product-options: the shared options and those of every live product (each exclusive)."""
    filters = {"q": query.q, "id": query.id, "title": query.title, "is_exclusive": query.is_exclusive}
    rows, count = await repo.list_options(conn, None, filters, query.order, query.limit, query.offset)
    if with_values:
        await _attach_option_values(conn, rows)
    return rows, count


async def option(conn: AsyncConnection[Any], option_id: str, with_values: bool) -> dict[str, Any]:
    row = await repo.get_any_option(conn, option_id)
    if row is None:
        raise NotFound(f"ProductOption with id: {option_id} was not found")
    if with_values:
        await _attach_option_values(conn, [row])
    return row


async def retrieve_option(
    conn: AsyncConnection[Any], product_id: str, option_id: str, with_values: bool
) -> dict[str, Any]:
    row = await repo.get_option(conn, product_id, option_id)
    if row is None:
        raise NotFound(f"Product option with id: {option_id} was not found")
    if with_values:
        await _attach_option_values(conn, [row])
    return row


async def missing_variant_ids(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """The ids among `ids` that name no live variant of a live product, in the order given (for other modules)."""
    if not ids:
        return []
    found = await repo.live_variant_ids(conn, ids)
    return [i for i in dict.fromkeys(ids) if i not in found]


async def _live(conn: AsyncConnection[Any], product_id: str) -> None:
    if not await repo.live_ids(conn, [product_id]):
        raise _not_found(product_id)


# --- product writes -------------------------------------------------------------------------------
async def create(conn: AsyncConnection[Any], data: CreateProduct) -> str:
    """Create a product with its options, variants, images and links; returns its id."""
    async with conn.transaction():
        return await _create(conn, data)


async def update(conn: AsyncConnection[Any], product_id: str, data: UpdateProduct) -> None:
    async with conn.transaction():
        await _update(conn, product_id, data)


async def delete(conn: AsyncConnection[Any], product_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete(conn, product_id):
            raise _not_found(product_id)


async def batch(conn: AsyncConnection[Any], data: BatchProducts) -> tuple[list[str], list[str], list[str]]:
    """Creates, updates and deletes in one transaction: all of them happen or none. Returns the three id lists."""
    async with conn.transaction():
        created = [await _create(conn, item) for item in data.create]
        updated = []
        for change in data.update:
            await _update(conn, change.id, change)
            updated.append(change.id)
        deleted = []
        for product_id in dict.fromkeys(data.delete):
            if not await repo.soft_delete(conn, product_id):
                raise _not_found(product_id)
            deleted.append(product_id)
    return created, updated, deleted


def _set_fields(data: msgspec.Struct, names: Iterable[str]) -> dict[str, Any]:
    return {k: getattr(data, k) for k in names if getattr(data, k) is not UNSET}


async def _check_profile(conn: AsyncConnection[Any], profile_id: str | None) -> None:
    if profile_id:
        await fulfillment.service.retrieve_profile(conn, profile_id)


def _check_supported(options: Iterable[CreateOption], variants: Iterable[CreateVariant]) -> None:
    """Refuse, before any write, what Medusa 2.21 takes in a product body but this server does not do."""
    if any(o.is_exclusive is False for o in options):
        raise InvalidData("Shared product options (is_exclusive: false) are not supported: an option is its product's")
    if any(v.inventory_items for v in variants):
        raise InvalidData(
            "Inventory kits are not supported in a product body: link items with "
            "POST /admin/products/:id/variants/:variant_id/inventory-items"
        )


async def _create(conn: AsyncConnection[Any], data: CreateProduct) -> str:
    _check_supported(data.options, data.variants)
    await _check_references(conn, data.type_id, data.collection_id, data.tags, data.categories, data.sales_channels)
    await _check_profile(conn, data.shipping_profile_id)
    product_id = new_id("prod")
    row = _set_fields(data, repo.UPDATABLE)
    row.update(id=product_id, handle=data.handle or to_handle(data.title), status=data.status or "draft")
    await repo.insert(conn, row)
    if data.images:
        await repo.set_images(conn, product_id, [(new_id("img"), image.url) for image in data.images])
    for option in data.options:
        await _add_option(conn, product_id, option)
    if data.variants:
        options = await _option_map(conn, product_id)
        touched = [await _add_variant(conn, product_id, options, v, rank) for rank, v in enumerate(data.variants)]
        await _check_combinations(conn, product_id, touched)
    await _set_links(conn, product_id, data.tags, data.categories, data.sales_channels)
    return product_id


async def _update(conn: AsyncConnection[Any], product_id: str, data: UpdateProduct) -> None:
    if not await repo.lock(conn, product_id):
        raise _not_found(product_id)
    changes = _set_fields(data, repo.UPDATABLE)
    if changes.get("handle", "") is None:
        changes.pop("handle")
    await _check_references(
        conn,
        changes.get("type_id"),
        changes.get("collection_id"),
        data.tags or [],
        data.categories or [],
        data.sales_channels or [],
    )
    await _check_profile(conn, changes.get("shipping_profile_id"))
    await repo.update(conn, product_id, changes)
    if data.images is not UNSET:
        await repo.set_images(conn, product_id, [(new_id("img"), image.url) for image in data.images])
    if data.options is not UNSET:
        await _replace_options(conn, product_id, data.options)
    if data.variants is not UNSET:
        await _replace_variants(conn, product_id, data.variants)
    await _set_links(
        conn,
        product_id,
        None if data.tags is UNSET else data.tags,
        None if data.categories is UNSET else data.categories,
        None if data.sales_channels is UNSET else data.sales_channels,
    )


async def _check_references(
    conn: AsyncConnection[Any],
    type_id: str | None,
    collection_id: str | None,
    tags: list[IdRef],
    categories: list[IdRef],
    channels: list[IdRef],
) -> None:
    if type_id and not await taxonomy_repo.values_by_id(conn, "product_type", [type_id]):
        raise NotFound(f"Product type with id: {type_id} was not found")
    if collection_id and not await taxonomy_repo.collections_by_id(conn, [collection_id]):
        raise NotFound(f"Product collection with id: {collection_id} was not found")
    tag_ids = list(dict.fromkeys(t.id for t in tags))
    if tag_ids:
        found = {t["id"] for t in await taxonomy_repo.values_by_id(conn, "product_tag", tag_ids)}
        missing = [t for t in tag_ids if t not in found]
        if missing:
            raise NotFound(f"Product tags with ids: {', '.join(missing)} were not found")
    category_ids = list(dict.fromkeys(c.id for c in categories))
    if category_ids:
        live = await taxonomy_repo.live_category_ids(conn, category_ids)
        missing = [c for c in category_ids if c not in live]
        if missing:
            raise NotFound(f"Product categories with ids: {', '.join(missing)} were not found")
    missing = await sales_channel.service.missing_ids(conn, [c.id for c in channels])
    if missing:
        raise NotFound(f"Sales channels with ids: {', '.join(missing)} were not found")


async def _set_links(
    conn: AsyncConnection[Any],
    product_id: str,
    tags: list[IdRef] | None,
    categories: list[IdRef] | None,
    channels: list[IdRef] | None,
) -> None:
    for link, refs in (("tags", tags), ("categories", categories), ("sales_channels", channels)):
        if refs is not None:
            await repo.set_links(conn, link, product_id, list(dict.fromkeys(r.id for r in refs)))


# --- options --------------------------------------------------------------------------------------
async def add_option(conn: AsyncConnection[Any], product_id: str, data: CreateOption) -> None:
    _check_supported([data], [])
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        await _add_option(conn, product_id, data)


async def update_option(conn: AsyncConnection[Any], product_id: str, option_id: str, data: UpdateOption) -> None:
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        if await repo.get_option(conn, product_id, option_id) is None:
            raise NotFound(f"Product option with id: {option_id} was not found")
        await _change_option(conn, option_id, data)


async def delete_option(conn: AsyncConnection[Any], product_id: str, option_id: str) -> None:
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        if await repo.get_option(conn, product_id, option_id) is None:
            raise NotFound(f"Product option with id: {option_id} was not found")
        await repo.soft_delete_option(conn, option_id)


# --- /admin/product-options writes ---------------------------------------------------------------
async def create_shared_option(conn: AsyncConnection[Any], data: CreateSharedOption) -> str:
    """A shared option (no product) with its values; returns its id."""
    if data.is_exclusive:
        raise InvalidData("An option created here belongs to no product: is_exclusive must be false")
    values = list(dict.fromkeys(data.values))
    _check_ranks(data.ranks, values)
    option_id = new_id("opt")
    async with conn.transaction():
        await repo.insert_shared_option(conn, option_id, data.title, data.metadata)
        await repo.set_values(conn, option_id, values, set(), lambda: new_id("optval"))
        await repo.set_value_ranks(conn, option_id, data.ranks or {})
    return option_id


async def update_any_option(conn: AsyncConnection[Any], option_id: str, data: UpdateSharedOption) -> None:
    """POST /admin/product-options/:id: a shared option, or one product's (then as its product's option route)."""
    async with conn.transaction():
        row = await _lock_any_option(conn, option_id)
        if data.is_exclusive is not None and data.is_exclusive != row["is_exclusive"]:
            raise InvalidData(f"Product option {option_id} cannot change is_exclusive")
        await _change_option(conn, option_id, _convert(data, UpdateOption, ("ranks", "is_exclusive", "metadata")))
        live = [v["value"] for v in await repo.values_of(conn, [option_id])]
        _check_ranks(data.ranks, live)
        await repo.set_value_ranks(conn, option_id, data.ranks or {})
        if data.metadata is not UNSET:
            await repo.set_option_metadata(conn, option_id, data.metadata)


async def delete_any_option(conn: AsyncConnection[Any], option_id: str) -> None:
    """DELETE /admin/product-options/:id: its values go too (and leave any variant that used them)."""
    async with conn.transaction():
        await _lock_any_option(conn, option_id)
        await repo.soft_delete_option(conn, option_id)


async def _lock_any_option(conn: AsyncConnection[Any], option_id: str) -> dict[str, Any]:
    """Lock the option's product (or the shared option itself), then read the option as it is now."""
    row = await repo.get_any_option(conn, option_id)
    if row is not None:
        await (repo.lock(conn, row["product_id"]) if row["product_id"] else repo.lock_option(conn, option_id))
        row = await repo.get_any_option(conn, option_id)
    if row is None:
        raise NotFound(f"ProductOption with id: {option_id} was not found")
    return row


def _check_ranks(ranks: dict[str, int] | None, values: list[str]) -> None:
    unknown = [v for v in ranks or {} if v not in values]
    if unknown:
        raise InvalidData(f"Ranks given for values the option does not have: {', '.join(unknown)}")


async def _add_option(conn: AsyncConnection[Any], product_id: str, data: CreateOption) -> str:
    option_id = new_id("opt")
    await repo.insert_option(conn, option_id, product_id, data.title)
    await repo.set_values(conn, option_id, list(dict.fromkeys(data.values)), set(), lambda: new_id("optval"))
    return option_id


async def _change_option(conn: AsyncConnection[Any], option_id: str, data: UpdateOption) -> None:
    if data.title is not UNSET:
        await repo.rename_option(conn, option_id, data.title)
    if data.values is not UNSET:
        existing = {v["value"] for v in await repo.values_of(conn, [option_id])}
        values = list(dict.fromkeys(data.values))
        await repo.set_values(conn, option_id, values, existing, lambda: new_id("optval"))


async def _replace_options(conn: AsyncConnection[Any], product_id: str, options: list[UpsertOption]) -> None:
    """Medusa's upsert-with-replace: options with an id change, without one are added, unlisted ones go."""
    existing = {o["id"] for o in await repo.options_of(conn, [product_id])}
    kept = {o.id for o in options if o.id is not UNSET}
    unknown = sorted(str(i) for i in kept - existing)
    if unknown:
        raise NotFound(f"Product option with id: {unknown[0]} was not found")
    for option_id in existing - kept:
        await repo.soft_delete_option(conn, option_id)
    for option in options:
        if option.id is not UNSET:
            await _change_option(conn, option.id, option)
        else:
            await _add_option(conn, product_id, _convert(option, CreateOption, ("id",)))


async def _option_map(conn: AsyncConnection[Any], product_id: str) -> OptionMap:
    options = await repo.options_of(conn, [product_id])
    values = await repo.values_of(conn, [o["id"] for o in options]) if options else []
    out: OptionMap = {o["title"]: (o["id"], {}) for o in options}
    titles = {o["id"]: o["title"] for o in options}
    for v in values:
        out[titles[v["option_id"]]][1][v["value"]] = v["id"]
    return out


# --- variants -------------------------------------------------------------------------------------
async def add_variant(conn: AsyncConnection[Any], product_id: str, data: CreateVariant) -> str:
    _check_supported([], [data])
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        options = await _option_map(conn, product_id)
        rank = len(await repo.combinations(conn, product_id))
        variant_id = await _add_variant(conn, product_id, options, data, rank)
        await _check_combinations(conn, product_id, [variant_id])
        return variant_id


async def update_variant(conn: AsyncConnection[Any], product_id: str, variant_id: str, data: UpdateVariant) -> None:
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        options = await _option_map(conn, product_id)
        await _update_variant(conn, product_id, options, variant_id, data)
        await _check_combinations(conn, product_id, [variant_id])


async def delete_variant(conn: AsyncConnection[Any], product_id: str, variant_id: str) -> None:
    async with conn.transaction():
        if not await repo.lock(conn, product_id):
            raise _not_found(product_id)
        if not await repo.soft_delete_variants(conn, product_id, [variant_id]):
            raise NotFound(f"Product variant with id: {variant_id} was not found")
        await pricing.service.remove_variants(conn, [variant_id])


def _resolve(options: OptionMap, given: dict[str, str], title: str) -> list[str]:
    """The option value ids for a variant's `{option title: value}`: one value for every option of the product."""
    unknown = [k for k in given if k not in options]
    if unknown:
        raise InvalidData(f"Option '{unknown[0]}' does not exist on the product (variant \"{title}\")")
    missing = [k for k in options if k not in given]
    if missing:
        raise InvalidData(
            f"Product has {len(options)} option values but there were {len(given)} provided option values "
            f"for the variant: {title}. Missing a value for: {', '.join(missing)}"
        )
    ids = []
    for key, value in given.items():
        value_id = options[key][1].get(value)
        if value_id is None:
            raise InvalidData(f"Option value '{value}' does not exist for option '{key}' (variant \"{title}\")")
        ids.append(value_id)
    return ids


async def _add_variant(
    conn: AsyncConnection[Any], product_id: str, options: OptionMap, data: CreateVariant, rank: int
) -> str:
    value_ids = _resolve(options, data.options, data.title)
    variant_id = new_id("variant")
    row = _set_fields(data, repo.VARIANT_UPDATABLE)
    variant_rank = rank if data.variant_rank is None else data.variant_rank
    row.update(id=variant_id, product_id=product_id, variant_rank=variant_rank)
    await repo.insert_variant(conn, row)
    await repo.set_variant_values(conn, variant_id, value_ids)
    # Every variant gets its price set (the pricing module owns prices; price lists need the set).
    await pricing.service.set_variant_prices(conn, variant_id, data.prices)
    return variant_id


async def _update_variant(
    conn: AsyncConnection[Any], product_id: str, options: OptionMap, variant_id: str, data: UpdateVariant
) -> None:
    current = await repo.get_variant(conn, product_id, variant_id)
    if current is None:
        raise NotFound(f"Product variant with id: {variant_id} was not found")
    await repo.update_variant(conn, variant_id, _set_fields(data, repo.VARIANT_UPDATABLE))
    if data.prices is not UNSET:
        await pricing.service.set_variant_prices(conn, variant_id, data.prices)
    if data.options is not UNSET:
        titles = {option_id: title for title, (option_id, _) in options.items()}
        merged = {titles[v["option_id"]]: v["value"] for v in await repo.variant_values(conn, [variant_id])}
        merged.update(data.options)
        title = current["title"] if data.title is UNSET else data.title
        await repo.set_variant_values(conn, variant_id, _resolve(options, merged, title))


async def _replace_variants(conn: AsyncConnection[Any], product_id: str, variants: list[UpsertVariant]) -> None:
    """Medusa's upsert-with-replace: variants with an id change, without one are added, unlisted ones go."""
    existing = {vid for vid, _, _ in await repo.combinations(conn, product_id)}
    kept = {v.id for v in variants if v.id is not UNSET}
    unknown = sorted(str(i) for i in kept - existing)
    if unknown:
        raise NotFound(f"Product variant with id: {unknown[0]} was not found")
    await repo.soft_delete_variants(conn, product_id, sorted(existing - kept))
    options = await _option_map(conn, product_id)
    touched = []
    for rank, variant in enumerate(variants):
        if variant.id is not UNSET:
            await _update_variant(conn, product_id, options, variant.id, variant)
            touched.append(variant.id)
        else:
            create = _convert(variant, CreateVariant, ("id",))
            touched.append(await _add_variant(conn, product_id, options, create, rank))
    await _check_combinations(conn, product_id, touched)


async def _check_combinations(conn: AsyncConnection[Any], product_id: str, touched: list[str]) -> None:
    """No two live variants of a product may have the same option values."""
    combos = await repo.combinations(conn, product_id)
    seen: dict[frozenset[str], list[tuple[str, str]]] = {}
    for variant_id, title, combo in combos:
        if combo:
            seen.setdefault(combo, []).append((variant_id, title))
    wanted = set(touched)
    for same in seen.values():
        if len(same) > 1 and any(vid in wanted for vid, _ in same):
            first, second = sorted(same, key=lambda v: v[0] not in wanted)[:2]
            raise InvalidData(f'Variant "{first[1]}" has the same combination of option values as "{second[1]}"')


def _convert(data: msgspec.Struct, target: type[Any], drop: tuple[str, ...]) -> Any:
    """An upsert item without an id, as the create request it stands for (InvalidData when it lacks a field)."""
    raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET and k not in drop}
    try:
        return msgspec.convert(raw, target)
    except msgspec.ValidationError as exc:
        raise InvalidData(f"Invalid request: {exc}".replace("`", "'")) from None


async def purchasable(conn: AsyncConnection[Any], variant_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`{variant_id: {product_id, manage_inventory, allow_backorder, shipping_profile_id, status}}` for the variants
    that still exist (a deleted variant or product is absent)."""
    return {r["id"]: r for r in await repo.purchasable(conn, variant_ids)} if variant_ids else {}
