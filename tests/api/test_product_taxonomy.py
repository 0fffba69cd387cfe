"""Admin product categories (a ranked tree), collections, tags and types over real HTTP."""

from typing import Any

import httpx

from tests.conftest import assert_error


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def category(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(admin.post("/admin/product-categories", json=body))["product_category"]
    return created


def children(admin: httpx.Client, parent_id: str) -> list[str]:
    params = {"parent_category_id": parent_id, "order": "rank", "fields": "handle"}
    return [c["handle"] for c in ok(admin.get("/admin/product-categories", params=params))["product_categories"]]


def test_category_tree_ranks_and_moves(admin: httpx.Client) -> None:
    root = category(admin, name="Clothing", is_active=True, metadata={"a": 1})
    assert root["id"].startswith("pcat_")
    assert root | {"handle": "clothing", "rank": 0, "is_active": True, "is_internal": False, "description": ""} == root
    assert root["parent_category"] is None and root["category_children"] == []
    assert set(root) == {
        "id",
        "name",
        "description",
        "handle",
        "is_active",
        "is_internal",
        "rank",
        "parent_category_id",
        "created_at",
        "updated_at",
        "metadata",
        "parent_category",
        "category_children",
    }
    shirts = category(admin, name="Shirts", parent_category_id=root["id"])
    pants = category(admin, name="Pants", parent_category_id=root["id"])
    hats = category(admin, name="Hats", parent_category_id=root["id"], rank=0)
    assert (shirts["rank"], pants["rank"], hats["rank"]) == (0, 1, 0)
    assert children(admin, root["id"]) == ["hats", "shirts", "pants"]
    polos = category(admin, name="Polos", parent_category_id=shirts["id"])
    assert polos["parent_category"]["id"] == shirts["id"]

    # Re-rank within the parent, then move a subtree under another parent.
    ok(admin.post(f"/admin/product-categories/{pants['id']}", json={"rank": 0}))
    assert children(admin, root["id"]) == ["pants", "hats", "shirts"]
    ok(admin.post(f"/admin/product-categories/{hats['id']}", json={"rank": 99}))
    assert children(admin, root["id"]) == ["pants", "shirts", "hats"]
    moved = ok(admin.post(f"/admin/product-categories/{shirts['id']}", json={"parent_category_id": pants["id"]}))
    assert moved["product_category"]["parent_category_id"] == pants["id"]
    assert children(admin, root["id"]) == ["pants", "hats"]
    assert children(admin, pants["id"]) == ["shirts"]

    tree = ok(
        admin.get(
            f"/admin/product-categories/{root['id']}",
            params={"include_descendants_tree": "true", "fields": "handle,category_children.handle"},
        )
    )["product_category"]
    assert tree == {
        "id": root["id"],
        "handle": "clothing",
        "category_children": [
            {
                "id": pants["id"],
                "handle": "pants",
                "category_children": [
                    {
                        "id": shirts["id"],
                        "handle": "shirts",
                        "category_children": [{"id": polos["id"], "handle": "polos", "category_children": []}],
                    }
                ],
            },
            {"id": hats["id"], "handle": "hats", "category_children": []},
        ],
    }
    chain = ok(
        admin.get(
            f"/admin/product-categories/{polos['id']}",
            params={"include_ancestors_tree": "true", "fields": "handle,parent_category.handle"},
        )
    )["product_category"]
    assert chain["parent_category"]["handle"] == "shirts"
    assert chain["parent_category"]["parent_category"]["handle"] == "pants"
    assert chain["parent_category"]["parent_category"]["parent_category"]["handle"] == "clothing"
    assert chain["parent_category"]["parent_category"]["parent_category"]["parent_category"] is None
    mpath = ok(admin.get(f"/admin/product-categories/{polos['id']}", params={"fields": "mpath"}))
    assert mpath["product_category"]["mpath"] == ".".join([root["id"], pants["id"], shirts["id"], polos["id"]])

    r = admin.post(f"/admin/product-categories/{root['id']}", json={"parent_category_id": polos["id"]})
    assert_error(r, 400, "invalid_data", "descendants")
    assert_error(admin.delete(f"/admin/product-categories/{pants['id']}"), 400, "not_allowed", "children")
    assert_error(admin.post("/admin/product-categories", json={"name": "Hats"}), 422, "duplicate_error", "hats")
    assert_error(
        admin.post("/admin/product-categories", json={"name": "X", "parent_category_id": "pcat_nope"}),
        404,
        "not_found",
    )
    assert_error(admin.post("/admin/product-categories", json={"name": "X", "rank": -1}), 400, "invalid_data", "rank")
    assert_error(
        admin.post("/admin/product-categories", json={"name": "X", "mpath": "a"}), 400, "invalid_data", "mpath"
    )

    gone = ok(admin.delete(f"/admin/product-categories/{hats['id']}"))
    assert gone == {"id": hats["id"], "object": "product_category", "deleted": True}
    assert children(admin, root["id"]) == ["pants"]
    assert_error(admin.get(f"/admin/product-categories/{hats['id']}"), 404, "not_found")
    category(admin, name="Hats")  # the handle is free again

    roots = ok(admin.get("/admin/product-categories", params={"parent_category_id": "null", "fields": "handle"}))
    assert {c["handle"] for c in roots["product_categories"]} >= {"clothing", "hats"}
    assert ok(admin.get("/admin/product-categories", params={"q": "pol"}))["count"] == 1
    assert ok(admin.get("/admin/product-categories", params={"is_active": "true", "handle": "clothing"}))["count"] == 1


def test_category_products_link(admin: httpx.Client) -> None:
    cat = category(admin, name="Mugs")
    pid = ok(admin.post("/admin/products", json={"title": "Mug"}))["product"]["id"]
    ok(admin.post(f"/admin/product-categories/{cat['id']}/products", json={"add": [pid]}))
    listed = ok(admin.get("/admin/products", params={"category_id": cat["id"], "fields": "id,categories.handle"}))
    assert listed["products"] == [{"id": pid, "categories": [{"id": cat["id"], "handle": "mugs"}]}]
    ok(admin.post(f"/admin/product-categories/{cat['id']}/products", json={"remove": [pid]}))
    assert ok(admin.get("/admin/products", params={"category_id": cat["id"]}))["count"] == 0
    r = admin.post(f"/admin/product-categories/{cat['id']}/products", json={"add": ["prod_nope"]})
    assert_error(r, 404, "not_found", "prod_nope")


def test_collection_crud_and_products(admin: httpx.Client) -> None:
    col = ok(admin.post("/admin/collections", json={"title": "Winter Sale", "metadata": {"s": 1}}))["collection"]
    assert col["id"].startswith("pcol_")
    assert set(col) == {"id", "title", "handle", "created_at", "updated_at", "metadata"}
    assert col["handle"] == "winter-sale"
    assert_error(
        admin.post("/admin/collections", json={"title": "Other", "handle": "winter-sale"}), 422, "duplicate_error"
    )
    updated = ok(admin.post(f"/admin/collections/{col['id']}", json={"title": "Winter", "handle": "winter"}))
    assert updated["collection"] | {"title": "Winter", "handle": "winter"} == updated["collection"]
    assert ok(admin.get(f"/admin/collections/{col['id']}", params={"fields": "title"}))["collection"] == {
        "id": col["id"],
        "title": "Winter",
    }
    listed = ok(admin.get("/admin/collections", params={"q": "wint"}))
    assert listed["limit"] == 10 and [c["id"] for c in listed["collections"]] == [col["id"]]

    pid = ok(admin.post("/admin/products", json={"title": "Scarf"}))["product"]["id"]
    ok(admin.post(f"/admin/collections/{col['id']}/products", json={"add": [pid]}))
    assert ok(admin.get(f"/admin/products/{pid}"))["product"]["collection"]["id"] == col["id"]
    ok(admin.post(f"/admin/collections/{col['id']}/products", json={"remove": [pid]}))
    assert ok(admin.get(f"/admin/products/{pid}"))["product"]["collection_id"] is None

    ok(admin.post(f"/admin/products/{pid}", json={"collection_id": col["id"]}))
    assert ok(admin.delete(f"/admin/collections/{col['id']}")) == {
        "id": col["id"],
        "object": "collection",
        "deleted": True,
    }
    assert ok(admin.get(f"/admin/products/{pid}"))["product"]["collection_id"] is None, "deleting detaches"
    assert_error(admin.get(f"/admin/collections/{col['id']}"), 404, "not_found")
    assert_error(admin.post("/admin/collections", json={}), 400, "invalid_data", "title")


def test_tags_and_types(admin: httpx.Client) -> None:
    for path, one, many, prefix in (
        ("/admin/product-tags", "product_tag", "product_tags", "ptag_"),
        ("/admin/product-types", "product_type", "product_types", "ptyp_"),
    ):
        a = ok(admin.post(path, json={"value": "Alpha", "metadata": {"k": "v"}}))[one]
        assert a["id"].startswith(prefix)
        assert set(a) == {"id", "value", "created_at", "updated_at", "metadata"}
        b = ok(admin.post(path, json={"value": "Beta"}))[one]
        assert_error(admin.post(path, json={"value": "Alpha"}), 422, "duplicate_error", "Alpha")
        assert_error(admin.post(path, json={"value": "Gamma", "rank": 1}), 400, "invalid_data", "rank")
        renamed = ok(admin.post(f"{path}/{b['id']}", json={"value": "Bravo"}))[one]
        assert renamed["value"] == "Bravo"
        listed = ok(admin.get(path, params={"q": "a", "order": "value"}))
        assert [x["value"] for x in listed[many]] == ["Alpha", "Bravo"] and listed["limit"] == 20
        assert ok(admin.get(path, params={"value": "Bravo"}))["count"] == 1
        assert ok(admin.get(f"{path}/{a['id']}", params={"fields": "value"}))[one] == {"id": a["id"], "value": "Alpha"}
        assert ok(admin.delete(f"{path}/{a['id']}")) == {"id": a["id"], "object": one, "deleted": True}
        assert_error(admin.get(f"{path}/{a['id']}"), 404, "not_found")
        assert_error(admin.delete(f"{path}/{a['id']}"), 404, "not_found")
        ok(admin.post(path, json={"value": "Alpha"}))  # free again after the delete


def test_deleting_a_tag_or_type_unlinks_products(admin: httpx.Client) -> None:
    tag = ok(admin.post("/admin/product-tags", json={"value": "temp-tag"}))["product_tag"]["id"]
    kind = ok(admin.post("/admin/product-types", json={"value": "temp-type"}))["product_type"]["id"]
    pid = ok(admin.post("/admin/products", json={"title": "Tagged", "tags": [{"id": tag}], "type_id": kind}))[
        "product"
    ]["id"]
    ok(admin.delete(f"/admin/product-tags/{tag}"))
    ok(admin.delete(f"/admin/product-types/{kind}"))
    product = ok(admin.get(f"/admin/products/{pid}"))["product"]
    assert product["tags"] == [] and product["type_id"] is None and product["type"] is None
