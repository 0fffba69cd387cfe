"""Admin routes for payments (capture, refund), payment providers and refund reasons; and the providers' webhook
endpoint POST /hooks/payment/:provider."""

from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.payment import service
from commerce.payment.schemas import (
    PAYMENT_DEFAULTS,
    PAYMENT_SHAPE,
    PROVIDER_DEFAULTS,
    PROVIDER_SHAPE,
    REFUND_REASON_DEFAULTS,
    REFUND_REASON_SHAPE,
    CapturePayment,
    CreateRefundReason,
    PaymentList,
    PaymentListQuery,
    PaymentProviderList,
    PaymentResponse,
    ProviderListQuery,
    RefundPayment,
    RefundReasonList,
    RefundReasonQuery,
    RefundReasonResponse,
    SelectQuery,
    UpdateRefundReason,
)


def _actor(req: Request) -> str | None:
    return req.actor.id if req.actor is not None else None


def _payment_plan(req: Request) -> fields.Plan:
    return fields.plan(PAYMENT_SHAPE, PAYMENT_DEFAULTS, req.query(SelectQuery).fields)


def _reason_plan(req: Request) -> fields.Plan:
    return fields.plan(REFUND_REASON_SHAPE, REFUND_REASON_DEFAULTS, req.query(SelectQuery).fields)


async def list_payments(req: Request) -> Response:
    query = req.query(PaymentListQuery)
    plan = fields.plan(PAYMENT_SHAPE, PAYMENT_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_payments(conn, query)
    return page("payments", [fields.apply(plan, p) for p in items], count, query.offset, query.limit)


async def retrieve_payment(req: Request) -> Response:
    plan = _payment_plan(req)
    async with req.state.pool.connection() as conn:
        payment = await service.retrieve_payment(conn, req.params["id"])
    return json_response({"payment": fields.apply(plan, payment)})


async def capture(req: Request) -> Response:
    data = await req.json(CapturePayment)
    plan = _payment_plan(req)
    async with req.state.pool.connection() as conn:
        payment = await service.capture(conn, req.params["id"], data.amount, _actor(req))
    return json_response({"payment": fields.apply(plan, payment)})


async def refund(req: Request) -> Response:
    data = await req.json(RefundPayment)
    plan = _payment_plan(req)
    async with req.state.pool.connection() as conn:
        payment = await service.refund(
            conn, req.params["id"], data.amount, data.refund_reason_id, data.note, _actor(req)
        )
    return json_response({"payment": fields.apply(plan, payment)})


async def list_providers(req: Request) -> Response:
    query = req.query(ProviderListQuery)
    plan = fields.plan(PROVIDER_SHAPE, PROVIDER_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_providers(conn, query)
    return page("payment_providers", [fields.apply(plan, p) for p in items], count, query.offset, query.limit)


async def list_reasons(req: Request) -> Response:
    query = req.query(RefundReasonQuery)
    plan = fields.plan(REFUND_REASON_SHAPE, REFUND_REASON_DEFAULTS, query.fields)
    async with req.state.pool.connection() as conn:
        items, count = await service.list_refund_reasons(conn, query)
    return page("refund_reasons", [fields.apply(plan, r) for r in items], count, query.offset, query.limit)


async def create_reason(req: Request) -> Response:
    data = await req.json(CreateRefundReason)
    plan = _reason_plan(req)
    async with req.state.pool.connection() as conn:
        reason = await service.create_refund_reason(conn, data)
    return json_response({"refund_reason": fields.apply(plan, reason)})


async def retrieve_reason(req: Request) -> Response:
    plan = _reason_plan(req)
    async with req.state.pool.connection() as conn:
        reason = await service.retrieve_refund_reason(conn, req.params["id"])
    return json_response({"refund_reason": fields.apply(plan, reason)})


async def update_reason(req: Request) -> Response:
    data = await req.json(UpdateRefundReason)
    plan = _reason_plan(req)
    async with req.state.pool.connection() as conn:
        reason = await service.update_refund_reason(conn, req.params["id"], data)
    return json_response({"refund_reason": fields.apply(plan, reason)})


async def delete_reason(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete_refund_reason(conn, req.params["id"])
    return deleted(req.params["id"], "refund_reason")


async def webhook(req: Request) -> Response:
    """Medusa's hook: `pp_<provider>` verifies and reads the event; 200 "OK" once handled, 400 when refused."""
    payload = await req.body()
    headers = {name: req.header(name) or "" for name in req.header_names()}
    async with req.state.pool.connection() as conn:
        await service.handle_webhook(conn, f"pp_{req.params['provider']}", payload, headers)
    return Response(b"OK", content_type=b"text/plain; charset=utf-8")


P, R, H = "Admin Payments", "Admin Refund Reasons", "Payment Webhooks"
ROUTES = [
    Route(
        "GET",
        "/admin/payments",
        list_payments,
        "admin",
        "List payments",
        query=PaymentListQuery,
        response=PaymentList,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/payments/payment-providers",
        list_providers,
        "admin",
        "List payment providers",
        query=ProviderListQuery,
        response=PaymentProviderList,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/payments/:id",
        retrieve_payment,
        "admin",
        "Get a payment",
        query=SelectQuery,
        response=PaymentResponse,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/payments/:id/capture",
        capture,
        "admin",
        "Capture a payment (all that is left, or `amount`)",
        body=CapturePayment,
        response=PaymentResponse,
        tag=P,
    ),
    Route(
        "POST",
        "/admin/payments/:id/refund",
        refund,
        "admin",
        "Refund a payment (all that is captured, or `amount`)",
        body=RefundPayment,
        response=PaymentResponse,
        tag=P,
    ),
    Route(
        "GET",
        "/admin/refund-reasons",
        list_reasons,
        "admin",
        "List refund reasons",
        query=RefundReasonQuery,
        response=RefundReasonList,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/refund-reasons",
        create_reason,
        "admin",
        "Create a refund reason",
        body=CreateRefundReason,
        response=RefundReasonResponse,
        tag=R,
    ),
    Route(
        "GET",
        "/admin/refund-reasons/:id",
        retrieve_reason,
        "admin",
        "Get a refund reason",
        query=SelectQuery,
        response=RefundReasonResponse,
        tag=R,
    ),
    Route(
        "POST",
        "/admin/refund-reasons/:id",
        update_reason,
        "admin",
        "Update a refund reason",
        body=UpdateRefundReason,
        response=RefundReasonResponse,
        tag=R,
    ),
    Route("DELETE", "/admin/refund-reasons/:id", delete_reason, "admin", "Delete a refund reason", tag=R),
    Route(
        "POST",
        "/hooks/payment/:provider",
        webhook,
        "public",
        "A payment provider's webhook (verified by the provider, applied once per event id)",
        tag=H,
    ),
]
