"""Customer routes: /store/customers (registration, me, addresses) and /admin/customers, /admin/customer-groups."""

from typing import Any

import msgspec

from commerce import auth, guards
from commerce.customer import service
from commerce.customer.schemas import (
    ADDRESS_DEFAULTS,
    ADDRESS_SHAPE,
    ADMIN_DEFAULTS,
    CUSTOMER_SHAPE,
    STORE_DEFAULTS,
    Address,
    AddressInput,
    AddressList,
    AddressListQuery,
    AddressResponse,
    AdminUpdateCustomer,
    BatchIds,
    CreateCustomer,
    CreateCustomerGroup,
    Customer,
    CustomerGroupList,
    CustomerGroupResponse,
    CustomerList,
    CustomerListQuery,
    CustomerResponse,
    GroupListQuery,
    RetrieveQuery,
    UpdateCustomer,
    UpdateCustomerGroup,
)
from commerce.errors import InvalidData, Unauthorized
from commerce.http import Request, Response, Route, deleted, fields, json_response, page


def _view(customer: Customer, defaults: tuple[str, ...], fields_param: str | None) -> dict[str, Any]:
    return fields.apply(fields.plan(CUSTOMER_SHAPE, defaults, fields_param), msgspec.to_builtins(customer))


def _me(req: Request) -> str:
    assert req.actor is not None
    return req.actor.id


async def _respond(req: Request, customer: Customer, defaults: tuple[str, ...] = STORE_DEFAULTS) -> Response:
    return json_response({"customer": _view(customer, defaults, req.query(RetrieveQuery).fields)})


# --- store ------------------------------------------------------------------------------------------------------


async def store_create(req: Request) -> Response:
    """Create the customer of a registration token (POST /auth/customer/emailpass/register)."""
    identity_id = await guards.registration(req)
    data = await req.json(CreateCustomer)
    async with req.state.pool.connection() as conn, conn.transaction():
        # Locked: one registration token makes one customer, even when sent twice at once.
        metadata = await auth.service.app_metadata(conn, identity_id, for_update=True)
        if metadata is None:
            raise Unauthorized("Unauthorized")
        if metadata.get("customer_id"):
            raise InvalidData("Request already authenticated as a customer.")
        customer = await service.create(conn, data, has_account=True)
        await auth.service.link_actor(conn, identity_id, "customer", customer.id)
    return await _respond(req, customer)


async def update_me(req: Request) -> Response:
    data = await req.json(UpdateCustomer)
    async with req.state.pool.connection() as conn:
        customer = await service.update(conn, _me(req), data)
    return await _respond(req, customer)


def _address_view(address: Address, plan: fields.Plan) -> dict[str, Any]:
    return fields.apply(plan, msgspec.to_builtins(address))


async def list_addresses(req: Request) -> Response:
    query = req.query(AddressListQuery)
    plan = fields.plan(ADDRESS_SHAPE, ADDRESS_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        addresses, count = await service.list_addresses(conn, _me(req), query)
    return page("addresses", [_address_view(a, plan) for a in addresses], count, query.offset, query.limit)


async def create_address(req: Request) -> Response:
    data = await req.json(AddressInput)
    async with req.state.pool.connection() as conn:
        customer = await service.add_address(conn, _me(req), data)
    return await _respond(req, customer)


async def get_address(req: Request) -> Response:
    plan = fields.plan(ADDRESS_SHAPE, ADDRESS_DEFAULTS, req.query(RetrieveQuery).fields)
    async with req.state.pool.connection() as conn:
        address = await service.get_address(conn, _me(req), req.params["address_id"])
    return json_response({"address": _address_view(address, plan)})


async def update_address(req: Request) -> Response:
    data = await req.json(AddressInput)
    async with req.state.pool.connection() as conn:
        customer = await service.update_address(conn, _me(req), req.params["address_id"], data)
    return await _respond(req, customer)


async def delete_address(req: Request) -> Response:
    address_id = req.params["address_id"]
    async with req.state.pool.connection() as conn:
        customer = await service.delete_address(conn, _me(req), address_id)
    body = {
        "id": address_id,
        "object": "address",
        "deleted": True,
        "parent": _view(customer, STORE_DEFAULTS, None),
    }
    return json_response(body)


# --- admin ------------------------------------------------------------------------------------------------------


def _admin_actor(req: Request) -> str | None:
    return req.actor.id if req.actor else None


async def admin_list(req: Request) -> Response:
    query = req.query(CustomerListQuery)
    plan = fields.plan(CUSTOMER_SHAPE, ADMIN_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        customers, count = await service.list_customers(conn, query)
    return page(
        "customers", [fields.apply(plan, msgspec.to_builtins(c)) for c in customers], count, query.offset, query.limit
    )


async def admin_create(req: Request) -> Response:
    data = await req.json(CreateCustomer)
    async with req.state.pool.connection() as conn:
        customer = await service.create(conn, data, has_account=False, created_by=_admin_actor(req))
    return await _respond(req, customer, ADMIN_DEFAULTS)


async def admin_retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        customer = await service.retrieve(conn, req.params["id"])
    return await _respond(req, customer, ADMIN_DEFAULTS)


async def admin_update(req: Request) -> Response:
    data = await req.json(AdminUpdateCustomer)
    async with req.state.pool.connection() as conn:
        customer = await service.update(conn, req.params["id"], data)
    return await _respond(req, customer, ADMIN_DEFAULTS)


async def admin_delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "customer")


async def admin_customer_groups(req: Request) -> Response:
    data = await req.json(BatchIds)
    customer_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        await service.link_groups(
            conn, [(customer_id, g) for g in data.add], [(customer_id, g) for g in data.remove], _admin_actor(req)
        )
        customer = await service.retrieve(conn, customer_id)
    return await _respond(req, customer, ADMIN_DEFAULTS)


async def group_list(req: Request) -> Response:
    query = req.query(GroupListQuery)
    async with req.state.pool.connection() as conn:
        groups, count = await service.list_groups(conn, query)
    return page("customer_groups", groups, count, query.offset, query.limit)


async def group_create(req: Request) -> Response:
    data = await req.json(CreateCustomerGroup)
    async with req.state.pool.connection() as conn:
        group = await service.create_group(conn, data, _admin_actor(req))
    return json_response({"customer_group": group})


async def group_retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        group = await service.retrieve_group(conn, req.params["id"])
    return json_response({"customer_group": group})


async def group_update(req: Request) -> Response:
    data = await req.json(UpdateCustomerGroup)
    async with req.state.pool.connection() as conn:
        group = await service.update_group(conn, req.params["id"], data)
    return json_response({"customer_group": group})


async def group_delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_group(conn, req.params["id"])
    return deleted(req.params["id"], "customer_group")


async def group_customers(req: Request) -> Response:
    data = await req.json(BatchIds)
    group_id = req.params["id"]
    async with req.state.pool.connection() as conn:
        await service.retrieve_group(conn, group_id)
        await service.link_groups(
            conn, [(c, group_id) for c in data.add], [(c, group_id) for c in data.remove], _admin_actor(req)
        )
        group = await service.retrieve_group(conn, group_id)
    return json_response({"customer_group": group})


S, A, G = "Store Customers", "Admin Customers", "Admin Customer Groups"
ROUTES = [
    Route(
        "POST",
        "/store/customers",
        store_create,
        "store",
        "Create the customer of a registration token",
        body=CreateCustomer,
        response=CustomerResponse,
        tag=S,
    ),
    Route(
        "POST",
        "/store/customers/me",
        update_me,
        "customer",
        "Update the logged-in customer",
        body=UpdateCustomer,
        response=CustomerResponse,
        tag=S,
    ),
    Route(
        "GET",
        "/store/customers/me/addresses",
        list_addresses,
        "customer",
        "List my addresses",
        query=AddressListQuery,
        response=AddressList,
        tag=S,
    ),
    Route(
        "POST",
        "/store/customers/me/addresses",
        create_address,
        "customer",
        "Add an address",
        body=AddressInput,
        response=CustomerResponse,
        tag=S,
    ),
    Route(
        "GET",
        "/store/customers/me/addresses/:address_id",
        get_address,
        "customer",
        "Get one of my addresses",
        response=AddressResponse,
        tag=S,
    ),
    Route(
        "POST",
        "/store/customers/me/addresses/:address_id",
        update_address,
        "customer",
        "Update an address",
        body=AddressInput,
        response=CustomerResponse,
        tag=S,
    ),
    Route(
        "DELETE", "/store/customers/me/addresses/:address_id", delete_address, "customer", "Delete an address", tag=S
    ),
    Route(
        "GET",
        "/admin/customers",
        admin_list,
        "admin",
        "List customers",
        query=CustomerListQuery,
        response=CustomerList,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/customers",
        admin_create,
        "admin",
        "Create a (guest) customer",
        body=CreateCustomer,
        response=CustomerResponse,
        tag=A,
    ),
    Route(
        "GET",
        "/admin/customers/:id",
        admin_retrieve,
        "admin",
        "Get a customer",
        query=RetrieveQuery,
        response=CustomerResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/customers/:id",
        admin_update,
        "admin",
        "Update a customer",
        body=AdminUpdateCustomer,
        response=CustomerResponse,
        tag=A,
    ),
    Route("DELETE", "/admin/customers/:id", admin_delete, "admin", "Delete a customer", tag=A),
    Route(
        "POST",
        "/admin/customers/:id/customer-groups",
        admin_customer_groups,
        "admin",
        "Add the customer to groups or remove it",
        body=BatchIds,
        response=CustomerResponse,
        tag=A,
    ),
    Route(
        "GET",
        "/admin/customer-groups",
        group_list,
        "admin",
        "List customer groups",
        query=GroupListQuery,
        response=CustomerGroupList,
        tag=G,
    ),
    Route(
        "POST",
        "/admin/customer-groups",
        group_create,
        "admin",
        "Create a customer group",
        body=CreateCustomerGroup,
        response=CustomerGroupResponse,
        tag=G,
    ),
    Route(
        "GET",
        "/admin/customer-groups/:id",
        group_retrieve,
        "admin",
        "Get a customer group",
        response=CustomerGroupResponse,
        tag=G,
    ),
    Route(
        "POST",
        "/admin/customer-groups/:id",
        group_update,
        "admin",
        "Update a customer group",
        body=UpdateCustomerGroup,
        response=CustomerGroupResponse,
        tag=G,
    ),
    Route("DELETE", "/admin/customer-groups/:id", group_delete, "admin", "Delete a customer group", tag=G),
    Route(
        "POST",
        "/admin/customer-groups/:id/customers",
        group_customers,
        "admin",
        "Add customers to the group or remove them",
        body=BatchIds,
        response=CustomerGroupResponse,
        tag=G,
    ),
]
