"""Customer, address and group requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import ListQuery

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{2}$")]
Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


class Address(msgspec.Struct, kw_only=True):
    id: str
    address_name: str | None
    is_default_shipping: bool
    is_default_billing: bool
    customer_id: str
    company: str | None
    first_name: str | None
    last_name: str | None
    address_1: str | None
    address_2: str | None
    city: str | None
    country_code: str | None
    province: str | None
    postal_code: str | None
    phone: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class GroupRef(msgspec.Struct, kw_only=True):
    id: str
    name: str


class Customer(msgspec.Struct, kw_only=True):
    id: str
    email: str
    company_name: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    has_account: bool
    metadata: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    default_billing_address_id: str | None = None
    default_shipping_address_id: str | None = None
    addresses: list[Address] = []
    groups: list[GroupRef] = []


class CustomerResponse(msgspec.Struct):
    customer: dict[str, Any]


class CustomerList(msgspec.Struct):
    customers: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class AddressResponse(msgspec.Struct):
    address: Address


class AddressList(msgspec.Struct):
    addresses: list[Address]
    count: int
    offset: int
    limit: int


class CreateCustomer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    company_name: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    phone: Text | None = None
    metadata: dict[str, Any] | None = None


class UpdateCustomer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Store customers change their own profile; the email is tied to their login and stays."""

    company_name: Text | Unset | None = UNSET
    first_name: Text | Unset | None = UNSET
    last_name: Text | Unset | None = UNSET
    phone: Text | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class AdminUpdateCustomer(UpdateCustomer, kw_only=True, forbid_unknown_fields=True):
    email: Email | Unset = UNSET


class AddressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    address_name: Text | Unset | None = UNSET
    is_default_shipping: bool | Unset = UNSET
    is_default_billing: bool | Unset = UNSET
    company: Text | Unset | None = UNSET
    first_name: Text | Unset | None = UNSET
    last_name: Text | Unset | None = UNSET
    address_1: Text | Unset | None = UNSET
    address_2: Text | Unset | None = UNSET
    city: Text | Unset | None = UNSET
    country_code: CountryCode | Unset | None = UNSET
    province: Text | Unset | None = UNSET
    postal_code: Text | Unset | None = UNSET
    phone: Text | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class CustomerListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    email: list[str] | None = None
    has_account: bool | None = None
    groups: list[str] | None = None


class AddressListQuery(ListQuery, kw_only=True):
    q: str | None = None
    country_code: list[str] | None = None
    city: list[str] | None = None


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class CustomerGroup(msgspec.Struct, kw_only=True):
    id: str
    name: str
    metadata: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class CustomerGroupResponse(msgspec.Struct):
    customer_group: CustomerGroup


class CustomerGroupList(msgspec.Struct):
    customer_groups: list[CustomerGroup]
    count: int
    offset: int
    limit: int


class CreateCustomerGroup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    metadata: dict[str, Any] | None = None


class UpdateCustomerGroup(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class GroupListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: list[str] | None = None


class BatchIds(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    add: list[str] = []
    remove: list[str] = []


ADDRESS_FIELDS = tuple(f.name for f in msgspec.structs.fields(Address))
ADDRESS_SHAPE = Shape(ADDRESS_FIELDS)
ADDRESS_DEFAULTS = (
    "id",
    "company",
    "customer_id",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "city",
    "province",
    "postal_code",
    "country_code",
    "phone",
    "metadata",
    "created_at",
    "updated_at",
    "address_name",
    "is_default_shipping",
    "is_default_billing",
)
CUSTOMER_SHAPE = Shape(
    (
        "id",
        "email",
        "company_name",
        "first_name",
        "last_name",
        "phone",
        "has_account",
        "metadata",
        "created_by",
        "created_at",
        "updated_at",
        "deleted_at",
        "default_billing_address_id",
        "default_shipping_address_id",
    ),
    {"addresses": ADDRESS_SHAPE, "groups": Shape(("id", "name"))},
)
STORE_DEFAULTS = (
    "id",
    "email",
    "company_name",
    "first_name",
    "last_name",
    "phone",
    "metadata",
    "has_account",
    "deleted_at",
    "created_at",
    "updated_at",
    "default_billing_address_id",
    "default_shipping_address_id",
    "*addresses",
)
ADMIN_DEFAULTS = (*STORE_DEFAULTS, "created_by", "*groups")
