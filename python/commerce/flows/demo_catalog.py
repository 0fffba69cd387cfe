"""The demo catalog (`commerce seed --demo [--products N]`): N products (1,000 unless asked) x 3 variants with images,
categories, collections, tags and types, prices in USD and EUR (and a USD quantity tier), a sale price list and a
VIP customer-group price list.

The products are written as the bulk CSV import writes them (commerce.flows.product_import.import_drafts: COPY into
the product tables, price sets, and each variant's inventory item as the admin API makes one), a chunk of
SLICE products per transaction; with each chunk of the import, in bulk too, the levels at the demo warehouse
(inventory.service.level_rows), the quantity tiers and the price lists' prices (pricing.service.price_rows).

Products ship with the demo shipping profile (flows/demo_shipping.py). Images are served by the server itself:
`{public_url}/static/demo/{noun}-front.png` (the thumbnail) and `-back.png` (python/commerce/static/demo/).

Every variant manages its inventory: an inventory item (its SKU and title) linked to it, with a level at the demo
warehouse. Stock is deterministic by index (`stock_of`; n is the product's 0-based index, so product n is
"... {n + 1}" with SKUs DEMO-{n + 1:04d}-S/M/L):
- size L of products n % 10 == 3 (DEMO-0004-L, DEMO-0014-L, ...) is sold out: 0 stocked, no backorders;
- size S of products n % 10 == 6 (DEMO-0007-S, DEMO-0017-S, ...) is backorderable: 0 stocked, allow_backorder;
- every other variant has 100 in stock.

Prices (`prices_of`): USD 15.99-164.99 by index plus 1 per size, EUR 0.92 of it; 10 or more units cost 10 % less in
USD; the "Demo sale" list takes 20 % off the first SALE_PRODUCTS products, the "VIP prices" list (customer group VIP)
30 % off everything.
"""

import functools
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from commerce import customer, inventory, pricing, product
from commerce.catalog import stock
from commerce.customer.schemas import CreateCustomerGroup
from commerce.flows import product_import
from commerce.flows.demo_shipping import DemoShipping
from commerce.ids import IdSource, new_id
from commerce.inventory.schemas import LevelInput
from commerce.pricing.schemas import CreatePriceList, ListPriceInput
from commerce.product.csv_format import ProductDraft, VariantDraft
from commerce.product.schemas import CreateCategory, CreateCollection, CreateValue

PRODUCTS = 1_000  # the default size (what `commerce serve` seeds on first run)
SLICE = 10_000  # products per transaction (each rendered once, at its end)
SALE_PRODUCTS = 100  # the first products are on sale
SIZES = ("S", "M", "L")
NOUNS = ("Shirt", "Sweater", "Jacket", "Hoodie", "Trousers", "Shorts", "Cap", "Scarf", "Sneakers", "Bag")
ADJECTIVES = ("Linen", "Merino", "Classic", "Organic", "Everyday", "Relaxed", "Vintage", "Travel", "Studio", "Trail")
COLOURS = ("Black", "Sand", "Navy", "Olive", "Stone", "Rust", "Sky", "Forest", "Ivory", "Charcoal")
COLLECTIONS = ("Summer", "Winter", "Essentials", "Outdoor")
TAGS = ("new", "bestseller", "sustainable", "limited")
STOCKED = 100
LEVEL_AND_PRICE_TABLES = ("inventory_level", "price")  # written with the products (_extra), told to commerce_changes
TIER_QUANTITY = 10  # 10 or more units ...
TIER_RATE = Decimal("0.9")  # ... cost 10 % less (USD)
EUR_RATE = Decimal("0.92")
SALE_RATE = Decimal("0.8")
VIP_RATE = Decimal("0.7")
CENT = Decimal("0.01")

Progress = Callable[[int], None]  # told how many more products are written


def stock_of(n: int, i: int) -> tuple[int, bool]:
    """(stocked quantity, allow_backorder) of size SIZES[i] of product n (0-based): see the module docstring."""
    if n % 10 == 3 and i == 2:
        return 0, False  # sold out
    if n % 10 == 6 and i == 0:
        return 0, True  # backorderable
    return STOCKED, False


def sku_of(n: int, i: int) -> str:
    return f"DEMO-{n + 1:04d}-{SIZES[i]}"


def title_of(n: int) -> str:
    noun = NOUNS[n % len(NOUNS)]
    return f"{ADJECTIVES[(n // len(NOUNS)) % len(ADJECTIVES)]} {COLOURS[(n // 100) % 10]} {noun} {n + 1}"


def image_url(public_url: str, noun: str, side: str) -> str:
    return f"{public_url}/static/demo/{noun.lower()}-{side}.png"


def _price(n: int) -> Decimal:
    return Decimal(15 + (n * 37) % 150) + Decimal("0.99")


def prices_of(n: int, i: int) -> dict[str, Decimal]:
    """The base prices (no tier) of size SIZES[i] of product n, by currency."""
    amount = _price(n)
    return {"usd": amount + i, "eur": (amount * EUR_RATE).quantize(CENT) + i}


@dataclass(frozen=True, slots=True)
class _Refs:
    """What the products point at."""

    sales_channel_id: str
    profile_id: str
    location_id: str
    public_url: str
    categories: dict[str, str]  # noun -> category id
    collections: list[str]
    types: dict[str, str]  # noun -> type id
    sale_list_id: str
    vip_list_id: str


@dataclass(slots=True)
class _Chunk:
    """A chunk of the catalog: the import drafts and what the import path does not carry."""

    drafts: list[ProductDraft]
    levels: list[tuple[str, int]]  # (variant id, stocked quantity)
    tiers: list[ListPriceInput]  # USD quantity tiers (base prices with min_quantity)
    sale: list[ListPriceInput]
    vip: list[ListPriceInput]


def _chunk(refs: _Refs, start: int, stop: int) -> _Chunk:
    out = _Chunk([], [], [], [], [])
    for n in range(start, stop):
        noun = NOUNS[n % len(NOUNS)]
        title = title_of(n)
        draft = ProductDraft(
            row=n + 2,  # as a CSV file would number it (header = 1), for error messages
            fields={
                "id": new_id("prod"),
                "handle": product.service.to_handle(title),
                "title": title,
                "subtitle": f"{noun} from the demo store",
                "description": f"A {title.lower()}: made to last, priced to move.",
                "status": "published",
                "thumbnail": image_url(refs.public_url, noun, "front"),
                "shipping_profile_id": refs.profile_id,
                "collection_id": refs.collections[n % len(refs.collections)],
                "type_id": refs.types[noun],
            },
            tags=[TAGS[n % len(TAGS)]],
            categories=[refs.categories[noun]],
            sales_channels=[refs.sales_channel_id],
            images=[image_url(refs.public_url, noun, side) for side in ("front", "back")],
            options={"Size": list(SIZES)},
        )
        for i, size in enumerate(SIZES):
            variant_id = new_id("variant")
            stocked, backorder = stock_of(n, i)
            prices = prices_of(n, i)
            draft.variants.append(
                VariantDraft(
                    row=3 * n + i + 2,
                    fields={
                        "id": variant_id,
                        "title": size,
                        "sku": sku_of(n, i),
                        "manage_inventory": True,
                        "allow_backorder": backorder,
                    },
                    prices=list(prices.items()),
                    options={"Size": size},
                )
            )
            out.levels.append((variant_id, stocked))
            out.tiers.append(
                ListPriceInput(
                    variant_id=variant_id,
                    currency_code="usd",
                    amount=(prices["usd"] * TIER_RATE).quantize(CENT),
                    min_quantity=TIER_QUANTITY,
                )
            )
            for currency, amount in prices.items():
                if n < SALE_PRODUCTS:
                    out.sale.append(_list_price(variant_id, currency, amount, SALE_RATE))
                out.vip.append(_list_price(variant_id, currency, amount, VIP_RATE))
        out.drafts.append(draft)
    return out


def _list_price(variant_id: str, currency: str, amount: Decimal, rate: Decimal) -> ListPriceInput:
    return ListPriceInput(variant_id=variant_id, currency_code=currency, amount=(amount * rate).quantize(CENT))


async def seed_catalog(
    conn: AsyncConnection[Any],
    sales_channel_id: str,
    shipping: DemoShipping,
    public_url: str,
    products: int = PRODUCTS,
    progress: Progress | None = None,
) -> None:
    """`products` products, sold through `sales_channel_id`, shipped with `shipping`'s profile and stocked at its
    location; image URLs start with `public_url` (where clients reach this server). One transaction per slice of
    products (the taxonomy and the price lists come first, each in its own); `progress` is told how many more
    products are written, a chunk at a time. The next slice's drafts are made in a thread while this one is
    written."""
    refs = await _references(conn, sales_channel_id, shipping, public_url)
    slices = [(start, min(start + SLICE, products)) for start in range(0, products, SLICE)]
    with product_import.gc_paused():
        async with aclosing(product_import.built_ahead(slices, lambda s: _chunk(refs, *s))) as chunks:
            async for chunk in chunks:
                await _seed_slice(conn, refs, chunk, progress)


async def _seed_slice(conn: AsyncConnection[Any], refs: _Refs, chunk: _Chunk, progress: Progress | None) -> None:
    """One transaction: a slice's products, their levels and list prices."""
    async with conn.transaction():
        await product_import.import_drafts(conn, chunk.drafts, progress or product_import.nothing, _extra(refs, chunk))


def _extra(refs: _Refs, chunk: _Chunk) -> product_import.Extra:
    """The slice's stock levels and its quantity tiers and list prices, written by the import with each of its
    chunks, from the items and price sets it has just made (nothing read back). Workers drop every variant's
    stock."""
    stocked = dict(chunk.levels)
    # Per price list (None: the tiers, base prices), each variant's prices.
    lists: dict[str | None, dict[str, list[ListPriceInput]]] = {}
    for list_id, prices in ((None, chunk.tiers), (refs.sale_list_id, chunk.sale), (refs.vip_list_id, chunk.vip)):
        of_list = lists.setdefault(list_id, {})
        for p in prices:
            of_list.setdefault(p.variant_id, []).append(p)

    def build(sets: dict[str, str], items: dict[str, str], ids: IdSource) -> list[product_import.Write]:
        levels = [(items[v], LevelInput(location_id=refs.location_id, stocked_quantity=stocked[v])) for v in sets]
        prices: list[dict[str, Any]] = []
        for list_id, of_list in lists.items():
            given = [p for v in sets for p in of_list.get(v, ())]
            prices += pricing.service.price_rows(given, sets, list_id, ids)
        return [
            functools.partial(inventory.service.copy_levels, rows=inventory.service.level_rows(levels, ids)),
            functools.partial(pricing.service.copy_prices, rows=prices),
        ]

    return product_import.Extra(build, LEVEL_AND_PRICE_TABLES, ((stock.CHANNEL, "*"),))


async def _references(
    conn: AsyncConnection[Any], sales_channel_id: str, shipping: DemoShipping, public_url: str
) -> _Refs:
    """The categories, collections, tags and types the products use, and the (empty) sale and VIP price lists."""
    parents = {}
    categories = {}
    for top in ("Tops", "Bottoms", "Accessories"):
        parents[top] = await product.taxonomy.create_category(conn, CreateCategory(name=top, is_active=True))
    for noun in NOUNS:
        parent = "Tops" if noun in NOUNS[:4] else "Bottoms" if noun in NOUNS[4:6] else "Accessories"
        categories[noun] = await product.taxonomy.create_category(
            conn,
            CreateCategory(
                name=f"{noun}s" if not noun.endswith("s") else noun, is_active=True, parent_category_id=parents[parent]
            ),
        )
    collections = [
        (await product.taxonomy.create_collection(conn, CreateCollection(title=title)))["id"] for title in COLLECTIONS
    ]
    for value in TAGS:
        await product.taxonomy.create_value(conn, "product_tag", CreateValue(value=value))
    types = {
        noun: (await product.taxonomy.create_value(conn, "product_type", CreateValue(value=noun)))["id"]
        for noun in NOUNS
    }
    sale = await pricing.service.create_list(
        conn,
        CreatePriceList(
            title="Demo sale",
            description=f"20 % off the first {SALE_PRODUCTS} products",
            type="sale",
            status="active",
        ),
    )
    vip = await customer.service.create_group(conn, CreateCustomerGroup(name="VIP"), "seed")
    vip_list = await pricing.service.create_list(
        conn,
        CreatePriceList(
            title="VIP prices",
            description="30 % off everything for the VIP group",
            type="override",
            status="active",
            rules={"customer_group_id": [vip.id]},
        ),
    )
    return _Refs(
        sales_channel_id=sales_channel_id,
        profile_id=shipping.profile_id,
        location_id=shipping.location_id,
        public_url=public_url,
        categories=categories,
        collections=collections,
        types=types,
        sale_list_id=sale.id,
        vip_list_id=vip_list.id,
    )
