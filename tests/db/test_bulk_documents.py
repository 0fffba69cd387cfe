"""A bulk import writes its products' documents itself (commerce.product.bulk_documents): byte for byte what
catalog_render makes from the same rows, every column of catalog_product; products it could get wrong (text that
lower() or the collation may treat otherwise, floats PostgreSQL prints with an exponent) are left to catalog_render.
"""

import csv
import io
import uuid
from typing import Any

import psycopg
import pytest

from commerce import sales_channel
from commerce.catalog import source as catalog_source
from commerce.flows import product_import
from commerce.product import bulk_documents, taxonomy
from commerce.product.csv_format import read_rows
from commerce.product.schemas import CreateCategory, CreateCollection, CreateValue
from commerce.sales_channel.schemas import CreateSalesChannel
from tests.conftest import run_async

HEADER = [
    "Product Handle",
    "Product Title",
    "Product Subtitle",
    "Product Description",
    "Product Status",
    "Product Thumbnail",
    "Product Weight",
    "Product Length",
    "Product Collection Id",
    "Product Type Id",
    "Product Discountable",
    "Product Tag 1",
    "Product Tag 2",
    "Product Tag 3",
    "Product Category 1",
    "Product Category 2",
    "Product Sales Channel 1",
    "Product Sales Channel 2",
    "Product Image 1",
    "Product Image 2",
    "Variant Title",
    "Variant Sku",
    "Variant Barcode",
    "Variant Ean",
    "Variant Allow Backorder",
    "Variant Manage Inventory",
    "Variant Weight",
    "Variant Height",
    "Variant Material",
    "Variant Price USD",
    "Variant Price EUR",
    "Variant Option 1 Name",
    "Variant Option 1 Value",
    "Variant Option 2 Name",
    "Variant Option 2 Value",
]


def _references(url: str, tag: str) -> dict[str, Any]:
    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        async with conn.transaction():
            top = await taxonomy.create_category(conn, CreateCategory(name=f"Top {tag}", is_active=True))
            cats = [
                await taxonomy.create_category(
                    conn, CreateCategory(name=f"{name} {tag}", is_active=True, parent_category_id=top)
                )
                for name in ("Zed", "Alpha")
            ]
            tags = []
            for value in ("zeta", "alpha", "Beta"):
                made = await taxonomy.create_value(conn, "product_tag", CreateValue(value=f"{value}-{tag}"))
                tags.append(made["value"])
            collection = await taxonomy.create_collection(conn, CreateCollection(title=f"Coll {tag}"))
            kind = await taxonomy.create_value(conn, "product_type", CreateValue(value=f"Kind {tag}"))
            channels = [
                (await sales_channel.service.create(conn, CreateSalesChannel(name=f"{n} {tag}"))).id for n in "AB"
            ]
        return {"cats": cats, "tags": tags, "collection": collection["id"], "type": kind["id"], "channels": channels}

    return run_async(url, work)


def _row(**cells: str) -> list[str]:
    return [cells.get(h, "") for h in HEADER]


def _file(tag: str, refs: dict[str, Any]) -> list[list[str]]:
    full = {
        "Product Subtitle": 'Sub "quoted" \\ back\tslash',
        "Product Description": "Line one\nline two, \x01 control",
        "Product Status": "published",
        "Product Thumbnail": "https://img.example/x.png",
        "Product Weight": "1.5",
        "Product Length": "1234567.125",
        "Product Collection Id": refs["collection"],
        "Product Type Id": refs["type"],
        "Product Discountable": "FALSE",
        "Product Tag 1": refs["tags"][0],
        "Product Tag 2": refs["tags"][1],
        "Product Tag 3": refs["tags"][2],
        "Product Category 1": refs["cats"][0],
        "Product Category 2": refs["cats"][1],
        "Product Sales Channel 1": refs["channels"][1],
        "Product Sales Channel 2": refs["channels"][0],
        "Product Image 1": "https://img.example/1.png",
        "Product Image 2": "https://img.example/0.png",
        "Variant Option 1 Name": "Size",
        "Variant Option 2 Name": "Colour",
    }
    rows = [HEADER]
    for n, (size, colour, weight) in enumerate((("S", "Red", "0.1"), ("M", "Blue", "2"), ("L", "Ash", ""))):
        rows.append(
            _row(
                **full,
                **{
                    "Product Handle": f"full-{tag}",
                    "Product Title": f"Full {tag}",
                    "Variant Title": f"{size} / {colour}",
                    "Variant Sku": f"FULL-{tag}-{n}",
                    "Variant Barcode": f"BC{tag}{n}" if n != 1 else "",
                    "Variant Ean": f"EAN{tag}{n}" if n == 2 else "",
                    "Variant Allow Backorder": "TRUE" if n == 0 else "FALSE",
                    "Variant Manage Inventory": "FALSE" if n == 2 else "TRUE",
                    "Variant Weight": weight,
                    "Variant Height": "3.25",
                    "Variant Material": "Wool",
                    "Variant Price USD": f"{n + 10}.50",
                    "Variant Price EUR": "9",
                    "Variant Option 1 Value": size,
                    "Variant Option 2 Value": colour,
                },
            )
        )
    plain = {"Product Status": "published", "Variant Price USD": "5", "Variant Option 1 Name": "Size"}
    for handle, title, extra in (
        (f"plain-{tag}", f"Plain {tag}", {}),
        (f"accent-{tag}", f"Café Crème {tag}", {}),  # not ASCII: lower() is the database's
        (f"huge-{tag}", f"Huge {tag}", {"Product Weight": "1e20"}),  # PostgreSQL writes 1e+20
        (f"draft-{tag}", f"Draft {tag}", {"Product Status": "draft"}),
    ):
        for size in ("S", "M"):
            cells = {
                **plain,
                **extra,
                "Product Handle": handle,
                "Product Title": title,
                "Variant Title": size,
                "Variant Sku": f"{handle}-{size}",
                "Variant Option 1 Value": size,
            }
            rows.append(_row(**cells))
    bare = {"Product Handle": f"bare-{tag}", "Product Title": f"Bare {tag}", "Product Status": "published"}
    rows.append(_row(**bare))
    return rows


def _records(rows: list[list[str]]) -> list[list[str]]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return list(read_rows(io.StringIO(out.getvalue())))


COLUMNS = ", ".join(bulk_documents.DOCUMENT_COLUMNS)


def test_documents_are_the_sql_render_s_bytes(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = uuid.uuid4().hex[:6]
    refs = _references(db_url, tag)
    left: list[str] = []
    sql_render = catalog_source.render

    async def spy(conn: psycopg.AsyncConnection[Any], ids: list[str]) -> None:
        left.extend(ids)
        await sql_render(conn, ids)

    monkeypatch.setattr(catalog_source, "render", spy)
    records = _records(_file(tag, refs))

    async def work(conn: psycopg.AsyncConnection[Any]) -> list[str]:
        return (await product_import.import_products(conn, records)).product_ids

    ids = run_async(db_url, work)
    with psycopg.connect(db_url) as conn:
        by_handle = dict(conn.execute("SELECT handle, id FROM product WHERE id = ANY(%s)", (ids,)).fetchall())
        # Made here: every ASCII product; left to the SQL render: the accented title, the float with an exponent.
        assert sorted(left) == sorted([by_handle[f"accent-{tag}"], by_handle[f"huge-{tag}"]])
        query = f"SELECT {COLUMNS} FROM catalog_product WHERE id = ANY(%s) ORDER BY id"
        mine = conn.execute(query, (ids,)).fetchall()
        published = {by_handle[h] for h in by_handle if not h.startswith("draft-")}
        assert {r[0] for r in mine} == published
        searched = conn.execute("SELECT count(*) FROM catalog_search WHERE id = ANY(%s)", (ids,)).fetchone()
        assert searched == (len(published),)
        conn.execute("SELECT catalog_render(%s)", (ids,))
        theirs = conn.execute(query, (ids,)).fetchall()
        conn.rollback()
    assert len(mine) == len(theirs) == 5
    for a, b in zip(mine, theirs, strict=True):
        for name, x, y in zip(bulk_documents.DOCUMENT_COLUMNS, a, b, strict=True):
            assert x == y, (a[0], name)
    full = next(r for r in mine if r[0] == by_handle[f"full-{tag}"])
    assert '"weight" : 1.5' in full[-1] and '"length" : 1234567.125' in full[-1]
    assert len(full[5]) == 2 and len(full[6]) == 2 and len(full[7]) == 3


def test_demo_seed_documents_are_the_sql_render_s(db_url: str) -> None:
    """The demo catalog (drafts with their ids, written by the seed) the same way."""
    from commerce.flows import setup

    async def work(conn: psycopg.AsyncConnection[Any]) -> None:
        if not await setup.is_seeded(conn):
            await setup.seed_demo(conn, public_url="http://demo.test", products=30)

    run_async(db_url, work)
    with psycopg.connect(db_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM product WHERE title LIKE '% % % %' ORDER BY id").fetchall()]
        query = f"SELECT {COLUMNS} FROM catalog_product WHERE id = ANY(%s) ORDER BY id"
        mine = conn.execute(query, (ids,)).fetchall()
        conn.execute("SELECT catalog_render(%s)", (ids,))
        theirs = conn.execute(query, (ids,)).fetchall()
        conn.rollback()
    assert len(mine) >= 30
    assert mine == theirs


def test_under_another_collation_only_what_sorts_the_same_is_made_here() -> None:
    """Text ordering is the collation's: outside C, lists of ids from commerce.ids (one prefix) still sort as their
    bytes do; anything else is left to the SQL render. lower() outside ASCII is the ctype's: left too."""
    from datetime import UTC, datetime

    from commerce.ids import new_ids

    renderer = bulk_documents.Renderer(now=datetime.now(UTC), c_order=False, ascii_lower=True)
    ids = new_ids("sc", 3)
    assert renderer._ids(reversed(ids)) == sorted(ids)
    with pytest.raises(bulk_documents.Inexact):
        renderer._ids(["sc_b", "sc_A"])
    assert renderer._ids(["anything"]) == ["anything"]
    assert renderer._lower("Linen SHIRT") == "linen shirt"
    with pytest.raises(bulk_documents.Inexact):
        renderer._lower("Café")
