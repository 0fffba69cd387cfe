"""The cart's conditional write straight through libpq (cart.repository._write_prepared, db.direct): what it
writes reads back exactly (codes that need quoting in a text[] literal, documents, money), a stale version writes
nothing, and a DEALLOCATE ALL on the connection (psycopg sends one after a rollback) does not break the next write."""

import asyncio
import contextlib
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from commerce.cart import repository as carts
from commerce.db import direct


def _cart(cart_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": cart_id,
        "region_id": None,
        "customer_id": None,
        "sales_channel_id": None,
        "email": "ada@example.com",
        "currency_code": "usd",
        "metadata": {"note": "hi"},
        "items": [],
        "shipping_methods": [],
        "promo_codes": [],
        "shipping_address": None,
        "billing_address": None,
        "updated_at": now,
    }


def test_a_write_through_libpq_reads_back_and_survives_deallocate_all(db_url: str) -> None:
    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cart = _cart("cart_libpq_write")
            cart["version"] = (await carts.insert(conn, cart, b'{"id":"cart_libpq_write"'))["version"]
            line = {
                "id": "cali_1",
                "unit_price": Decimal("18.50"),
                "compare_at_unit_price": None,
                "quantity": 2,
                "title": 'Tee "quoted" \\ back',
                "adjustments": [{"id": "caliadj_1", "amount": Decimal("3.7"), "promotion_id": "p"}],
                "tax_lines": [{"id": "calitxl_1", "rate": Decimal("8"), "code": "US"}],
            }
            codes = ["TEN", 'A"B', "C\\D", "E,F", "{G}", ""]
            cart |= {"items": [line], "promo_codes": codes, "email": None, "updated_at": datetime.now(UTC)}
            for _ in range(2):
                written = await carts.write(conn, cart, b'{"id":"cart_libpq_write","v":2')
                assert written is not None and written["version"] == cart["version"] + 1
                assert written["customer"] is None and written["payment_collection_id"] is None
                cart["version"] = written["version"]
                assert conn in carts.WRITE_GUEST_DIRECT.prepared  # written by the libpq path, not psycopg's cursor
                await conn.execute("DEALLOCATE ALL")  # the statement is gone: the next write prepares it again
            stale = {**cart, "version": cart["version"] - 1}
            assert await carts.write(conn, stale, b"{}") is None  # another writer got there first: nothing written
            found = await carts.read(conn, "cart_libpq_write")
            assert found is not None
            assert (found["version"], found["promo_codes"], found["email"]) == (cart["version"], codes, None)
            assert found["items"][0]["title"] == line["title"]
            assert found["items"][0]["unit_price"] == Decimal("18.50")
            assert str(found["items"][0]["adjustments"][0]["amount"]) == "3.7"
            assert found["metadata"] == {"note": "hi"}
            assert found["updated_at"] == cart["updated_at"]
            row = await (
                await conn.execute("SELECT rendered, items FROM cart WHERE id = 'cart_libpq_write'")
            ).fetchone()
            assert row is not None and bytes(row[0]).startswith(b"\x00")  # stored compressed
            assert bytes(row[1]).startswith(b"\x00") and carts.unstored(bytes(row[1])) == carts._encoder.encode(
                found["items"]
            )
            assert carts.unstored(bytes(row[0])) == b'{"id":"cart_libpq_write","v":2'
            found_rendered = await carts.read_rendered(conn, "cart_libpq_write")
            assert found_rendered is not None and found_rendered["rendered"] == b'{"id":"cart_libpq_write","v":2'
            # a rendering stored before they were compressed (JSON) is read as it is
            await conn.execute("UPDATE cart SET rendered = %s WHERE id = 'cart_libpq_write'", (b'{"id":"old"',))
            found_rendered = await carts.read_rendered(conn, "cart_libpq_write")
            assert found_rendered is not None and found_rendered["rendered"] == b'{"id":"old"'

    asyncio.run(work())


def test_a_guests_cart_is_written_without_the_customer_check_only_while_it_has_no_customer(db_url: str) -> None:
    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cart = _cart("cart_guest_write")
            cart["version"] = (await carts.insert(conn, cart, b"{}"))["version"]
            # a customer set on the row behind this writer's back (its version as read): the guest write refuses it
            await conn.execute("UPDATE cart SET customer_id = 'cus_gone' WHERE id = 'cart_guest_write'")
            assert await carts.write(conn, cart, b"{}") is None
            assert conn not in carts.WRITE_DIRECT.prepared
            found = await carts.read(conn, "cart_guest_write")
            assert found is not None and found["customer_id"] == "cus_gone" and found["customer_seen"] is None
            written = await carts.write(conn, found, b"{}")  # a cart with a customer: the full check (none found)
            assert written is not None and written["version"] == found["version"] + 1
            assert conn in carts.WRITE_DIRECT.prepared

    asyncio.run(work())


def test_the_reads_through_libpq_give_what_psycopg_gives(db_url: str) -> None:
    """`read` and `read_rendered` on an idle autocommit connection go through libpq in binary (db.direct); in a
    transaction through psycopg's cursor. Both give the same values of the same types."""

    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cart = _cart("cart_libpq_read") | {"promo_codes": ["TEN", 'A"B'], "region_id": "reg_é"}
            await carts.insert(conn, cart, b'{"id":"cart_libpq_read"')
            line = {"id": "cali_1", "unit_price": Decimal("18.50"), "compare_at_unit_price": Decimal("20"),
                    "quantity": 2, "adjustments": [], "tax_lines": []}  # fmt: skip
            await conn.execute(
                "UPDATE cart SET items = convert_to(%s, 'UTF8'), completed_at = '2026-01-02 03:04:05.678901+00' "
                "WHERE id = %s",  # (lines stored before they were compressed: JSON, read as it is)
                (carts._encoder.encode([line]).decode(), cart["id"]),
            )
            libpq = await carts.read(conn, cart["id"])
            rendered = await carts.read_rendered(conn, cart["id"])
            assert conn in carts.READ_DIRECT.prepared and conn in carts.READ_RENDERED_DIRECT.prepared
            async with conn.transaction():  # not idle: psycopg's cursor
                cursor = await carts.read(conn, cart["id"])
                cursor_rendered = await carts.read_rendered(conn, cart["id"])
            assert libpq is not None and libpq == cursor
            assert {k: type(v) for k, v in libpq.items()} == {k: type(v) for k, v in cursor.items()}
            assert libpq["completed_at"] == datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
            assert libpq["items"][0]["compare_at_unit_price"] == Decimal("20")
            assert (libpq["promo_codes"], libpq["region_id"]) == (["TEN", 'A"B'], "reg_é")
            assert rendered == cursor_rendered and rendered is not None
            assert rendered["rendered"] == b'{"id":"cart_libpq_read"'
            assert await carts.read(conn, "cart_none") is None and await carts.read_rendered(conn, "cart_none") is None

    asyncio.run(work())


def test_a_direct_statement_interrupted_in_flight_leaves_its_connection_usable(db_url: str) -> None:
    """db.direct waits on the event loop itself: a request cancelled while its statement runs cancels the query on
    the server (as psycopg's wait does), so the connection is idle again, not stuck with a result to read."""
    slow = direct.Statement("commerce_test_slow", "SELECT pg_sleep(%(seconds)s::float8), %(tag)s::text")

    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            result = await slow.run(conn, [b"0", b"first"])
            assert result.get_value(0, 1) == b"first"
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await slow.run(conn, [b"5", b"cancelled"])
            assert time.monotonic() - started < 4  # cancelled on the server, not waited out
            assert direct.usable(conn)
            result = await slow.run(conn, [b"0", b"after"])
            assert result.get_value(0, 1) == b"after"
            cur = await conn.execute("SELECT 1")
            assert await cur.fetchone() == (1,)

    asyncio.run(work())


def test_read_newer_reads_a_cart_only_if_it_changed_since_a_version(db_url: str) -> None:
    """A worker's copy at version v is current while the cart is at v (read_newer: None, nothing sent); after
    another writer's change it gets the cart as `read` does; through libpq and through psycopg's cursor alike."""

    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cart = _cart("cart_newer")
            version = (await carts.insert(conn, cart, b'{"id":"cart_newer"'))["version"]
            assert await carts.read_newer(conn, "cart_newer", version) is None
            written = await carts.write(conn, cart | {"version": version, "email": "b@example.com"}, b"{}")
            assert written is not None
            for in_transaction in (False, True):
                async with conn.transaction() if in_transaction else contextlib.nullcontext():
                    newer = await carts.read_newer(conn, "cart_newer", version)
                    assert newer == await carts.read(conn, "cart_newer")
                    assert newer is not None and (newer["version"], newer["email"]) == (version + 1, "b@example.com")
                    assert await carts.read_newer(conn, "cart_newer", version + 1) is None
                    assert await carts.read_newer(conn, "cart_none", 0) is None
            assert conn in carts.READ_NEWER_DIRECT.prepared

    asyncio.run(work())


def test_changes_of_small_carts_stay_hot_updates(db_url: str) -> None:
    """Carts of 1-2 KB changed over and over keep each new version on their page (HOT: no index entry, the old one
    pruned in place): at fillfactor 100 a page had too much free space to be pruned and too little for the next
    version (migrations/0072)."""

    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            ids = [f"cart_hot_{n}" for n in range(24)]
            versions = {}
            for cart_id in ids:
                versions[cart_id] = (await carts.insert(conn, _cart(cart_id), os.urandom(1400)))["version"]

            async def counts() -> tuple[int, int]:
                await conn.execute("SELECT pg_stat_force_next_flush()")
                await conn.execute("SELECT pg_stat_clear_snapshot()")
                cur = await conn.execute(
                    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'cart'"
                )
                row = await cur.fetchone()
                assert row is not None
                return int(row[0]), int(row[1])

            before = await counts()
            for _ in range(20):
                for cart_id in ids:
                    cart = {**_cart(cart_id), "version": versions[cart_id]}
                    written = await carts.write(conn, cart, os.urandom(1000 + len(cart_id) * 20))
                    assert written is not None
                    versions[cart_id] = written["version"]
            updates, hot = (b - a for a, b in zip(before, await counts(), strict=True))
            assert updates == 20 * len(ids)
            assert hot >= 0.95 * updates, f"{hot} of {updates} updates were HOT"

    asyncio.run(work())
