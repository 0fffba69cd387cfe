"""Customers (guest or registered), their addresses (one default shipping and billing each), and groups."""

from typing import Any

import msgspec
from psycopg import AsyncConnection, errors

from commerce.customer import repository as repo
from commerce.customer.schemas import (
    Address,
    AddressInput,
    AddressListQuery,
    CreateCustomer,
    CreateCustomerGroup,
    Customer,
    CustomerGroup,
    CustomerListQuery,
    GroupListQuery,
    GroupRef,
    UpdateCustomer,
    UpdateCustomerGroup,
)
from commerce.errors import DuplicateError, InvalidData, NotFound
from commerce.ids import new_id
from commerce.structs import given


def _not_found(customer_id: str) -> NotFound:
    return NotFound(f"Customer with id: {customer_id} was not found")


async def create(
    conn: AsyncConnection[Any], data: CreateCustomer, *, has_account: bool, created_by: str | None = None
) -> Customer:
    try:
        async with conn.transaction():
            row = await repo.insert(
                conn,
                {
                    "id": new_id("cus"),
                    **msgspec.structs.asdict(data),
                    "has_account": has_account,
                    "created_by": created_by,
                },
            )
    except errors.UniqueViolation:
        raise DuplicateError(
            f"Customer with email: {data.email}, has_account: {str(has_account).lower()}, already exists."
        ) from None
    return _customer(row)


async def guest_for_email(conn: AsyncConnection[Any], email: str) -> str:
    """The guest customer (no account) with this email, created if there is none; its id. Safe when two carts
    ask at once: the unique (email, has_account) index decides, the loser reads the winner's row."""
    for _ in range(2):
        found = await repo.guest_by_email(conn, email)
        if found:
            return found
        try:
            return (await create(conn, CreateCustomer(email=email), has_account=False)).id
        except DuplicateError:
            continue
    raise DuplicateError(f"Customer with email: {email}, has_account: false, already exists.")


async def retrieve(conn: AsyncConnection[Any], customer_id: str) -> Customer:
    """The customer with their addresses and groups: one statement."""
    row = await repo.get_whole(conn, customer_id)
    if row is None:
        raise _not_found(customer_id)
    return _customer(row)


async def retrieve_store_json(conn: AsyncConnection[Any], customer_id: str) -> bytes:
    """`{"customer": ...}` with the store's default fields, as JSON bytes rendered by PostgreSQL: one statement."""
    body = await repo.store_json(conn, customer_id)
    if body is None:
        raise _not_found(customer_id)
    return body


async def update(conn: AsyncConnection[Any], customer_id: str, data: UpdateCustomer) -> Customer:
    try:
        async with conn.transaction():
            row = await repo.update(conn, customer_id, given(data))
    except errors.UniqueViolation:
        raise DuplicateError("A customer with this email already exists.") from None
    if row is None:
        raise _not_found(customer_id)
    return _customer(row)


async def delete(conn: AsyncConnection[Any], customer_id: str) -> None:
    if not await repo.soft_delete(conn, customer_id):
        raise _not_found(customer_id)


async def list_customers(conn: AsyncConnection[Any], query: CustomerListQuery) -> tuple[list[Customer], int]:
    filters = {
        "id": query.id,
        "email": query.email,
        "has_account": query.has_account,
        "groups": query.groups,
        "q": query.q,
    }
    rows, count = await repo.list_customers(conn, filters, query.order, query.limit, query.offset)
    return [_customer(r) for r in rows], count


async def add_address(conn: AsyncConnection[Any], customer_id: str, data: AddressInput) -> Customer:
    values: dict[str, Any] = {f: None for f in repo.ADDRESS_UPDATABLE}
    values |= {"is_default_shipping": False, "is_default_billing": False}
    values |= given(data)
    async with conn.transaction():
        await _lock_customer(conn, customer_id)
        address_id = new_id("cuaddr")
        await repo.clear_other_defaults(
            conn, customer_id, address_id, bool(values["is_default_shipping"]), bool(values["is_default_billing"])
        )
        await repo.insert_address(
            conn,
            {**values, "id": address_id, "customer_id": customer_id, "country_code": _lower(values["country_code"])},
        )
    return await retrieve(conn, customer_id)


async def update_address(conn: AsyncConnection[Any], customer_id: str, address_id: str, data: AddressInput) -> Customer:
    changes = given(data)
    if "country_code" in changes:
        changes["country_code"] = _lower(changes["country_code"])
    async with conn.transaction():
        await _lock_customer(conn, customer_id)
        await repo.clear_other_defaults(
            conn,
            customer_id,
            address_id,
            bool(changes.get("is_default_shipping")),
            bool(changes.get("is_default_billing")),
        )
        if await repo.update_address(conn, customer_id, address_id, changes) is None:
            raise NotFound(f"Address with id: {address_id} was not found")
    return await retrieve(conn, customer_id)


async def delete_address(conn: AsyncConnection[Any], customer_id: str, address_id: str) -> Customer:
    if not await repo.soft_delete_address(conn, customer_id, address_id):
        raise NotFound(f"Address with id: {address_id} was not found")
    return await retrieve(conn, customer_id)


async def get_address(conn: AsyncConnection[Any], customer_id: str, address_id: str) -> Address:
    row = await repo.get_address(conn, customer_id, address_id)
    if row is None:
        raise NotFound(f"Address with id: {address_id} was not found")
    return Address(**row)


async def list_addresses(
    conn: AsyncConnection[Any], customer_id: str, query: AddressListQuery
) -> tuple[list[Address], int]:
    filters = {"country_code": query.country_code, "city": query.city, "q": query.q}
    rows, count = await repo.list_addresses(conn, customer_id, filters, query.order, query.limit, query.offset)
    return [Address(**r) for r in rows], count


async def summary(conn: AsyncConnection[Any], customer_id: str) -> dict[str, Any] | None:
    """`{id, email, has_account, group_ids}` of a live customer in one read (None when there is none)."""
    return await repo.summary(conn, customer_id)


async def group_ids(conn: AsyncConnection[Any], customer_id: str) -> list[str]:
    """The groups a customer belongs to: their pricing context."""
    return [g for g, _ in (await repo.groups_of(conn, [customer_id])).get(customer_id, [])]


async def create_group(conn: AsyncConnection[Any], data: CreateCustomerGroup, created_by: str | None) -> CustomerGroup:
    try:
        async with conn.transaction():
            row = await repo.insert_group(
                conn, {"id": new_id("cusgroup"), "name": data.name, "metadata": data.metadata, "created_by": created_by}
            )
    except errors.UniqueViolation:
        raise DuplicateError(f"Customer group with name: {data.name}, already exists.") from None
    return CustomerGroup(**row)


async def retrieve_group(conn: AsyncConnection[Any], group_id: str) -> CustomerGroup:
    row = await repo.get_group(conn, group_id)
    if row is None:
        raise NotFound(f"CustomerGroup with id: {group_id} was not found")
    return CustomerGroup(**row)


async def update_group(conn: AsyncConnection[Any], group_id: str, data: UpdateCustomerGroup) -> CustomerGroup:
    try:
        async with conn.transaction():
            row = await repo.update_group(conn, group_id, given(data))
    except errors.UniqueViolation:
        raise DuplicateError(f"Customer group with name: {data.name}, already exists.") from None
    if row is None:
        raise NotFound(f"CustomerGroup with id: {group_id} was not found")
    return CustomerGroup(**row)


async def delete_group(conn: AsyncConnection[Any], group_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete_group(conn, group_id):
            raise NotFound(f"CustomerGroup with id: {group_id} was not found")


async def list_groups(conn: AsyncConnection[Any], query: GroupListQuery) -> tuple[list[CustomerGroup], int]:
    rows, count = await repo.list_groups(
        conn, {"id": query.id, "name": query.name, "q": query.q}, query.order, query.limit, query.offset
    )
    return [CustomerGroup(**r) for r in rows], count


async def link_groups(
    conn: AsyncConnection[Any], pairs_add: list[tuple[str, str]], pairs_remove: list[tuple[str, str]], by: str | None
) -> None:
    """Add and remove (customer_id, group_id) memberships in one transaction; unknown ids are a 400."""
    customers = sorted({c for c, _ in pairs_add + pairs_remove})
    groups = sorted({g for _, g in pairs_add + pairs_remove})
    async with conn.transaction():
        found = await repo.existing(conn, customers)
        missing = [c for c in customers if c not in found]
        if missing:
            raise InvalidData(f"Customers with ids: {', '.join(missing)} were not found")
        found = await repo.existing_groups(conn, groups)
        missing = [g for g in groups if g not in found]
        if missing:
            raise InvalidData(f"Customer groups with ids: {', '.join(missing)} were not found")
        for customer_id, group_id in dict.fromkeys(pairs_add):
            await repo.link(conn, new_id("cusgc"), customer_id, group_id, by)
        for customer_id, group_id in dict.fromkeys(pairs_remove):
            await repo.unlink(conn, customer_id, group_id)


async def _lock_customer(conn: AsyncConnection[Any], customer_id: str) -> None:
    # Address writes of one customer serialise on the customer row: defaults stay one each.
    cur = await conn.execute("SELECT id FROM customer WHERE id = %s AND deleted_at IS NULL FOR UPDATE", (customer_id,))
    if await cur.fetchone() is None:
        raise _not_found(customer_id)


def _lower(code: str | None) -> str | None:
    return code.lower() if code else code


_ADDRESSES = msgspec.json.Decoder(list[Address])
_GROUPS = msgspec.json.Decoder(list[GroupRef])


def _customer(row: dict[str, Any]) -> Customer:
    """A customer row, with `addresses` and `groups` as JSON text (repository.WHOLE_COLUMNS) or absent (a customer
    just inserted has neither)."""
    addresses_json, groups_json = row.pop("addresses", None), row.pop("groups", None)
    addresses = _ADDRESSES.decode(addresses_json) if addresses_json else []
    return Customer(
        **row,
        addresses=addresses,
        groups=_GROUPS.decode(groups_json) if groups_json else [],
        default_billing_address_id=next((a.id for a in addresses if a.is_default_billing), None),
        default_shipping_address_id=next((a.id for a in addresses if a.is_default_shipping), None),
    )
