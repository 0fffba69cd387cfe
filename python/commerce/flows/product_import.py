"""Product CSV import and export (Medusa v2's format, commerce.product.csv_format): the import validates the whole
file, then writes products (product module), their prices (pricing module) and the inventory items of variants that
manage inventory (inventory module, as the admin API makes them) in one transaction: all of it or nothing."""

import asyncio
import functools
import gc
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from psycopg import AsyncConnection

from commerce import inventory, pricing
from commerce.catalog import source as catalog_source
from commerce.db import triggers
from commerce.flows import product_inventory
from commerce.ids import IdSource
from commerce.product import bulk, bulk_documents
from commerce.product.csv_format import CsvInvalid, Layout, ProductDraft, parse, render, write_rows

Progress = Callable[[int], None]  # called with how many more products are done
T = TypeVar("T")
R = TypeVar("R")
# Products per COPY round (and per progress step): fewer statements cost PostgreSQL less (measured at 10,000 products:
# ~3.1 s of backend CPU in chunks of 4,000, ~3.4 s in chunks of 1,000), and the thread builds one chunk ahead.
CHUNK = 4_000
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


Write = Callable[[AsyncConnection[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Extra:
    """Rows a bulk writer adds to each chunk of an import (the demo seed's stock levels and list prices), made with
    the chunk in the thread from its variants' new price sets and inventory items (`build(sets, items, ids)`, by
    variant id) and written after it. `tables`: those it writes, `notify`: what their other triggers would send
    (commerce.db.triggers.off)."""

    build: Callable[[dict[str, str], dict[str, str], IdSource], list[Write]]
    tables: tuple[str, ...] = ()
    notify: tuple[tuple[str, str], ...] = ()


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
            return await _write(conn, parsed.products, tag_ids, progress)


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
    conn: AsyncConnection[Any], drafts: list[ProductDraft], progress: Progress = nothing, extra: Extra | None = None
) -> ImportResult:
    """Import product drafts made by code instead of parsed from a file (the demo seed): the same checks against
    the database and the same writes as `import_products`, all or nothing. The drafts are taken as valid (build
    them as `parse` would: handle and title set, `options` listing every variant's values); they may carry their
    product and variant ids. `extra`: more rows to write with each chunk. Raises CsvInvalid, naming the drafts'
    rows, on a clash with the database."""
    with gc_paused():
        async with conn.transaction():
            await conn.execute(NO_JIT)
            clashes, tag_ids = await bulk.check(conn, drafts)
            if clashes:
                raise CsvInvalid(clashes)
            return await _write(conn, drafts, tag_ids, progress, extra)


async def built_ahead(steps: Sequence[T], build: Callable[[T], R]) -> AsyncGenerator[R, None]:
    """`build(step)` of each step in turn, each made in a thread while the caller works on the one before: a bulk
    writer's Python (rows, documents) runs while PostgreSQL takes the previous chunk, on another core. Iterate it in
    `aclosing`: if the caller stops (its write failed), the build under way is let finish first."""
    ahead = asyncio.ensure_future(asyncio.to_thread(build, steps[0])) if steps else None
    try:
        for n in range(len(steps)):
            assert ahead is not None
            made = await ahead
            ahead = asyncio.ensure_future(asyncio.to_thread(build, steps[n + 1])) if n + 1 < len(steps) else None
            yield made
    finally:
        if ahead is not None:
            await asyncio.wait([ahead])


@dataclass(slots=True)
class _Chunk:
    """A chunk of products' rows, built ahead of its write (`_build`)."""

    written: bulk.Written
    copies: list[bulk.Copy]
    sets: list[tuple[str, str]]  # (variant id, price set id)
    prices: list[tuple[str, str, str, Any]]
    items: list[dict[str, Any]]  # inventory items
    links: list[tuple[str, str, str, int]]  # variant -> inventory item
    documents: list[tuple[Any, ...]] = field(default_factory=list)  # catalog_product rows (bulk_documents)
    rendered: list[str] = field(default_factory=list)  # published products among `documents`
    leftover: list[str] = field(default_factory=list)  # products whose documents the SQL render makes
    more: list[Write] = field(default_factory=list)  # an Extra's writes


def _build(
    drafts: list[ProductDraft],
    *,
    tag_ids: dict[str, str],
    new_id: IdSource,
    clock: bulk.Clock,
    items: dict[str, str],
    renderer: bulk_documents.Renderer | None,
    extra: Extra | None,
) -> _Chunk:
    """Every row of a chunk of checked drafts, reading and writing nothing (`_write` runs it in a thread while its
    connection writes the chunk before). `items`: the live inventory items by SKU."""
    written, copies = bulk.build(drafts, tag_ids, new_id, clock)
    sets, prices = pricing.service.variant_price_rows(written.variant_prices, new_id)
    chunk = _Chunk(written, copies, sets, prices, *product_inventory.new_variant_items(written.variants, items, new_id))
    if extra is not None:
        chunk.more = extra.build(dict(sets), {variant: item for _, variant, item, _ in chunk.links}, new_id)
    if renderer is not None:
        set_ids = dict(sets)
        for made in written.products:
            for v in made.variants:
                v.price_set_id = set_ids.get(v.fields["id"])
            if not renderer.add(made):
                chunk.leftover.append(made.fields["id"])
            elif made.fields.get("status") == "published":
                chunk.rendered.append(made.fields["id"])
        chunk.documents, renderer.rows = renderer.rows, []
    return chunk


async def _send(conn: AsyncConnection[Any], chunk: _Chunk) -> None:
    """COPY a built chunk: products, prices, inventory items, then its documents with catalog_product's own
    triggers on (the search rows of migration 0056)."""
    await bulk.copy(conn, chunk.copies)
    await pricing.service.copy_variant_prices(conn, chunk.sets, chunk.prices)
    await product_inventory.write_new_variant_items(conn, chunk.items, chunk.links)
    for write in chunk.more:
        await write(conn)
    if chunk.documents:
        async with triggers.on(conn):
            await bulk_documents.write(conn, chunk.documents)


async def _write(
    conn: AsyncConnection[Any],
    drafts: list[ProductDraft],
    tag_ids: dict[str, str],
    progress: Progress,
    extra: Extra | None = None,
) -> ImportResult:
    """Write the checked drafts a chunk at a time: products, prices, inventory items. With the tables' triggers off
    (commerce.db.triggers: no foreign-key check per row, no trigger per statement), the rows the drafts refer to are
    locked first, and each chunk's documents are made here from its rows (commerce.product.bulk_documents:
    catalog_render's bytes, ~5 s of backend CPU per 10,000 products saved) and COPYed with catalog_product's own
    triggers on; the few it leaves are rendered by catalog_render at the end. With the triggers on, the commit
    renders them all.
    Python builds chunk k+1 in a thread while PostgreSQL takes chunk k (on two cores the import costs about the
    larger of the two sides, not their sum): building reads nothing, so what it needs is read first (the clock,
    the inventory items the file's SKUs name, the rows its documents refer to)."""
    new_id = IdSource()
    done = ImportResult(products=len(drafts), variants=sum(len(d.variants) for d in drafts), product_ids=[])
    leftover: list[str] = []
    rendered: list[str] = []
    tables = CHANGED_TABLES + (extra.tables if extra else ())
    async with triggers.off(conn, tables, extra.notify if extra else ()) as off:
        renderer = None
        clock = await bulk.clock(conn)
        if off:
            await bulk.hold(conn, drafts, tag_ids)
            renderer = bulk_documents.Renderer(now=clock.now)
            await renderer.load(conn, drafts, tag_ids)
        items = await inventory.service.items_by_sku(
            conn, [v.fields["sku"] for d in drafts for v in d.variants if v.fields.get("sku")]
        )
        slices = [drafts[start : start + CHUNK] for start in range(0, len(drafts), CHUNK)]
        build = functools.partial(
            _build, tag_ids=tag_ids, new_id=new_id, clock=clock, items=items, renderer=renderer, extra=extra
        )
        async with aclosing(built_ahead(slices, build)) as chunks:
            async for chunk in chunks:
                await _send(conn, chunk)
                done.product_ids.extend(chunk.written.product_ids)
                rendered += chunk.rendered
                leftover += chunk.leftover
                progress(len(chunk.written.product_ids))
    if off:
        await bulk_documents.written(conn, rendered)
        await catalog_source.render(conn, leftover)
    return done


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
