"""GET /store/customers/me: the logged-in customer (customer module) and, when the storefront asks with
`fields=*orders`, their orders (order module)."""

import msgspec

from commerce import customer, order
from commerce.customer.schemas import CUSTOMER_SHAPE, STORE_DEFAULTS, CustomerResponse, RetrieveQuery
from commerce.errors import Unauthorized
from commerce.flows import order as order_flow
from commerce.flows.order_routes import relations_for
from commerce.http import Request, Response, Route, fields, json_response
from commerce.http.fields import Plan, Shape
from commerce.order.schemas import ORDER_SHAPE, OrderListQuery

ME_SHAPE = Shape(CUSTOMER_SHAPE.ordered, {**CUSTOMER_SHAPE.relations, "orders": ORDER_SHAPE})
ALL_ORDERS = 10_000  # a relation is not paginated (as in Medusa); /store/orders pages
_PLANS: dict[str | None, Plan] = {}  # per worker: a storefront sends a handful of `fields` strings, planned once
_MAX_PLANS = 256


def _plan(text: str | None) -> Plan:
    """The (read-only) plan for `fields`; an invalid one raises, every time, and is not kept."""
    found = _PLANS.get(text)
    if found is None:
        found = fields.plan(ME_SHAPE, STORE_DEFAULTS, text)
        if len(_PLANS) < _MAX_PLANS:
            _PLANS[text] = found
    return found


async def me(req: Request) -> Response:
    if req.actor is None:
        raise Unauthorized("Unauthorized")
    # Read from PostgreSQL every time: a per-worker cache, even one NOTIFY keeps, let a customer read their own
    # profile from before their change for a few milliseconds (seen with the JS SDK: update, then retrieve).
    if not req.query_string:
        # The default fields (what a storefront asks most): the answer's bytes as PostgreSQL renders them.
        async with req.state.pool.connection() as conn:
            return Response(await customer.service.retrieve_store_json(conn, req.actor.id))
    plan = _plan(req.query(RetrieveQuery).fields)
    async with req.state.pool.connection() as conn:
        view = msgspec.to_builtins(await customer.service.retrieve(conn, req.actor.id))
        orders_plan = plan.get("orders")
        if orders_plan is not None:
            query = OrderListQuery(limit=ALL_ORDERS, order="-created_at")
            view["orders"], _ = await order.service.list_orders(
                conn, query, order_flow.RELATED, customer_id=req.actor.id, relations=relations_for(orders_plan)
            )
    return json_response({"customer": fields.apply(plan, view)})


ROUTES = [
    Route(
        "GET",
        "/store/customers/me",
        me,
        "customer",
        "The logged-in customer (with `fields=*orders`, their orders)",
        query=RetrieveQuery,
        response=CustomerResponse,
        tag="Store Customers",
    ),
]
