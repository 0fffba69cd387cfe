"""Product CSV import and export (Medusa v2's format): what an import writes is what the admin API shows, a bad file
is refused with row/column errors and writes nothing, export -> import -> export gives the same file, and the CLI."""

import csv
import io
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from commerce.db.connect import with_dbname
from commerce.flows import product_import, setup
from commerce.product import taxonomy
from commerce.product.csv_format import CsvInvalid, read_rows
from commerce.product.schemas import CreateCategory, CreateCollection, CreateValue
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BIN, Server, eventually, run_async

# Tables whose rows the products refer to: a second database gets the same rows, so the same file imports there.
REFERENCE_TABLES = ("sales_channel", "product_collection", "product_type", "product_tag", "product_category")
HEADER = [
    "Product Handle",
    "Product Title",
    "Product Status",
    "Product Description",
    "Product Collection Id",
    "Product Type Id",
    "Product Tag 1",
    "Product Tag 2",
    "Product Category 1",
    "Product Sales Channel 1",
    "Product Image 1",
    "Variant Title",
    "Variant SKU",  # Medusa's sample spells it so; headers match without regard to case
    "Variant Manage Inventory",
    "Variant Allow Backorder",
    "Variant Price USD",
    "Variant Price EUR",
    "Variant Option 1 Name",
    "Variant Option 1 Value",
    "Variant Option 2 Name",
    "Variant Option 2 Value",
]


@pytest.fixture(scope="module")
def refs(db_url: str, seeded: dict[str, str]) -> dict[str, str]:
    async def work(conn: Any) -> dict[str, str]:
        cur = await conn.execute("SELECT id FROM sales_channel WHERE deleted_at IS NULL ORDER BY created_at LIMIT 1")
        channel = (await cur.fetchone())[0]
        return {
            "channel": channel,
            "category": await taxonomy.create_category(conn, CreateCategory(name="Shirts", is_active=True)),
            "collection": (await taxonomy.create_collection(conn, CreateCollection(title="Summer")))["id"],
            "type": (await taxonomy.create_value(conn, "product_type", CreateValue(value="Shirt")))["id"],
            "tag": (await taxonomy.create_value(conn, "product_tag", CreateValue(value="new")))["id"],
            "tag2": (await taxonomy.create_value(conn, "product_tag", CreateValue(value="sale")))["id"],
        }

    return run_async(db_url, work)


def csv_text(rows: list[list[Any]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def good_rows(refs: dict[str, str]) -> list[list[Any]]:
    shirt = ["csv-shirt", "CSV Shirt", "published", "A shirt, with a comma", refs["collection"], refs["type"]]
    shirt += ["new", "sale", refs["category"], refs["channel"], "https://img.test/shirt.png"]
    rows = []
    for size in ("S", "M"):
        for colour in ("Black", "White"):
            price = "20.50" if size == "S" else "22"
            variant = [f"{size} / {colour}", f"CSV-SHIRT-{size}-{colour}", "TRUE", "FALSE", price, "18.90"]
            rows.append([*shirt, *variant, "Size", size, "Color", colour])
    mug = ["csv-mug", "CSV Mug", "draft", "", "", "", "", "", "", refs["channel"], ""]
    rows.append([*mug, "Default", "CSV-MUG", "false", "true", "9.99", "", "", "", "", ""])
    return rows


def do_import(url: str, text: str) -> product_import.ImportResult:
    records = list(read_rows(io.StringIO(text)))
    return run_async(url, lambda conn: product_import.import_products(conn, records))


def do_export(url: str) -> str:
    out = io.StringIO()
    run_async(url, lambda conn: product_import.export_products(conn, out))
    return out.getvalue()


def product_count(admin: httpx.Client) -> int:
    r = admin.get("/admin/products", params={"limit": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["count"])


def test_import_then_read_back(admin: httpx.Client, db_url: str, refs: dict[str, str]) -> None:
    result = do_import(db_url, csv_text(good_rows(refs)))
    assert (result.products, result.variants) == (2, 5)

    r = admin.get(
        "/admin/products",
        params={"handle": "csv-shirt", "fields": "*variants.prices,*variants.options,*categories,*sales_channels"},
    )
    assert r.status_code == 200, r.text
    (shirt,) = r.json()["products"]
    assert (shirt["title"], shirt["status"], shirt["description"]) == (
        "CSV Shirt",
        "published",
        "A shirt, with a comma",
    )
    assert (shirt["collection_id"], shirt["type_id"]) == (refs["collection"], refs["type"])
    assert sorted(t["id"] for t in shirt["tags"]) == sorted([refs["tag"], refs["tag2"]])
    assert [c["id"] for c in shirt["categories"]] == [refs["category"]]
    assert [c["id"] for c in shirt["sales_channels"]] == [refs["channel"]]
    assert [i["url"] for i in shirt["images"]] == ["https://img.test/shirt.png"]
    assert [(o["title"], sorted(v["value"] for v in o["values"])) for o in shirt["options"]] == [
        ("Size", ["M", "S"]),
        ("Color", ["Black", "White"]),
    ]
    variants = {v["sku"]: v for v in shirt["variants"]}
    assert list(variants) == ["CSV-SHIRT-S-Black", "CSV-SHIRT-S-White", "CSV-SHIRT-M-Black", "CSV-SHIRT-M-White"]
    small = variants["CSV-SHIRT-S-White"]
    assert (small["title"], small["manage_inventory"], small["allow_backorder"]) == ("S / White", True, False)
    assert sorted(v["value"] for v in small["options"]) == ["S", "White"]
    assert {p["currency_code"]: p["amount"] for p in small["prices"]} == {"usd": 20.5, "eur": 18.9}
    assert {p["currency_code"]: p["amount"] for p in variants["CSV-SHIRT-M-Black"]["prices"]} == {
        "usd": 22,
        "eur": 18.9,
    }

    r = admin.get("/admin/products", params={"handle": "csv-mug", "fields": "*variants.prices"})
    (mug,) = r.json()["products"]
    assert (mug["status"], mug["options"], mug["collection_id"]) == ("draft", [], None)
    (cup,) = mug["variants"]
    assert (cup["manage_inventory"], cup["allow_backorder"]) == (False, True)
    assert [(p["currency_code"], p["amount"]) for p in cup["prices"]] == [("usd", 9.99)]

    # A variant that manages inventory got its inventory item, as the admin API makes one.
    r = admin.get("/admin/inventory-items", params={"sku": "CSV-SHIRT-S-White"})
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 1
    assert admin.get("/admin/inventory-items", params={"sku": "CSV-MUG"}).json()["count"] == 0


def test_bad_file_names_rows_and_columns_and_writes_nothing(
    admin: httpx.Client, db_url: str, refs: dict[str, str]
) -> None:
    before = product_count(admin)
    rows = good_rows(refs)
    hat = [f"csv-hat-{uuid.uuid4().hex[:6]}", "Hat", "published", "", "", "", "", "", "", refs["channel"], ""]
    rows = [
        # row 2: a fine new product, and it must not be written either
        [*hat, "One", "HAT-1", "", "", "5", "", "Size", "One", "", ""],
        # row 3: unknown status
        ["csv-bad-status", "Bad", "live", "", "", "", "", "", "", "", "", "V", "", "", "", "1", "", "", "", "", ""],
        # row 4: negative price
        ["csv-neg", "Neg", "draft", "", "", "", "", "", "", "", "", "V", "", "", "", "-1", "", "", "", "", ""],
        # row 5: a handle the database holds already
        rows[0],
        # rows 6, 7: the second variant lacks its product's option
        ["csv-opt", "Opt", "draft", "", "", "", "", "", "", "", "", "A", "", "", "", "1", "", "Size", "S", "", ""],
        ["csv-opt", "Opt", "draft", "", "", "", "", "", "", "", "", "B", "", "", "", "1", "", "", "", "", ""],
        # row 8: an unknown tag and a missing category
        [
            "csv-ref",
            "Ref",
            "draft",
            "",
            "",
            "",
            "nope",
            "",
            "pcat_missing",
            "",
            "",
            "V",
            "",
            "",
            "",
            "1",
            "",
            "",
            "",
            "",
            "",
        ],
        # row 9: not a boolean
        ["csv-bool", "Bool", "draft", "", "", "", "", "", "", "", "", "V", "", "maybe", "", "1", "", "", "", "", ""],
    ]
    with pytest.raises(CsvInvalid) as caught:
        do_import(db_url, csv_text(rows))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {
        (3, "Product Status"),
        (4, "Variant Price USD"),
        (5, "Product Handle"),
        (5, "Variant Sku"),
        (7, "Variant Option 1 Name"),
        (8, "Product Tag 1"),
        (8, "Product Category 1"),
        (9, "Variant Manage Inventory"),
    }, caught.value.errors
    messages = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "live" in messages[3, "Product Status"]
    assert "greater than or equal to 0" in messages[4, "Variant Price USD"]
    assert "csv-shirt" in messages[5, "Product Handle"]
    assert '"Size"' in messages[7, "Variant Option 1 Name"]
    assert 'Row 3, column "Product Status"' in str(caught.value)
    assert product_count(admin) == before
    assert admin.get("/admin/products", params={"handle": hat[0]}).json()["count"] == 0

    # Header problems are row 1.
    with pytest.raises(CsvInvalid) as caught:
        do_import(db_url, csv_text([["x", "X"]], header=["Product Handle", "Product Title", "Product Colour"]))
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "Product Colour")]
    assert product_count(admin) == before


@contextmanager
def fresh_database(server_url: str, template_db: str) -> Iterator[str]:
    name = f"commerce_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    try:
        yield with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_references(source: str, target: str) -> None:
    with psycopg.connect(source) as src, psycopg.connect(target) as dst:
        for table in REFERENCE_TABLES:
            with (
                src.cursor().copy(f"COPY {table} TO STDOUT") as out,
                dst.cursor().copy(f"COPY {table} FROM STDIN") as into,
            ):
                for data in out:
                    into.write(data)


def test_export_import_round_trip_and_cli(
    db_url: str, server_url: str, template_db: str, refs: dict[str, str], tmp_path: Path
) -> None:
    first = do_export(db_url)
    header, *rows = list(read_rows(io.StringIO(first)))
    assert header[:3] == ["Product Id", "Product Handle", "Product Title"]
    assert {
        "Product Tag 1",
        "Product Tag 2",
        "Variant Price EUR",
        "Variant Price USD",
        "Variant Option 2 Value",
    } <= set(header)
    assert len(rows) == 5  # one per variant

    with fresh_database(server_url, template_db) as other:
        copy_references(db_url, other)
        result = do_import(other, first)
        assert (result.products, result.variants) == (2, 5)
        assert do_export(other) == first

        # The CLI exports the same file, and refuses to import it again (the products exist) writing nothing.
        env = {**os.environ, "DATABASE_URL": other}
        out = tmp_path / "export.csv"
        done = subprocess.run(
            [str(BIN / "commerce"), "export", str(out)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert out.read_text() == first
        again = subprocess.run(
            [str(BIN / "commerce"), "import", "-q", str(out)], env=env, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 1
        assert 'Row 2, column "Product Id"' in again.stderr and "nothing was written" in again.stderr

    with fresh_database(server_url, template_db) as third:
        copy_references(db_url, third)
        path = tmp_path / "import.csv"
        path.write_text(first)
        done = subprocess.run(
            [str(BIN / "commerce"), "import", str(path)],
            env={**os.environ, "DATABASE_URL": third},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "imported 2 products, 5 variants" in done.stdout
        assert do_export(third) == first


# --- over HTTP: POST /admin/products/import (+ confirm), POST /admin/products/export ------------------------------


def upload(admin: httpx.Client, text: str) -> httpx.Response:
    return admin.post("/admin/products/import", files={"file": ("products.csv", text.encode(), "text/csv")})


def test_admin_import_refuses_a_bad_file_with_rows_and_columns(admin: httpx.Client, refs: dict[str, str]) -> None:
    before = product_count(admin)
    bad = ["csv-http-bad", "Bad", "live", "", "", "", "", "", "", "", "", "V", "", "", "", "-1", "", "", "", "", ""]
    r = upload(admin, csv_text([bad]))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == "invalid_data"
    assert 'Row 2, column "Product Status"' in body["message"]
    assert 'Row 2, column "Variant Price USD"' in body["message"]
    assert product_count(admin) == before
    # Not a file at all; a JSON body; no such pending import.
    assert admin.post("/admin/products/import", files={"other": ("x.csv", b"a")}).status_code == 400
    assert admin.post("/admin/products/import", json={"file": "x"}).status_code == 400
    missing = admin.post("/admin/products/import/import_nope/confirm")
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    assert product_count(admin) == before


def test_admin_import_waits_for_its_confirmation(admin: httpx.Client, refs: dict[str, str]) -> None:
    before = product_count(admin)
    handle = f"csv-http-{uuid.uuid4().hex[:6]}"
    row = [handle, "HTTP Cap", "published", "", "", "", "", "", "", refs["channel"], ""]
    row += ["One", f"CAP-{handle}", "false", "false", "7", "", "Size", "One", "", ""]
    r = upload(admin, csv_text([row]))
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["summary"] == {"toCreate": 1, "toUpdate": 0} and created["transaction_id"].startswith("import_")
    assert product_count(admin) == before, "nothing is written before the confirmation"
    confirmed = admin.post(f"/admin/products/import/{created['transaction_id']}/confirm")
    assert confirmed.status_code == 202 and confirmed.json() == {}
    assert product_count(admin) == before + 1
    listed = admin.get("/admin/products", params={"handle": handle}).json()["products"]
    assert [p["variants"][0]["sku"] for p in listed] == [f"CAP-{handle}"]
    # A confirmation is used once.
    assert admin.post(f"/admin/products/import/{created['transaction_id']}/confirm").status_code == 404


def test_admin_export_then_import_round_trips_the_catalog(
    admin: httpx.Client, db_url: str, server_url: str, template_db: str
) -> None:
    r = admin.post("/admin/products/export")
    assert r.status_code == 202, r.text
    transaction_id = r.json()["transaction_id"]
    got = admin.get(f"/admin/products/exports/{transaction_id}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    first = got.text
    assert first == do_export(db_url)
    assert admin.get("/admin/products/exports/export_nope").status_code == 404

    with fresh_database(server_url, template_db) as other:
        copy_references(db_url, other)
        run_async(other, lambda conn: setup.create_admin_user(conn, ADMIN_EMAIL, ADMIN_PASSWORD))
        srv = Server(other).start()
        try:
            with httpx.Client(base_url=srv.url, timeout=60) as c:
                login = c.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
                c.headers["authorization"] = f"Bearer {login.json()['token']}"
                created = upload(c, first)
                assert created.status_code == 202, created.text
                assert created.json()["summary"]["toCreate"] == product_count(admin)
                confirmed = c.post(f"/admin/products/import/{created.json()['transaction_id']}/confirm")
                assert confirmed.status_code == 202, confirmed.text
                again = c.post("/admin/products/export").json()["transaction_id"]
                assert c.get(f"/admin/products/exports/{again}").text == first
        finally:
            srv.stop()


# --- by file key: POST /admin/uploads, then POST /admin/products/imports (+ confirm), as Medusa's JS SDK does -------


def upload_file(admin: httpx.Client, text: str, name: str = "products.csv") -> str:
    """The SDK's createImport: ask for an upload URL; this server's is not http(s), so upload through /admin/uploads."""
    presigned = admin.post(
        "/admin/uploads/presigned-urls", json={"originalname": name, "mime_type": "text/csv", "size": len(text)}
    )
    assert presigned.status_code == 200, presigned.text
    assert not presigned.json()["url"].startswith(("http://", "https://")) and presigned.json()["extension"] == "csv"
    r = admin.post("/admin/uploads", files={"files": (name, text.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    [stored] = r.json()["files"]
    return str(stored["id"])


def import_by_key(admin: httpx.Client, key: str) -> httpx.Response:
    body = {"file_key": key, "originalname": "products.csv", "extension": "csv", "size": 1, "mime_type": "text/csv"}
    return admin.post("/admin/products/imports", json=body)


def test_import_by_file_key_round_trip(admin: httpx.Client, refs: dict[str, str]) -> None:
    before = product_count(admin)
    handle = f"csv-key-{uuid.uuid4().hex[:6]}"
    row = [handle, "Key Cap", "published", "", "", "", "", "", "", refs["channel"], ""]
    row += ["One", f"KEY-{handle}", "true", "false", "12.5", "", "Size", "One", "", ""]
    key = upload_file(admin, csv_text([row]))
    r = import_by_key(admin, key)
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["summary"] == {"toCreate": 1, "toUpdate": 0}
    assert product_count(admin) == before, "nothing is written before the confirmation"
    confirmed = admin.post(f"/admin/products/imports/{created['transaction_id']}/confirm")
    assert confirmed.status_code == 202 and confirmed.json() == {}
    [product] = admin.get("/admin/products", params={"handle": handle, "fields": "*variants.prices"}).json()["products"]
    [variant] = product["variants"]
    assert variant["sku"] == f"KEY-{handle}"
    assert [(p["currency_code"], p["amount"]) for p in variant["prices"]] == [("usd", 12.5)]
    assert admin.post(f"/admin/products/imports/{created['transaction_id']}/confirm").status_code == 404


def test_import_by_file_key_refuses_a_bad_file_and_writes_nothing(admin: httpx.Client, refs: dict[str, str]) -> None:
    before = product_count(admin)
    bad = ["csv-key-bad", "Bad", "live", "", "", "", "", "", "", "", "", "V", "", "", "", "-1", "", "", "", "", ""]
    r = import_by_key(admin, upload_file(admin, csv_text([bad])))
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "invalid_data"
    assert 'Row 2, column "Product Status"' in r.json()["message"]
    assert 'Row 2, column "Variant Price USD"' in r.json()["message"]
    not_text = import_by_key(admin, upload_file(admin, "\x00", "nul.csv"))
    assert not_text.status_code == 400 and not_text.json()["type"] == "invalid_data"
    missing = import_by_key(admin, "file_nope")
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    assert admin.post("/admin/products/imports", json={"originalname": "x.csv"}).status_code == 400
    assert admin.post("/admin/products/imports/import_nope/confirm").status_code == 404
    assert product_count(admin) == before


def test_imported_products_are_found_by_q(store: httpx.Client, db_url: str, refs: dict[str, str]) -> None:
    """The bulk path renders the documents with catalog_product's own triggers on: its search rows (catalog_search)
    are written too, and `q` finds the product. Last in the module: the round trips above export every product."""
    word = f"zq{uuid.uuid4().hex[:8]}"
    row = [f"csv-{word}", f"Imported {word} Lamp", "published", "", "", "", "", "", "", refs["channel"], ""]
    row += ["One", f"SKU-{word}", "false", "false", "30", "", "", "", "", ""]
    do_import(db_url, csv_text([row]))

    def found() -> bool:
        r = store.get("/store/products", params={"q": word})
        assert r.status_code == 200, r.text
        return [p["handle"] for p in r.json()["products"]] == [f"csv-{word}"]

    assert eventually(found)
