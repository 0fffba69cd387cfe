"""Product CSV import and export (Medusa v2's format, commerce.product.csv_format): the import validates the whole
file, then writes products (product module), their prices (pricing module) and the inventory items of variants that
manage inventory (inventory module, as the admin API makes them) in one transaction: all of it or nothing."""

import gc
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection

from commerce import pricing
from commerce.catalog import source as catalog_source
from commerce.db import triggers
from commerce.flows import product_inventory
from commerce.ids import IdSource
from commerce.product import bulk, bulk_documents
from commerce.product.csv_format import CsvInvalid, Layout, ProductDraft, parse, render, write_rows

Progress = Callable[[int], None]  # called with how many more products are done
CHUNK = 1_000  # products per COPY round (and per progress step)
# The bulk statements' plans cost enough for PostgreSQL's JIT, whose compiling takes longer than running them
# (measured: a 3,000-product seed 17.4 s with, 12.1 s without).
NO_JIT = "SET LOCAL jit = off"
SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"  # one consistent catalog for the whole export
# The tables an import writes whose triggers (commerce_notify_change, migration 0001) tell workers of a change.
CHANGED_TABLES = (
    "product",
    "product_image",
    "product_option",
    "product_option_value",
    "product_variant",
    "product_variant_option",
    "product_tags",
    "product_category_product",
    "product_sales_channel",
    "product_variant_price_set",
    "price",
    "product_variant_inventory_item",
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    products: int
    variants: int
    product_ids: list[str]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk import: it allocates millions of objects (drafts, rows,
    documents) that all live until its end, and each collection of the older generations walks every one of them
    (measured: 1.5-2 s of a 10,000-product import's ~5-7 s of Python CPU). The import makes no cycles to collect;
    what it leaves is collected after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def nothing(_: int) -> None:
    """A Progress that shows nothing."""
    return None


async def import_products(
    conn: AsyncConnection[Any], records: Iterable[list[str]], progress: Progress = nothing
) -> ImportResult:
    """Import CSV records (header first). Raises CsvInvalid, listing every problem by row and column, when any row
    is wrong or clashes with the database; then nothing is written."""
    with gc_paused():
        parsed = parse(records)
        async with conn.transaction():
            await conn.execute(NO_JIT)
            # The database checks run on a file with bad cells too, so one run reports every problem.
            clashes, tag_ids = await bulk.check(conn, parsed.products)
            errors = sorted(parsed.errors + clashes, key=lambda e: e.row)
            if errors:
                raise CsvInvalid(errors)
            product_ids = await _write(conn, parsed.products, tag_ids, progress)
    return ImportResult(
        products=len(parsed.products), variants=sum(len(d.variants) for d in parsed.products), product_ids=product_ids
    )


async def check_products(conn: AsyncConnection[Any], records: Iterable[list[str]]) -> tuple[int, int]:
    """What `import_products` would import (products, variants), checked as it checks, writing nothing. Raises
    CsvInvalid as it does."""
    parsed = parse(records)
    clashes, _ = await bulk.check(conn, parsed.products)
    errors = sorted(parsed.errors + clashes, key=lambda e: e.row)
    if errors:
        raise CsvInvalid(errors)
    return len(parsed.products), sum(len(d.variants) for d in parsed.products)


async def import_drafts(
    conn: AsyncConnection[Any], drafts: list[ProductDraft], progress: Progress = nothing
) -> ImportResult:
    """Import product drafts made by code instead of parsed from a file (the demo seed): the same checks against
    the database and the same writes as `import_products`, all or nothing. The drafts are taken as valid (build
    them as `parse` would: handle and title set, `options` listing every variant's values); they may carry their
    product and variant ids. Raises CsvInvalid, naming the drafts' rows, on a clash with the database."""
    with gc_paused():
        async with conn.transaction():
            await conn.execute(NO_JIT)
            clashes, tag_ids = await bulk.check(conn, drafts)
            if clashes:
                raise CsvInvalid(clashes)
            product_ids = await _write(conn, drafts, tag_ids, progress)
    return ImportResult(products=len(drafts), variants=sum(len(d.variants) for d in drafts), product_ids=product_ids)


async def _write(
    conn: AsyncConnection[Any], drafts: list[ProductDraft], tag_ids: dict[str, str], progress: Progress
) -> list[str]:
    """Write the checked drafts a chunk at a time: products, prices, inventory items. With the tables' triggers off
    (commerce.db.triggers: no foreign-key check per row, no trigger per statement), the rows the drafts refer to are
    locked first, and each chunk's documents are made here from the rows just written (commerce.product.
    bulk_documents: catalog_render's bytes, ~5 s of backend CPU per 10,000 products saved) and COPYed with
    catalog_product's own triggers on; the few it leaves are rendered by catalog_render at the end. With the
    triggers on, the commit renders them all."""
    new_id = IdSource()
    product_ids: list[str] = []
    leftover: list[str] = []  # products whose documents the SQL render makes
    rendered: list[str] = []
    async with triggers.off(conn, CHANGED_TABLES) as off:
        if off:
            await bulk.hold(conn, drafts, tag_ids)
            renderer = bulk_documents.Renderer(now=datetime.now(UTC))
            await renderer.load(conn, drafts, tag_ids)
        for start in range(0, len(drafts), CHUNK):
            written = await bulk.insert(conn, drafts[start : start + CHUNK], tag_ids, new_id)
            sets = await pricing.service.create_variant_prices(conn, written.variant_prices, new_id)
            await product_inventory.add_items_to_new_variants(conn, written.variants, new_id)
            product_ids += written.product_ids
            if off:
                assert written.now is not None
                renderer.now = written.now
                for made in written.products:
                    for v in made.variants:
                        v.price_set_id = sets.get(v.fields["id"])
                    if not renderer.add(made):
                        leftover.append(made.fields["id"])
                    elif made.fields.get("status") == "published":
                        rendered.append(made.fields["id"])
                # catalog_product's own triggers (the search rows of migration 0056) stay on.
                async with triggers.on(conn):
                    await bulk_documents.write(conn, renderer.rows)
                renderer.rows.clear()
            progress(len(written.product_ids))
    if off:
        await bulk_documents.written(conn, rendered)
        await catalog_source.render(conn, leftover)
    return product_ids


async def export_layout(conn: AsyncConnection[Any]) -> tuple[Layout, int]:
    """The file's columns (from the widest product and every price currency) and how many products it holds."""
    tags, categories, channels, images, options = await bulk.layout_counts(conn)
    layout = Layout(
        tags=tags,
        categories=categories,
        sales_channels=channels,
        images=images,
        options=options,
        currencies=set(await pricing.service.plain_base_currencies(conn)),
    )
    return layout, await bulk.live_count(conn)


async def export_rows(
    conn: AsyncConnection[Any], layout: Layout, progress: Progress = nothing
) -> AsyncIterator[list[list[str]]]:
    """The CSV's rows after the header, a page of products at a time (in one repeatable-read snapshot when the
    caller holds one)."""
    async for page in bulk.pages(conn):
        rows: list[list[str]] = []
        for p in page:
            rows += render(p, layout)
        yield rows
        progress(len(page))


async def export_products(
    conn: AsyncConnection[Any], out: Any, progress: Progress = nothing, begin: Progress = nothing
) -> int:
    """Write every live product as CSV onto the text stream `out`; returns the number of products. `begin` is told
    how many there are, `progress` how many more are written."""
    async with conn.transaction():
        await conn.execute(SNAPSHOT)
        layout, count = await export_layout(conn)
        begin(count)
        write_rows(out, [layout.header()])
        async for rows in export_rows(conn, layout, progress):
            write_rows(out, rows)
    return count
