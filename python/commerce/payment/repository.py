"""The only code that runs SQL on payment_provider, payment_collection, payment_session, payment, capture, refund,
refund_reason, payment_webhook_event and the cart_payment_collection link."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, date_ranges, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

PROVIDERS = "SELECT id, is_enabled FROM payment_provider WHERE id = ANY(%s) AND deleted_at IS NULL"

COLLECTION_COLUMNS = (
    "id, currency_code, amount, authorized_amount, captured_amount, refunded_amount, region_id, status, metadata, "
    "completed_at, created_at, updated_at, deleted_at"
)
SESSION_COLUMNS = (
    "id, payment_collection_id, provider_id, currency_code, amount, data, context, status, authorized_at, metadata, "
    "created_at, updated_at, deleted_at"
)
PAYMENT_COLUMNS = (
    "id, payment_collection_id, payment_session_id, provider_id, currency_code, amount, captured_amount, "
    "refunded_amount, data, metadata, captured_at, canceled_at, created_at, updated_at, deleted_at"
)
CAPTURE_COLUMNS = "id, payment_id, amount, created_by, metadata, created_at, updated_at"
REFUND_COLUMNS = "id, payment_id, amount, refund_reason_id, note, created_by, metadata, created_at, updated_at"
REASON_COLUMNS = "id, label, code, description, metadata, created_at, updated_at, deleted_at"

# --- collections ---------------------------------------------------------------------------------------------------
INSERT_COLLECTION = f"""
INSERT INTO payment_collection (id, currency_code, amount, region_id, metadata)
VALUES (%(id)s, %(currency_code)s, %(amount)s, %(region_id)s, %(metadata)s)
RETURNING {COLLECTION_COLUMNS}
"""
COLLECTIONS = f"SELECT {COLLECTION_COLUMNS} FROM payment_collection WHERE id = ANY(%s) AND deleted_at IS NULL"
LOCK_COLLECTION = f"SELECT {COLLECTION_COLUMNS} FROM payment_collection WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
LINK_CART = "INSERT INTO cart_payment_collection (cart_id, payment_collection_id) VALUES (%s, %s)"
COLLECTION_OF_CART = "SELECT payment_collection_id FROM cart_payment_collection WHERE cart_id = %s"
CART_OF_COLLECTION = "SELECT cart_id FROM cart_payment_collection WHERE payment_collection_id = %s"
# Amount, currency and region follow the cart only while nothing is authorized.
REPRICE_COLLECTION = f"""
UPDATE payment_collection SET amount = %(amount)s, currency_code = %(currency_code)s, region_id = %(region_id)s,
       updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND status IN ('not_paid', 'awaiting')
  AND (amount, currency_code, region_id) IS DISTINCT FROM (%(amount)s, %(currency_code)s, %(region_id)s)
RETURNING {COLLECTION_COLUMNS}
"""
REPRICE_SESSIONS = """
UPDATE payment_session SET amount = %(amount)s, currency_code = %(currency_code)s, updated_at = now()
WHERE payment_collection_id = %(id)s AND deleted_at IS NULL AND status IN ('pending', 'requires_more', 'error')
"""
SET_COLLECTION_STATUS = """
UPDATE payment_collection SET status = %s, updated_at = now() WHERE id = %s AND deleted_at IS NULL
"""
ADD_AUTHORIZED = f"""
UPDATE payment_collection
SET authorized_amount = authorized_amount + %(amount)s,
    status = CASE WHEN authorized_amount + %(amount)s >= amount THEN 'authorized' ELSE 'partially_authorized' END,
    updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND status NOT IN ('canceled', 'completed')
RETURNING {COLLECTION_COLUMNS}
"""
# Never more captured than authorized, never more refunded than captured: the condition is the guard.
ADD_COLLECTION_CAPTURED = f"""
UPDATE payment_collection
SET captured_amount = captured_amount + %(amount)s,
    status = CASE WHEN captured_amount + %(amount)s >= amount AND status <> 'canceled' THEN 'completed'
                  ELSE status END,
    completed_at = CASE WHEN captured_amount + %(amount)s >= amount AND status <> 'canceled'
                        THEN coalesce(completed_at, now()) ELSE completed_at END,
    updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND captured_amount + %(amount)s <= authorized_amount
RETURNING {COLLECTION_COLUMNS}
"""
ADD_COLLECTION_REFUNDED = f"""
UPDATE payment_collection SET refunded_amount = refunded_amount + %(amount)s, updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND refunded_amount + %(amount)s <= captured_amount
RETURNING {COLLECTION_COLUMNS}
"""

# --- sessions ------------------------------------------------------------------------------------------------------
INSERT_SESSION = f"""
INSERT INTO payment_session (id, payment_collection_id, provider_id, currency_code, amount, data, context)
VALUES (%(id)s, %(payment_collection_id)s, %(provider_id)s, %(currency_code)s, %(amount)s, %(data)s, %(context)s)
RETURNING {SESSION_COLUMNS}
"""
SESSIONS_OF = f"""
SELECT {SESSION_COLUMNS} FROM payment_session
WHERE payment_collection_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
SESSION = f"SELECT {SESSION_COLUMNS} FROM payment_session WHERE id = %s AND deleted_at IS NULL"
DELETE_SESSIONS = """
UPDATE payment_session SET deleted_at = now(), updated_at = now()
WHERE payment_collection_id = %s AND deleted_at IS NULL AND status <> 'authorized'
RETURNING id, provider_id, data
"""
SET_SESSION_DATA = f"""
UPDATE payment_session SET data = %s, updated_at = now() WHERE id = %s AND deleted_at IS NULL
RETURNING {SESSION_COLUMNS}
"""
SET_SESSION_STATUS = """
UPDATE payment_session SET status = %s, data = coalesce(%s, data), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND status <> 'authorized'
"""
CANCEL_SESSIONS = """
UPDATE payment_session SET status = 'canceled', updated_at = now()
WHERE payment_collection_id = %s AND deleted_at IS NULL AND status <> 'authorized'
"""
AUTHORIZE_SESSION = f"""
UPDATE payment_session SET status = 'authorized', authorized_at = now(), data = %(data)s, amount = %(amount)s,
       updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND status IN ('pending', 'requires_more', 'error')
RETURNING {SESSION_COLUMNS}
"""

# --- payments, captures, refunds -----------------------------------------------------------------------------------
INSERT_PAYMENT = f"""
INSERT INTO payment (id, payment_collection_id, payment_session_id, provider_id, currency_code, amount, data)
VALUES (%(id)s, %(payment_collection_id)s, %(payment_session_id)s, %(provider_id)s, %(currency_code)s, %(amount)s,
        %(data)s)
RETURNING {PAYMENT_COLUMNS}
"""
PAYMENTS = f"SELECT {PAYMENT_COLUMNS} FROM payment WHERE id = ANY(%s) AND deleted_at IS NULL"
PAYMENTS_OF = f"""
SELECT {PAYMENT_COLUMNS} FROM payment WHERE payment_collection_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
PAYMENT_OF_SESSION = f"SELECT {PAYMENT_COLUMNS} FROM payment WHERE payment_session_id = %s AND deleted_at IS NULL"
ADD_CAPTURED = f"""
UPDATE payment
SET captured_amount = captured_amount + %(amount)s,
    captured_at = CASE WHEN captured_amount + %(amount)s >= amount THEN now() ELSE captured_at END,
    updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND canceled_at IS NULL AND captured_amount + %(amount)s <= amount
RETURNING {PAYMENT_COLUMNS}
"""
ADD_REFUNDED = f"""
UPDATE payment SET refunded_amount = refunded_amount + %(amount)s, updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND refunded_amount + %(amount)s <= captured_amount
RETURNING {PAYMENT_COLUMNS}
"""
CANCEL_PAYMENT = """
UPDATE payment SET canceled_at = now(), data = %s, updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND canceled_at IS NULL
"""
SET_PAYMENT_DATA = "UPDATE payment SET data = %s, updated_at = now() WHERE id = %s"
INSERT_CAPTURE = f"""
INSERT INTO capture (id, payment_id, amount, created_by) VALUES (%(id)s, %(payment_id)s, %(amount)s, %(created_by)s)
RETURNING {CAPTURE_COLUMNS}
"""
INSERT_REFUND = f"""
INSERT INTO refund (id, payment_id, amount, refund_reason_id, note, created_by)
VALUES (%(id)s, %(payment_id)s, %(amount)s, %(refund_reason_id)s, %(note)s, %(created_by)s)
RETURNING {REFUND_COLUMNS}
"""
CAPTURES_OF = f"""
SELECT {CAPTURE_COLUMNS} FROM capture WHERE payment_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
REFUNDS_OF = f"""
SELECT {REFUND_COLUMNS} FROM refund WHERE payment_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""

# --- refund reasons ------------------------------------------------------------------------------------------------
INSERT_REASON = f"""
INSERT INTO refund_reason (id, label, code, description, metadata)
VALUES (%(id)s, %(label)s, %(code)s, %(description)s, %(metadata)s)
RETURNING {REASON_COLUMNS}
"""
REASONS = f"SELECT {REASON_COLUMNS} FROM refund_reason WHERE id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE_REASON = "UPDATE refund_reason SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"

# --- webhooks ------------------------------------------------------------------------------------------------------
RECORD_EVENT = """
INSERT INTO payment_webhook_event (provider_id, event_id, action) VALUES (%s, %s, %s)
ON CONFLICT DO NOTHING RETURNING event_id
"""


async def providers(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, bool]:
    cur = await conn.execute(PROVIDERS, (ids,))
    return {r[0]: r[1] for r in await cur.fetchall()}


async def list_providers(
    conn: AsyncConnection[Any], filters: dict[str, Any], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("is_enabled") is not None:
        where.append(sql.SQL("is_enabled = %(is_enabled)s"))
        params["is_enabled"] = filters["is_enabled"]
    order = sql.SQL("ORDER BY id")
    return await fetch_page(conn, "payment_provider", "id, is_enabled", where, params, order, limit, offset)


# --- collections ---------------------------------------------------------------------------------------------------


async def insert_collection(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_COLLECTION, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def collections(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, COLLECTIONS, (ids,)) if ids else []


async def lock_collection(conn: AsyncConnection[Any], collection_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, LOCK_COLLECTION, (collection_id,))


async def link_cart(conn: AsyncConnection[Any], cart_id: str, collection_id: str) -> None:
    await conn.execute(LINK_CART, (cart_id, collection_id))


async def collection_of_cart(conn: AsyncConnection[Any], cart_id: str) -> str | None:
    row = await fetch_one(conn, COLLECTION_OF_CART, (cart_id,))
    return None if row is None else str(row["payment_collection_id"])


async def cart_of_collection(conn: AsyncConnection[Any], collection_id: str) -> str | None:
    row = await fetch_one(conn, CART_OF_COLLECTION, (collection_id,))
    return None if row is None else str(row["cart_id"])


async def reprice(
    conn: AsyncConnection[Any], collection_id: str, amount: Decimal, currency_code: str, region_id: str | None
) -> bool:
    """Set a not yet authorized collection's amount (and its open sessions'); False when nothing changed."""
    params = {"id": collection_id, "amount": amount, "currency_code": currency_code, "region_id": region_id}
    if await fetch_one(conn, REPRICE_COLLECTION, params) is None:
        return False
    await conn.execute(REPRICE_SESSIONS, params)
    return True


async def set_collection_status(conn: AsyncConnection[Any], collection_id: str, status: str) -> None:
    await conn.execute(SET_COLLECTION_STATUS, (status, collection_id))


async def add_authorized(conn: AsyncConnection[Any], collection_id: str, amount: Decimal) -> dict[str, Any] | None:
    return await fetch_one(conn, ADD_AUTHORIZED, {"id": collection_id, "amount": amount})


async def add_collection_captured(
    conn: AsyncConnection[Any], collection_id: str, amount: Decimal
) -> dict[str, Any] | None:
    return await fetch_one(conn, ADD_COLLECTION_CAPTURED, {"id": collection_id, "amount": amount})


async def add_collection_refunded(
    conn: AsyncConnection[Any], collection_id: str, amount: Decimal
) -> dict[str, Any] | None:
    return await fetch_one(conn, ADD_COLLECTION_REFUNDED, {"id": collection_id, "amount": amount})


# --- sessions ------------------------------------------------------------------------------------------------------


async def insert_session(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    params = {**row, "data": jsonb(row.get("data") or {}), "context": jsonb(row.get("context"))}
    result = await fetch_one(conn, INSERT_SESSION, params)
    assert result is not None
    return result


async def sessions_of(conn: AsyncConnection[Any], collection_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, SESSIONS_OF, (collection_ids,)) if collection_ids else []


async def session(conn: AsyncConnection[Any], session_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SESSION, (session_id,))


async def delete_sessions(conn: AsyncConnection[Any], collection_id: str) -> list[dict[str, Any]]:
    """Soft-delete the collection's sessions that were not authorized; returns them."""
    return await fetch_all(conn, DELETE_SESSIONS, (collection_id,))


async def set_session_data(conn: AsyncConnection[Any], session_id: str, data: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, SET_SESSION_DATA, (jsonb(data), session_id))
    assert result is not None
    return result


async def set_session_status(
    conn: AsyncConnection[Any], session_id: str, status: str, data: dict[str, Any] | None = None
) -> None:
    await conn.execute(SET_SESSION_STATUS, (status, jsonb(data), session_id))


async def cancel_sessions(conn: AsyncConnection[Any], collection_id: str) -> None:
    await conn.execute(CANCEL_SESSIONS, (collection_id,))


async def authorize_session(
    conn: AsyncConnection[Any], session_id: str, amount: Decimal, data: dict[str, Any]
) -> dict[str, Any] | None:
    """Mark an open session authorized; None when it was not open (authorized meanwhile, canceled, deleted)."""
    return await fetch_one(conn, AUTHORIZE_SESSION, {"id": session_id, "amount": amount, "data": jsonb(data)})


# --- payments ------------------------------------------------------------------------------------------------------


async def insert_payment(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_PAYMENT, {**row, "data": jsonb(row.get("data"))})
    assert result is not None
    return result


async def payments(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PAYMENTS, (ids,)) if ids else []


async def payments_of(conn: AsyncConnection[Any], collection_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PAYMENTS_OF, (collection_ids,)) if collection_ids else []


async def payment_of_session(conn: AsyncConnection[Any], session_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, PAYMENT_OF_SESSION, (session_id,))


async def add_captured(conn: AsyncConnection[Any], payment_id: str, amount: Decimal) -> dict[str, Any] | None:
    """Add to the payment's captured amount unless that would pass what was authorized (or it is canceled)."""
    return await fetch_one(conn, ADD_CAPTURED, {"id": payment_id, "amount": amount})


async def add_refunded(conn: AsyncConnection[Any], payment_id: str, amount: Decimal) -> dict[str, Any] | None:
    """Add to the payment's refunded amount unless that would pass what was captured."""
    return await fetch_one(conn, ADD_REFUNDED, {"id": payment_id, "amount": amount})


async def cancel_payment(conn: AsyncConnection[Any], payment_id: str, data: dict[str, Any] | None) -> None:
    await conn.execute(CANCEL_PAYMENT, (jsonb(data), payment_id))


async def set_payment_data(conn: AsyncConnection[Any], payment_id: str, data: dict[str, Any] | None) -> None:
    await conn.execute(SET_PAYMENT_DATA, (jsonb(data), payment_id))


async def insert_capture(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_CAPTURE, row)
    assert result is not None
    return result


async def insert_refund(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_REFUND, row)
    assert result is not None
    return result


async def captures_of(conn: AsyncConnection[Any], payment_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, CAPTURES_OF, (payment_ids,)) if payment_ids else []


async def refunds_of(conn: AsyncConnection[Any], payment_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, REFUNDS_OF, (payment_ids,)) if payment_ids else []


async def list_payments(
    conn: AsyncConnection[Any],
    filters: dict[str, Any],
    ranges: list[tuple[str, str, datetime]],
    order: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "payment_session_id", "payment_collection_id"))
    if filters.get("q"):
        where.append(sql.SQL("(id ILIKE %(q)s OR provider_id ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    date_ranges(where, params, ranges)
    order_sql = order_by(order, frozenset({"created_at", "updated_at", "amount", "captured_at"}))
    return await fetch_page(conn, "payment", PAYMENT_COLUMNS, where, params, order_sql, limit, offset)


# --- refund reasons ------------------------------------------------------------------------------------------------


async def insert_reason(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_REASON, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def reasons(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in await fetch_all(conn, REASONS, (ids,))} if ids else {}


async def update_reason(conn: AsyncConnection[Any], reason_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(
        conn, "refund_reason", reason_id, changes, ("label", "code", "description", "metadata"), REASON_COLUMNS
    )


async def soft_delete_reason(conn: AsyncConnection[Any], reason_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_REASON, (reason_id,)) is not None


async def list_reasons(
    conn: AsyncConnection[Any],
    filters: dict[str, Any],
    ranges: list[tuple[str, str, datetime]],
    order: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("q"):
        where.append(sql.SQL("(label ILIKE %(q)s OR code ILIKE %(q)s OR description ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    date_ranges(where, params, ranges)
    order_sql = order_by(order, frozenset({"created_at", "updated_at", "label", "code"}))
    return await fetch_page(conn, "refund_reason", REASON_COLUMNS, where, params, order_sql, limit, offset)


# --- webhooks ------------------------------------------------------------------------------------------------------


async def record_event(conn: AsyncConnection[Any], provider_id: str, event_id: str, action: str) -> bool:
    """Remember a webhook event; False when it was already recorded (a redelivery)."""
    return await fetch_one(conn, RECORD_EVENT, (provider_id, event_id, action)) is not None


# --- whole collections in one round trip ---------------------------------------------------------------------------
# Which collections: given ids, or the one linked to a cart. Every statement below reads the same scope, so all of
# them go to PostgreSQL in one pipeline.
SCOPE_IDS = "%(ids)s"
SCOPE_CART = "ARRAY(SELECT payment_collection_id FROM cart_payment_collection WHERE cart_id = %(cart_id)s)"


def _whole(scope: str) -> tuple[str, ...]:
    return (
        f"SELECT {COLLECTION_COLUMNS} FROM payment_collection WHERE id = ANY({scope}) AND deleted_at IS NULL",
        f"""SELECT {SESSION_COLUMNS} FROM payment_session
            WHERE payment_collection_id = ANY({scope}) AND deleted_at IS NULL ORDER BY created_at, id""",
        f"""SELECT {PAYMENT_COLUMNS} FROM payment
            WHERE payment_collection_id = ANY({scope}) AND deleted_at IS NULL ORDER BY created_at, id""",
        f"""SELECT {", ".join("c." + c.strip() for c in CAPTURE_COLUMNS.split(","))}
            FROM capture c JOIN payment p ON p.id = c.payment_id
            WHERE p.payment_collection_id = ANY({scope}) AND c.deleted_at IS NULL ORDER BY c.created_at, c.id""",
        f"""SELECT {", ".join("r." + c.strip() for c in REFUND_COLUMNS.split(","))}, to_jsonb(rr) AS refund_reason
            FROM refund r JOIN payment p ON p.id = r.payment_id
            LEFT JOIN (SELECT {REASON_COLUMNS} FROM refund_reason WHERE deleted_at IS NULL) rr
                   ON rr.id = r.refund_reason_id
            WHERE p.payment_collection_id = ANY({scope}) AND r.deleted_at IS NULL ORDER BY r.created_at, r.id""",
        f"""SELECT DISTINCT pp.id, pp.is_enabled FROM payment_provider pp
            JOIN payment_session s ON s.provider_id = pp.id
            WHERE s.payment_collection_id = ANY({scope}) AND s.deleted_at IS NULL AND pp.deleted_at IS NULL""",
    )


WHOLE_BY_IDS = _whole(SCOPE_IDS)
WHOLE_BY_CART = _whole(SCOPE_CART)


async def whole(conn: AsyncConnection[Any], ids: list[str] | None = None, cart_id: str | None = None) -> list[Any]:
    """[collections, sessions, payments, captures, refunds (with refund_reason), providers] of the collections with
    these ids, or of the cart's: six statements, one round trip."""
    statements, params = (WHOLE_BY_CART, {"cart_id": cart_id}) if cart_id else (WHOLE_BY_IDS, {"ids": ids})
    cursors = [conn.cursor(row_factory=dict_row) for _ in statements]
    async with conn.pipeline():
        for cursor, statement in zip(cursors, statements, strict=True):
            await cursor.execute(statement, params)
    return [await cursor.fetchall() for cursor in cursors]


# Only a collection nothing was paid into goes: its open sessions with it.
DELETE_COLLECTION = """
UPDATE payment_collection SET deleted_at = now(), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND authorized_amount = 0 AND captured_amount = 0
RETURNING id
"""


async def delete_collection(conn: AsyncConnection[Any], collection_id: str) -> bool:
    cur = await conn.execute(DELETE_COLLECTION, (collection_id,))
    return await cur.fetchone() is not None
