"""The demo catalog (`commerce seed --demo`): 1,000 products x 3 variants with images, categories, collections,
tags and types, prices in USD and EUR, a sale price list and a VIP customer-group price list."""

from decimal import Decimal
from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import customer, pricing, product
from commerce.customer.schemas import CreateCustomerGroup
from commerce.pricing.schemas import CreatePriceList, ListPriceInput
from commerce.product.schemas import BatchProducts, CreateCategory, CreateCollection, CreateValue

PRODUCTS = 1_000
BATCH = 100
SIZES = ("S", "M", "L")
NOUNS = ("Shirt", "Sweater", "Jacket", "Hoodie", "Trousers", "Shorts", "Cap", "Scarf", "Sneakers", "Bag")
ADJECTIVES = ("Linen", "Merino", "Classic", "Organic", "Everyday", "Relaxed", "Vintage", "Travel", "Studio", "Trail")
COLOURS = ("Black", "Sand", "Navy", "Olive", "Stone", "Rust", "Sky", "Forest", "Ivory", "Charcoal")


def _price(n: int) -> Decimal:
    return Decimal(15 + (n * 37) % 150) + Decimal("0.99")


async def seed_catalog(conn: AsyncConnection[Any], sales_channel_id: str, region_ids: dict[str, str]) -> None:
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
                    "thumbnail": f"https://images.commerce.local/products/{n + 1}/front.jpg",
                    "images": [
                        {"url": f"https://images.commerce.local/products/{n + 1}/{side}.jpg"}
                        for side in ("front", "back")
                    ],
                    "collection_id": collections[n % len(collections)],
                    "type_id": types[noun],
                    "tags": [{"id": tags[n % len(tags)]}],
                    "categories": [{"id": categories[noun]}],
                    "sales_channels": [{"id": sales_channel_id}],
                    "options": [{"title": "Size", "values": list(SIZES)}],
                    "variants": [
                        {
                            "title": size,
                            "sku": f"DEMO-{n + 1:04d}-{size}",
                            "manage_inventory": False,
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
        await product.service.batch(conn, msgspec.convert({"create": batch}, BatchProducts))

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
    del region_ids  # prices here are per currency; regions pick their currency


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
