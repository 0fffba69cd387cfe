"""A bulk product import turns the product tables' triggers off where the role may (commerce.db.triggers) and does
their work itself: the rows refer to each other as the foreign keys require, each published product has the
document the triggers' render makes, and workers hear of it. A role that may not turn them off imports the same
rows with the triggers on."""

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from commerce.flows import product_import
from commerce.ids import new_ids
from commerce.product.csv_format import read_rows
from tests.conftest import run_async

HEADER = ["Product Handle", "Product Title", "Product Status", "Variant Title", "Variant Sku", "Variant Price USD"]
# Every foreign key an import's rows carry between themselves: (child table, its column, parent table).
REFERENCES = (
    ("product_variant", "product_id", "product"),
    ("product_option", "product_id", "product"),
    ("product_option_value", "option_id", "product_option"),
    ("product_variant_option", "variant_id", "product_variant"),
    ("product_variant_option", "option_value_id", "product_option_value"),
    ("product_variant_price_set", "price_set_id", "price_set"),
    ("price", "price_set_id", "price_set"),
    ("product_variant_inventory_item", "variant_id", "product_variant"),
    ("product_variant_inventory_item", "inventory_item_id", "inventory_item"),
)


def import_file(url: str, tag: str, products: int, role: str | None = None) -> list[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for n in range(products):
        status = "draft" if n % 4 == 3 else "published"
        for size in ("S", "M"):
            writer.writerow([f"{tag}-{n}", f"Bulk {tag} {n}", status, size, f"{tag}-{n}-{size}", f"{n + 1}.50"])
    records = list(read_rows(io.StringIO(out.getvalue())))

    async def work(conn: psycopg.AsyncConnection[Any]) -> list[str]:
        if role:
            await conn.execute(f'SET ROLE "{role}"')
        return (await product_import.import_products(conn, records)).product_ids

    return run_async(url, work)


@pytest.fixture
def listener(db_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("LISTEN commerce_catalog")
        conn.execute("LISTEN commerce_changes")
        yield conn


def heard(conn: psycopg.Connection[Any]) -> set[tuple[str, str]]:
    return {(n.channel, n.payload) for n in conn.notifies(timeout=1.0)}


def check_written(url: str, product_ids: list[str]) -> None:
    with psycopg.connect(url) as conn:
        for child, column, parent in REFERENCES:
            orphans = conn.execute(
                f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
            ).fetchone()
            assert orphans == (0,), (child, column)
        published = conn.execute(
            "SELECT array_agg(id ORDER BY id) FROM product WHERE id = ANY(%s) AND status = 'published'", (product_ids,)
        ).fetchone()
        documents = conn.execute(
            "SELECT array_agg(id ORDER BY id), array_agg(document ORDER BY id) FROM catalog_product WHERE id = ANY(%s)",
            (product_ids,),
        ).fetchone()
        assert documents is not None and published is not None
        assert documents[0] == published[0]
        # The same bytes as the render a trigger-on writer gets at commit.
        conn.execute("SELECT catalog_render(%s)", (product_ids,))
        again = conn.execute(
            "SELECT array_agg(document ORDER BY id) FROM catalog_product WHERE id = ANY(%s)", (product_ids,)
        ).fetchone()
        assert again == (documents[1],)
        conn.rollback()
        items = conn.execute(
            "SELECT count(*) FROM product_variant v JOIN product_variant_inventory_item l ON l.variant_id = v.id"
            " WHERE v.product_id = ANY(%s)",
            (product_ids,),
        ).fetchone()
        assert items == (2 * len(product_ids),)


def test_import_with_triggers_off_renders_and_notifies(db_url: str, listener: psycopg.Connection[Any]) -> None:
    ids = import_file(db_url, f"bulk-{uuid.uuid4().hex[:6]}", 12)
    assert len(ids) == 12
    check_written(db_url, ids)
    got = heard(listener)
    assert {("commerce_changes", "product"), ("commerce_changes", "price")} <= got
    assert any(channel == "commerce_catalog" and ids[0] in payload.split(",") for channel, payload in got)


def test_a_role_that_may_not_turn_triggers_off_imports_the_same(db_url: str, listener: psycopg.Connection[Any]) -> None:
    role = f"commerce_t_importer_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" NOSUPERUSER')
        admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        admin.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    try:
        ids = import_file(db_url, f"role-{uuid.uuid4().hex[:6]}", 5, role=role)
        check_written(db_url, ids)
        assert any(
            channel == "commerce_catalog" and ids[0] in payload.split(",") for channel, payload in heard(listener)
        )
    finally:
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


def test_new_ids_are_ulids_of_this_millisecond_in_the_order_made() -> None:
    from ulid import ULID

    ids = new_ids("variant", 5000)
    assert len(set(ids)) == 5000
    assert ids == sorted(ids)  # rows of one transaction share created_at: lists order them by id
    one_by_one = [new_ids("variant", 1)[0] for _ in range(2000)]  # many in one millisecond
    assert one_by_one == sorted(one_by_one) and one_by_one[0] > ids[-1]
    stamps = {ULID.from_str(i.removeprefix("variant_")).milliseconds for i in ids}
    assert len(stamps) == 1
    assert all(str(ULID.from_str(i[8:])) == i[8:] for i in ids)
    assert new_ids("x", 0) == []


def test_an_import_in_several_chunks_keeps_the_files_order(
    db_url: str, listener: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk k+1 is built while chunk k is written: every chunk's rows are right, the products keep the file's order
    across chunks, and a variant whose SKU names a live inventory item is linked to it."""
    tag = f"chunks-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        item = conn.execute(
            "INSERT INTO inventory_item (id, sku) VALUES (%s, %s) RETURNING id", (new_ids("iitem", 1)[0], f"{tag}-4-M")
        ).fetchone()
    assert item is not None
    monkeypatch.setattr(product_import, "CHUNK", 3)
    ids = import_file(db_url, tag, 8)
    check_written(db_url, ids)
    with psycopg.connect(db_url) as conn:
        handles = conn.execute(
            "SELECT array_agg(handle ORDER BY created_at, id) FROM product WHERE id = ANY(%s)", (ids,)
        ).fetchone()
        assert handles == ([f"{tag}-{n}" for n in range(8)],)
        linked = conn.execute(
            "SELECT l.inventory_item_id FROM product_variant v JOIN product_variant_inventory_item l"
            " ON l.variant_id = v.id WHERE v.sku = %s",
            (f"{tag}-4-M",),
        ).fetchall()
        assert linked == [(item[0],)]


def test_a_failed_chunk_writes_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails after the first chunks went in (the thread building the next one) leaves nothing."""
    tag = f"fail-{uuid.uuid4().hex[:6]}"
    send = product_import._send
    sent: list[int] = []

    async def failing(conn: psycopg.AsyncConnection[Any], chunk: Any) -> None:
        if sent:
            raise RuntimeError("the connection broke")
        sent.append(1)
        await send(conn, chunk)

    monkeypatch.setattr(product_import, "CHUNK", 2)
    monkeypatch.setattr(product_import, "_send", failing)
    with pytest.raises(RuntimeError, match="the connection broke"):
        import_file(db_url, tag, 6)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM product WHERE handle LIKE %s", (f"{tag}-%",)).fetchone() == (0,)
