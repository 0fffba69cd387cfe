"""Shared product options (Medusa 2.21's /admin/product-options) over real HTTP: create, update and delete with
values and ranks, stored in PostgreSQL; bad input refused whole; the option detail screen's `?option_id=` product
list. Linking a shared option to a product is not supported (see README)."""

from typing import Any

import httpx
import psycopg

from tests.conftest import assert_error


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _stored(db_url: str, title: str) -> list[tuple[Any, ...]]:
    """The live rows for options titled `title`: (option id, product_id, value, rank), read from the table itself."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            """SELECT o.id, o.product_id, v.value, v.rank FROM product_option o
               LEFT JOIN product_option_value v ON v.option_id = o.id AND v.deleted_at IS NULL
               WHERE o.title = %s AND o.deleted_at IS NULL ORDER BY v.rank""",
            (title,),
        ).fetchall()


def _shared(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    listed = ok(admin.get("/admin/product-options", params={"is_exclusive": "false", "limit": 100}))
    return {o["id"]: o for o in listed["product_options"]}


def test_create_update_delete_a_shared_option(admin: httpx.Client, db_url: str) -> None:
    # What the dashboard's create form sends: ranks from 1 in the order shown.
    body = {"title": "Material", "values": ["Cotton", "Wool"], "ranks": {"Cotton": 2, "Wool": 1}}
    made = ok(admin.post("/admin/product-options", json=body))["product_option"]
    assert made["id"].startswith("opt_") and made["title"] == "Material" and made["is_exclusive"] is False
    assert {v["value"]: v["rank"] for v in made["values"]} == {"Cotton": 2, "Wool": 1}
    assert {"created_at", "updated_at"} <= made.keys()
    assert [(r[1], r[2], r[3]) for r in _stored(db_url, "Material")] == [(None, "Wool", 1), (None, "Cotton", 2)]

    assert made["id"] in _shared(admin)
    exclusive = ok(admin.get("/admin/product-options", params={"is_exclusive": "true", "limit": 100}))
    assert made["id"] not in {o["id"] for o in exclusive["product_options"]}
    one = ok(admin.get(f"/admin/product-options/{made['id']}"))["product_option"]
    assert one["is_exclusive"] is False and len(one["values"]) == 2
    values = ok(admin.get(f"/admin/product-options/{made['id']}/values"))
    assert [v["value"] for v in values["product_option_values"]] == ["Wool", "Cotton"]

    changed = ok(
        admin.post(
            f"/admin/product-options/{made['id']}",
            json={"title": "Fabric", "values": ["Wool", "Silk"], "ranks": {"Silk": 1, "Wool": 2}, "metadata": {"a": 1}},
            params={"fields": "id,title,is_exclusive,metadata,*values"},
        )
    )["product_option"]
    assert changed["title"] == "Fabric" and changed["metadata"] == {"a": 1} and changed["is_exclusive"] is False
    assert {v["value"]: v["rank"] for v in changed["values"]} == {"Silk": 1, "Wool": 2}
    # Wool kept its row (same id); Cotton is gone.
    wool = next(v["id"] for v in made["values"] if v["value"] == "Wool")
    assert wool in {v["id"] for v in changed["values"]}
    assert _stored(db_url, "Material") == []
    assert [r[2] for r in _stored(db_url, "Fabric")] == ["Silk", "Wool"]

    gone = ok(admin.delete(f"/admin/product-options/{made['id']}"))
    assert gone == {"id": made["id"], "object": "product_option", "deleted": True}
    assert_error(admin.get(f"/admin/product-options/{made['id']}"), 404, "not_found")
    assert made["id"] not in _shared(admin)
    assert _stored(db_url, "Fabric") == []
    assert_error(admin.delete(f"/admin/product-options/{made['id']}"), 404, "not_found")
    # Its title is free again.
    again = ok(admin.post("/admin/product-options", json={"title": "Fabric", "values": []}))["product_option"]
    assert again["values"] == [] and again["id"] != made["id"]


def test_bad_input_is_refused_whole(admin: httpx.Client, db_url: str) -> None:
    assert_error(admin.post("/admin/product-options", json={"values": ["a"]}), 400, "invalid_data", "title")
    assert_error(admin.post("/admin/product-options", json={"title": "X"}), 400, "invalid_data", "values")
    assert_error(
        admin.post("/admin/product-options", json={"title": "X", "values": [], "nope": 1}), 400, "invalid_data"
    )
    assert_error(admin.post("/admin/product-options", json={"title": "", "values": []}), 400, "invalid_data")
    bad_rank = {"title": "Finish", "values": ["Matte"], "ranks": {"Gloss": 1}}
    assert_error(admin.post("/admin/product-options", json=bad_rank), 400, "invalid_data", "Gloss")
    exclusive = {"title": "Finish", "values": ["Matte"], "is_exclusive": True}
    assert_error(admin.post("/admin/product-options", json=exclusive), 400, "invalid_data", "is_exclusive")
    assert _stored(db_url, "Finish") == []

    made = ok(admin.post("/admin/product-options", json={"title": "Finish", "values": ["Matte", "Gloss"]}))
    option_id = made["product_option"]["id"]
    assert_error(admin.post("/admin/product-options", json={"title": "Finish", "values": []}), 422, "duplicate_error")
    # A bad rank after a good title and values: the whole update is rolled back.
    half = {"title": "Surface", "values": ["Matte"], "ranks": {"Gloss": 3}}
    assert_error(admin.post(f"/admin/product-options/{option_id}", json=half), 400, "invalid_data", "Gloss")
    assert [r[2] for r in _stored(db_url, "Finish")] == ["Matte", "Gloss"] and _stored(db_url, "Surface") == []
    turn = {"is_exclusive": True}
    assert_error(admin.post(f"/admin/product-options/{option_id}", json=turn), 400, "invalid_data", "is_exclusive")
    assert_error(admin.post(f"/admin/product-options/{option_id}", json={"values": "x"}), 400, "invalid_data")
    assert_error(admin.post("/admin/product-options/opt_nope", json={"title": "y"}), 404, "not_found")
    assert_error(admin.delete("/admin/product-options/opt_nope"), 404, "not_found")


def test_option_detail_screen_products_and_an_exclusive_option(admin: httpx.Client, db_url: str) -> None:
    body = {
        "title": "Option Tee",
        "options": [{"title": "Size", "values": ["S", "M"]}],
        "variants": [
            {"title": t, "options": {"Size": t}, "prices": [{"currency_code": "usd", "amount": 10}]} for t in "SM"
        ],
    }
    made = ok(admin.post("/admin/products", json=body))["product"]
    size = made["options"][0]
    shared = ok(admin.post("/admin/product-options", json={"title": "Size", "values": ["S"]}))["product_option"]

    # What the option detail screen asks (@medusajs/dashboard 2.21.2).
    screen = "id,title,handle,thumbnail,status,*collection,*sales_channels,*product_options,variants.id"
    mine = ok(admin.get("/admin/products", params={"option_id": size["id"], "fields": screen}))
    assert [p["id"] for p in mine["products"]] == [made["id"]] and mine["count"] == 1
    assert [o["id"] for o in mine["products"][0]["product_options"]] == [size["id"]]
    assert len(mine["products"][0]["variants"]) == 2
    none = ok(admin.get("/admin/products", params={"option_id": shared["id"], "fields": screen}))
    assert none["products"] == [] and none["count"] == 0

    # The product's own option through /admin/product-options/:id: as through the product's option route.
    renamed = ok(admin.post(f"/admin/product-options/{size['id']}", json={"title": "Fit"}))["product_option"]
    assert renamed["title"] == "Fit" and renamed["is_exclusive"] is True
    product = ok(admin.get(f"/admin/products/{made['id']}"))["product"]
    assert [o["title"] for o in product["options"]] == ["Fit"]
    assert {v["options"][0]["value"] for v in product["variants"]} == {"S", "M"}
    # Same title as the shared "Size" is fine for an option of a product, and vice versa.
    assert ok(admin.post(f"/admin/product-options/{size['id']}", json={"title": "Size"}))
    ok(admin.delete(f"/admin/product-options/{size['id']}"))
    product = ok(admin.get(f"/admin/products/{made['id']}"))["product"]
    assert product["options"] == [] and all(v["options"] == [] for v in product["variants"])
    assert ok(admin.get(f"/admin/product-options/{shared['id']}"))["product_option"]["title"] == "Size"
