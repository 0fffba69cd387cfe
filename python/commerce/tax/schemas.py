"""Tax region, tax rate, rule and provider requests and responses (Medusa v2 shapes), and the tax-line types
the cart uses."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypedDict

import msgspec

from commerce.http.fields import Shape
from commerce.listing import ListQuery

CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{2}$")]
ProvinceCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
# A percentage (20 = 20 %), exact; 0..100 is checked in the service, which names the field.
Rate = Decimal
Reference = Literal["product", "product_type", "shipping_option"]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class TaxRateRule(msgspec.Struct, kw_only=True):
    id: str
    tax_rate_id: str
    reference: str
    reference_id: str
    metadata: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class TaxRegionRow(msgspec.Struct, kw_only=True):
    id: str
    country_code: str
    province_code: str | None
    parent_id: str | None
    provider_id: str | None
    metadata: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class TaxRate(msgspec.Struct, kw_only=True):
    id: str
    rate: Decimal | None
    code: str
    name: str
    tax_region_id: str
    is_default: bool
    is_combinable: bool
    metadata: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    rules: list[TaxRateRule] = []
    tax_region: TaxRegionRow | None = None


class TaxRegionChild(TaxRegionRow, kw_only=True):
    tax_rates: list[TaxRate] = []


class TaxRegion(TaxRegionRow, kw_only=True):
    tax_rates: list[TaxRate] = []
    children: list[TaxRegionChild] = []
    parent: TaxRegionRow | None = None


class TaxProvider(msgspec.Struct, kw_only=True):
    id: str
    is_enabled: bool


# --- requests ---------------------------------------------------------------------------------------------------


class TaxRateRuleInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reference: Reference
    reference_id: Id


class DefaultTaxRateInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    name: Name
    rate: Rate | None = None
    is_combinable: bool = False
    metadata: dict[str, Any] | None = None


class CreateTaxRegion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    country_code: CountryCode
    provider_id: Id | None = None
    province_code: ProvinceCode | None = None
    parent_id: Id | None = None
    default_tax_rate: DefaultTaxRateInput | None = None
    metadata: dict[str, Any] | None = None


class UpdateTaxRegion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    province_code: ProvinceCode | Unset | None = UNSET
    provider_id: Id | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class CreateTaxRate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tax_region_id: Id
    code: Code
    name: Name
    rate: Rate | None = None
    rules: list[TaxRateRuleInput] = []
    is_default: bool = False
    is_combinable: bool = False
    metadata: dict[str, Any] | None = None


class UpdateTaxRate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code | Unset = UNSET
    name: Name | Unset = UNSET
    rate: Rate | Unset | None = UNSET
    rules: list[TaxRateRuleInput] | Unset = UNSET
    is_default: bool | Unset = UNSET
    is_combinable: bool | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class TaxRegionListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    country_code: list[str] | None = None
    # "null" selects the rows where the column is NULL (top-level regions, country regions), as the dashboard asks.
    province_code: list[str] | None = None
    parent_id: list[str] | None = None
    created_by: list[str] | None = None


class TaxRateListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    tax_region_id: list[str] | None = None
    is_default: bool | None = None


class TaxProviderListQuery(ListQuery, kw_only=True):
    id: list[str] | None = None
    is_enabled: bool | None = None


class TaxRetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


# --- responses --------------------------------------------------------------------------------------------------


class TaxRegionResponse(msgspec.Struct):
    tax_region: dict[str, Any]


class TaxRegionList(msgspec.Struct):
    tax_regions: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class TaxRateResponse(msgspec.Struct):
    tax_rate: dict[str, Any]


class TaxRateList(msgspec.Struct):
    tax_rates: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class TaxRateRuleDeleted(msgspec.Struct):
    id: str
    object: str
    deleted: bool
    parent: dict[str, Any]


class TaxProviderList(msgspec.Struct):
    tax_providers: list[TaxProvider]
    count: int
    offset: int
    limit: int


RULE_FIELDS = tuple(f.name for f in msgspec.structs.fields(TaxRateRule))
REGION_FIELDS = tuple(f.name for f in msgspec.structs.fields(TaxRegionRow))
RATE_FIELDS = tuple(f.name for f in msgspec.structs.fields(TaxRate) if f.name not in ("rules", "tax_region"))
RULE_SHAPE = Shape(RULE_FIELDS)
RATE_SHAPE = Shape(RATE_FIELDS, {"rules": RULE_SHAPE, "tax_region": Shape(REGION_FIELDS)})
REGION_SHAPE = Shape(
    REGION_FIELDS,
    {
        "tax_rates": RATE_SHAPE,
        "children": Shape(REGION_FIELDS, {"tax_rates": RATE_SHAPE}),
        "parent": Shape(REGION_FIELDS),
    },
)
# Medusa's query-config defaults for /admin/tax-regions and /admin/tax-rates.
REGION_DEFAULTS = (
    *REGION_FIELDS,
    "*children",
    "*children.tax_rates",
    "*children.tax_rates.rules",
    "*parent",
    "*tax_rates",
    "*tax_rates.rules",
)
RATE_DEFAULTS = (*RATE_FIELDS, "*tax_region", "*rules")


# --- the cart's view: what to tax and the lines that come back ----------------------------------------------------


class TaxAddress(TypedDict):
    country_code: str
    province_code: str | None


class TaxableItem(TypedDict):
    id: str
    product_id: str | None
    product_type_id: str | None


class TaxableShipping(TypedDict):
    id: str
    shipping_option_id: str | None


class TaxLine(TypedDict):
    rate: Decimal
    code: str
    name: str
    tax_rate_id: str
    provider_id: str


class TaxLines(TypedDict):
    items: dict[str, list[TaxLine]]
    shipping_methods: dict[str, list[TaxLine]]
