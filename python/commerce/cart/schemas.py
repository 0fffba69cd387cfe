"""Cart requests (Medusa v2 store shapes); the `{cart}` answer is assembled in service.py."""

from typing import Annotated, Any

import msgspec

Quantity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
UpdateQuantity = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class AddressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    company: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    address_1: Text | None = None
    address_2: Text | None = None
    city: Text | None = None
    country_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{2}$")] | None = None
    province: Text | None = None
    postal_code: Text | None = None
    phone: Text | None = None
    metadata: dict[str, Any] | None = None


class ItemInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    variant_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    quantity: Quantity
    metadata: dict[str, Any] | None = None


class CreateCart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    region_id: str | None = None
    currency_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] | None = None
    email: Email | None = None
    sales_channel_id: str | None = None
    items: list[ItemInput] = []
    promo_codes: list[Annotated[str, msgspec.Meta(min_length=1, max_length=255)]] = []
    shipping_address: AddressInput | None = None
    billing_address: AddressInput | None = None
    metadata: dict[str, Any] | None = None


class UpdateCart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    region_id: str | Unset = UNSET
    email: Email | Unset | None = UNSET
    sales_channel_id: str | Unset = UNSET
    shipping_address: AddressInput | Unset | None = UNSET
    billing_address: AddressInput | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET
    promo_codes: list[Annotated[str, msgspec.Meta(min_length=1, max_length=255)]] | Unset = UNSET


class UpdateItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    quantity: UpdateQuantity
    metadata: dict[str, Any] | Unset | None = UNSET


class CartQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class PromoCodes(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    promo_codes: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=255)]], msgspec.Meta(min_length=1, max_length=20)
    ]


class AddShippingMethod(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    option_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    data: dict[str, Any] | None = None
