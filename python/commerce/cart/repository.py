"""The only code that runs SQL on cart: one row per cart, its lines, shipping methods, codes and addresses as JSON
documents (written and read whole, never queried inside: the lines LZ4-compressed bytea, the others json, metadata
jsonb), written back whole by a conditional UPDATE on `version` (optimistic concurrency)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import lz4.block
import msgspec
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb

from commerce.db import direct
from commerce.db.rows import fetch_one

COLUMNS = ("id", "region_id", "customer_id", "sales_channel_id", "email", "currency_code")
TIMES = ("completed_at", "created_at", "updated_at")
DOCUMENTS = ("metadata", "items", "shipping_methods", "shipping_address", "billing_address")
# Read (never written) beside a cart: what it needs of the customer module (the cart's customer: email, account,
# groups: the pricing and promotion context) and of the payment module (the id of its payment collection, if any).
# The customer's subquery runs only for a cart that has one (most carts are a guest's until checkout).
CUSTOMER = """
  CASE WHEN c.customer_id IS NOT NULL THEN (SELECT json_build_object(
            'id', cu.id, 'email', cu.email, 'has_account', cu.has_account,
            'group_ids', coalesce((SELECT json_agg(g.id ORDER BY g.name, g.id) FROM customer_group_customer l
                                   JOIN customer_group g ON g.id = l.customer_group_id AND g.deleted_at IS NULL
                                   WHERE l.customer_id = cu.id), '[]'))
     FROM customer cu WHERE cu.id = c.customer_id AND cu.deleted_at IS NULL)::text END"""
PAYMENT_COLLECTION = """
  (SELECT p.payment_collection_id FROM cart_payment_collection p WHERE p.cart_id = c.id) AS payment_collection_id
"""
BESIDE = f"""{CUSTOMER} AS customer,{PAYMENT_COLLECTION}"""
# The cart aggregate in one statement, its columns in READ_NAMES' order. Documents (and the codes) come as JSON
# text, decoded by msgspec (cheaper than a json loader per cursor).
READ_NAMES = (*COLUMNS, *TIMES, "version", "promo_codes", *DOCUMENTS, "customer", "payment_collection_id")
READ = f"""
SELECT {", ".join(f"c.{col}" for col in (*COLUMNS, *TIMES, "version"))}, to_json(c.promo_codes)::text,
       {", ".join(f"c.{doc}" if doc == "items" else f"c.{doc}::text" for doc in DOCUMENTS)}, {BESIDE}
FROM cart c WHERE c.id = %(id)s AND c.deleted_at IS NULL
"""
# What GET /store/carts/:id sends: the cart as its last change rendered it (JSON of the cart object without its
# closing brace and without region, payment_collection and customer, which are added fresh); NULL: render it now.
# Fetched in binary (the rendering as its bytes, not hex) as a plain tuple.
READ_RENDERED = f"""
SELECT c.rendered, c.region_id, {BESIDE}
FROM cart c WHERE c.id = %(id)s AND c.deleted_at IS NULL
"""
# A worker holding a copy of the cart at some version: the cart only if it changed since.
READ_NEWER = READ + "  AND c.version <> %(version)s"
# Checkout reads the aggregate holding the row's lock, so no change lands between its snapshot and the order.
READ_LOCKED = READ + " FOR UPDATE OF c"
INSERT = """
INSERT INTO cart (id, region_id, customer_id, sales_channel_id, email, currency_code, metadata, items,
                  shipping_methods, promo_codes, shipping_address, billing_address, rendered, created_at, updated_at)
VALUES (%(id)s, %(region_id)s, %(customer_id)s, %(sales_channel_id)s, %(email)s, %(currency_code)s,
        %(metadata)s::jsonb, %(items)s, %(shipping_methods)s::json, %(promo_codes)s,
        %(shipping_address)s::json, %(billing_address)s::json, %(rendered)s, %(updated_at)s, %(updated_at)s)
RETURNING version
"""
# A cart change commits without waiting for its WAL to reach the disk (synchronous_commit off for its transaction,
# set by the statement itself: no round trip more). That wait was the largest PostgreSQL CPU cost of a change (the
# backend's write and fdatasync of the WAL, ~0.2-0.3 ms of its ~0.6 ms per UPDATE, measured on one backend) and
# 3-4 ms of its latency. What it risks: a crash of the PostgreSQL server (not of ours) within ~0.6 s of a change
# (3 x wal_writer_delay) loses that change, never part of it, and never anything else: it is visible to every reader
# at once, and the first synchronous commit after it (an order, a payment, a checkout's COMPLETE) flushes it too, so
# nothing durable is ever built on a cart state that a crash could take back. Carts only: orders, payments, stock and
# the cart's completion keep the server's synchronous commit.
ASYNC_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
# The whole new state, if nobody wrote the cart since it was read at `version` and its customer (the pricing and
# promotion context, another module's rows) is still as read (else no row: read again); with what `read` adds
# beside the cart as it is now.
WRITE = f"""
UPDATE cart c SET region_id = %(region_id)s, customer_id = %(customer_id)s, sales_channel_id = %(sales_channel_id)s,
       email = %(email)s, currency_code = %(currency_code)s, metadata = %(metadata)s::jsonb,
       items = %(items)s, shipping_methods = %(shipping_methods)s::json, promo_codes = %(promo_codes)s,
       shipping_address = %(shipping_address)s::json, billing_address = %(billing_address)s::json,
       rendered = %(rendered)s, version = c.version + 1, updated_at = %(updated_at)s
FROM {ASYNC_COMMIT}
WHERE c.id = %(id)s AND c.version = %(version)s AND c.completed_at IS NULL AND c.deleted_at IS NULL
  AND {CUSTOMER} IS NOT DISTINCT FROM %(customer_seen)s::text
RETURNING c.version, {BESIDE}
"""
# WRITE for a guest's cart that stays one (no customer read, none set): the customer's subqueries are not planned
# at all. PostgreSQL sets up every subplan of a statement at each run, run or not: WRITE's customer subqueries (an
# aggregate over a join, in the WHERE and the RETURNING) were ~10 % of the backend's CPU per write (perf: its
# ExecInitAgg, ExecInitNestLoop), and most carts are a guest's until checkout.
WRITE_GUEST = WRITE.replace(
    f"AND {CUSTOMER} IS NOT DISTINCT FROM %(customer_seen)s::text", "AND c.customer_id IS NULL"
).replace(f"RETURNING c.version, {BESIDE}", f"RETURNING c.version, NULL::text AS customer, {PAYMENT_COLLECTION}")
COMPLETE = """
UPDATE cart SET completed_at = now(), updated_at = now(), version = version + 1, rendered = NULL
WHERE id = %s AND completed_at IS NULL RETURNING id
"""

# The rendering and the lines (JSON) as stored: LZ4 (a marker byte, then an LZ4 block with its size), ~3x smaller.
# Written whole, a 4-line cart's 8 KB rendering and 4 KB of lines made its row too big for a page, so PostgreSQL
# compressed the row at every change (pglz where the server has no lz4: ~a quarter of the backend's CPU per write on
# the embedded server), checked the lines as JSON, and no update was HOT (migrations/0071); the worker's LZ4 costs
# ~7 us per change and ~1.5 us per retrieve. What was stored before is JSON (it starts with `{` or `[`), read as it is.
_LZ4 = b"\x00"


def stored(data: bytes | None) -> bytes | None:
    return None if data is None else _LZ4 + lz4.block.compress(data)


def unstored(value: bytes | None) -> bytes | None:
    if value is None or value[:1] != _LZ4:
        return value
    data: bytes = lz4.block.decompress(memoryview(value)[1:])
    return data


# WRITE as libpq takes it, run by `_write_prepared`: the lines and the rendering as bytes, the rest text.
_BINARY = frozenset({"items", "rendered"})
WRITE_DIRECT = direct.Statement("commerce_cart_write", WRITE, binary=_BINARY)
WRITE_GUEST_DIRECT = direct.Statement("commerce_cart_write_guest", WRITE_GUEST, binary=_BINARY)
# Writes of concurrent changes, sent in one round trip (each its own transaction): under load a worker's changes reach
# their writes in bursts, and one at a time a write cost PostgreSQL about as much in its round trip as in its work.
# It trades the worker's CPU for PostgreSQL's: flows.cart batches only while the server's workers share the machine.
_WRITES = direct.Batch()
_encoder = msgspec.json.Encoder()  # Decimal as a JSON string: exact, read back by `exact`
_decode = msgspec.json.decode


def _stored_lines(cart: dict[str, Any]) -> bytes | None:
    return stored(_encoder.encode(cart["items"]))


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=_encoder.encode)


def _json(value: Any) -> Json | None:
    return None if value is None else Json(value, dumps=_encoder.encode)


def _params(cart: dict[str, Any], rendered: bytes | None) -> dict[str, Any]:
    return {
        **{
            k: cart[k]
            for k in ("id", "region_id", "customer_id", "sales_channel_id", "email", "currency_code", "updated_at")
        },
        "rendered": stored(rendered),
        "metadata": _jsonb(cart["metadata"]),
        **{k: _json(cart[k]) for k in DOCUMENTS if k not in ("metadata", "items")},
        "items": _stored_lines(cart),
        "promo_codes": list(cart["promo_codes"]),
        "version": cart.get("version"),
        "customer_seen": cart.get("customer_seen"),
    }


async def read(conn: AsyncConnection[Any], cart_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    """The cart aggregate (one statement), money as Decimal; None when there is no such cart."""
    if lock:
        return await _read(conn, None, READ_LOCKED, {"id": cart_id})
    return await _read(conn, READ_DIRECT, READ, {"id": cart_id})


async def read_newer(conn: AsyncConnection[Any], cart_id: str, version: int) -> dict[str, Any] | None:
    """The cart as `read` gives it if its version is no longer `version`; None when it still is (a copy of it at that
    version is current: nothing is sent or decoded) or when there is no such cart (a write from the copy finds
    that)."""
    return await _read(conn, READ_NEWER_DIRECT, READ_NEWER, {"id": cart_id, "version": version})


async def _read(
    conn: AsyncConnection[Any], statement: direct.Statement | None, sql: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    if statement is not None and direct.usable(conn):
        result = await statement.run(conn, [str(params[name]).encode() for name in statement.names], binary=True)
        return _cart(_binary_row(result)) if result.ntuples else None
    cur = conn.cursor()
    await cur.execute(sql, params)
    row = await cur.fetchone()
    return None if row is None else _cart(dict(zip(READ_NAMES, row, strict=True)))


# READ and READ_RENDERED as libpq takes them (db.direct), their results in binary: text as its UTF-8 bytes, bytea as
# its bytes, integers big-endian, timestamps as microseconds since 2000-01-01 UTC (the app's sessions are in UTC:
# db.connect). Through psycopg's cursor (its query conversion, loaders, rows) a change that reads its cart cost the
# worker ~110-150 k instructions more (callgrind, 1-line carts: bench/cart_profile.py's ops with no copies).
READ_DIRECT = direct.Statement("commerce_cart_read", READ)
READ_NEWER_DIRECT = direct.Statement("commerce_cart_read_newer", READ_NEWER)
READ_RENDERED_DIRECT = direct.Statement("commerce_cart_read_rendered", READ_RENDERED)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_TIMES = frozenset(TIMES)


def _binary_row(result: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, name in enumerate(READ_NAMES):
        value = result.get_value(0, column)
        if value is None or name in _DOCUMENT_SET or name == "promo_codes":
            row[name] = value  # (JSON: decoded by _cart)
        elif name in _TIMES:
            row[name] = _EPOCH + timedelta(microseconds=int.from_bytes(value, "big", signed=True))
        elif name == "version":
            row[name] = int.from_bytes(value, "big", signed=True)
        else:
            row[name] = value.decode()
    return row


def _cart(row: dict[str, Any]) -> dict[str, Any]:
    row["customer_seen"] = row["customer"]  # as PostgreSQL renders it: what a write checks is unchanged
    row["items"] = unstored(bytes(row["items"]))
    for key in (*DOCUMENTS, "promo_codes", "customer"):
        text = row[key]
        row[key] = None if text is None else _decode(text)
    return exact(row)


async def read_rendered(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any] | None:
    """`{id, rendered, region_id, customer, payment_collection_id}` of a cart (one statement), or None. The row comes
    as a tuple: psycopg's dict_row costs a fifth of the statement's client-side work (its column names are built
    again for every cursor)."""
    if direct.usable(conn):
        result = await READ_RENDERED_DIRECT.run(conn, [cart_id.encode()], binary=True)
        if not result.ntuples:
            return None
        rendered, *texts = (result.get_value(0, i) for i in range(4))
        region_id, who, collection_id = (None if v is None else v.decode() for v in texts)
    else:
        cur = conn.cursor()
        await cur.execute(READ_RENDERED, {"id": cart_id}, binary=True)
        row = await cur.fetchone()
        if row is None:
            return None
        rendered, region_id, who, collection_id = row
    return {
        "id": cart_id,
        "rendered": unstored(rendered),
        "region_id": region_id,
        "customer": None if who is None else _decode(who),
        "payment_collection_id": collection_id,
    }


async def insert(conn: AsyncConnection[Any], cart: dict[str, Any], rendered: bytes | None) -> dict[str, Any]:
    """Write a new cart (created at its `updated_at`) with its rendering; returns its version."""
    found = await fetch_one(conn, INSERT, _params(cart, rendered))
    assert found is not None
    return found


async def write(
    conn: AsyncConnection[Any], cart: dict[str, Any], rendered: bytes | None, *, batch: bool = False
) -> dict[str, Any] | None:
    """Write the cart's new state and its rendering over the version it was read at: `{version, customer,
    customer_seen, payment_collection_id}` (the new version, what `read` adds beside the cart), or None when another
    writer (or checkout, or a change of the cart's customer) got there first. With `batch`, in one round trip with
    the writes of other changes ready at the same time (`_WRITES`)."""
    if direct.usable(conn):
        return await _write_prepared(conn, cart, rendered, batch)
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(WRITE, _params(cart, rendered))
    return _beside(await cur.fetchone())


async def _write_prepared(
    conn: AsyncConnection[Any], cart: dict[str, Any], rendered: bytes | None, batch: bool = False
) -> dict[str, Any] | None:
    """`write` on an idle autocommit connection, straight through libpq (db.direct): the documents encoded once by
    msgspec, the rendering binary, the rest text typed by the statement. psycopg's cursor (its query conversion,
    per-parameter dumper lookups and Jsonb wrappers, dict rows) cost the worker ~145 us more per change of a 4-line
    cart (measured: 385 -> 240 us of CPU per write, bench/cart_profile.py)."""
    guest = cart["customer_id"] is None and cart.get("customer_seen") is None
    statement = WRITE_GUEST_DIRECT if guest else WRITE_DIRECT
    params = _write_params(statement, cart, rendered)
    result = await (_WRITES.run(conn, statement, params) if batch else statement.run(conn, params))
    if result.ntuples == 0:
        return None
    version, customer, collection = (result.get_value(0, i) for i in range(3))
    seen = None if customer is None else customer.decode()
    return {
        "version": int(version or 0),
        "customer": None if customer is None else _decode(customer),
        "customer_seen": seen,
        "payment_collection_id": None if collection is None else collection.decode(),
    }


def _array(values: list[str]) -> bytes:
    """A text[] literal: each element quoted, its backslashes and double quotes escaped."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return ("{" + ",".join(quoted) + "}").encode()


def _write_params(statement: direct.Statement, cart: dict[str, Any], rendered: bytes | None) -> list[bytes | None]:
    out: list[bytes | None] = []
    for name in statement.names:
        if name == "items":
            out.append(_stored_lines(cart))
        elif name in _DOCUMENT_SET:
            value = cart[name]
            out.append(None if value is None else _encoder.encode(value))
        elif name == "rendered":
            out.append(stored(rendered))
        elif name == "promo_codes":
            out.append(_array(cart["promo_codes"]))
        elif name == "updated_at":
            out.append(_encoder.encode(cart["updated_at"])[1:-1])  # ISO 8601 (isoformat: ~0.8 us, its tz lookup)
        else:
            value = cart.get(name)
            out.append(None if value is None else str(value).encode())
    return out


_DOCUMENT_SET = frozenset(DOCUMENTS)


async def write_or_read(
    conn: AsyncConnection[Any], cart: dict[str, Any], rendered: bytes | None, *, batch: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """`write`, and when that write lost, the cart as it now is: (written, None), or (None, the cart as `read` gives
    it; None if it is gone). The read is a second round trip, only after a loss: pipelined with every write (as it
    was), it cost PostgreSQL ~0.1-0.2 ms per change that won (its executor start, the row found and filtered out),
    and a worker writes from an unchecked copy only while 3 in 4 of its copies win (flows.cart._Odds)."""
    won = await write(conn, cart, rendered, batch=batch)
    return (won, None) if won is not None else (None, await read(conn, cart["id"]))


def _beside(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None:
        row["customer_seen"] = text = row["customer"]
        row["customer"] = None if text is None else _decode(text)
    return row


async def complete(conn: AsyncConnection[Any], cart_id: str) -> bool:
    """Mark the cart completed (once: False when it already was)."""
    cur = await conn.execute(COMPLETE, (cart_id,))
    return await cur.fetchone() is not None


def exact(row: dict[str, Any]) -> dict[str, Any]:
    """Money in the documents is stored as decimal strings: back to Decimal."""
    for item in row["items"]:
        item["unit_price"] = Decimal(item["unit_price"])
        if item["compare_at_unit_price"] is not None:
            item["compare_at_unit_price"] = Decimal(item["compare_at_unit_price"])
        for a in item["adjustments"]:
            a["amount"] = Decimal(a["amount"])
        for t in item["tax_lines"]:
            t["rate"] = Decimal(t["rate"])
    for m in row["shipping_methods"]:
        m["amount"] = Decimal(m["amount"])
        for t in m["tax_lines"]:
            t["rate"] = Decimal(t["rate"])
    return row
