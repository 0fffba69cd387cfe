"""Payments (Medusa's payment module): payment collections with their provider sessions, payments authorized from
a session, captures and refunds, refund reasons, providers and their webhooks.

Money rules: a payment never has more captured than it authorized, nor more refunded than it captured; the same
holds for its collection. Each rule is one conditional UPDATE whose row count is checked, so concurrent captures or
refunds can never pass it; what is read beforehand only chooses defaults and error messages. Provider calls come last
in each operation's transaction, so a provider failure rolls back the rows written for it."""

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.pq import TransactionStatus

from commerce import events
from commerce.errors import InvalidData, NotAllowed, NotFound, PaymentAuthorizationError
from commerce.ids import new_id
from commerce.money import check_amount
from commerce.payment import providers as registry
from commerce.payment import repository as repo
from commerce.payment.providers import Authorization, PaymentProvider, ProviderError, WebhookAction
from commerce.payment.schemas import (
    CreateRefundReason,
    PaymentListQuery,
    ProviderListQuery,
    RefundReasonQuery,
    UpdateRefundReason,
)
from commerce.structs import given

SYSTEM_PROVIDER = "pp_system_default"
TEST_PROVIDER = "pp_test_test"
OPEN_COLLECTION = frozenset({"not_paid", "awaiting"})
OPEN_SESSION = frozenset({"pending", "requires_more", "error"})


def _collection_not_found(collection_id: str) -> NotFound:
    return NotFound(f"Payment collection with id: {collection_id} was not found")


def _payment_not_found(payment_id: str) -> NotFound:
    return NotFound(f"Payment with id: {payment_id} was not found")


def _provider_error(exc: ProviderError) -> InvalidData:
    return InvalidData(str(exc), code="payment_provider_error")


# --- providers -----------------------------------------------------------------------------------------------------


async def providers(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, bool]:
    """`{provider_id: is_enabled}` for the ids that exist."""
    return await repo.providers(conn, ids) if ids else {}


async def list_providers(conn: AsyncConnection[Any], query: ProviderListQuery) -> tuple[list[dict[str, Any]], int]:
    return await repo.list_providers(conn, {"id": query.id, "is_enabled": query.is_enabled}, query.limit, query.offset)


async def _usable_provider(conn: AsyncConnection[Any], provider_id: str) -> PaymentProvider:
    """The provider if it is installed (code) and enabled (row); InvalidData otherwise."""
    provider = registry.get(provider_id)
    if provider is None or not (await providers(conn, [provider_id])).get(provider_id):
        raise InvalidData(f"Payment provider with id: {provider_id} was not found or is not enabled")
    return provider


def _provider(provider_id: str) -> PaymentProvider:
    provider = registry.get(provider_id)
    if provider is None:
        raise NotAllowed(f"Payment provider {provider_id} is not installed")
    return provider


# --- collections ---------------------------------------------------------------------------------------------------


async def collection_for_cart(
    conn: AsyncConnection[Any], cart_id: str, amount: Decimal, currency_code: str, region_id: str | None
) -> dict[str, Any]:
    """The cart's payment collection, created and linked the first time; while nothing is authorized its amount
    (and its open sessions' amounts), currency and region follow the cart."""
    check_amount(amount)
    existing = await repo.collection_of_cart(conn, cart_id)
    if existing is None:
        try:
            async with conn.transaction():
                row = await repo.insert_collection(
                    conn,
                    {"id": new_id("pay_col"), "currency_code": currency_code, "amount": amount, "region_id": region_id},
                )
                await repo.link_cart(conn, cart_id, row["id"])
            return await retrieve_collection(conn, row["id"])
        except errors.UniqueViolation:
            # A concurrent request linked the cart first (our savepoint is rolled back): use its collection.
            existing = await repo.collection_of_cart(conn, cart_id)
            assert existing is not None
        except errors.ForeignKeyViolation:
            raise NotFound(f"Cart id not found: {cart_id}") from None
    await repo.reprice(conn, existing, amount, currency_code, region_id)
    return await retrieve_collection(conn, existing)


async def create_collection(
    conn: AsyncConnection[Any], amount: Decimal, currency_code: str, region_id: str | None
) -> dict[str, Any]:
    """A collection not tied to a cart (an order's outstanding amount, created by an operator)."""
    check_amount(amount)
    row = await repo.insert_collection(
        conn, {"id": new_id("pay_col"), "currency_code": currency_code, "amount": amount, "region_id": region_id}
    )
    return await retrieve_collection(conn, row["id"])


async def delete_collection(conn: AsyncConnection[Any], collection_id: str) -> None:
    """Remove a collection nothing was authorized or captured into (NotAllowed otherwise)."""
    if not await repo.delete_collection(conn, collection_id):
        await retrieve_collection(conn, collection_id)  # 404 for an unknown one
        raise NotAllowed(f"Payment collection {collection_id} has payments and cannot be deleted")
    await repo.cancel_sessions(conn, collection_id)


async def collection_of_cart(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any] | None:
    """The cart's payment collection (Medusa shape, with sessions and payments), None when it has none."""
    found = _assemble(await repo.whole(conn, cart_id=cart_id), None)
    return found[0] if found else None


async def cart_of_collection(conn: AsyncConnection[Any], collection_id: str) -> str | None:
    return await repo.cart_of_collection(conn, collection_id)


async def retrieve_collection(conn: AsyncConnection[Any], collection_id: str) -> dict[str, Any]:
    found = await collections(conn, [collection_id])
    if not found:
        raise _collection_not_found(collection_id)
    return found[0]


async def collections(conn: AsyncConnection[Any], collection_ids: list[str]) -> list[dict[str, Any]]:
    """Payment collections with their sessions and payments (captures, refunds), in the order asked."""
    return _assemble(await repo.whole(conn, ids=collection_ids), collection_ids) if collection_ids else []


def _assemble(found: list[Any], order: list[str] | None) -> list[dict[str, Any]]:
    rows, session_rows, payment_rows, capture_rows, refund_rows, provider_rows = found
    by_id = {r["id"]: r for r in rows}
    sessions: dict[str, list[dict[str, Any]]] = {}
    for s in session_rows:
        sessions.setdefault(s["payment_collection_id"], []).append(_session_view(s))
    payments: dict[str, list[dict[str, Any]]] = {}
    for r in refund_rows:
        reason = r["refund_reason"]
        if reason:  # from JSON: its times back to datetimes, as every other row's
            r["refund_reason"] = {k: _when(k, v) for k, v in reason.items()}
    for p in _payment_view(payment_rows, capture_rows, refund_rows):
        payments.setdefault(p["payment_collection_id"], []).append(p)
    enabled = {r["id"]: r["is_enabled"] for r in provider_rows}
    out = []
    for collection_id in order if order is not None else list(by_id):
        row = by_id.get(collection_id)
        if row is None:
            continue
        own = sessions.get(collection_id, [])
        out.append(
            {
                **row,
                "payment_sessions": own,
                "payments": payments.get(collection_id, []),
                "payment_providers": [
                    {"id": p, "is_enabled": enabled.get(p, False)} for p in dict.fromkeys(s["provider_id"] for s in own)
                ],
            }
        )
    return out


def payment_status(collections: Sequence[Mapping[str, Any]]) -> str:
    """An order's payment_status from its payment collections (Medusa's getLastPaymentStatus)."""
    tally: dict[str, Decimal] = {}

    def add(status: str, n: Decimal) -> None:
        tally[status] = tally.get(status, Decimal(0)) + n

    for c in collections:
        amount = Decimal(c["amount"])
        if c["captured_amount"] > 0:
            add("captured", Decimal(1) if c["captured_amount"] == amount else Decimal("0.5"))
        if c["refunded_amount"] > 0:
            add("refunded", Decimal(1) if c["refunded_amount"] == amount else Decimal("0.5"))
        add(c["status"], Decimal(1))
    total = len(collections)
    not_canceled = total - tally.get("canceled", 0)
    if tally.get("requires_action", 0) > 0:
        return "requires_action"
    for full, partial in (
        ("refunded", "partially_refunded"),
        ("captured", "partially_captured"),
        ("authorized", "partially_authorized"),
    ):
        if tally.get(full, 0) > 0:
            return full if tally[full] == not_canceled else partial
    if total and tally.get("canceled", 0) == total:
        return "canceled"
    if tally.get("awaiting", 0) > 0:
        return "awaiting"
    return "not_paid"


async def collection_status(conn: AsyncConnection[Any], collection_ids: list[str]) -> str:
    """The payment_status an order with these payment collections has (not_paid when it has none)."""
    return payment_status(await repo.collections(conn, collection_ids) if collection_ids else [])


# --- sessions ------------------------------------------------------------------------------------------------------


async def create_session(
    conn: AsyncConnection[Any],
    collection_id: str,
    provider_id: str,
    data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start a session with the provider for the collection's amount, replacing the collection's open sessions (as
    Medusa does). The caller checks that the provider is offered where the collection is paid (its region)."""
    async with conn.transaction():
        collection = await repo.lock_collection(conn, collection_id)
        if collection is None:
            raise _collection_not_found(collection_id)
        if collection["status"] not in OPEN_COLLECTION:
            raise NotAllowed(
                f"Payment collection {collection_id} is {collection['status']}: its sessions cannot be changed"
            )
        provider = await _usable_provider(conn, provider_id)
        for old in await repo.delete_sessions(conn, collection_id):
            old_provider = registry.get(old["provider_id"])
            if old_provider is not None:
                try:
                    await old_provider.cancel(old["data"] or {})
                except ProviderError:
                    pass  # the old session is gone on our side either way; the provider lets it expire
        session = await repo.insert_session(
            conn,
            {
                "id": new_id("payses"),
                "payment_collection_id": collection_id,
                "provider_id": provider_id,
                "currency_code": collection["currency_code"],
                "amount": collection["amount"],
                "data": data or {},
                "context": context,
            },
        )
        try:
            started = await provider.initiate(
                collection["amount"], collection["currency_code"], data or {}, context or {}
            )
        except ProviderError as exc:
            raise _provider_error(exc) from None
        await repo.set_session_data(conn, session["id"], started)
        await repo.set_collection_status(conn, collection_id, "awaiting")
    return await retrieve_collection(conn, collection_id)


def _session_view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "deleted_at"}


# --- authorization -------------------------------------------------------------------------------------------------


async def authorize_collection(
    conn: AsyncConnection[Any], collection_id: str, amount: Decimal, context: dict[str, Any]
) -> dict[str, Any]:
    """Authorize the collection's open session through its provider for `amount` and return the payment made.
    Idempotent: a collection already authorized returns its payment. Raises PaymentAuthorizationError (422) when
    the provider declines or asks for more (the session keeps that status)."""
    check_amount(amount)
    declined: tuple[str, str] | None = None
    # Inside a caller's transaction (checkout) no savepoint: a decline there rolls the whole checkout back anyway.
    async with conn.transaction() if conn.info.transaction_status == TransactionStatus.IDLE else nullcontext():
        collection = await repo.lock_collection(conn, collection_id)
        if collection is None:
            raise _collection_not_found(collection_id)
        sessions = await repo.sessions_of(conn, [collection_id])
        for s in sessions:
            if s["status"] == "authorized":
                done = await repo.payment_of_session(conn, s["id"])
                if done is not None:
                    return (await _payment_views(conn, [done]))[0]
        if collection["status"] not in OPEN_COLLECTION:
            raise NotAllowed(f"Payment collection {collection_id} is {collection['status']} and cannot be authorized")
        open_sessions = [s for s in sessions if s["status"] in ("pending", "requires_more")]
        if not open_sessions:
            raise InvalidData(f"Payment collection {collection_id} has no payment session to authorize")
        session = open_sessions[-1]
        if amount != collection["amount"]:
            await repo.reprice(conn, collection_id, amount, collection["currency_code"], collection["region_id"])
        provider = _provider(session["provider_id"])
        try:
            result = await provider.authorize(session["data"] or {}, amount, context)
        except ProviderError as exc:
            result = Authorization("error", session["data"] or {})
            declined = (session["id"], f"Payment authorization failed: {exc}")
        if result.status in ("authorized", "captured"):
            payment = await _authorized(conn, session, amount, result.data)
            if result.status == "captured":
                payment = await _capture(conn, payment, None, None, tell_provider=False)
                return (await _payment_views(conn, [payment]))[0]
            return _payment_view([payment], [], [])[0]  # just made: no captures or refunds yet
        await repo.set_session_status(conn, session["id"], result.status, result.data)
        if declined is None:
            what = "requires more action" if result.status == "requires_more" else "was declined"
            declined = (session["id"], f"Payment authorization failed: session {session['id']} {what}")
    code = "payment_requires_more" if result.status == "requires_more" else "payment_declined"
    raise PaymentAuthorizationError(declined[1], code=code)


async def _authorized(
    conn: AsyncConnection[Any], session: dict[str, Any], amount: Decimal, data: dict[str, Any]
) -> dict[str, Any]:
    """Record an authorization the provider gave: the session authorized, a payment, the collection's total."""
    if await repo.authorize_session(conn, session["id"], amount, data) is None:
        existing = await repo.payment_of_session(conn, session["id"])
        if existing is not None:
            return existing
        raise NotAllowed(f"Payment session {session['id']} cannot be authorized")
    payment = await repo.insert_payment(
        conn,
        {
            "id": new_id("pay"),
            "payment_collection_id": session["payment_collection_id"],
            "payment_session_id": session["id"],
            "provider_id": session["provider_id"],
            "currency_code": session["currency_code"],
            "amount": amount,
            "data": data,
        },
    )
    if await repo.add_authorized(conn, session["payment_collection_id"], amount) is None:
        raise NotAllowed(f"Payment collection {session['payment_collection_id']} cannot be authorized")
    return payment


async def cancel_collection(conn: AsyncConnection[Any], collection_id: str) -> dict[str, Any]:
    """Cancel a collection (an order's cancel): refund what its payments captured and not yet refunded, cancel what
    they did not capture, cancel its open sessions."""
    async with conn.transaction():
        collection = await repo.lock_collection(conn, collection_id)
        if collection is None:
            raise _collection_not_found(collection_id)
        for payment in await repo.payments_of(conn, [collection_id]):
            refundable = payment["captured_amount"] - payment["refunded_amount"]
            if refundable > 0:
                payment = await _refund(conn, payment, refundable, None, "Payment collection canceled", None)
            if payment["canceled_at"] is None and payment["captured_amount"] < payment["amount"]:
                try:
                    data = await _provider(payment["provider_id"]).cancel(payment["data"] or {})
                except ProviderError as exc:
                    raise _provider_error(exc) from None
                await repo.cancel_payment(conn, payment["id"], data)
        await repo.cancel_sessions(conn, collection_id)
        await repo.set_collection_status(conn, collection_id, "canceled")
    return await retrieve_collection(conn, collection_id)


# --- captures and refunds ------------------------------------------------------------------------------------------


async def _payment_row(conn: AsyncConnection[Any], payment_id: str) -> dict[str, Any]:
    found = await repo.payments(conn, [payment_id])
    if not found:
        raise _payment_not_found(payment_id)
    return found[0]


async def capture(
    conn: AsyncConnection[Any], payment_id: str, amount: Decimal | None = None, captured_by: str | None = None
) -> dict[str, Any]:
    """Capture `amount` (default: all that is left) of a payment; never more than it authorized. A payment already
    fully captured is returned as it is when no amount is asked. Event `payment.captured`."""
    async with conn.transaction():
        payment = await _capture(conn, await _payment_row(conn, payment_id), amount, captured_by, tell_provider=True)
    return (await _payment_views(conn, [payment]))[0]


async def _capture(
    conn: AsyncConnection[Any],
    payment: dict[str, Any],
    amount: Decimal | None,
    captured_by: str | None,
    *,
    tell_provider: bool,
) -> dict[str, Any]:
    if payment["canceled_at"] is not None:
        raise InvalidData(f"The payment: {payment['id']} has been canceled.")
    remaining = payment["amount"] - payment["captured_amount"]
    if amount is None:
        if remaining <= 0:
            return payment
        amount = remaining
    check_amount(amount)
    if amount <= 0:
        raise InvalidData("Invalid request: 'amount' must be greater than 0")
    over = InvalidData("You cannot capture more than the authorized amount substracted by what is already captured.")
    if amount > remaining:
        raise over
    updated = await repo.add_captured(conn, payment["id"], amount)
    if updated is None or await repo.add_collection_captured(conn, payment["payment_collection_id"], amount) is None:
        raise over  # a concurrent capture took it first
    await repo.insert_capture(
        conn, {"id": new_id("capt"), "payment_id": payment["id"], "amount": amount, "created_by": captured_by}
    )
    if tell_provider:
        try:
            data = await _provider(payment["provider_id"]).capture(payment["data"] or {}, amount)
        except ProviderError as exc:
            raise _provider_error(exc) from None
        await repo.set_payment_data(conn, payment["id"], data)
        updated["data"] = data
    await events.enqueue(conn, "payment.captured", {"id": payment["id"], "amount": str(amount)})
    return updated


async def refund(
    conn: AsyncConnection[Any],
    payment_id: str,
    amount: Decimal | None = None,
    refund_reason_id: str | None = None,
    note: str | None = None,
    created_by: str | None = None,
) -> dict[str, Any]:
    """Refund `amount` (default: all captured and not yet refunded) of a payment; never more than it captured.
    Event `payment.refunded`."""
    async with conn.transaction():
        payment = await _payment_row(conn, payment_id)
        if amount is None:
            amount = payment["captured_amount"] - payment["refunded_amount"]
            if amount <= 0:
                raise InvalidData(f"The payment: {payment_id} has nothing captured left to refund.")
        if refund_reason_id is not None and not await repo.reasons(conn, [refund_reason_id]):
            raise NotFound(f"Refund reason with id: {refund_reason_id} was not found")
        payment = await _refund(conn, payment, amount, refund_reason_id, note, created_by)
    return (await _payment_views(conn, [payment]))[0]


async def _refund(
    conn: AsyncConnection[Any],
    payment: dict[str, Any],
    amount: Decimal,
    refund_reason_id: str | None,
    note: str | None,
    created_by: str | None,
) -> dict[str, Any]:
    check_amount(amount)
    if amount <= 0:
        raise InvalidData("Invalid request: 'amount' must be greater than 0")
    over = InvalidData("You cannot refund more than what is captured on the payment.")
    updated = await repo.add_refunded(conn, payment["id"], amount)
    if updated is None or await repo.add_collection_refunded(conn, payment["payment_collection_id"], amount) is None:
        raise over
    await repo.insert_refund(
        conn,
        {
            "id": new_id("ref"),
            "payment_id": payment["id"],
            "amount": amount,
            "refund_reason_id": refund_reason_id,
            "note": note,
            "created_by": created_by,
        },
    )
    try:
        data = await _provider(payment["provider_id"]).refund(payment["data"] or {}, amount)
    except ProviderError as exc:
        raise _provider_error(exc) from None
    await repo.set_payment_data(conn, payment["id"], data)
    updated["data"] = data
    await events.enqueue(conn, "payment.refunded", {"id": payment["id"], "amount": str(amount)})
    return updated


# --- payments (admin) ----------------------------------------------------------------------------------------------


async def retrieve_payment(conn: AsyncConnection[Any], payment_id: str) -> dict[str, Any]:
    return (await _payment_views(conn, [await _payment_row(conn, payment_id)]))[0]


async def list_payments(conn: AsyncConnection[Any], query: PaymentListQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "id": query.id,
        "payment_session_id": query.payment_session_id,
        "payment_collection_id": query.payment_collection_id,
        "q": query.q,
    }
    rows, count = await repo.list_payments(conn, filters, query.ranges(), query.order, query.limit, query.offset)
    return await _payment_views(conn, rows), count


async def _payment_views(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    refund_rows = await repo.refunds_of(conn, ids)
    reasons = await repo.reasons(conn, sorted({r["refund_reason_id"] for r in refund_rows if r["refund_reason_id"]}))
    refunds = [{**r, "refund_reason": reasons.get(r["refund_reason_id"] or "")} for r in refund_rows]
    return _payment_view(rows, await repo.captures_of(conn, ids), refunds)


def _when(key: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if key.endswith("_at") and isinstance(value, str) else value


def _payment_view(
    rows: list[dict[str, Any]], capture_rows: list[dict[str, Any]], refund_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Payments in Medusa's shape, each with its captures and refunds (refunds carry their refund_reason)."""
    captures: dict[str, list[dict[str, Any]]] = {}
    for c in capture_rows:
        captures.setdefault(c["payment_id"], []).append(c)
    refunds: dict[str, list[dict[str, Any]]] = {}
    for r in refund_rows:
        refunds.setdefault(r["payment_id"], []).append(r)
    return [
        {
            **r,
            "authorized_amount": r["amount"],
            "captures": captures.get(r["id"], []),
            "refunds": refunds.get(r["id"], []),
        }
        for r in rows
    ]


# --- refund reasons ------------------------------------------------------------------------------------------------


def _code(label: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in label.lower()).split()) or "reason"


async def create_refund_reason(conn: AsyncConnection[Any], data: CreateRefundReason) -> dict[str, Any]:
    label = data.label.strip()
    if not label:
        raise InvalidData("Invalid request: 'label' must not be empty")
    return await repo.insert_reason(
        conn,
        {
            "id": new_id("refr"),
            "label": label,
            "code": (data.code or "").strip() or _code(label),
            "description": data.description,
            "metadata": data.metadata,
        },
    )


async def retrieve_refund_reason(conn: AsyncConnection[Any], reason_id: str) -> dict[str, Any]:
    found = await repo.reasons(conn, [reason_id])
    if reason_id not in found:
        raise NotFound(f"Refund reason with id: {reason_id} was not found")
    return found[reason_id]


async def update_refund_reason(conn: AsyncConnection[Any], reason_id: str, data: UpdateRefundReason) -> dict[str, Any]:
    changes = given(data)
    for key in ("label", "code"):
        if key in changes:
            changes[key] = changes[key].strip()
            if not changes[key]:
                raise InvalidData(f"Invalid request: '{key}' must not be empty")
    row = await repo.update_reason(conn, reason_id, changes)
    if row is None:
        raise NotFound(f"Refund reason with id: {reason_id} was not found")
    return row


async def delete_refund_reason(conn: AsyncConnection[Any], reason_id: str) -> None:
    if not await repo.soft_delete_reason(conn, reason_id):
        raise NotFound(f"Refund reason with id: {reason_id} was not found")


async def list_refund_reasons(conn: AsyncConnection[Any], query: RefundReasonQuery) -> tuple[list[dict[str, Any]], int]:
    return await repo.list_reasons(
        conn, {"id": query.id, "q": query.q}, query.ranges(), query.order, query.limit, query.offset
    )


# --- webhooks ------------------------------------------------------------------------------------------------------


async def handle_webhook(
    conn: AsyncConnection[Any], provider_id: str, payload: bytes, headers: Mapping[str, str]
) -> str:
    """Verify a provider's webhook and apply it once: a redelivered event id is acknowledged and skipped. Returns
    what was done: the action, "duplicate" or "ignored" (no such session here)."""
    provider = registry.get(provider_id)
    if provider is None or not (await providers(conn, [provider_id])).get(provider_id):
        raise NotFound(f"Payment provider with id: {provider_id} was not found")
    try:
        action = await provider.webhook(payload, headers)
    except ProviderError as exc:
        raise InvalidData(f"Webhook Error: {exc}") from None
    if action.action == "not_supported":
        return action.action
    async with conn.transaction():
        if action.event_id and not await repo.record_event(conn, provider_id, action.event_id, action.action):
            return "duplicate"
        return await _apply(conn, provider_id, action)


async def _apply(conn: AsyncConnection[Any], provider_id: str, action: WebhookAction) -> str:
    session = await repo.session(conn, action.session_id) if action.session_id else None
    if session is None or session["provider_id"] != provider_id:
        return "ignored"
    if action.action == "failed":
        await repo.set_session_status(conn, session["id"], "error")
        return action.action
    if await repo.lock_collection(conn, session["payment_collection_id"]) is None:
        return "ignored"
    payment = await repo.payment_of_session(conn, session["id"])
    if payment is None:
        if session["status"] not in OPEN_SESSION:
            return "ignored"
        payment = await _authorized(conn, session, session["amount"], session["data"] or {})
    if action.action == "captured":
        await _capture(conn, payment, action.amount, None, tell_provider=False)
    return action.action
