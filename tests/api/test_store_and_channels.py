"""Stores, sales channels and currencies through the admin and store APIs."""

import httpx

from tests.conftest import assert_error


def test_sales_channel_crud(admin: httpx.Client) -> None:
    r = admin.post("/admin/sales-channels", json={"name": "POS", "description": "Shop floor", "metadata": {"a": 1}})
    assert r.status_code == 200, r.text
    channel = r.json()["sales_channel"]
    assert channel["id"].startswith("sc_")
    assert channel | {"name": "POS", "description": "Shop floor", "is_disabled": False, "metadata": {"a": 1}} == channel
    updated = admin.post(f"/admin/sales-channels/{channel['id']}", json={"is_disabled": True, "description": None})
    assert updated.json()["sales_channel"]["is_disabled"] is True
    assert updated.json()["sales_channel"]["description"] is None
    assert updated.json()["sales_channel"]["name"] == "POS"
    listed = admin.get("/admin/sales-channels", params={"q": "po"}).json()
    assert [c["id"] for c in listed["sales_channels"]] == [channel["id"]]
    assert admin.delete(f"/admin/sales-channels/{channel['id']}").json()["deleted"] is True
    assert_error(admin.get(f"/admin/sales-channels/{channel['id']}"), 404, "not_found")
    assert_error(admin.post("/admin/sales-channels", json={}), 400, "invalid_data", "name")


def test_store_settings(admin: httpx.Client) -> None:
    stores = admin.get("/admin/stores").json()
    assert stores["count"] == 1
    shop = stores["stores"][0]
    assert shop["default_sales_channel_id"].startswith("sc_")
    assert shop["default_region_id"].startswith("reg_")
    assert [(c["currency_code"], c["is_default"]) for c in shop["supported_currencies"]] == [
        ("usd", True),
        ("eur", False),
    ]
    r = admin.post(
        f"/admin/stores/{shop['id']}",
        json={
            "name": "Renamed",
            "supported_currencies": [{"currency_code": "eur", "is_default": True}, {"currency_code": "gbp"}],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["store"]["name"] == "Renamed"
    assert sorted(c["currency_code"] for c in r.json()["store"]["supported_currencies"]) == ["eur", "gbp"]
    bad = admin.post(
        f"/admin/stores/{shop['id']}",
        json={"name": "Half", "supported_currencies": [{"currency_code": "eur"}, {"currency_code": "usd"}]},
    )
    assert_error(bad, 400, "invalid_data", "default")
    assert admin.get(f"/admin/stores/{shop['id']}").json()["store"]["name"] == "Renamed", "nothing half-written"
    assert_error(admin.post(f"/admin/stores/{shop['id']}", json={"default_region_id": "reg_nope"}), 404, "not_found")
    assert_error(
        admin.post(
            f"/admin/stores/{shop['id']}", json={"supported_currencies": [{"currency_code": "qqq", "is_default": True}]}
        ),
        400,
        "invalid_data",
        "qqq",
    )


def test_currencies(store: httpx.Client, admin: httpx.Client) -> None:
    body = store.get("/store/currencies", params={"limit": 500}).json()
    assert body["count"] >= 120
    usd = next(c for c in body["currencies"] if c["code"] == "usd")
    assert usd | {"symbol": "$", "symbol_native": "$", "decimal_digits": 2, "name": "US Dollar"} == usd
    jpy = admin.get("/admin/currencies/JPY").json()["currency"]
    assert jpy["decimal_digits"] == 0
    assert_error(admin.get("/admin/currencies/xyz"), 404, "not_found")
    assert store.get("/store/currencies", params={"code": ["eur", "usd"]}).json()["count"] == 2
