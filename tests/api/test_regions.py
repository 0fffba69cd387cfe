"""Regions: the store reads (publishable key, cache kept fresh by NOTIFY) and admin CRUD with Medusa's rules."""

import httpx

from tests.conftest import assert_error, eventually


def test_store_lists_the_demo_regions_in_medusa_shape(store: httpx.Client) -> None:
    r = store.get("/store/regions")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"regions", "count", "offset", "limit"}
    assert (body["count"], body["offset"], body["limit"]) == (2, 0, 20)
    na = next(reg for reg in body["regions"] if reg["name"] == "North America")
    assert set(na) == {"id", "name", "currency_code", "created_at", "updated_at", "deleted_at", "metadata", "countries"}
    assert na["currency_code"] == "usd"
    us = next(c for c in na["countries"] if c["iso_2"] == "us")
    assert us == us | {
        "iso_3": "usa",
        "num_code": "840",
        "name": "UNITED STATES",
        "display_name": "United States",
        "region_id": na["id"],
    }


def test_store_region_requires_a_publishable_key(client: httpx.Client) -> None:
    assert_error(client.get("/store/regions"), 400, "not_allowed", "x-publishable-api-key")
    assert_error(
        client.get("/store/regions", headers={"x-publishable-api-key": "pk_unknown"}),
        400,
        "not_allowed",
        "valid publishable key",
    )


def test_store_retrieve_fields_and_paging(store: httpx.Client) -> None:
    regions = store.get("/store/regions", params={"order": "name"}).json()["regions"]
    assert [r["name"] for r in regions] == ["Europe", "North America"]
    one = store.get(f"/store/regions/{regions[0]['id']}", params={"fields": "name,*payment_providers"})
    assert one.status_code == 200
    assert one.json()["region"] == {
        "id": regions[0]["id"],
        "name": "Europe",
        "payment_providers": [{"id": "pp_system_default", "is_enabled": True}],
    }
    minus = store.get("/store/regions", params={"fields": "-countries,-metadata", "limit": 1, "offset": 1}).json()
    assert minus["count"] == 2 and len(minus["regions"]) == 1
    assert "countries" not in minus["regions"][0] and "metadata" not in minus["regions"][0]
    filtered = store.get("/store/regions", params={"currency_code": "eur"}).json()
    assert [r["name"] for r in filtered["regions"]] == ["Europe"]
    assert store.get("/store/regions", params={"q": "north"}).json()["count"] == 1
    assert_error(store.get("/store/regions/reg_missing"), 404, "not_found", "reg_missing")


def test_admin_creates_updates_and_deletes_a_region_seen_by_the_store(admin: httpx.Client, store: httpx.Client) -> None:
    r = admin.post(
        "/admin/regions",
        json={
            "name": "Nordics",
            "currency_code": "NOK",
            "countries": ["no", "IS"],
            "automatic_taxes": False,
            "payment_providers": ["pp_system_default"],
            "metadata": {"team": "north"},
        },
    )
    assert r.status_code == 200, r.text
    region = r.json()["region"]
    assert region["currency_code"] == "nok"
    assert region["automatic_taxes"] is False
    assert region["metadata"] == {"team": "north"}
    assert sorted(c["iso_2"] for c in region["countries"]) == ["is", "no"]
    region_id = region["id"]
    assert eventually(lambda: any(x["id"] == region_id for x in store.get("/store/regions").json()["regions"]))

    r = admin.post(f"/admin/regions/{region_id}", json={"name": "Norway", "countries": ["no"]})
    assert r.status_code == 200, r.text
    assert r.json()["region"]["name"] == "Norway"
    assert [c["iso_2"] for c in r.json()["region"]["countries"]] == ["no"]
    # Iceland is free again and can join another region.
    other = admin.post("/admin/regions", json={"name": "Iceland", "currency_code": "isk", "countries": ["is"]})
    assert other.status_code == 200, other.text
    assert eventually(lambda: store.get(f"/store/regions/{region_id}").json().get("region", {}).get("name") == "Norway")

    d = admin.delete(f"/admin/regions/{region_id}")
    assert d.status_code == 200
    assert d.json() == {"id": region_id, "object": "region", "deleted": True}
    assert eventually(lambda: store.get(f"/store/regions/{region_id}").status_code == 404)
    assert_error(admin.get(f"/admin/regions/{region_id}"), 404, "not_found")
    assert_error(admin.delete(f"/admin/regions/{region_id}"), 404, "not_found")
    # Norway's country was released with the region.
    again = admin.post("/admin/regions", json={"name": "Norway 2", "currency_code": "nok", "countries": ["no"]})
    assert again.status_code == 200, again.text


def test_a_country_belongs_to_one_region_at_most(admin: httpx.Client) -> None:
    before = admin.get("/admin/regions", params={"limit": 100}).json()["count"]
    r = admin.post("/admin/regions", json={"name": "Dup", "currency_code": "usd", "countries": ["us"]})
    assert_error(r, 400, "invalid_data", "us")
    assert admin.get("/admin/regions", params={"limit": 100}).json()["count"] == before, "nothing half-written"


def test_region_validation_errors(admin: httpx.Client) -> None:
    assert_error(admin.post("/admin/regions", json={"name": "X", "currency_code": "zzz"}), 400, "invalid_data", "zzz")
    assert_error(
        admin.post("/admin/regions", json={"name": "X", "currency_code": "usd", "countries": ["xx"]}),
        400,
        "invalid_data",
        "xx",
    )
    assert_error(
        admin.post("/admin/regions", json={"name": "X", "currency_code": "usd", "countries": ["usa"]}),
        400,
        "invalid_data",
        "countries",
    )
    assert_error(
        admin.post("/admin/regions", json={"name": "X", "currency_code": "usd", "payment_providers": ["pp_nope"]}),
        404,
        "not_found",
        "pp_nope",
    )
    assert_error(admin.post("/admin/regions", json={"name": "", "currency_code": "usd"}), 400, "invalid_data", "name")
    assert_error(admin.post("/admin/regions/reg_nope", json={"name": "Y"}), 404, "not_found")


def test_admin_list_filters_and_orders(admin: httpx.Client) -> None:
    body = admin.get("/admin/regions", params={"currency_code": "usd", "fields": "id,name"}).json()
    assert body["count"] == 1
    assert body["regions"] == [{"id": body["regions"][0]["id"], "name": "North America"}]
    names = [r["name"] for r in admin.get("/admin/regions", params={"order": "-name", "limit": 100}).json()["regions"]]
    assert names == sorted(names, reverse=True)
    empty = admin.get("/admin/regions", params={"offset": 1000}).json()
    assert empty["regions"] == [] and empty["count"] >= 2
