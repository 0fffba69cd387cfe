"""Price lists and price preferences through the admin API (variants get their price sets from pricing)."""

from decimal import Decimal
from typing import Any

import httpx
import pytest

from commerce.pricing import service as pricing
from commerce.pricing.schemas import PriceInput
from tests.conftest import assert_error, run_async


@pytest.fixture(scope="module")
def variants(db_url: str) -> list[str]:
    ids = ["variant_pl_test_1", "variant_pl_test_2"]

    async def work(conn: Any) -> None:
        for v in ids:
            await pricing.set_variant_prices(conn, v, [PriceInput(currency_code="usd", amount=Decimal("20"))])

    run_async(db_url, work)
    return ids


def test_price_list_lifecycle(admin: httpx.Client, variants: list[str]) -> None:
    body = {
        "title": "Black Friday",
        "description": "30% off",
        "type": "sale",
        "status": "active",
        "starts_at": "2026-11-27T00:00:00Z",
        "ends_at": "2026-11-30T00:00:00Z",
        "rules": {"customer_group_id": ["cusgroup_vip"]},
        "prices": [
            {"variant_id": variants[0], "currency_code": "USD", "amount": 14.99},
            {
                "variant_id": variants[1],
                "currency_code": "usd",
                "amount": "12.5",
                "min_quantity": 2,
                "rules": {"region_id": "reg_1"},
            },
        ],
    }
    r = admin.post("/admin/price-lists", json=body)
    assert r.status_code == 200, r.text
    pl = r.json()["price_list"]
    assert pl["id"].startswith("plist_")
    assert (pl["type"], pl["status"], pl["rules"]) == ("sale", "active", {"customer_group_id": ["cusgroup_vip"]})
    assert pl["starts_at"].startswith("2026-11-27T00:00:00")
    prices = {p["variant_id"]: p for p in pl["prices"]}
    assert prices[variants[0]]["amount"] == 14.99 and prices[variants[0]]["currency_code"] == "usd"
    assert prices[variants[1]]["min_quantity"] == 2 and prices[variants[1]]["rules"] == {"region_id": "reg_1"}

    batch = admin.post(
        f"/admin/price-lists/{pl['id']}/prices/batch",
        json={
            "create": [{"variant_id": variants[1], "currency_code": "eur", "amount": 11}],
            "update": [{"id": prices[variants[0]]["id"], "variant_id": variants[0], "amount": 13}],
            "delete": [prices[variants[1]]["id"]],
        },
    )
    assert batch.status_code == 200, batch.text
    result = batch.json()
    assert [p["amount"] for p in result["created"]] == [11]
    assert [p["amount"] for p in result["updated"]] == [13]
    assert result["deleted"] == {"ids": [prices[variants[1]]["id"]], "object": "price", "deleted": True}
    after = admin.get(f"/admin/price-lists/{pl['id']}").json()["price_list"]
    assert sorted((p["currency_code"], p["amount"]) for p in after["prices"]) == [("eur", 11), ("usd", 13)]

    updated = admin.post(f"/admin/price-lists/{pl['id']}", json={"status": "draft", "title": "BF"})
    assert updated.json()["price_list"]["status"] == "draft"
    assert admin.get("/admin/price-lists", params={"q": "bf"}).json()["count"] == 1
    assert admin.delete(f"/admin/price-lists/{pl['id']}").json()["deleted"] is True
    assert_error(admin.get(f"/admin/price-lists/{pl['id']}"), 404, "not_found")


@pytest.mark.parametrize(
    ("price", "needle"),
    [
        ({"currency_code": "usd", "amount": -1}, "amount"),
        ({"currency_code": "usd", "amount": "NaN"}, "amount"),
        ({"currency_code": "usd", "amount": "1e400"}, "amount"),
        ({"currency_code": "usd", "amount": 1, "min_quantity": 5, "max_quantity": 2}, "min_quantity"),
        ({"currency_code": "us", "amount": 1}, "currency_code"),
        ({"currency_code": "usd", "amount": 1, "rules": {"planet": "mars"}}, "rules"),
        ({"currency_code": "usd", "amount": 1, "variant_id": "variant_missing"}, "variant_missing"),
    ],
)
def test_bad_prices_are_rejected_and_nothing_is_written(
    admin: httpx.Client, variants: list[str], price: dict[str, Any], needle: str
) -> None:
    before = admin.get("/admin/price-lists").json()["count"]
    r = admin.post(
        "/admin/price-lists", json={"title": "Bad", "description": "", "prices": [{"variant_id": variants[0], **price}]}
    )
    assert_error(r, 400, "invalid_data", needle)
    assert admin.get("/admin/price-lists").json()["count"] == before


def test_price_list_window_must_be_ordered(admin: httpx.Client) -> None:
    r = admin.post(
        "/admin/price-lists",
        json={"title": "x", "description": "", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
    )
    assert_error(r, 400, "invalid_data", "starts_at")


def test_price_preferences(admin: httpx.Client) -> None:
    r = admin.post(
        "/admin/price-preferences", json={"attribute": "currency_code", "value": "EUR", "is_tax_inclusive": True}
    )
    assert r.status_code == 200, r.text
    pref = r.json()["price_preference"]
    assert (pref["attribute"], pref["value"], pref["is_tax_inclusive"]) == ("currency_code", "eur", True)
    assert_error(
        admin.post("/admin/price-preferences", json={"attribute": "currency_code", "value": "eur"}),
        422,
        "duplicate_error",
    )
    assert_error(
        admin.post("/admin/price-preferences", json={"attribute": "color", "value": "x"}),
        400,
        "invalid_data",
        "attribute",
    )
    flipped = admin.post(f"/admin/price-preferences/{pref['id']}", json={"is_tax_inclusive": False})
    assert flipped.json()["price_preference"]["is_tax_inclusive"] is False
    assert admin.get("/admin/price-preferences", params={"attribute": "currency_code"}).json()["count"] == 1
    assert admin.delete(f"/admin/price-preferences/{pref['id']}").json()["deleted"] is True
