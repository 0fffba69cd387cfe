"""Set-based writes and reads of the product module for CSV import and export: checks against what the database
holds (one query per kind for the whole file), COPY into the product tables, and keyset pages for the export."""

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, sql

from commerce import fulfillment, sales_channel
from commerce.errors import NotFound
from commerce.ids import IdSource
from commerce.product import repository as repo
from commerce.product import service
from commerce.product import taxonomy_repository as taxonomy_repo
from commerce.product.bulk_documents import Option, Product, Variant
from commerce.product.csv_format import VARIANT_COLUMNS, ProductDraft, RowError

EXPORT_RELATIONS = frozenset(
    {"variants", "variants.options", "variants.prices", "options", "images", "tags", "categories", "sales_channels"}
)

EXISTING_HANDLES = "SELECT handle FROM product WHERE handle = ANY(%s) AND deleted_at IS NULL"
EXISTING_PRODUCT_IDS = "SELECT id FROM product WHERE id = ANY(%s)"
EXISTING_VARIANT_IDS = "SELECT id FROM product_variant WHERE id = ANY(%s)"
EXISTING_VARIANT_VALUES = "SELECT {column} FROM product_variant WHERE {column} = ANY(%s) AND deleted_at IS NULL"
TAGS_BY_VALUE = "SELECT value, id FROM product_tag WHERE value = ANY(%s) AND deleted_at IS NULL"
# The wall clock when an import begins (its rows' created_at count on from it, Clock), and now(): the created_at of
# the rows written without one (their default), for their documents.
NOW = "SELECT clock_timestamp(), now()"
PAGE_IDS = """
SELECT id, created_at FROM product
WHERE deleted_at IS NULL AND (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s
"""
# The existing rows an import refers to, held as its foreign keys' triggers would hold them (no delete until commit)
# when a bulk writer has turned those off (commerce.db.triggers): one statement per table.
HOLD = "SELECT 1 FROM {table} WHERE id = ANY(%s) FOR KEY SHARE"
LIVE_COUNT = "SELECT count(*) FROM product WHERE deleted_at IS NULL"
# The widest product of the catalog, per repeated CSV column.
LAYOUT = """
SELECT
  (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM product_tags l JOIN product p ON p.id = l.product_id
     JOIN product_tag t ON t.id = l.product_tag_id AND t.deleted_at IS NULL
     WHERE p.deleted_at IS NULL GROUP BY l.product_id) x),
  (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM product_category_product l
     JOIN product p ON p.id = l.product_id JOIN product_category c ON c.id = l.product_category_id
     AND c.deleted_at IS NULL WHERE p.deleted_at IS NULL GROUP BY l.product_id) x),
  (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM product_sales_channel l
     JOIN product p ON p.id = l.product_id WHERE p.deleted_at IS NULL GROUP BY l.product_id) x),
  (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM product_image i JOIN product p ON p.id = i.product_id
     WHERE p.deleted_at IS NULL AND i.deleted_at IS NULL GROUP BY i.product_id) x),
  (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM product_option o JOIN product p ON p.id = o.product_id
     WHERE p.deleted_at IS NULL AND o.deleted_at IS NULL GROUP BY o.product_id) x)
"""

PRODUCT_COPY = (
    "id",
    "title",
    "handle",
    "subtitle",
    "description",
    "is_giftcard",
    "status",
    "thumbnail",
    "weight",
    "length",
    "height",
    "width",
    "origin_country",
    "hs_code",
    "mid_code",
    "material",
    "collection_id",
    "type_id",
    "discountable",
    "external_id",
    "shipping_profile_id",
    "created_at",
    "updated_at",
)
PRODUCT_DEFAULTS = {"is_giftcard": False, "discountable": True, "status": "draft"}
VARIANT_COPY = (
    "id",
    "product_id",
    "title",
    "sku",
    "barcode",
    "ean",
    "upc",
    "allow_backorder",
    "manage_inventory",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "weight",
    "length",
    "height",
    "width",
    "variant_rank",
)
VARIANT_DEFAULTS = {"allow_backorder": False, "manage_inventory": True}


@dataclass(slots=True)
class Written:
    """What `build` made, for the flow's next steps (prices, inventory, documents)."""

    product_ids: list[str] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)  # each variant's VARIANT_COPY columns
    variant_prices: list[tuple[str, list[tuple[str, Any]]]] = field(default_factory=list)  # (variant id, prices)
    products: list[Product] = field(default_factory=list)  # for their documents (commerce.product.bulk_documents)


@dataclass(slots=True)
class Clock:
    """The timestamps of an import's rows: `start` (the wall clock when it began) plus a microsecond per product
    (per option) in file order, so a file written in several chunks keeps its order; `now`, the transaction's
    now()."""

    start: datetime
    now: datetime
    products: int = 0
    options: int = 0


@dataclass(frozen=True, slots=True)
class Copy:
    """Rows for one COPY into `table` (`columns`), built ahead of the write."""

    table: str
    columns: Sequence[str]
    rows: list[tuple[Any, ...]]


async def clock(conn: AsyncConnection[Any]) -> Clock:
    cur = await conn.execute(NOW)
    row = await cur.fetchone()
    assert row is not None
    return Clock(start=row[0], now=row[1])


# --- checks against the database ----------------------------------------------------------------------
async def check(conn: AsyncConnection[Any], drafts: Sequence[ProductDraft]) -> tuple[list[RowError], dict[str, str]]:
    """Errors for what clashes with the database or names a record it does not hold, each at its row and column;
    and the tag ids by value (Medusa's CSV names tags by value)."""
    errors: list[RowError] = []
    handles = {d.fields["handle"]: d for d in drafts if d.fields.get("handle")}
    for (handle,) in await _fetch(conn, EXISTING_HANDLES, list(handles)):
        errors.append(RowError(handles[handle].row, "Product Handle", f'a product with handle "{handle}" exists'))
    ids = {d.fields["id"]: d for d in drafts if d.fields.get("id")}
    for (product_id,) in await _fetch(conn, EXISTING_PRODUCT_IDS, list(ids)):
        errors.append(
            RowError(ids[product_id].row, "Product Id", f'"{product_id}" exists: the import creates products only')
        )
    variants = [v for d in drafts for v in d.variants]
    for name in ("id", "sku", "barcode", "ean", "upc"):
        given = {v.fields[name]: v for v in variants if v.fields.get(name)}
        if not given:
            continue
        header = next(h for h, f, _ in VARIANT_COLUMNS if f == name)
        query = (
            EXISTING_VARIANT_IDS
            if name == "id"
            else sql.SQL(EXISTING_VARIANT_VALUES).format(column=sql.Identifier(name))
        )
        for (value,) in await _fetch(conn, query, list(given)):
            errors.append(RowError(given[value].row, header, f'a variant with {name} "{value}" exists'))
    errors += await _references(conn, drafts)
    tags = await _tags(conn, drafts, errors)
    return sorted(errors, key=lambda e: e.row), tags


async def _fetch(conn: AsyncConnection[Any], query: Any, values: list[Any]) -> list[tuple[Any, ...]]:
    if not values:
        return []
    cur = await conn.execute(query, (values,))
    return list(await cur.fetchall())


def _where(drafts: Iterable[ProductDraft], key: Callable[[ProductDraft], Iterable[str]]) -> dict[str, int]:
    """value -> the first row that names it."""
    out: dict[str, int] = {}
    for d in drafts:
        for value in key(d):
            out.setdefault(value, d.row)
    return out


async def _references(conn: AsyncConnection[Any], drafts: Sequence[ProductDraft]) -> list[RowError]:
    errors: list[RowError] = []

    def missing(header: str, wanted: dict[str, int], found: Iterable[str], label: str) -> None:
        known = set(found)
        errors.extend(
            RowError(row, header, f'{label} "{v}" does not exist') for v, row in wanted.items() if v not in known
        )

    collections = _where(drafts, lambda d: [d.fields["collection_id"]] if d.fields.get("collection_id") else [])
    if collections:
        rows = await taxonomy_repo.collections_by_id(conn, list(collections))
        missing("Product Collection Id", collections, (r["id"] for r in rows), "product collection")
    types = _where(drafts, lambda d: [d.fields["type_id"]] if d.fields.get("type_id") else [])
    if types:
        rows = await taxonomy_repo.values_by_id(conn, "product_type", list(types))
        missing("Product Type Id", types, (r["id"] for r in rows), "product type")
    categories = _where(drafts, lambda d: d.categories)
    if categories:
        live = await taxonomy_repo.live_category_ids(conn, list(categories))
        missing("Product Category 1", categories, live, "product category")
    channels = _where(drafts, lambda d: d.sales_channels)
    if channels:
        gone = set(await sales_channel.service.missing_ids(conn, list(channels)))
        missing("Product Sales Channel 1", channels, (c for c in channels if c not in gone), "sales channel")
    profiles = _where(
        drafts, lambda d: [d.fields["shipping_profile_id"]] if d.fields.get("shipping_profile_id") else []
    )
    for profile_id, row in profiles.items():
        try:
            await fulfillment.service.retrieve_profile(conn, profile_id)
        except NotFound:
            errors.append(RowError(row, "Shipping Profile Id", f'shipping profile "{profile_id}" does not exist'))
    return errors


async def _tags(conn: AsyncConnection[Any], drafts: Sequence[ProductDraft], errors: list[RowError]) -> dict[str, str]:
    wanted = _where(drafts, lambda d: d.tags)
    found = {value: tag_id for value, tag_id in await _fetch(conn, TAGS_BY_VALUE, list(wanted))}
    errors.extend(
        RowError(row, "Product Tag 1", f'tag with value "{v}" does not exist')
        for v, row in wanted.items()
        if v not in found
    )
    return found


# --- writes --------------------------------------------------------------------------------------------
async def hold(conn: AsyncConnection[Any], drafts: Sequence[ProductDraft], tag_ids: dict[str, str]) -> None:
    """Lock (FOR KEY SHARE) the collections, types, categories, tags and sales channels the drafts name, as their
    foreign keys' triggers would: for a writer that has turned them off, after `check`."""
    refs = {
        "product_collection": {d.fields["collection_id"] for d in drafts if d.fields.get("collection_id")},
        "product_type": {d.fields["type_id"] for d in drafts if d.fields.get("type_id")},
        "product_category": {c for d in drafts for c in d.categories},
        "product_tag": {tag_ids[t] for d in drafts for t in d.tags},
    }
    for table, ids in refs.items():
        if ids:
            await conn.execute(sql.SQL(HOLD).format(table=sql.Identifier(table)), (sorted(ids),))
    await sales_channel.service.hold(conn, sorted({c for d in drafts for c in d.sales_channels}))


async def _copy(conn: AsyncConnection[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    async with repo.db_errors():
        async with conn.cursor().copy(statement) as copy:
            for row in rows:
                await copy.write_row(row)


def build(
    drafts: Sequence[ProductDraft], tag_ids: dict[str, str], new_id: IdSource, clock: Clock
) -> tuple[Written, list[Copy]]:
    """The rows of the drafts (checked by `check`) for the product tables, with ids from `new_id`; nothing is read
    or written (a bulk import builds the next chunk in a thread while its connection writes this one). Products and
    options take the file's order (created_at a microsecond apart, counted by `clock` across chunks), variants,
    values and images their rank."""
    tick = timedelta(microseconds=1)
    written = Written()
    products, images, options, values, variants, variant_values = [], [], [], [], [], []
    links: dict[str, list[tuple[str, str]]] = {"product_tags": [], "product_category_product": [], "channels": []}
    for d in drafts:
        product_id = d.fields.get("id") or new_id("prod")
        written.product_ids.append(product_id)
        at = clock.start + clock.products * tick
        clock.products += 1
        fields = {**PRODUCT_DEFAULTS, **d.fields, "id": product_id, "created_at": at, "updated_at": at}
        products.append(tuple(fields.get(c) for c in PRODUCT_COPY))
        made = Product(fields)
        written.products.append(made)
        made.images = [(new_id("img"), url) for url in d.images]
        images += [(image_id, product_id, url, rank) for rank, (image_id, url) in enumerate(made.images)]
        value_ids: dict[tuple[str, str], str] = {}
        for title, option_values in d.options.items():
            option = Option(new_id("opt"), title, clock.start + clock.options * tick, [])
            made.options.append(option)
            options.append((option.id, product_id, title, option.created_at, option.created_at))
            clock.options += 1
            for rank, value in enumerate(option_values):
                value_ids[title, value] = new_id("optval")
                option.values.append((value_ids[title, value], value))
                values.append((value_ids[title, value], option.id, value, rank))
        for rank, v in enumerate(d.variants):
            variant_id = v.fields.get("id") or new_id("variant")
            vfields = {**VARIANT_DEFAULTS, **v.fields, "id": variant_id, "product_id": product_id, "variant_rank": rank}
            variants.append(tuple(vfields.get(c) for c in VARIANT_COPY))
            columns = {c: vfields.get(c) for c in VARIANT_COPY}
            written.variants.append(columns)
            made.variants.append(Variant(columns, list(v.options.items())))
            variant_values += [(variant_id, value_ids[t, value]) for t, value in v.options.items()]
            written.variant_prices.append((variant_id, v.prices))
        made.tag_ids = [tag_ids[t] for t in dict.fromkeys(d.tags)]
        made.category_ids = list(dict.fromkeys(d.categories))
        made.channel_ids = list(dict.fromkeys(d.sales_channels))
        links["product_tags"] += [(product_id, t) for t in made.tag_ids]
        links["product_category_product"] += [(product_id, c) for c in made.category_ids]
        links["channels"] += [(product_id, c) for c in made.channel_ids]
    return written, [
        Copy("product", PRODUCT_COPY, products),
        Copy("product_image", ("id", "product_id", "url", "rank"), images),
        Copy("product_option", ("id", "product_id", "title", "created_at", "updated_at"), options),
        Copy("product_option_value", ("id", "option_id", "value", "rank"), values),
        Copy("product_variant", VARIANT_COPY, variants),
        Copy("product_variant_option", ("variant_id", "option_value_id"), variant_values),
        Copy("product_tags", ("product_id", "product_tag_id"), links["product_tags"]),
        Copy("product_category_product", ("product_id", "product_category_id"), links["product_category_product"]),
        Copy("product_sales_channel", ("product_id", "sales_channel_id"), links["channels"]),
    ]


async def copy(conn: AsyncConnection[Any], copies: Iterable[Copy]) -> None:
    """COPY rows made by `build` (or another module's bulk rows) into their tables, in the caller's transaction."""
    for c in copies:
        if c.rows:
            await _copy(conn, c.table, c.columns, c.rows)


# --- reads for the export ------------------------------------------------------------------------------
async def layout_counts(conn: AsyncConnection[Any]) -> tuple[int, int, int, int, int]:
    """(tags, categories, sales channels, images, options): the most any live product has."""
    cur = await conn.execute(LAYOUT)
    row = await cur.fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


async def live_count(conn: AsyncConnection[Any]) -> int:
    cur = await conn.execute(LIVE_COUNT)
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def pages(conn: AsyncConnection[Any], size: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
    """Every live product with what the CSV carries, a page at a time, in (created_at, id) order."""
    after: tuple[Any, str] = (datetime.min.replace(tzinfo=UTC), "")
    while True:
        cur = await conn.execute(PAGE_IDS, (*after, size))
        keys = await cur.fetchall()
        if not keys:
            return
        ids = [k[0] for k in keys]
        by_id = {p["id"]: p for p in await service.retrieve_many(conn, ids, EXPORT_RELATIONS)}
        yield [by_id[i] for i in ids if i in by_id]
        after = (keys[-1][1], keys[-1][0])
