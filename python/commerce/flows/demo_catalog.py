"""The demo catalog (`commerce seed --demo`): 1,000 products x 3 variants with images, categories, collections,
tags and types, prices in USD and EUR, a sale price list and a VIP customer-group price list.

Products ship with the demo shipping profile (flows/demo_shipping.py). Images are served by the server itself:
`{public_url}/static/demo/{noun}-front.png` (the thumbnail) and `-back.png` (python/commerce/static/demo/).

Every variant manages its inventory: an inventory item (its SKU and title, as the admin API makes one for a new
variant) linked to it, with a level at the demo warehouse; made through commerce.inventory.service a batch of products
at a time, in the transaction that creates them. Stock is deterministic by index (`stock_of`; n is the product's
0-based index, so product n is "... {n + 1}" with SKUs DEMO-{n + 1:04d}-S/M/L):
- size L of products n % 10 == 3 (DEMO-0004-L, DEMO-0014-L, ...) is sold out: 0 stocked, no backorders;
- size S of products n % 10 == 6 (DEMO-0007-S, DEMO-0017-S, ...) is backorderable: 0 stocked, allow_backorder;
- every other variant has 100 in stock.
"""

from decimal import Decimal
from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import customer, inventory, pricing, product
from commerce.customer.schemas import CreateCustomerGroup
from commerce.flows.demo_shipping import DemoShipping
from commerce.inventory.schemas import CreateInventoryItem, LevelInput
from commerce.pricing.schemas import CreatePriceList, ListPriceInput
from commerce.product.schemas import BatchProducts, CreateCategory, CreateCollection, CreateValue

PRODUCTS = 1_000
BATCH = 100
SIZES = ("S", "M", "L")
NOUNS = ("Shirt", "Sweater", "Jacket", "Hoodie", "Trousers", "Shorts", "Cap", "Scarf", "Sneakers", "Bag")
ADJECTIVES = ("Linen", "Merino", "Classic", "Organic", "Everyday", "Relaxed", "Vintage", "Travel", "Studio", "Trail")
COLOURS = ("Black", "Sand", "Navy", "Olive", "Stone", "Rust", "Sky", "Forest", "Ivory", "Charcoal")
STOCKED = 100
VARIANTS = frozenset({"variants"})


def stock_of(n: int, i: int) -> tuple[int, bool]:
    """(stocked quantity, allow_backorder) of size SIZES[i] of product n (0-based): see the module docstring."""
    if n % 10 == 3 and i == 2:
        return 0, False  # sold out
    if n % 10 == 6 and i == 0:
        return 0, True  # backorderable
    return STOCKED, False


def sku_of(n: int, i: int) -> str:
    return f"DEMO-{n + 1:04d}-{SIZES[i]}"


def image_url(public_url: str, noun: str, side: str) -> str:
    return f"{public_url}/static/demo/{noun.lower()}-{side}.png"


def _price(n: int) -> Decimal:
    return Decimal(15 + (n * 37) % 150) + Decimal("0.99")


async def seed_catalog(
    conn: AsyncConnection[Any], sales_channel_id: str, shipping: DemoShipping, public_url: str
) -> None:
    """The catalog, sold through `sales_channel_id`, shipped with `shipping`'s profile and stocked at its location;
    image URLs start with `public_url` (where clients reach this server)."""
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
        (await product.taxonomy.create_collection(conn, CreateCollection(title=title)))["id"]
        for title in ("Summer", "Winter", "Essentials", "Outdoor")
    ]
    tags = [
        (await product.taxonomy.create_value(conn, "product_tag", CreateValue(value=v)))["id"]
        for v in ("new", "bestseller", "sustainable", "limited")
    ]
    types = {
        noun: (await product.taxonomy.create_value(conn, "product_type", CreateValue(value=noun)))["id"]
        for noun in NOUNS
    }

    for start in range(0, PRODUCTS, BATCH):
        batch = []
        stock: dict[str, int] = {}
        for n in range(start, min(start + BATCH, PRODUCTS)):
            noun = NOUNS[n % len(NOUNS)]
            title = f"{ADJECTIVES[(n // len(NOUNS)) % len(ADJECTIVES)]} {COLOURS[(n // 100) % 10]} {noun} {n + 1}"
            amount = _price(n)
            batch.append(
                {
                    "title": title,
                    "subtitle": f"{noun} from the demo store",
                    "description": f"A {title.lower()}: made to last, priced to move.",
                    "status": "published",
                    "thumbnail": image_url(public_url, noun, "front"),
                    "images": [{"url": image_url(public_url, noun, side)} for side in ("front", "back")],
                    "shipping_profile_id": shipping.profile_id,
                    "collection_id": collections[n % len(collections)],
                    "type_id": types[noun],
                    "tags": [{"id": tags[n % len(tags)]}],
                    "categories": [{"id": categories[noun]}],
                    "sales_channels": [{"id": sales_channel_id}],
                    "options": [{"title": "Size", "values": list(SIZES)}],
                    "variants": [
                        {
                            "title": size,
                            "sku": sku_of(n, i),
                            "manage_inventory": True,
                            "allow_backorder": stock_of(n, i)[1],
                            "options": {"Size": size},
                            "prices": [
                                {"currency_code": "usd", "amount": amount + i},
                                {
                                    "currency_code": "eur",
                                    "amount": (amount * Decimal("0.92")).quantize(Decimal("0.01")) + i,
                                },
                                # Quantity tier: 10 or more cost 10 % less.
                                {
                                    "currency_code": "usd",
                                    "amount": ((amount + i) * Decimal("0.9")).quantize(Decimal("0.01")),
                                    "min_quantity": 10,
                                },
                            ],
                        }
                        for i, size in enumerate(SIZES)
                    ],
                }
            )
            stock.update((sku_of(n, i), stock_of(n, i)[0]) for i in range(len(SIZES)))
        async with conn.transaction():
            created, _, _ = await product.service.batch(conn, msgspec.convert({"create": batch}, BatchProducts))
            await _stock(conn, created, shipping.location_id, stock)

    variants = await _demo_variants(conn)
    sale = [
        ListPriceInput(variant_id=v, currency_code=c, amount=(a * Decimal("0.8")).quantize(Decimal("0.01")))
        for v, c, a in variants[: 3 * 100]
    ]
    await pricing.service.create_list(
        conn,
        CreatePriceList(
            title="Demo sale", description="20 % off the first 100 products", type="sale", status="active", prices=sale
        ),
    )
    vip = await customer.service.create_group(conn, CreateCustomerGroup(name="VIP"), "seed")
    vip_prices = [
        ListPriceInput(variant_id=v, currency_code=c, amount=(a * Decimal("0.7")).quantize(Decimal("0.01")))
        for v, c, a in variants
    ]
    await pricing.service.create_list(
        conn,
        CreatePriceList(
            title="VIP prices",
            description="30 % off everything for the VIP group",
            type="override",
            status="active",
            rules={"customer_group_id": [vip.id]},
            prices=vip_prices,
        ),
    )


async def _stock(conn: AsyncConnection[Any], product_ids: list[str], location_id: str, stock: dict[str, int]) -> None:
    """Each variant of these products gets its inventory item (SKU and title, as the admin API makes one for a new
    variant) with a level at the location holding `stock[sku]` units, linked with required quantity 1."""
    products = await product.service.retrieve_many(conn, product_ids, VARIANTS)
    links = []
    for variant in (v for p in products for v in p["variants"]):
        level = LevelInput(location_id=location_id, stocked_quantity=stock[variant["sku"]])
        item = CreateInventoryItem(
            sku=variant["sku"], title=variant["title"], description=variant["title"], location_levels=[level]
        )
        links.append((variant["id"], await inventory.service.create_item(conn, item), 1))
    await inventory.service.link_variants(conn, links)


async def _demo_variants(conn: AsyncConnection[Any]) -> list[tuple[str, str, Decimal]]:
    """(variant id, currency, base amount) of every demo variant, in product order."""
    query = msgspec.convert({"limit": PRODUCTS, "order": "created_at"}, product.schemas.ProductListQuery)
    rows, _ = await product.service.list_products(conn, query, frozenset({"variants", "variants.prices"}))
    out = []
    for p in rows:
        for v in p["variants"]:
            for price in v["prices"]:
                if price["min_quantity"] is None:
                    out.append((v["id"], price["currency_code"], price["amount"]))
    return out
