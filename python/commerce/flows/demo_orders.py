"""The demo store's orders, so the admin's orders screens show something real: a handful of orders of the demo
customers, placed through the same flows a shopper's requests run (cart → shipping method → payment collection and
session → complete) and then worked as an operator would (capture, fulfil, ship). A fixed few, whatever the size of
the catalog: `seed --products N` stays as fast as before."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce import payment, product
from commerce.cart.schemas import AddressInput, CreateCart, ItemInput
from commerce.catalog.documents import CatalogReads, Documents
from commerce.catalog.prices import load_prices
from commerce.catalog.stock import StockReads, load_channel_locations
from commerce.flows import cart as cart_flow
from commerce.flows import checkout, demo_catalog, demo_people
from commerce.flows import order as order_flow
from commerce.inventory.holds import load_policies
from commerce.product.schemas import ProductListQuery
from commerce.promotion.service import load_promotions
from commerce.region.schemas import Region
from commerce.region.service import load_catalog as load_regions
from commerce.tax.service import load_rates

PROVIDER = "pp_system_default"
CARRIER = "https://carrier.example.com"  # the demo's parcel carrier (a reserved example domain)
DOCUMENTS_BUDGET = 4 * 1024 * 1024  # the few products these orders name
# Products (0-based numbers of demo_catalog) the orders buy from: none of the sold-out, backorderable or first
# products, whose stock the demo store's tests read.
PICKS = (8, 9, 11, 14, 17, 18)


@dataclass(frozen=True, slots=True)
class DemoOrder:
    email: str
    region: str  # the region's name
    country: str
    city: str
    lines: tuple[tuple[int, int, int], ...]  # (index into PICKS, size index, quantity)
    express: bool = False
    capture: bool = False
    fulfil: bool = False
    ship: bool = False


GRACE, ALAN, ADA = (c[0] for c in demo_people.CUSTOMERS)
ORDERS = (
    DemoOrder(GRACE, "North America", "us", "Arlington", ((0, 1, 1), (1, 0, 2)), capture=True, fulfil=True, ship=True),
    DemoOrder(ALAN, "North America", "ca", "Toronto", ((2, 2, 1),), express=True, capture=True, fulfil=True),
    DemoOrder(ADA, "Europe", "de", "Berlin", ((3, 1, 1), (4, 0, 1)), capture=True),
    DemoOrder(GRACE, "North America", "us", "Arlington", ((5, 1, 3),)),
)


class _OneConnection:
    """The seed's one connection, lent where the read-model loaders take a pool (a worker's loaders)."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        yield self._conn


async def _reads(conn: AsyncConnection[Any]) -> cart_flow.Reads:
    """The read models a worker would hold, loaded once on this connection (the catalog seeded just before)."""
    pool = cast(AsyncConnectionPool[Any], _OneConnection(conn))
    return cart_flow.Reads(
        CatalogReads(Documents(DOCUMENTS_BUDGET)),
        await load_prices(pool),
        await load_regions(pool),
        await load_promotions(pool),
        await load_rates(pool),
        StockReads(await load_channel_locations(pool)),  # each change reads its variants' stock itself
        await load_policies(pool),
    )


async def _variant_ids(conn: AsyncConnection[Any], products: int) -> dict[tuple[int, int], str]:
    """(pick, size index) → variant id of the in-stock sizes of the picked products; a catalog smaller than PICKS
    lends its first products in turn."""
    numbers = [PICKS[k] if PICKS[k] < products else k % products for k in range(len(PICKS))]
    handles = {product.service.to_handle(demo_catalog.title_of(n)): n for n in set(numbers)}
    found, _ = await product.service.list_products(
        conn, ProductListQuery(handle=list(handles), limit=len(handles)), frozenset({"variants"})
    )
    skus = {v["sku"]: v["id"] for p in found for v in p["variants"]}
    return {
        (pick, i): skus[demo_catalog.sku_of(n, i)]
        for pick, n in enumerate(numbers)
        for i in range(len(demo_catalog.SIZES))
        if demo_catalog.sku_of(n, i) in skus and demo_catalog.stock_of(n, i)[0] > 0
    }


async def seed_orders(
    conn: AsyncConnection[Any],
    channel_id: str,
    regions: list[Region],
    option_ids: dict[str, list[str]],
    products: int,
    admin_id: str,
) -> list[str]:
    """Place and work ORDERS; their ids."""
    if products <= 0:
        return []
    reads = await _reads(conn)
    variants = await _variant_ids(conn, products)
    region_ids = {r.name: r.id for r in regions}
    names = {c[0]: (c[1], c[2]) for c in demo_people.CUSTOMERS}
    made = []
    for demo in ORDERS:
        lines = [(variants[p, i], q) for p, i, q in demo.lines if (p, i) in variants]
        if not lines:
            continue
        first, last = names[demo.email]
        address = AddressInput(
            first_name=first,
            last_name=last,
            address_1="1 Demo Street",
            city=demo.city,
            country_code=demo.country,
            postal_code="10001",
        )
        order_id = await _place(conn, reads, demo, channel_id, region_ids[demo.region], address, lines, option_ids)
        await _work(conn, demo, order_id, admin_id)
        made.append(order_id)
    return made


async def _place(
    conn: AsyncConnection[Any],
    reads: cart_flow.Reads,
    demo: DemoOrder,
    channel_id: str,
    region_id: str,
    address: AddressInput,
    lines: list[tuple[str, int]],
    option_ids: dict[str, list[str]],
) -> str:
    """A shopper's checkout: the same flow calls as the store routes make."""
    data = CreateCart(
        region_id=region_id,
        email=demo.email,
        items=[ItemInput(variant_id=v, quantity=q) for v, q in lines],
        shipping_address=address,
        billing_address=address,
    )
    created = await cart_flow.create(conn, reads, data, (channel_id,), None, region_id)
    cart_id = _cart_id(created)
    standard, express = option_ids[demo.region]
    await cart_flow.add_shipping_method(conn, reads, cart_id, express if demo.express else standard, None)
    cart = await cart_flow.retrieve(conn, reads, cart_id)
    collection = await payment.service.collection_for_cart(
        conn, cart_id, cart["total"], cart["currency_code"], cart["region_id"]
    )
    await payment.service.create_session(conn, collection["id"], PROVIDER, None, {"cart_id": cart_id})
    return await checkout.complete(conn, reads, cart_id)


def _cart_id(rendered: msgspec.Raw) -> str:
    return str(msgspec.json.decode(rendered)["id"])  # the flow answers the cart view as JSON


async def _work(conn: AsyncConnection[Any], demo: DemoOrder, order_id: str, admin_id: str) -> None:
    """What an operator did with the order since: capture its payment, fulfil it, hand it to the carrier."""
    if demo.capture:
        placed = await order_flow.view(conn, order_id)
        for collection in placed["payment_collections"]:
            for paid in collection["payments"]:
                await payment.service.capture(conn, paid["id"], None, admin_id)
    if not demo.fulfil:
        return
    placed = await order_flow.view(conn, order_id)
    quantities = {item["id"]: int(item["quantity"]) for item in placed["items"]}
    fulfillment_id = await order_flow.create_fulfillment(conn, order_id, quantities, None, created_by=admin_id)
    if demo.ship:
        number = f"DEMO{placed['display_id']:06d}"
        label = {
            "tracking_number": number,
            "tracking_url": f"{CARRIER}/track/{number}",
            "label_url": f"{CARRIER}/labels/{number}.pdf",
        }
        await order_flow.create_shipment(conn, order_id, fulfillment_id, [label], shipped_by=admin_id)
