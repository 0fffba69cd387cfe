"""customer.repository.store_json: the answer PostgreSQL renders for GET /store/customers/me is the same bytes
through libpq (db.direct, an idle autocommit connection) and through psycopg (inside a transaction, or behind a
pooler), and None for a customer that is deleted or unknown."""

import asyncio
import json

import psycopg

from commerce.customer import repository as customers
from commerce.db import direct


def test_both_paths_render_the_same_bytes(db_url: str) -> None:
    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute(
                "INSERT INTO customer (id, email, first_name, phone, has_account, metadata, created_at, updated_at) "
                "VALUES ('cus_sj', 'sj@example.com', 'Zoë \"Q\"', E'+1\\n2', true, '{\"a\": [1, 2.50, null]}', "
                "'2026-01-02 03:04:05+00', '2026-01-02 03:04:05.12+00')"
            )
            for n, (billing, shipping) in enumerate([(False, True), (True, False), (False, False)]):
                await conn.execute(
                    "INSERT INTO customer_address (id, customer_id, address_name, is_default_billing, "
                    "is_default_shipping, city, created_at) VALUES (%s, 'cus_sj', %s, %s, %s, 'Zürich', %s)",
                    (f"cuaddr_{n}", f"A{n}", billing, shipping, f"2026-01-0{3 - n} 00:00:00+00"),
                )
            assert direct.usable(conn)
            fast = await customers.store_json(conn, "cus_sj")
            assert conn in customers.STORE_JSON_DIRECT.prepared  # through libpq
            async with conn.transaction():
                assert not direct.usable(conn)
                slow = await customers.store_json(conn, "cus_sj")
            assert fast is not None and fast == slow
            customer = json.loads(fast)["customer"]
            assert customer["created_at"] == "2026-01-02T03:04:05Z"
            assert customer["updated_at"] == "2026-01-02T03:04:05.120000Z"
            assert [a["id"] for a in customer["addresses"]] == ["cuaddr_2", "cuaddr_1", "cuaddr_0"]  # oldest first
            assert customer["default_billing_address_id"] == "cuaddr_1"
            assert customer["default_shipping_address_id"] == "cuaddr_0"
            assert customer["metadata"] == {"a": [1, 2.5, None]} and customer["first_name"] == 'Zoë "Q"'
            await conn.execute("UPDATE customer SET deleted_at = now() WHERE id = 'cus_sj'")
            assert await customers.store_json(conn, "cus_sj") is None
            assert await customers.store_json(conn, "cus_unknown") is None

    asyncio.run(work())
