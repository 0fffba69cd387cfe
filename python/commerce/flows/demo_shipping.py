"""The demo store's shipping (`commerce seed --demo`), made through the module services as an operator would through
the admin API: a stock location "Main warehouse" in the US serving the demo sales channel with the manual fulfillment
provider, a shipping fulfillment set on it with one service zone per region (its countries), the default shipping
profile, and per region a flat "Standard Shipping" and "Express Shipping" option in the region's currency, enabled in
the store and not for returns."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from commerce import fulfillment, stock_location
from commerce.errors import InvalidData
from commerce.fulfillment.schemas import (
    CreateServiceZone,
    CreateShippingOption,
    CreateShippingProfile,
    GeoZoneInput,
    OptionPriceInput,
    OptionType,
    ProfileQuery,
    RuleInput,
)
from commerce.region.schemas import Region
from commerce.region.service import RegionCatalog
from commerce.stock_location.schemas import AddressInput, CreateStockLocation

WAREHOUSE = "Main warehouse"
WAREHOUSE_ADDRESS = AddressInput(
    address_1="500 Harbor Blvd",
    city="Oakland",
    province="ca",
    postal_code="94607",
    country_code="us",
    company="Commerce Demo Store",
)
PROVIDER = "manual_manual"
PROFILE = "Default Shipping Profile"  # the profile migration 0009 makes; created here only when it is gone
# What the store's listing asks of an option (Medusa's seed and admin set the same two rules).
ENABLED = [
    RuleInput(attribute="enabled_in_store", operator="eq", value="true"),
    RuleInput(attribute="is_return", operator="eq", value="false"),
]
# (name, type label, type description, type code, price by currency)
OPTIONS = (
    ("Standard Shipping", "Standard", "Ships in 3-5 business days.", "standard", {"usd": "8", "eur": "7"}),
    ("Express Shipping", "Express", "Ships in 24 hours.", "express", {"usd": "20", "eur": "18"}),
)


@dataclass(frozen=True, slots=True)
class DemoShipping:
    location_id: str
    profile_id: str
    option_ids: dict[str, list[str]]  # region name -> [standard, express]


async def seed_shipping(conn: AsyncConnection[Any], sales_channel_id: str, regions: list[Region]) -> DemoShipping:
    """The warehouse, its fulfillment set, zones and options for these regions; the ids the catalog needs."""
    location_id = await _warehouse(conn, sales_channel_id)
    async with conn.transaction():
        await stock_location.service.lock(conn, location_id)
        set_id = await fulfillment.service.create_set(conn, f"{WAREHOUSE} shipping", "shipping")
        await stock_location.service.link_fulfillment_set(conn, location_id, set_id)
    profile_id = await default_profile(conn)
    catalog = RegionCatalog(regions)
    option_ids: dict[str, list[str]] = {}
    for region in regions:
        zone_id = await _zone(conn, set_id, region)
        option_ids[region.name] = [
            await fulfillment.service.create_option(
                conn,
                CreateShippingOption(
                    name=name,
                    service_zone_id=zone_id,
                    shipping_profile_id=profile_id,
                    price_type="flat",
                    provider_id=PROVIDER,
                    type=OptionType(label=label, description=description, code=code),
                    prices=[OptionPriceInput(region_id=region.id, amount=Decimal(prices[region.currency_code]))],
                    rules=list(ENABLED),
                ),
                catalog,
            )
            for name, label, description, code, prices in OPTIONS
        ]
    return DemoShipping(location_id=location_id, profile_id=profile_id, option_ids=option_ids)


async def _warehouse(conn: AsyncConnection[Any], sales_channel_id: str) -> str:
    location = await stock_location.service.create(conn, CreateStockLocation(name=WAREHOUSE, address=WAREHOUSE_ADDRESS))
    location_id: str = location["id"]
    await stock_location.service.link_sales_channels(conn, location_id, [sales_channel_id], [])
    if await fulfillment.service.missing_providers(conn, [PROVIDER]):
        raise InvalidData(f"Fulfillment provider with id: {PROVIDER} was not found")
    await stock_location.service.link_providers(conn, location_id, [PROVIDER], [])
    return location_id


async def _zone(conn: AsyncConnection[Any], set_id: str, region: Region) -> str:
    """A service zone named after the region, covering its countries; its id."""
    geo = [GeoZoneInput(type="country", country_code=c.iso_2) for c in region.countries]
    view = await fulfillment.service.create_zone(conn, set_id, CreateServiceZone(name=region.name, geo_zones=geo))
    zone_id: str = next(z["id"] for z in view["service_zones"] if z["name"] == region.name)
    return zone_id


async def default_profile(conn: AsyncConnection[Any]) -> str:
    """The store's default shipping profile (made by the migrations; made again here if it was deleted)."""
    found, _ = await fulfillment.service.list_profiles(conn, ProfileQuery(type="default", limit=1))
    if found:
        return found[0].id
    return (await fulfillment.service.create_profile(conn, CreateShippingProfile(name=PROFILE, type="default"))).id
