"""Fulfillment requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from commerce.http.fields import Shape
from commerce.listing import ListQuery
from commerce.stock_location.schemas import FULFILLMENT_SET_SHAPE, GEO_ZONE_SHAPE, SERVICE_ZONE_SHAPE, TIMES

Text = Annotated[str, msgspec.Meta(max_length=1000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{2}$")]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
Operator = Literal["in", "eq", "ne", "gt", "gte", "lt", "lte", "nin"]
RuleValue = Annotated[str, msgspec.Meta(max_length=1000)] | list[Annotated[str, msgspec.Meta(max_length=1000)]]


# --- service zones and geo zones --------------------------------------------------------------------------------


class GeoZoneInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One of Medusa's four geo zone shapes; the fields a type needs are checked by the service."""

    type: Literal["country", "province", "city", "zip"]
    country_code: CountryCode
    province_code: Text | None = None
    city: Text | None = None
    postal_expression: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    id: str | None = None


class CreateServiceZone(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    geo_zones: list[GeoZoneInput] = []


class UpdateServiceZone(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset | None = UNSET
    geo_zones: list[GeoZoneInput] | Unset = UNSET


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class FulfillmentSetResponse(msgspec.Struct):
    fulfillment_set: dict[str, Any]


class ServiceZoneResponse(msgspec.Struct):
    service_zone: dict[str, Any]


# --- providers and profiles -------------------------------------------------------------------------------------


class ProviderQuery(ListQuery, kw_only=True):
    limit: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 50
    id: list[str] | None = None
    stock_location_id: list[str] | None = None
    is_enabled: bool | None = None
    q: str | None = None


class FulfillmentProvider(msgspec.Struct, kw_only=True):
    id: str
    is_enabled: bool


class ProviderList(msgspec.Struct):
    fulfillment_providers: list[FulfillmentProvider]
    count: int
    offset: int
    limit: int


class ShippingProfile(msgspec.Struct, kw_only=True):
    id: str
    name: str
    type: str
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class CreateShippingProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    type: Name
    metadata: dict[str, Any] | None = None


class UpdateShippingProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset = UNSET
    type: Name | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class ProfileQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: str | None = None
    type: str | None = None


class ShippingProfileResponse(msgspec.Struct):
    shipping_profile: ShippingProfile


class ShippingProfileList(msgspec.Struct):
    shipping_profiles: list[ShippingProfile]
    count: int
    offset: int
    limit: int


# --- shipping options -------------------------------------------------------------------------------------------


class OptionType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Name
    description: Text
    code: Code


class RuleInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    attribute: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    operator: Operator
    value: RuleValue


class RuleUpdate(RuleInput, kw_only=True, forbid_unknown_fields=True):
    id: str


class RuleSpec(RuleInput, kw_only=True, forbid_unknown_fields=True):
    """A rule on option update: with an `id` it updates that rule, without one it is new."""

    id: str | None = None


class OptionPriceInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`{currency_code, amount}` or `{region_id, amount}` (a price in the region's currency, for that region)."""

    amount: Decimal
    currency_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] | None = None
    region_id: str | None = None
    id: str | None = None


class CreateShippingOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    service_zone_id: str
    shipping_profile_id: str
    price_type: Literal["flat", "calculated"]
    provider_id: str
    type: OptionType
    prices: list[OptionPriceInput] = []
    rules: list[RuleInput] = []
    data: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class UpdateShippingOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset = UNSET
    price_type: Literal["flat", "calculated"] | Unset = UNSET
    provider_id: str | Unset = UNSET
    shipping_profile_id: str | Unset = UNSET
    type: OptionType | Unset = UNSET
    prices: list[OptionPriceInput] | Unset = UNSET
    rules: list[RuleSpec] | Unset = UNSET
    data: dict[str, Any] | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class BatchRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    create: list[RuleInput] = []
    update: list[RuleUpdate] = []
    delete: list[str] = []


class OptionQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    service_zone_id: list[str] | None = None
    shipping_profile_id: list[str] | None = None
    provider_id: list[str] | None = None
    stock_location_id: list[str] | None = None


class ShippingOptionResponse(msgspec.Struct):
    shipping_option: dict[str, Any]


class ShippingOptionList(msgspec.Struct):
    shipping_options: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class StoreOptionQuery(msgspec.Struct, kw_only=True):
    cart_id: str | None = None
    is_return: bool | None = None
    fields: str | None = None


class CalculateBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cart_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    data: dict[str, Any] = {}


class StoreShippingOptionList(msgspec.Struct):
    shipping_options: list[dict[str, Any]]


RULE_SHAPE = Shape(("id", "attribute", "operator", "value", "shipping_option_id", *TIMES))
PRICE_SHAPE = Shape(
    (
        "id",
        "currency_code",
        "amount",
        "min_quantity",
        "max_quantity",
        "price_list_id",
        "rules_count",
        *TIMES,
    ),
    {"price_rules": Shape(("id", "attribute", "operator", "value", "price_id"))},
)
OPTION_SHAPE = Shape(
    (
        "id",
        "name",
        "price_type",
        "service_zone_id",
        "shipping_profile_id",
        "provider_id",
        "shipping_option_type_id",
        "data",
        "metadata",
        *TIMES,
    ),
    {
        "rules": RULE_SHAPE,
        "type": Shape(("id", "label", "description", "code", "shipping_option_id", *TIMES)),
        "prices": PRICE_SHAPE,
        "service_zone": Shape(
            SERVICE_ZONE_SHAPE.ordered,
            {
                "geo_zones": GEO_ZONE_SHAPE,
                "fulfillment_set": Shape(FULFILLMENT_SET_SHAPE.ordered, {"location": Shape(("id",))}),
            },
        ),
        "shipping_profile": Shape(tuple(f.name for f in msgspec.structs.fields(ShippingProfile))),
        "provider": Shape(("id", "is_enabled")),
    },
)
# Medusa's admin defaults for a shipping option.
OPTION_DEFAULTS = (
    "id",
    "name",
    "price_type",
    "data",
    "provider_id",
    "service_zone_id",
    "shipping_profile_id",
    "metadata",
    "created_at",
    "updated_at",
    "*rules",
    "*type",
    "*prices",
    "*prices.price_rules",
    "*service_zone",
    "*shipping_profile",
    "*provider",
)


# --- fulfillments -----------------------------------------------------------------------------------------------

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]


class FulfillmentAddressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    company: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    address_1: Text | None = None
    address_2: Text | None = None
    city: Text | None = None
    country_code: CountryCode | None = None
    province: Text | None = None
    postal_code: Text | None = None
    phone: Text | None = None
    metadata: dict[str, Any] | None = None


class FulfillmentItemInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    sku: LongText = ""
    barcode: LongText = ""
    line_item_id: Id | None = None
    inventory_item_id: Id | None = None


class FulfillmentLabelInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tracking_number: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    tracking_url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    label_url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CreateFulfillment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Medusa's AdminCreateFulfillment. `order` (the order as the provider should see it) is ours; Medusa's
    `order_id` is handed to the provider as `{"id": order_id}` when `order` is not given."""

    location_id: Id
    provider_id: Id
    delivery_address: FulfillmentAddressInput
    items: Annotated[list[FulfillmentItemInput], msgspec.Meta(min_length=1, max_length=1000)]
    labels: Annotated[list[FulfillmentLabelInput], msgspec.Meta(max_length=100)] = []
    order_id: Id | None = None
    order: dict[str, Any] | None = None
    shipping_option_id: Id | None = None
    data: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    packed_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    canceled_at: datetime | None = None


class CreateShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    labels: Annotated[list[FulfillmentLabelInput], msgspec.Meta(max_length=100)]


class FulfillmentResponse(msgspec.Struct):
    fulfillment: dict[str, Any]


FULFILLMENT_ADDRESS_SHAPE = Shape(
    (
        "id",
        "fulfillment_id",
        "company",
        "first_name",
        "last_name",
        "address_1",
        "address_2",
        "city",
        "country_code",
        "province",
        "postal_code",
        "phone",
        "metadata",
        *TIMES,
    )
)
FULFILLMENT_SHAPE = Shape(
    (
        "id",
        "location_id",
        "provider_id",
        "shipping_option_id",
        "delivery_address_id",
        "packed_at",
        "shipped_at",
        "marked_shipped_by",
        "created_by",
        "delivered_at",
        "canceled_at",
        "requires_shipping",
        "data",
        "metadata",
        *TIMES,
    ),
    {
        "delivery_address": FULFILLMENT_ADDRESS_SHAPE,
        "items": Shape(
            (
                "id",
                "fulfillment_id",
                "title",
                "sku",
                "barcode",
                "quantity",
                "line_item_id",
                "inventory_item_id",
                *TIMES,
            )
        ),
        "labels": Shape(("id", "fulfillment_id", "tracking_number", "tracking_url", "label_url", *TIMES)),
        "provider": Shape(("id", "is_enabled")),
    },
)
# Medusa's admin defaults for a fulfillment (its `order` link is the order module's to add).
FULFILLMENT_DEFAULTS = (
    "id",
    "location_id",
    "packed_at",
    "shipped_at",
    "marked_shipped_by",
    "created_by",
    "delivered_at",
    "canceled_at",
    "data",
    "provider_id",
    "shipping_option_id",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "*delivery_address",
    "*items",
    "*labels",
)
