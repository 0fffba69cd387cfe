"""Price, price list and price preference requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from commerce.listing import ListQuery

# Amounts are decimal major units (10.5 = 10.50), exact; validated against the engine's range in the service.
Amount = Decimal
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
ListStatus = Literal["draft", "active"]
ListType = Literal["sale", "override"]
PriceRules = dict[Annotated[str, msgspec.Meta(pattern="^(region_id|customer_group_id)$")], str]
ListRules = dict[Annotated[str, msgspec.Meta(pattern="^customer_group_id$")], list[str]]


class PriceInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A variant price on product create/update: {currency_code, amount, min/max_quantity, rules}."""

    currency_code: CurrencyCode
    amount: Amount
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    rules: PriceRules = {}


class Price(msgspec.Struct, kw_only=True):
    id: str
    currency_code: str
    amount: Decimal
    min_quantity: int | None
    max_quantity: int | None
    price_list_id: str | None
    rules: dict[str, str]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    variant_id: str | None = None


class ListPriceInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    currency_code: CurrencyCode
    amount: Amount
    variant_id: str
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    rules: PriceRules = {}


class ListPriceUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    variant_id: str
    currency_code: CurrencyCode | Unset = UNSET
    amount: Amount | Unset = UNSET
    min_quantity: Quantity | Unset | None = UNSET
    max_quantity: Quantity | Unset | None = UNSET
    rules: PriceRules | Unset = UNSET


class PriceList(msgspec.Struct, kw_only=True):
    id: str
    title: str
    description: str
    status: ListStatus
    type: ListType
    starts_at: datetime | None
    ends_at: datetime | None
    rules: dict[str, list[str]]
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    prices: list[Price] = []


class PriceListResponse(msgspec.Struct):
    price_list: PriceList


class PriceListList(msgspec.Struct):
    price_lists: list[PriceList]
    count: int
    offset: int
    limit: int


class CreatePriceList(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    description: Annotated[str, msgspec.Meta(max_length=2000)]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: ListStatus = "draft"
    type: ListType = "sale"
    rules: ListRules = {}
    prices: list[ListPriceInput] = []
    metadata: dict[str, Any] | None = None


class UpdatePriceList(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | Unset | None = UNSET
    starts_at: datetime | Unset | None = UNSET
    ends_at: datetime | Unset | None = UNSET
    status: ListStatus | Unset = UNSET
    type: ListType | Unset = UNSET
    rules: ListRules | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class BatchPrices(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    create: list[ListPriceInput] = []
    update: list[ListPriceUpdate] = []
    delete: list[str] = []


class BatchPricesResult(msgspec.Struct):
    created: list[Price]
    updated: list[Price]
    deleted: dict[str, Any]


class PriceListQuery(ListQuery, kw_only=True):
    limit: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 50
    q: str | None = None
    id: list[str] | None = None
    status: list[ListStatus] | None = None


class PricePreference(msgspec.Struct, kw_only=True):
    id: str
    attribute: str
    value: str
    is_tax_inclusive: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class PricePreferenceResponse(msgspec.Struct):
    price_preference: PricePreference


class PricePreferenceList(msgspec.Struct):
    price_preferences: list[PricePreference]
    count: int
    offset: int
    limit: int


class CreatePricePreference(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    attribute: Literal["region_id", "currency_code"]
    value: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    is_tax_inclusive: bool = False


class UpdatePricePreference(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    attribute: Literal["region_id", "currency_code"] | Unset = UNSET
    value: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | Unset = UNSET
    is_tax_inclusive: bool | Unset = UNSET


class PricePreferenceQuery(ListQuery, kw_only=True):
    id: list[str] | None = None
    attribute: list[str] | None = None
    value: list[str] | None = None
