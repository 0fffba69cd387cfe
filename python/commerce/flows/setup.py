"""Setting up a store: admin users, API keys and the demo data (`commerce seed --demo`)."""

from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import api_key, auth, region, sales_channel, store, user
from commerce.api_key.schemas import ApiKey, CreateApiKey
from commerce.errors import DuplicateError
from commerce.flows import demo_catalog, demo_orders, demo_people, demo_shipping
from commerce.region.schemas import CreateRegion
from commerce.sales_channel.schemas import CreateSalesChannel
from commerce.store.schemas import SupportedCurrency, UpdateStore

DEMO_ADMIN_EMAIL = "admin@commerce.local"
DEMO_ADMIN_PASSWORD = "supersecret"  # noqa: S105 - the documented demo login, printed by `make serve`
DEMO_KEY_TITLE = "Demo storefront"
DEMO_PUBLIC_URL = "http://127.0.0.1:9000"  # the default of settings.public_url (HOST 127.0.0.1, PORT 9000)
# Planner statistics for the tables the catalog just filled (database maintenance, no module's data): autovacuum
# gets to them only after a while, and until then the read models' first loads over thousands of fresh rows are
# planned as nested loops that take seconds (the stock model's variant/item join: ~9 s instead of a few ms).
ANALYZE = "ANALYZE"


class DemoInfo(msgspec.Struct):
    publishable_key: str | None
    admin_email: str | None
    admin_password: str | None


async def create_admin_user(conn: AsyncConnection[Any], email: str, password: str) -> user.schemas.User:
    """An admin user with an emailpass identity; DuplicateError when the email is taken."""
    async with conn.transaction():
        created = await user.service.create(conn, email)
        identity_id = await auth.service.register_emailpass(conn, email, password, {"user_id": created.id})
        await auth.service.link_actor(conn, identity_id, "user", created.id)
    return created


async def create_api_key(
    conn: AsyncConnection[Any], key_type: str, title: str, sales_channel_id: str | None, created_by: str
) -> ApiKey:
    data = msgspec.convert({"title": title, "type": key_type}, CreateApiKey)
    key = await api_key.service.create(conn, data, created_by)
    if sales_channel_id:
        await api_key.service.link_sales_channels(conn, key.id, [sales_channel_id], [])
    return key


async def is_seeded(conn: AsyncConnection[Any]) -> bool:
    return await store.service.default_store(conn) is not None


async def seed_demo(
    conn: AsyncConnection[Any],
    *,
    catalog: bool = True,
    public_url: str = DEMO_PUBLIC_URL,
    products: int = demo_catalog.PRODUCTS,
    progress: demo_catalog.Progress | None = None,
) -> None:
    """The demo store: a sales channel, two regions (USD, EUR), a publishable key, an admin login, and (unless
    `catalog=False`, as tests that bring their own products and shipping ask) a shop that sells: the warehouse with
    its shipping options (flows/demo_shipping.py), the stocked demo catalog of `products` products, whose image
    URLs start with `public_url` (where clients reach this server: settings.public_url), the demo customers and a
    few orders of theirs (flows/demo_orders.py). `progress` is told how many more products are written, a chunk at
    a time."""
    channel = await sales_channel.service.create(
        conn, CreateSalesChannel(name="Default Sales Channel", description="Created by the demo seed")
    )
    na = await region.service.create(
        conn,
        CreateRegion(
            name="North America", currency_code="usd", countries=["us", "ca"], payment_providers=["pp_system_default"]
        ),
    )
    eu = await region.service.create(
        conn,
        CreateRegion(
            name="Europe",
            currency_code="eur",
            countries=["de", "fr", "es", "it", "nl", "dk", "se"],
            payment_providers=["pp_system_default"],
        ),
    )
    shop = await store.service.create(
        conn,
        "Commerce Demo Store",
        [SupportedCurrency(currency_code="usd", is_default=True), SupportedCurrency(currency_code="eur")],
    )
    await store.service.update(conn, shop.id, UpdateStore(default_sales_channel_id=channel.id, default_region_id=na.id))
    try:
        admin = await create_admin_user(conn, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
    except DuplicateError:
        found = await user.service.by_email(conn, DEMO_ADMIN_EMAIL)
        assert found is not None
        admin = found
    # Created by the demo admin: the admin UI shows a key's creator (a user id, as Medusa records it).
    await create_api_key(conn, "publishable", DEMO_KEY_TITLE, channel.id, admin.id)
    if catalog:
        shipping = await demo_shipping.seed_shipping(conn, channel.id, [na, eu])
        await demo_catalog.seed_catalog(conn, channel.id, shipping, public_url.rstrip("/"), products, progress)
        await demo_people.seed_people(conn, [c.iso_2 for r in (na, eu) for c in r.countries], admin.id)
        await conn.execute(ANALYZE)
        # Last: placed through the flows, they read what the steps above made.
        await demo_orders.seed_orders(conn, channel.id, [na, eu], shipping.option_ids, products, admin.id)


async def demo_info(conn: AsyncConnection[Any]) -> DemoInfo:
    keys, _ = await api_key.service.list_keys(
        conn,
        msgspec.convert(
            {"title": [DEMO_KEY_TITLE], "type": "publishable", "revoked": False}, api_key.schemas.ApiKeyListQuery
        ),
    )
    admin = await user.service.by_email(conn, DEMO_ADMIN_EMAIL)
    return DemoInfo(
        publishable_key=keys[0].token if keys else None,
        admin_email=DEMO_ADMIN_EMAIL if admin else None,
        admin_password=DEMO_ADMIN_PASSWORD if admin else None,
    )
