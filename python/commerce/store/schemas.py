"""Store requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.listing import ListQuery

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CurrencyCode = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")]


class StoreCurrency(msgspec.Struct, kw_only=True):
    id: str
    currency_code: str
    is_default: bool
    store_id: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class Store(msgspec.Struct, kw_only=True):
    id: str
    name: str
    supported_currencies: list[StoreCurrency]
    default_sales_channel_id: str | None
    default_region_id: str | None
    default_location_id: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class StoreResponse(msgspec.Struct):
    store: Store


class StoreList(msgspec.Struct):
    stores: list[Store]
    count: int
    offset: int
    limit: int


class SupportedCurrency(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    currency_code: CurrencyCode
    is_default: bool = False


class UpdateStore(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    supported_currencies: list[SupportedCurrency] | msgspec.UnsetType = msgspec.UNSET
    default_sales_channel_id: str | msgspec.UnsetType | None = msgspec.UNSET
    default_region_id: str | msgspec.UnsetType | None = msgspec.UNSET
    default_location_id: str | msgspec.UnsetType | None = msgspec.UNSET
    metadata: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


class StoreListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: list[str] | None = None
