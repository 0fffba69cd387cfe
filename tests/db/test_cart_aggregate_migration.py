"""Migration 0030 turns the carts there into one row each: a cart written by the old tables (lines, adjustments,
tax lines, shipping method, codes, addresses) reads back through the cart repository with every value kept."""

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from commerce.cart import service as carts
from commerce.db.migrate import migrate, migrations_dir
from tests.conftest import with_dbname

AGGREGATE = "0030_cart_aggregate.sql"

OLD_CART = """
INSERT INTO cart_address (id, country_code, province, city, first_name, postal_code, created_at, updated_at)
VALUES ('caaddr_1', 'us', 'us-ca', 'Oakland', 'Ada', '94607', '2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:05Z');
INSERT INTO cart (id, region_id, email, currency_code, shipping_address_id, billing_address_id, metadata)
VALUES ('cart_1', 'reg_1', 'ada@example.com', 'usd', 'caaddr_1', 'caaddr_1', '{"note": "hi"}');
INSERT INTO cart (id, currency_code) VALUES ('cart_empty', 'eur');
INSERT INTO cart_line_item (id, cart_id, title, quantity, variant_id, product_id, unit_price, compare_at_unit_price,
                            variant_option_values, created_at)
VALUES ('cali_1', 'cart_1', 'Mug', 2, 'variant_1', 'prod_1', 10.50, 12, '{"Size": "L"}', '2026-01-01T00:00:00Z'),
       ('cali_2', 'cart_1', 'Pen', 1, 'variant_2', 'prod_2', 3, NULL, NULL, '2026-01-01T00:00:01Z');
INSERT INTO cart_line_item (id, cart_id, title, quantity, unit_price, deleted_at)
VALUES ('cali_gone', 'cart_1', 'Gone', 1, 1, now());
INSERT INTO cart_line_item_adjustment (id, cart_id, item_id, amount, code, promotion_id, is_tax_inclusive)
VALUES ('caliadj_1', 'cart_1', 'cali_1', 2.10, 'TEN', 'promo_1', false);
INSERT INTO cart_line_item_tax_line (id, cart_id, item_id, rate, code, name, tax_rate_id, provider_id)
VALUES ('calitxl_1', 'cart_1', 'cali_1', 7.25, 'CA', 'California', 'txr_1', 'tp_system');
INSERT INTO cart_shipping_method (id, cart_id, shipping_option_id, name, amount, data, tax_lines)
VALUES ('casm_1', 'cart_1', 'so_1', 'Standard', 9.99, '{"speed": "slow"}',
        '[{"rate": "7.25", "code": "CA", "name": "California", "tax_rate_id": "txr_1", "provider_id": "tp_system"}]');
INSERT INTO cart_promotion (cart_id, code) VALUES ('cart_1', 'TEN');
"""


@pytest.fixture
def old_db(server_url: str, tmp_path: Path) -> Iterator[str]:
    """A database migrated up to just before 0030, with carts written the old way."""
    name = f"commerce_m_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_dbname(server_url, name)
    for path in sorted(migrations_dir().glob("*.sql")):
        if path.name < AGGREGATE:
            shutil.copy(path, tmp_path / path.name)
    migrate(url, tmp_path)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(OLD_CART)
    yield url
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_carts_there_become_one_row_each(old_db: str) -> None:
    assert AGGREGATE[:-4] in migrate(old_db)

    async def read(cart_id: str) -> dict:  # type: ignore[type-arg]
        async with await psycopg.AsyncConnection.connect(old_db, autocommit=True) as conn:
            found = await carts.read(conn, cart_id)
        assert found is not None
        return found

    cart = asyncio.run(read("cart_1"))
    assert (cart["email"], cart["metadata"], cart["promo_codes"], cart["version"]) == (
        "ada@example.com",
        {"note": "hi"},
        ["TEN"],
        0,
    )
    assert [i["id"] for i in cart["items"]] == ["cali_1", "cali_2"]  # the deleted line is not carried over
    mug, pen = cart["items"]
    assert (mug["quantity"], mug["unit_price"], mug["compare_at_unit_price"]) == (2, Decimal("10.50"), Decimal(12))
    assert (pen["unit_price"], pen["compare_at_unit_price"], pen["adjustments"], pen["tax_lines"]) == (
        Decimal(3),
        None,
        [],
        [],
    )
    assert mug["variant_option_values"] == {"Size": "L"} and mug["created_at"] == "2026-01-01T00:00:00.000000Z"
    assert mug["adjustments"] == [
        {
            "id": "caliadj_1",
            "item_id": "cali_1",
            "amount": Decimal("2.10"),
            "code": "TEN",
            "promotion_id": "promo_1",
            "is_tax_inclusive": False,
        }
    ]
    assert [(t["id"], t["rate"], t["name"]) for t in mug["tax_lines"]] == [("calitxl_1", Decimal("7.25"), "California")]
    (method,) = cart["shipping_methods"]
    assert (method["amount"], method["data"], method["tax_lines"][0]["rate"]) == (
        Decimal("9.99"),
        {"speed": "slow"},
        Decimal("7.25"),
    )
    address = cart["shipping_address"]
    assert (address["id"], address["city"], address["province"]) == ("caaddr_1", "Oakland", "us-ca")
    assert cart["billing_address"] == address
    empty = asyncio.run(read("cart_empty"))
    assert (empty["items"], empty["shipping_methods"], empty["promo_codes"], empty["shipping_address"]) == (
        [],
        [],
        [],
        None,
    )
    with psycopg.connect(old_db) as conn:
        left = conn.execute("SELECT to_regclass('cart_line_item'), to_regclass('cart_address')").fetchone()
    assert left == (None, None)
