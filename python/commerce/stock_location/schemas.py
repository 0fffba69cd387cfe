"""Stock location requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import ListQuery

Text = Annotated[str, msgspec.Meta(max_length=1000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{2}$")]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class AddressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    address_1: Text
    country_code: CountryCode
    address_2: Text | None = None
    company: Text | None = None
    city: Text | None = None
    phone: Text | None = None
    postal_code: Text | None = None
    province: Text | None = None
    metadata: dict[str, Any] | None = None


class CreateStockLocation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    address: AddressInput | None = None
    address_id: str | None = None
    metadata: dict[str, Any] | None = None


class UpdateStockLocation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset = UNSET
    address: AddressInput | Unset = UNSET
    address_id: str | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class StockLocationQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: list[str] | None = None
    sales_channel_id: list[str] | None = None


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class BatchLinks(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    add: list[str] = []
    remove: list[str] = []


class CreateLocationFulfillmentSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    type: Annotated[str, msgspec.Meta(pattern="^(shipping|pickup)$")]


class Address(msgspec.Struct, kw_only=True):
    id: str
    address_1: str
    address_2: str | None
    company: str | None
    city: str | None
    country_code: str
    phone: str | None
    province: str | None
    postal_code: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class StockLocationResponse(msgspec.Struct):
    stock_location: dict[str, Any]


class StockLocationList(msgspec.Struct):
    stock_locations: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


ADDRESS_SHAPE = Shape(tuple(f.name for f in msgspec.structs.fields(Address)))
TIMES = ("created_at", "updated_at", "deleted_at")
GEO_ZONE_SHAPE = Shape(
    (
        "id",
        "type",
        "country_code",
        "province_code",
        "city",
        "postal_expression",
        "service_zone_id",
        "metadata",
        *TIMES,
    )
)
SERVICE_ZONE_SHAPE = Shape(("id", "name", "fulfillment_set_id", "metadata", *TIMES), {"geo_zones": GEO_ZONE_SHAPE})
FULFILLMENT_SET_SHAPE = Shape(("id", "name", "type", "metadata", *TIMES), {"service_zones": SERVICE_ZONE_SHAPE})
LOCATION_SHAPE = Shape(
    ("id", "name", "address_id", "metadata", *TIMES),
    {
        "address": ADDRESS_SHAPE,
        "sales_channels": Shape(("id", "name")),
        "fulfillment_providers": Shape(("id", "is_enabled")),
        "fulfillment_sets": FULFILLMENT_SET_SHAPE,
    },
)
# Medusa's defaults (id, name, metadata, dates, address.*), plus address_id.
LOCATION_DEFAULTS = ("id", "name", "address_id", "metadata", "created_at", "updated_at", "*address")
