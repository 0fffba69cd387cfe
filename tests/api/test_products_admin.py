"""Admin products over real HTTP: create with options/variants/images/links, read with filters and `fields`,
update (upsert-with-replace), variant and option CRUD, batch, soft delete, and nothing half-written on errors."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from commerce.product import service
from tests.conftest import assert_error, run_async

PRODUCT_KEYS = {
    "id",
    "title",
    "subtitle",
    "status",
    "external_id",
    "description",
    "handle",
    "is_giftcard",
    "discountable",
    "thumbnail",
    "collection_id",
    "type_id",
    "weight",
    "length",
    "height",
    "width",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "shipping_profile_id",
    "created_at",
    "updated_at",
    "deleted_at",
    "metadata",
    "type",
    "collection",
    "options",
    "tags",
    "images",
    "variants",
    "sales_channels",
}


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def refs(admin: httpx.Client) -> dict[str, str]:
    """A tag, a type, a collection, a category and a sales channel to link products to."""
    return {
        "tag": ok(admin.post("/admin/product-tags", json={"value": "summer"}))["product_tag"]["id"],
        "tag2": ok(admin.post("/admin/product-tags", json={"value": "cotton"}))["product_tag"]["id"],
        "type": ok(admin.post("/admin/product-types", json={"value": "Shirt"}))["product_type"]["id"],
        "collection": ok(admin.post("/admin/collections", json={"title": "Summer 2026"}))["collection"]["id"],
        "category": ok(admin.post("/admin/product-categories", json={"name": "Tops", "is_active": True}))[
            "product_category"
        ]["id"],
        "channel": ok(admin.post("/admin/sales-channels", json={"name": "Web shop"}))["sales_channel"]["id"],
    }


def shirt(refs: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Classic T-Shirt (Men's)",
        "subtitle": "Soft cotton",
        "description": "A shirt for every day",
        "status": "published",
        "images": [{"url": "https://img.test/front.jpg"}, {"url": "https://img.test/back.jpg"}],
        "thumbnail": "https://img.test/front.jpg",
        "weight": 200,
        "origin_country": "pt",
        "material": "cotton",
        "metadata": {"fit": "regular"},
        "collection_id": refs["collection"],
        "type_id": refs["type"],
        "tags": [{"id": refs["tag"]}, {"id": refs["tag2"]}],
        "categories": [{"id": refs["category"]}],
        "sales_channels": [{"id": refs["channel"]}],
        "options": [{"title": "Size", "values": ["S", "M", "L"]}, {"title": "Color", "values": ["Red", "Blue"]}],
        "variants": [
            {"title": "S / Red", "sku": "SHIRT-S-RED", "options": {"Size": "S", "Color": "Red"}},
            {
                "title": "M / Blue",
                "sku": "SHIRT-M-BLUE",
                "ean": "4006381333931",
                "manage_inventory": False,
                "allow_backorder": True,
                "options": {"Size": "M", "Color": "Blue"},
                "metadata": {"x": 1},
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def product(admin: httpx.Client, refs: dict[str, str]) -> dict[str, Any]:
    created: dict[str, Any] = ok(admin.post("/admin/products", json=shirt(refs)))["product"]
    return created


def count_products(admin: httpx.Client, **params: Any) -> int:
    return int(ok(admin.get("/admin/products", params={"limit": 0, **params}))["count"])


def test_create_returns_medusa_shape_with_every_relation(product: dict[str, Any], refs: dict[str, str]) -> None:
    assert set(product) == PRODUCT_KEYS
    assert product["id"].startswith("prod_")
    assert product["handle"] == "classic-t-shirt-mens"
    assert product | {"status": "published", "is_giftcard": False, "discountable": True, "weight": 200} == product
    assert product["metadata"] == {"fit": "regular"}
    assert [i["url"] for i in product["images"]] == ["https://img.test/front.jpg", "https://img.test/back.jpg"]
    assert [i["rank"] for i in product["images"]] == [0, 1]
    assert all(i["id"].startswith("img_") for i in product["images"])
    assert product["collection"]["id"] == refs["collection"] and product["collection"]["handle"] == "summer-2026"
    assert product["type"]["value"] == "Shirt"
    assert sorted(t["value"] for t in product["tags"]) == ["cotton", "summer"]
    assert [c["id"] for c in product["sales_channels"]] == [refs["channel"]]
    assert product["sales_channels"][0]["name"] == "Web shop"

    options = {o["title"]: o for o in product["options"]}
    assert set(options) == {"Size", "Color"}
    assert [v["value"] for v in options["Size"]["values"]] == ["S", "M", "L"]
    assert options["Size"]["id"].startswith("opt_")
    assert options["Size"]["values"][0]["id"].startswith("optval_")

    s_red, m_blue = product["variants"]
    assert s_red["id"].startswith("variant_")
    assert (s_red["title"], s_red["sku"], s_red["variant_rank"]) == ("S / Red", "SHIRT-S-RED", 0)
    assert (s_red["manage_inventory"], s_red["allow_backorder"]) == (True, False)
    assert (m_blue["manage_inventory"], m_blue["allow_backorder"], m_blue["ean"]) == (False, True, "4006381333931")
    assert m_blue["variant_rank"] == 1 and m_blue["metadata"] == {"x": 1}
    assert {(v["value"], v["option_id"]) for v in s_red["options"]} == {
        ("S", options["Size"]["id"]),
        ("Red", options["Color"]["id"]),
    }


def test_retrieve_and_fields(admin: httpx.Client, product: dict[str, Any], refs: dict[str, str]) -> None:
    got = ok(admin.get(f"/admin/products/{product['id']}"))["product"]
    assert got == product
    slim = ok(admin.get(f"/admin/products/{product['id']}", params={"fields": "title,handle,variants.sku"}))
    assert slim["product"] == {
        "id": product["id"],
        "title": product["title"],
        "handle": product["handle"],
        "variants": [{"id": v["id"], "sku": v["sku"]} for v in product["variants"]],
    }
    plus = ok(admin.get(f"/admin/products/{product['id']}", params={"fields": "+categories,-variants,-options"}))
    assert [c["id"] for c in plus["product"]["categories"]] == [refs["category"]]
    assert "variants" not in plus["product"] and "options" not in plus["product"]
    assert_error(admin.get(f"/admin/products/{product['id']}", params={"fields": "+nope"}), 400, "invalid_data", "nope")
    assert_error(admin.get("/admin/products/prod_missing"), 404, "not_found", "prod_missing")


def test_list_filters_q_order_and_pagination(
    admin: httpx.Client, product: dict[str, Any], refs: dict[str, str]
) -> None:
    draft = ok(admin.post("/admin/products", json={"title": "Zebra Mug", "description": "Ceramic"}))["product"]
    assert draft["status"] == "draft" and draft["handle"] == "zebra-mug"
    assert draft["variants"] == [] and draft["options"] == [] and draft["sales_channels"] == []

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in ok(admin.get("/admin/products", params={"limit": 100, **params}))["products"]]

    assert ids(status=["published"]) == [product["id"]]
    assert ids(status=["draft"]) == [draft["id"]]
    assert ids(q="ceramic") == [draft["id"]]
    assert ids(q="SHIRT-M") == [product["id"]], "q searches variant skus too"
    assert ids(handle=["zebra-mug"]) == [draft["id"]]
    assert ids(collection_id=[refs["collection"]]) == [product["id"]]
    assert ids(type_id=[refs["type"]]) == [product["id"]]
    assert ids(tag_id=[refs["tag2"]]) == [product["id"]]
    assert ids(category_id=[refs["category"]]) == [product["id"]]
    assert ids(sales_channel_id=[refs["channel"]]) == [product["id"]]
    assert set(ids(id=[product["id"], draft["id"]])) == {product["id"], draft["id"]}
    assert ids(order="title")[:2] == [product["id"], draft["id"]]
    assert ids(order="-title")[-2:] == [draft["id"], product["id"]]

    body = ok(admin.get("/admin/products", params={"limit": 1, "offset": 1, "order": "created_at"}))
    assert (body["count"], body["limit"], body["offset"], len(body["products"])) == (2, 1, 1, 1)
    assert body["products"][0]["id"] == draft["id"]
    assert ok(admin.get("/admin/products"))["limit"] == 50
    slim = ok(admin.get("/admin/products", params={"fields": "id,status", "order": "created_at"}))["products"]
    assert slim == [{"id": product["id"], "status": "published"}, {"id": draft["id"], "status": "draft"}]
    past = ok(admin.get("/admin/products", params={"offset": 99}))
    assert past["products"] == [] and past["count"] == 2

    assert_error(admin.get("/admin/products", params={"status": "sold"}), 400, "invalid_data", "status")
    assert_error(admin.get("/admin/products", params={"order": "password"}), 400, "invalid_data", "password")
    assert_error(admin.get("/admin/products", params={"limit": "x"}), 400, "invalid_data", "limit")
    assert_error(admin.get("/admin/products", params={"fields": "variants.nope"}), 400, "invalid_data", "nope")
    ok(admin.delete(f"/admin/products/{draft['id']}"))


def test_update_scalars_links_images_and_upserts(admin: httpx.Client, refs: dict[str, str]) -> None:
    created = ok(admin.post("/admin/products", json=shirt(refs, title="Polo", variants=[], handle="polo")))["product"]
    pid = created["id"]
    size = next(o for o in created["options"] if o["title"] == "Size")
    r = admin.post(
        f"/admin/products/{pid}",
        json={
            "title": "Polo Shirt",
            "subtitle": None,
            "status": "proposed",
            "handle": "polo-shirt",
            "tags": [{"id": refs["tag"]}],
            "images": [{"url": "https://img.test/polo.jpg"}],
            "collection_id": None,
            "sales_channels": [],
            "options": [{"id": size["id"], "values": ["M", "XL"]}, {"title": "Sleeve", "values": ["Short"]}],
            "variants": [{"title": "XL short", "sku": "POLO-XL", "options": {"Size": "XL", "Sleeve": "Short"}}],
        },
    )
    p = ok(r)["product"]
    assert (p["title"], p["subtitle"], p["status"], p["handle"]) == ("Polo Shirt", None, "proposed", "polo-shirt")
    assert p["description"] == "A shirt for every day", "fields not sent keep their value"
    assert [t["id"] for t in p["tags"]] == [refs["tag"]]
    assert [i["url"] for i in p["images"]] == ["https://img.test/polo.jpg"]
    assert p["collection_id"] is None and p["collection"] is None and p["sales_channels"] == []
    options = {o["title"]: [v["value"] for v in o["values"]] for o in p["options"]}
    assert options == {"Size": ["M", "XL"], "Sleeve": ["Short"]}, "Color was not listed, so it went"
    assert next(o for o in p["options"] if o["title"] == "Size")["id"] == size["id"]
    [variant] = p["variants"]
    assert variant["sku"] == "POLO-XL"
    assert sorted(v["value"] for v in variant["options"]) == ["Short", "XL"]

    # Variants listed by id change; unlisted ones are removed.
    r = admin.post(
        f"/admin/products/{pid}",
        json={
            "variants": [
                {"id": variant["id"], "title": "XL / Short", "options": {"Size": "M"}},
                {"title": "XL", "sku": "POLO-XL-2", "options": {"Size": "XL", "Sleeve": "Short"}},
            ]
        },
    )
    variants = ok(r)["product"]["variants"]
    assert [v["title"] for v in variants] == ["XL / Short", "XL"]
    assert sorted(v["value"] for v in variants[0]["options"]) == ["M", "Short"]
    assert_error(admin.post(f"/admin/products/{pid}", json={"variants": [{"id": "variant_nope"}]}), 404, "not_found")
    assert_error(admin.post(f"/admin/products/{pid}", json={"variants": [{"sku": "X"}]}), 400, "invalid_data", "title")
    assert_error(admin.post("/admin/products/prod_nope", json={"title": "x"}), 404, "not_found")
    assert_error(admin.post(f"/admin/products/{pid}", json={"is_giftcard": "yes"}), 400, "invalid_data", "is_giftcard")


def test_variant_crud(admin: httpx.Client, refs: dict[str, str]) -> None:
    p = ok(admin.post("/admin/products", json=shirt(refs, title="Hoodie", variants=[])))["product"]
    pid = p["id"]
    r = admin.post(
        f"/admin/products/{pid}/variants",
        json={"title": "L / Red", "sku": "HOOD-L-RED", "options": {"Size": "L", "Color": "Red"}},
    )
    variant = ok(r)["product"]["variants"][0]
    assert variant["sku"] == "HOOD-L-RED"
    vid = variant["id"]

    same = {"title": "again", "options": {"Size": "L", "Color": "Red"}}
    assert_error(admin.post(f"/admin/products/{pid}/variants", json=same), 400, "invalid_data", "same combination")
    missing = {"title": "no colour", "options": {"Size": "S"}}
    assert_error(admin.post(f"/admin/products/{pid}/variants", json=missing), 400, "invalid_data", "Color")
    unknown_value = {"title": "x", "options": {"Size": "XXL", "Color": "Red"}}
    assert_error(admin.post(f"/admin/products/{pid}/variants", json=unknown_value), 400, "invalid_data", "XXL")
    unknown_option = {"title": "x", "options": {"Size": "S", "Color": "Red", "Fit": "Slim"}}
    assert_error(admin.post(f"/admin/products/{pid}/variants", json=unknown_option), 400, "invalid_data", "Fit")
    with_prices = {
        "title": "x",
        "options": {"Size": "S", "Color": "Red"},
        "prices": [{"amount": -10, "currency_code": "usd"}],
    }
    # A bad price rolls the whole variant back.
    before = len(admin.get(f"/admin/products/{pid}/variants").json()["variants"])
    assert_error(admin.post(f"/admin/products/{pid}/variants", json=with_prices), 400, "invalid_data", "amount")
    assert len(admin.get(f"/admin/products/{pid}/variants").json()["variants"]) == before

    second = ok(
        admin.post(
            f"/admin/products/{pid}/variants", json={"title": "S / Blue", "options": {"Size": "S", "Color": "Blue"}}
        )
    )
    assert [v["variant_rank"] for v in second["product"]["variants"]] == [0, 1]

    listed = ok(admin.get(f"/admin/products/{pid}/variants"))
    assert (listed["count"], listed["limit"]) == (2, 50)
    assert [v["title"] for v in listed["variants"]] == ["L / Red", "S / Blue"]
    assert {"options", "product_id", "sku", "variant_rank"} <= set(listed["variants"][0])
    assert [v["sku"] for v in ok(admin.get(f"/admin/products/{pid}/variants", params={"q": "hood"}))["variants"]] == [
        "HOOD-L-RED"
    ]
    assert ok(admin.get(f"/admin/products/{pid}/variants", params={"manage_inventory": "false"}))["count"] == 0

    one = ok(admin.get(f"/admin/products/{pid}/variants/{vid}", params={"fields": "sku,*options"}))["variant"]
    assert set(one) == {"id", "sku", "options"} and len(one["options"]) == 2

    updated = ok(
        admin.post(f"/admin/products/{pid}/variants/{vid}", json={"sku": "HOOD-L-BLUE", "options": {"Color": "Blue"}})
    )
    v = next(v for v in updated["product"]["variants"] if v["id"] == vid)
    assert v["sku"] == "HOOD-L-BLUE" and sorted(o["value"] for o in v["options"]) == ["Blue", "L"]
    clash = {"options": {"Size": "S"}}  # L/Blue -> S/Blue, which the second variant has
    assert_error(
        admin.post(f"/admin/products/{pid}/variants/{vid}", json=clash), 400, "invalid_data", "same combination"
    )
    assert_error(
        admin.post(f"/admin/products/{pid}/variants/{vid}", json={"colour": "red"}), 400, "invalid_data", "colour"
    )
    assert_error(admin.get(f"/admin/products/{pid}/variants/variant_nope"), 404, "not_found")
    assert_error(admin.get("/admin/products/prod_nope/variants"), 404, "not_found")

    gone = ok(admin.delete(f"/admin/products/{pid}/variants/{vid}"))
    assert gone | {"id": vid, "object": "variant", "deleted": True} == gone
    assert [x["title"] for x in gone["parent"]["variants"]] == ["S / Blue"]
    assert_error(admin.delete(f"/admin/products/{pid}/variants/{vid}"), 404, "not_found")
    # The deleted variant's sku is free again.
    ok(
        admin.post(
            f"/admin/products/{pid}/variants",
            json={"title": "L / Red", "sku": "HOOD-L-BLUE", "options": {"Size": "L", "Color": "Red"}},
        )
    )


def test_option_crud(admin: httpx.Client) -> None:
    p = ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Cap",
                "options": [{"title": "Color", "values": ["Black"]}],
                "variants": [{"title": "Black", "options": {"Color": "Black"}}],
            },
        )
    )["product"]
    pid = p["id"]
    after = ok(admin.post(f"/admin/products/{pid}/options", json={"title": "Size", "values": ["One size", "Kids"]}))
    assert sorted(o["title"] for o in after["product"]["options"]) == ["Color", "Size"]
    assert_error(
        admin.post(f"/admin/products/{pid}/options", json={"title": "Size", "values": []}),
        422,
        "duplicate_error",
        "Size",
    )

    listed = ok(admin.get(f"/admin/products/{pid}/options", params={"order": "title"}))
    assert listed["count"] == 2 and listed["product_options"][0] == {
        "id": listed["product_options"][0]["id"],
        "title": "Color",
    }
    size_id = listed["product_options"][1]["id"]
    one = ok(admin.get(f"/admin/products/{pid}/options/{size_id}", params={"fields": "title,*values"}))[
        "product_option"
    ]
    assert [v["value"] for v in one["values"]] == ["One size", "Kids"]

    changed = ok(
        admin.post(f"/admin/products/{pid}/options/{size_id}", json={"title": "Fit", "values": ["Kids", "Adult"]})
    )
    fit = next(o for o in changed["product"]["options"] if o["id"] == size_id)
    assert fit["title"] == "Fit" and [v["value"] for v in fit["values"]] == ["Kids", "Adult"]
    assert ok(admin.get(f"/admin/products/{pid}/options", params={"q": "fi"}))["count"] == 1

    gone = ok(admin.delete(f"/admin/products/{pid}/options/{size_id}"))
    assert gone | {"id": size_id, "object": "product_option", "deleted": True} == gone
    assert [o["title"] for o in gone["parent"]["options"]] == ["Color"]
    assert_error(admin.get(f"/admin/products/{pid}/options/{size_id}"), 404, "not_found")
    assert_error(admin.post(f"/admin/products/{pid}/options/opt_nope", json={"title": "x"}), 404, "not_found")


def test_the_create_wizards_body_and_the_product_options_routes(admin: httpx.Client) -> None:
    """The body Medusa 2.21's create wizard sends (handle "", options with is_exclusive, variants with
    inventory_items []), and /admin/product-options over every product's own options."""
    body = {
        "status": "published",
        "is_giftcard": False,
        "images": [],
        "categories": [],
        "handle": "",
        "title": "Wizard Hoodie",
        "subtitle": "",
        "description": "",
        "discountable": True,
        "options": [{"title": "Size", "values": ["S", "M"], "is_exclusive": True}],
        "variants": [
            {
                "title": t,
                "options": {"Size": t},
                "sku": f"WIZ-{t}",
                "manage_inventory": False,
                "allow_backorder": False,
                "variant_rank": n,
                "inventory_items": [],
                "prices": [{"currency_code": "usd", "amount": 30}],
            }
            for n, t in enumerate(["S", "M"])
        ],
    }
    made = ok(admin.post("/admin/products", json=body))["product"]
    assert made["handle"] == "wizard-hoodie" and len(made["variants"]) == 2
    option = made["options"][0]
    assert option["is_exclusive"] is True

    listed = ok(admin.get("/admin/product-options", params={"q": "Size", "limit": 100}))
    assert option["id"] in {o["id"] for o in listed["product_options"]} and listed["limit"] == 100
    mine = next(o for o in listed["product_options"] if o["id"] == option["id"])
    assert mine["is_exclusive"] is True and sorted(v["value"] for v in mine["values"]) == ["M", "S"]
    # What the wizard's option picker asks: shared options only (this product's is not one).
    shared = ok(
        admin.get(
            "/admin/product-options",
            params={"is_exclusive": "false", "fields": "id,title,values.id,values.value,values.rank"},
        )
    )
    assert option["id"] not in {o["id"] for o in shared["product_options"]} and shared["limit"] == 20
    one = ok(admin.get(f"/admin/product-options/{option['id']}"))["product_option"]
    assert one["title"] == "Size" and [v["rank"] for v in one["values"]] == [0, 1]
    values = ok(admin.get(f"/admin/product-options/{option['id']}/values", params={"limit": 1, "offset": 1}))
    assert values["count"] == 2 and [v["value"] for v in values["product_option_values"]] == ["M"]
    assert_error(admin.get("/admin/product-options/opt_nope"), 404, "not_found")

    # What this server does not do (linking a shared option to a product) is refused whole, before anything is
    # written.
    shared_option = {**body, "title": "Shared", "options": [{"title": "Size", "values": ["S"], "is_exclusive": False}]}
    assert_error(admin.post("/admin/products", json=shared_option), 400, "invalid_data", "is_exclusive")
    variant = {**body["variants"][0], "sku": "KIT-S", "inventory_items": [{"inventory_item_id": "iitem_x"}]}
    kit = {**body, "title": "Kit", "options": body["options"], "variants": [variant]}
    assert_error(admin.post("/admin/products", json=kit), 400, "invalid_data", "Inventory kits")
    assert ok(admin.get("/admin/products", params={"q": "Shared"}))["count"] == 0
    assert ok(admin.get("/admin/products", params={"q": "Kit"}))["count"] == 0


def test_duplicates_are_422_naming_the_value(admin: httpx.Client, product: dict[str, Any]) -> None:
    r = admin.post("/admin/products", json={"title": "Other", "handle": product["handle"]})
    assert_error(r, 422, "duplicate_error", product["handle"])
    r = admin.post("/admin/products", json={"title": "Other", "variants": [{"title": "v", "sku": "SHIRT-S-RED"}]})
    assert_error(r, 422, "duplicate_error", "SHIRT-S-RED")
    r = admin.post("/admin/products", json={"title": "Other", "variants": [{"title": "v", "ean": "4006381333931"}]})
    assert_error(r, 422, "duplicate_error", "4006381333931")
    # A title whose handle is taken is a duplicate too.
    r = admin.post("/admin/products", json={"title": "Classic T-Shirt (Men's)"})
    assert_error(r, 422, "duplicate_error", "classic-t-shirt-mens")


def test_bad_input_leaves_nothing_half_written(admin: httpx.Client, refs: dict[str, str]) -> None:
    before = count_products(admin)
    bad_variants = shirt(
        refs,
        title="Half",
        handle="half-written",
        variants=[
            {"title": "ok", "sku": "HALF-1", "options": {"Size": "S", "Color": "Red"}},
            {"title": "dup", "sku": "HALF-2", "options": {"Size": "S", "Color": "Red"}},
        ],
    )
    assert_error(admin.post("/admin/products", json=bad_variants), 400, "invalid_data", "same combination")
    dup_sku = shirt(
        refs,
        title="Half",
        handle="half-written",
        variants=[
            {"title": "ok", "sku": "HALF-1", "options": {"Size": "S", "Color": "Red"}},
            {"title": "dup", "sku": "HALF-1", "options": {"Size": "M", "Color": "Red"}},
        ],
    )
    assert_error(admin.post("/admin/products", json=dup_sku), 422, "duplicate_error", "HALF-1")
    no_channel = shirt(refs, title="Half", handle="half-written", sales_channels=[{"id": "sc_nope"}])
    assert_error(admin.post("/admin/products", json=no_channel), 404, "not_found", "sc_nope")
    assert_error(
        admin.post("/admin/products", json=shirt(refs, collection_id="pcol_nope", variants=[])),
        404,
        "not_found",
        "pcol_nope",
    )
    assert_error(
        admin.post("/admin/products", json=shirt(refs, tags=[{"id": "ptag_nope"}], variants=[])),
        404,
        "not_found",
        "ptag_nope",
    )
    assert_error(admin.post("/admin/products", json={"title": "x", "colour": "red"}), 400, "invalid_data", "colour")
    assert_error(admin.post("/admin/products", json={"title": ""}), 400, "invalid_data", "title")
    assert_error(admin.post("/admin/products", json={"title": "x", "status": "live"}), 400, "invalid_data", "status")
    assert_error(
        admin.post("/admin/products", json={"title": "x", "fields": "x"}, params={"fields": "+bogus"}),
        400,
        "invalid_data",
    )
    assert count_products(admin) == before
    # Neither the handle nor the skus of the failed attempts were kept.
    good = shirt(
        refs,
        title="Half",
        handle="half-written",
        variants=[{"title": "ok", "sku": "HALF-1", "options": {"Size": "S", "Color": "Red"}}],
    )
    pid = ok(admin.post("/admin/products", json=good))["product"]["id"]

    # An update that fails half-way changes nothing either.
    bad_update = {
        "title": "Changed",
        "options": [{"title": "Only"}],
        "variants": [{"title": "v", "options": {"Only": "nope"}}],
    }
    assert_error(admin.post(f"/admin/products/{pid}", json=bad_update), 400, "invalid_data")
    after = ok(admin.get(f"/admin/products/{pid}"))["product"]
    assert after["title"] == "Half" and sorted(o["title"] for o in after["options"]) == ["Color", "Size"]
    assert [v["sku"] for v in after["variants"]] == ["HALF-1"]


def test_delete_is_soft_and_frees_handle_and_skus(admin: httpx.Client, refs: dict[str, str]) -> None:
    body = shirt(
        refs,
        title="Temp",
        handle="temp",
        variants=[{"title": "v", "sku": "TEMP-1", "options": {"Size": "S", "Color": "Red"}}],
    )
    pid = ok(admin.post("/admin/products", json=body))["product"]["id"]
    assert ok(admin.delete(f"/admin/products/{pid}")) == {"id": pid, "object": "product", "deleted": True}
    assert_error(admin.get(f"/admin/products/{pid}"), 404, "not_found")
    assert_error(admin.delete(f"/admin/products/{pid}"), 404, "not_found")
    assert pid not in [p["id"] for p in ok(admin.get("/admin/products", params={"limit": 100}))["products"]]
    again = ok(admin.post("/admin/products", json=body))["product"]
    assert again["handle"] == "temp" and again["variants"][0]["sku"] == "TEMP-1"
    ok(admin.delete(f"/admin/products/{again['id']}"))


def test_batch_is_one_transaction(admin: httpx.Client, refs: dict[str, str]) -> None:
    a = ok(admin.post("/admin/products", json={"title": "Batch A"}))["product"]
    b = ok(admin.post("/admin/products", json={"title": "Batch B"}))["product"]
    r = admin.post(
        "/admin/products/batch",
        json={
            "create": [{"title": "Batch C", "status": "published"}, {"title": "Batch D"}],
            "update": [{"id": a["id"], "title": "Batch A2", "tags": [{"id": refs["tag"]}]}],
            "delete": [b["id"]],
        },
        params={"fields": "id,title,status,*tags"},
    )
    body = ok(r)
    assert [p["title"] for p in body["created"]] == ["Batch C", "Batch D"]
    assert body["created"][0]["status"] == "published" and set(body["created"][0]) == {"id", "title", "status", "tags"}
    assert body["updated"] == [
        {"id": a["id"], "title": "Batch A2", "status": "draft", "tags": body["updated"][0]["tags"]}
    ]
    assert [t["id"] for t in body["updated"][0]["tags"]] == [refs["tag"]]
    assert body["deleted"] == {"ids": [b["id"]], "object": "product", "deleted": True}
    assert_error(admin.get(f"/admin/products/{b['id']}"), 404, "not_found")

    before = count_products(admin)
    bad = {"create": [{"title": "Batch E"}], "update": [{"id": a["id"], "title": "Batch A3"}], "delete": ["prod_nope"]}
    assert_error(admin.post("/admin/products/batch", json=bad), 404, "not_found", "prod_nope")
    assert count_products(admin) == before
    assert ok(admin.get(f"/admin/products/{a['id']}"))["product"]["title"] == "Batch A2"
    assert_error(admin.post("/admin/products/batch", json={"upsert": []}), 400, "invalid_data", "upsert")
    empty = ok(admin.post("/admin/products/batch", json={}))
    assert empty == {"created": [], "updated": [], "deleted": {"ids": [], "object": "product", "deleted": True}}


@pytest.fixture
def listener(db_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("LISTEN commerce_changes")
        yield conn


def test_writes_notify_the_product_tables(admin: httpx.Client, listener: psycopg.Connection[Any]) -> None:
    ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Notify",
                "options": [{"title": "Size", "values": ["S"]}],
                "variants": [{"title": "S", "options": {"Size": "S"}}],
            },
        )
    )
    tables = {n.payload for n in listener.notifies(timeout=1, stop_after=20)}
    assert {"product", "product_option", "product_option_value", "product_variant", "product_variant_option"} <= tables


def test_concurrent_adds_cannot_duplicate_a_combination(admin: httpx.Client) -> None:
    body = {"title": "Race", "options": [{"title": "Size", "values": ["S"]}]}
    pid = ok(admin.post("/admin/products", json=body))["product"]["id"]
    url = f"{admin.base_url}/admin/products/{pid}/variants"

    def add(i: int) -> int:
        variant = {"title": f"S {i}", "options": {"Size": "S"}}
        return httpx.post(url, json=variant, headers=dict(admin.headers), timeout=10).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(add, range(6)))
    assert statuses == [200, 400, 400, 400, 400, 400]
    assert ok(admin.get(f"/admin/products/{pid}/variants"))["count"] == 1


def test_other_modules_check_variants_through_the_service(db_url: str, product: dict[str, Any]) -> None:
    ids = [v["id"] for v in product["variants"]]
    missing = run_async(db_url, lambda conn: service.missing_variant_ids(conn, [*ids, "variant_nope"]))
    assert missing == ["variant_nope"]
