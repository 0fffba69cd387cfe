"""Region requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import ListQuery

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CurrencyCode = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")]
CountryCode = Annotated[str, msgspec.Meta(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")]


class Country(msgspec.Struct, kw_only=True):
    iso_2: str
    iso_3: str
    num_code: str
    name: str
    display_name: str
    region_id: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class PaymentProviderRef(msgspec.Struct, kw_only=True):
    id: str
    is_enabled: bool


class Region(msgspec.Struct, kw_only=True):
    id: str
    name: str
    currency_code: str
    automatic_taxes: bool
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    countries: list[Country] = []
    payment_providers: list[PaymentProviderRef] = []


class RegionResponse(msgspec.Struct):
    region: dict[str, Any]


class RegionList(msgspec.Struct):
    regions: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class CreateRegion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    currency_code: CurrencyCode
    countries: list[CountryCode] = []
    automatic_taxes: bool = True
    payment_providers: list[str] = []
    metadata: dict[str, Any] | None = None


class UpdateRegion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    currency_code: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    countries: list[CountryCode] | msgspec.UnsetType = msgspec.UNSET
    automatic_taxes: bool | msgspec.UnsetType = msgspec.UNSET
    payment_providers: list[str] | msgspec.UnsetType = msgspec.UNSET
    metadata: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


class RegionListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: list[str] | None = None
    currency_code: list[str] | None = None


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


COUNTRY_SHAPE = Shape(
    (
        "iso_2",
        "iso_3",
        "num_code",
        "name",
        "display_name",
        "region_id",
        "metadata",
        "created_at",
        "updated_at",
        "deleted_at",
    )
)
REGION_SHAPE = Shape(
    ("id", "name", "currency_code", "automatic_taxes", "metadata", "created_at", "updated_at", "deleted_at"),
    {"countries": COUNTRY_SHAPE, "payment_providers": Shape(("id", "is_enabled"))},
)
STORE_DEFAULTS = ("id", "name", "currency_code", "created_at", "updated_at", "deleted_at", "metadata", "*countries")
ADMIN_DEFAULTS = (*STORE_DEFAULTS, "automatic_taxes")
