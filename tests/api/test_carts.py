"""Carts over HTTP: priced lines, quantity tiers, region switch, totals from the engine; bad input leaves the cart
unchanged; concurrent writers never lose an item."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import assert_error, eventually


@pytest.fixture(scope="module")
def shop(admin: httpx.Client, store: httpx.Client) -> dict[str, Any]:
    channel = admin.get("/admin/stores").json()["stores"][0]["default_sales_channel_id"]
    regions = {r["name"]: r["id"] for r in admin.get("/admin/regions").json()["regions"]}
    prices = [
        {"currency_code": "usd", "amount": 20},
        {"currency_code": "usd", "amount": 17, "min_quantity": 10},
        {"currency_code": "eur", "amount": "18.50"},
    ]
    r = admin.post(
        "/admin/products",
        json={
            "title": "Tee",
            "status": "published",
            "sales_channels": [{"id": channel}],
            "options": [{"title": "Size", "values": ["S", "M", "L"]}],
            "variants": [
                {"title": s, "options": {"Size": s}, "prices": prices, "manage_inventory": False}
                for s in ("S", "M", "L")
            ],
        },
    )
    assert r.status_code == 200, r.text
    variants = {v["title"]: v["id"] for v in r.json()["product"]["variants"]}
    other = admin.post("/admin/sales-channels", json={"name": "B2B"}).json()["sales_channel"]["id"]
    hidden = admin.post(
        "/admin/products",
        json={
            "title": "B2B only",
            "status": "published",
            "sales_channels": [{"id": other}],
            "options": [{"title": "Size", "values": ["One"]}],
            "variants": [{"title": "One", "options": {"Size": "One"}, "prices": prices, "manage_inventory": False}],
        },
    ).json()["product"]
    assert eventually(lambda: store.get("/store/products").json()["count"] == 1)
    return {"regions": regions, "variants": variants, "hidden_variant": hidden["variants"][0]["id"]}


def _cart(store: httpx.Client, shop: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = store.post("/store/carts", json={"region_id": shop["regions"]["North America"], **body})
    assert r.status_code == 200, r.text
    cart: dict[str, Any] = r.json()["cart"]
    return cart


def test_a_cart_through_its_life(store: httpx.Client, shop: dict[str, Any]) -> None:
    v = shop["variants"]
    cart = _cart(store, shop, email="shopper@example.com", items=[{"variant_id": v["S"], "quantity": 2}])
    assert cart["currency_code"] == "usd" and cart["region"]["name"] == "North America"
    assert [(i["variant_id"], i["quantity"], i["unit_price"]) for i in cart["items"]] == [(v["S"], 2, 20)]
    assert (cart["subtotal"], cart["total"], cart["tax_total"], cart["item_total"]) == (40, 40, 0, 40)
    assert cart["items"][0]["product_title"] == "Tee" and cart["items"][0]["variant_option_values"] == {"Size": "S"}
    cid = cart["id"]

    cart = store.post(f"/store/carts/{cid}/line-items", json={"variant_id": v["M"], "quantity": 1}).json()["cart"]
    cart = store.post(f"/store/carts/{cid}/line-items", json={"variant_id": v["S"], "quantity": 1}).json()["cart"]
    assert sorted((i["variant_id"], i["quantity"]) for i in cart["items"]) == sorted([(v["S"], 3), (v["M"], 1)])
    assert cart["total"] == 80

    line_s = next(i["id"] for i in cart["items"] if i["variant_id"] == v["S"])
    cart = store.post(f"/store/carts/{cid}/line-items/{line_s}", json={"quantity": 10}).json()["cart"]
    s_line = next(i for i in cart["items"] if i["id"] == line_s)
    assert (s_line["unit_price"], s_line["subtotal"]) == (17, 170), "the 10+ tier price"
    assert cart["total"] == 190

    cart = store.post(f"/store/carts/{cid}", json={"region_id": shop["regions"]["Europe"]}).json()["cart"]
    assert cart["currency_code"] == "eur"
    assert sorted(i["unit_price"] for i in cart["items"]) == [18.5, 18.5]
    assert cart["total"] == 203.5  # 11 x 18.50

    line_m = next(i["id"] for i in cart["items"] if i["variant_id"] == v["M"])
    gone = store.delete(f"/store/carts/{cid}/line-items/{line_m}")
    assert gone.json()["deleted"] is True and len(gone.json()["parent"]["items"]) == 1
    cart = store.post(f"/store/carts/{cid}/line-items/{line_s}", json={"quantity": 0}).json()["cart"]
    assert cart["items"] == [] and cart["total"] == 0
    assert store.get(f"/store/carts/{cid}").json()["cart"]["id"] == cid


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"variant_id": "variant_nope", "quantity": 1}, 400, "variant_nope"),
        ({"variant_id": "HIDDEN", "quantity": 1}, 400, "sales channel"),
        ({"variant_id": "S", "quantity": 0}, 400, "quantity"),
        ({"variant_id": "S", "quantity": -2}, 400, "quantity"),
        ({"variant_id": "S", "quantity": 10**9}, 400, "quantity"),
        ({"variant_id": "S", "quantity": "two"}, 400, "quantity"),
    ],
)
def test_bad_line_items_leave_the_cart_unchanged(
    store: httpx.Client, shop: dict[str, Any], body: dict[str, Any], status: int, needle: str
) -> None:
    cart = _cart(store, shop, items=[{"variant_id": shop["variants"]["L"], "quantity": 1}])
    variant = {"S": shop["variants"]["S"], "HIDDEN": shop["hidden_variant"]}.get(body["variant_id"], body["variant_id"])
    r = store.post(f"/store/carts/{cart['id']}/line-items", json={**body, "variant_id": variant})
    assert_error(r, status, "invalid_data", needle)
    after = store.get(f"/store/carts/{cart['id']}").json()["cart"]
    assert [(i["variant_id"], i["quantity"]) for i in after["items"]] == [(shop["variants"]["L"], 1)]
    assert after["total"] == cart["total"]


def test_unknown_cart_region_and_line(store: httpx.Client, shop: dict[str, Any]) -> None:
    assert_error(store.get("/store/carts/cart_nope"), 404, "not_found")
    assert_error(store.post("/store/carts", json={"region_id": "reg_nope"}), 404, "not_found")
    cart = _cart(store, shop)
    assert_error(store.post(f"/store/carts/{cart['id']}/line-items/cali_nope", json={"quantity": 2}), 404, "not_found")
    assert_error(store.post(f"/store/carts/{cart['id']}", json={"region_id": "reg_nope"}), 404, "not_found")
    assert_error(
        store.post("/store/carts", json={"region_id": shop["regions"]["Europe"], "currency_code": "usd"}),
        400,
        "invalid_data",
        "currency",
    )


def test_concurrent_writers_never_lose_an_item(store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = _cart(store, shop)
    variants = list(shop["variants"].values())

    def add(n: int) -> int:
        r = store.post(f"/store/carts/{cart['id']}/line-items", json={"variant_id": variants[n % 3], "quantity": 1})
        return r.status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(add, range(36)))
    assert statuses == [200] * 36
    final = store.get(f"/store/carts/{cart['id']}").json()["cart"]
    assert sorted(i["quantity"] for i in final["items"]) == [12, 12, 12]
    # Totals always agree with the lines they were computed from.
    assert final["subtotal"] == sum(i["unit_price"] * i["quantity"] for i in final["items"]) == 36 * 17


def test_a_logged_in_customer_takes_over_a_guest_cart(store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = _cart(store, shop, items=[{"variant_id": shop["variants"]["M"], "quantity": 1}])
    email = "taker@example.com"
    reg = store.post("/auth/customer/emailpass/register", json={"email": email, "password": "long enough pw"})
    store.post("/store/customers", json={"email": email}, headers={"authorization": f"Bearer {reg.json()['token']}"})
    token = store.post("/auth/customer/emailpass", json={"email": email, "password": "long enough pw"}).json()["token"]
    assert_error(store.post(f"/store/carts/{cart['id']}/customer"), 401, "unauthorized")
    r = store.post(f"/store/carts/{cart['id']}/customer", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["cart"]["email"] == email and r.json()["cart"]["customer_id"].startswith("cus_")


def test_a_group_the_customer_joins_between_two_changes_prices_the_second(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    """The cart's customer and their groups are read with the cart, not kept with it: after the customer joins a
    group with its own price list, the next change of their cart prices the line at that list's price."""
    group = admin.post("/admin/customer-groups", json={"name": "Cart VIP"}).json()["customer_group"]["id"]
    listed = {
        "title": "Cart VIP",
        "description": "",
        "type": "override",
        "status": "active",
        "rules": {"customer_group_id": [group]},
        "prices": [{"variant_id": shop["variants"]["L"], "currency_code": "usd", "amount": 9}],
    }
    assert admin.post("/admin/price-lists", json=listed).status_code == 200
    email = "joiner@example.com"
    reg = store.post("/auth/customer/emailpass/register", json={"email": email, "password": "long enough pw"})
    created = store.post(
        "/store/customers", json={"email": email}, headers={"authorization": f"Bearer {reg.json()['token']}"}
    ).json()["customer"]
    token = store.post("/auth/customer/emailpass", json={"email": email, "password": "long enough pw"}).json()["token"]
    me = {"authorization": f"Bearer {token}"}
    cart = store.post("/store/carts", json={"region_id": shop["regions"]["North America"]}, headers=me).json()["cart"]
    path = f"/store/carts/{cart['id']}/line-items"
    cart = store.post(path, json={"variant_id": shop["variants"]["L"], "quantity": 1}, headers=me).json()["cart"]
    assert [(i["quantity"], i["unit_price"]) for i in cart["items"]] == [(1, 20)]
    added = admin.post(f"/admin/customer-groups/{group}/customers", json={"add": [created["id"]]})
    assert added.status_code == 200, added.text

    def listed_price() -> Any:
        params = {"fields": "*variants.calculated_price", "region_id": shop["regions"]["North America"]}
        products = store.get("/store/products", params=params, headers=me).json()["products"]
        variant = next(v for p in products for v in p["variants"] if v["id"] == shop["variants"]["L"])
        return variant["calculated_price"]["calculated_amount"]

    assert eventually(lambda: listed_price() == 9), "the worker knows the price list"
    line = cart["items"][0]["id"]
    cart = store.post(f"{path}/{line}", json={"quantity": 2}, headers=me).json()["cart"]
    assert [(i["quantity"], i["unit_price"]) for i in cart["items"]] == [(2, 9)]
    assert cart["customer"]["groups"] == [{"id": group}] and cart["subtotal"] == 18


def _tax_region(admin: httpx.Client, country_code: str, rate: int, code: str, name: str) -> None:
    r = admin.post(
        "/admin/tax-regions",
        json={
            "country_code": country_code,
            "provider_id": "tp_system",
            "default_tax_rate": {"rate": rate, "code": code, "name": name},
        },
    )
    assert r.status_code == 200, r.text


def _ten_percent_off(admin: httpx.Client, code: str) -> None:
    r = admin.post(
        "/admin/promotions",
        json={
            "code": code,
            "type": "standard",
            "status": "active",
            "application_method": {"type": "percentage", "target_type": "items", "allocation": "across", "value": 10},
        },
    )
    assert r.status_code == 200, r.text


def test_taxes_follow_the_shipping_address(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    _tax_region(admin, "us", 10, "US", "US sales tax")
    cart = _cart(store, shop, items=[{"variant_id": shop["variants"]["M"], "quantity": 2}])
    assert cart["tax_total"] == 0, "no address, no tax"
    us = {"first_name": "A", "address_1": "1 Main St", "city": "Austin", "country_code": "US", "province": "tx"}
    taxed = store.post(f"/store/carts/{cart['id']}", json={"shipping_address": us}).json()["cart"]
    assert (taxed["subtotal"], taxed["tax_total"], taxed["total"]) == (40, 4, 44)
    assert taxed["items"][0]["tax_lines"][0]["rate"] == 10
    assert taxed["items"][0]["tax_lines"][0]["code"] == "US"
    explicit = store.post(f"/store/carts/{cart['id']}/taxes").json()["cart"]
    assert explicit["tax_total"] == 4
    assert_error(
        store.post(f"/store/carts/{cart['id']}", json={"shipping_address": {**us, "country_code": "de"}}),
        400,
        "invalid_data",
        "not within region",
    )
    # Moving to Europe drops the US address (it does not ship from there), and with it the tax.
    moved = store.post(f"/store/carts/{cart['id']}", json={"region_id": shop["regions"]["Europe"]}).json()["cart"]
    assert moved["shipping_address"] is None and moved["tax_total"] == 0
    assert_error(store.post(f"/store/carts/{_cart(store, shop)['id']}/taxes"), 400, "invalid_data", "address")


def test_promo_codes_on_create_and_update(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    code = "TENOFFCART"
    _ten_percent_off(admin, code)

    def create() -> httpx.Response:
        return store.post(
            "/store/carts",
            json={
                "region_id": shop["regions"]["North America"],
                "promo_codes": [code],
                "items": [{"variant_id": shop["variants"]["S"], "quantity": 1}],
            },
        )

    assert eventually(lambda: create().status_code == 200)
    cart = create().json()["cart"]
    assert (cart["discount_total"], cart["total"]) == (2, 18)
    plain = _cart(store, shop, items=[{"variant_id": shop["variants"]["S"], "quantity": 1}])
    updated = store.post(f"/store/carts/{plain['id']}", json={"promo_codes": [code]}).json()["cart"]
    assert updated["discount_total"] == 2
    assert_error(store.post(f"/store/carts/{plain['id']}", json={"promo_codes": ["NOPE"]}), 400, "invalid_data", "NOPE")


def test_a_change_keeps_the_ids_of_the_adjustments_and_tax_lines_that_stay(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    """Every change evaluates promotions and taxes again: a line's adjustment by the same promotion and its tax line
    at the same rate keep their ids (amounts follow the line), a new line gets its own, and the answer of a change is
    what a retrieve then reads."""
    _tax_region(admin, "ca", 5, "GST", "GST")
    _ten_percent_off(admin, "KEEPIDS")
    v = shop["variants"]
    cid = _cart(store, shop, items=[{"variant_id": v["S"], "quantity": 1}])["id"]
    ca = {"first_name": "A", "address_1": "1 King St", "city": "Toronto", "country_code": "ca", "province": "on"}

    def taxed_and_discounted() -> bool:
        r = store.post(f"/store/carts/{cid}", json={"shipping_address": ca, "promo_codes": ["KEEPIDS"]})
        return r.status_code == 200 and r.json()["cart"]["tax_total"] > 0

    assert eventually(taxed_and_discounted)
    before = store.get(f"/store/carts/{cid}").json()["cart"]["items"][0]
    assert (len(before["adjustments"]), len(before["tax_lines"])) == (1, 1)
    changed = store.post(f"/store/carts/{cid}/line-items/{before['id']}", json={"quantity": 3}).json()["cart"]
    after = changed["items"][0]
    assert [a["id"] for a in after["adjustments"]] == [a["id"] for a in before["adjustments"]]
    assert [t["id"] for t in after["tax_lines"]] == [t["id"] for t in before["tax_lines"]]
    assert (after["adjustments"][0]["amount"], after["discount_total"], after["tax_total"]) == (6, 6.3, 2.7)
    added = store.post(f"/store/carts/{cid}/line-items", json={"variant_id": v["M"], "quantity": 1}).json()["cart"]
    ids = [x["id"] for i in added["items"] for x in (*i["adjustments"], *i["tax_lines"])]
    assert len(ids) == len(set(ids)) == 4 and set(ids) >= {after["adjustments"][0]["id"], after["tax_lines"][0]["id"]}
    assert store.get(f"/store/carts/{cid}").json()["cart"] == added


def test_tax_inclusive_prices(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    pref = admin.post(
        "/admin/price-preferences", json={"attribute": "currency_code", "value": "eur", "is_tax_inclusive": True}
    )
    assert pref.status_code == 200, pref.text
    region = admin.post(
        "/admin/tax-regions",
        json={
            "country_code": "de",
            "provider_id": "tp_system",
            "default_tax_rate": {"rate": 19, "code": "DE", "name": "MwSt"},
        },
    )
    assert region.status_code == 200, region.text
    de = {"first_name": "B", "address_1": "Unter den Linden 1", "city": "Berlin", "country_code": "de"}

    def cart() -> dict[str, Any]:
        r = store.post(
            "/store/carts",
            json={
                "region_id": shop["regions"]["Europe"],
                "shipping_address": de,
                "items": [{"variant_id": shop["variants"]["S"], "quantity": 2}],
            },
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()["cart"]
        return body

    assert eventually(lambda: cart()["items"][0]["is_tax_inclusive"] is True)
    c = cart()
    # 2 x 18.50 with 19 % VAT inside: total 37.00, tax 37 - 37 / 1.19 = 5.91, net 31.09.
    assert (c["total"], c["tax_total"], c["subtotal"]) == (37, 5.91, 31.09)
    assert c["items"][0]["tax_lines"][0]["rate"] == 19
