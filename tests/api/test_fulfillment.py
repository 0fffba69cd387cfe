"""Stock locations and shipping options over HTTP: an admin sets up a location serving the store's sales channel,
a fulfillment set with a zone (the US, and Quebec), flat options priced per currency and per region, and a
weight-table option; the store lists, for a cart, only the options serving its address, channel and rules, with
their price; calculated options are priced from the cart's weight; bad input is refused with nothing written."""

import asyncio
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from commerce import fulfillment
from commerce.catalog.documents import CatalogReads, Documents
from commerce.catalog.prices import load_prices
from commerce.errors import InvalidData
from commerce.flows.cart import Reads
from commerce.promotion.service import load_promotions
from commerce.region.service import load_catalog as load_regions
from commerce.tax.service import load_rates
from tests.conftest import assert_error, eventually

ENABLED = [
    {"attribute": "enabled_in_store", "operator": "eq", "value": "true"},
    {"attribute": "is_return", "operator": "eq", "value": "false"},
]
SETS = "*fulfillment_sets,*fulfillment_sets.service_zones,*fulfillment_sets.service_zones.geo_zones"
TABLE = {"table": [{"max_weight": 1000, "amount": 5}, {"max_weight": 5000, "amount": "12.5"}, {"amount": 30}]}


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _option(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    option: dict[str, Any] = _ok(admin.post("/admin/shipping-options", json=body))["shipping_option"]
    return option


@pytest.fixture(scope="module")
def setup(admin: httpx.Client, store: httpx.Client) -> dict[str, Any]:
    channel = admin.get("/admin/stores").json()["stores"][0]["default_sales_channel_id"]
    regions = {r["name"]: r["id"] for r in admin.get("/admin/regions").json()["regions"]}
    mexico = _ok(
        admin.post(
            "/admin/regions",
            json={"name": "Mexico", "currency_code": "usd", "countries": ["mx"], "payment_providers": []},
        )
    )["region"]["id"]
    product = _ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Boots",
                "status": "published",
                "weight": 900,
                "sales_channels": [{"id": channel}],
                "options": [{"title": "Size", "values": ["40", "41"]}],
                "variants": [
                    {
                        "title": "40",
                        "options": {"Size": "40"},
                        "weight": 400,
                        "manage_inventory": False,
                        "prices": [{"currency_code": "usd", "amount": 20}, {"currency_code": "eur", "amount": 18}],
                    },
                    {
                        "title": "41",
                        "options": {"Size": "41"},
                        "manage_inventory": False,
                        "prices": [{"currency_code": "usd", "amount": 25}, {"currency_code": "eur", "amount": 23}],
                    },
                ],
            },
        )
    )["product"]
    variants = {v["title"]: v["id"] for v in product["variants"]}

    location = _ok(
        admin.post(
            "/admin/stock-locations",
            json={"name": "  Main warehouse ", "address": {"address_1": "1 Dock St", "country_code": "US"}},
        )
    )["stock_location"]
    assert location["name"] == "Main warehouse" and location["address"]["country_code"] == "us"
    loc = location["id"]
    linked = _ok(
        admin.post(f"/admin/stock-locations/{loc}/sales-channels?fields=*sales_channels", json={"add": [channel]})
    )["stock_location"]
    assert [c["id"] for c in linked["sales_channels"]] == [channel]
    linked = _ok(
        admin.post(
            f"/admin/stock-locations/{loc}/fulfillment-providers?fields=*fulfillment_providers",
            json={"add": ["manual_manual", "weight-table_weight-table"]},
        )
    )["stock_location"]
    assert sorted(p["id"] for p in linked["fulfillment_providers"]) == ["manual_manual", "weight-table_weight-table"]
    with_set = _ok(
        admin.post(
            f"/admin/stock-locations/{loc}/fulfillment-sets?fields={SETS}",
            json={"name": "Main shipping", "type": "shipping"},
        )
    )["stock_location"]
    (fset,) = with_set["fulfillment_sets"]
    assert (fset["name"], fset["type"], fset["service_zones"]) == ("Main shipping", "shipping", [])

    zone_set = _ok(
        admin.post(
            f"/admin/fulfillment-sets/{fset['id']}/service-zones",
            json={
                "name": "US and Quebec",
                "geo_zones": [
                    {"type": "country", "country_code": "us"},
                    {"type": "province", "country_code": "CA", "province_code": "CA-QC"},
                ],
            },
        )
    )["fulfillment_set"]
    (zone,) = zone_set["service_zones"]
    assert sorted((g["type"], g["country_code"], g["province_code"]) for g in zone["geo_zones"]) == [
        ("country", "us", None),
        ("province", "ca", "qc"),
    ]
    profile = _ok(admin.post("/admin/shipping-profiles", json={"name": "Shoes", "type": "default"}))["shipping_profile"]
    common = {"service_zone_id": zone["id"], "shipping_profile_id": profile["id"], "provider_id": "manual_manual"}
    standard = _option(
        admin,
        **common,
        name="Standard",
        price_type="flat",
        type={"label": "Standard", "description": "3-5 days", "code": "standard"},
        prices=[{"currency_code": "usd", "amount": 10}, {"region_id": regions["North America"], "amount": "8.5"}],
        rules=ENABLED,
    )
    express = _option(
        admin,
        **common,
        name="Express",
        price_type="flat",
        type={"label": "Express", "description": "Next day", "code": "express"},
        prices=[{"currency_code": "usd", "amount": 25}],
        rules=[*ENABLED, {"attribute": "item_total", "operator": "gte", "value": "60"}],
    )
    _option(
        admin,
        **common,
        name="Returns",
        price_type="flat",
        type={"label": "Return", "description": "", "code": "return"},
        prices=[{"currency_code": "usd", "amount": 0}],
        rules=[{"attribute": "is_return", "operator": "eq", "value": "true"}],
    )
    _option(
        admin,
        **common,
        name="Admin only",
        price_type="flat",
        type={"label": "Internal", "description": "", "code": "internal"},
        prices=[{"currency_code": "usd", "amount": 1}],
        rules=[{"attribute": "enabled_in_store", "operator": "eq", "value": "false"}],
    )
    by_weight = _option(
        admin,
        **{**common, "provider_id": "weight-table_weight-table"},
        name="By weight",
        price_type="calculated",
        type={"label": "Weight", "description": "Priced by weight", "code": "weight"},
        prices=[],
        data=TABLE,
        rules=ENABLED,
    )
    assert eventually(lambda: store.get(f"/store/products/{product['id']}?region_id={mexico}").status_code == 200)
    return {
        "channel": channel,
        "regions": {**regions, "Mexico": mexico},
        "variants": variants,
        "location": loc,
        "set": fset["id"],
        "zone": zone["id"],
        "profile": profile["id"],
        "standard": standard,
        "express": express,
        "by_weight": by_weight,
    }


def _cart(store: httpx.Client, setup: dict[str, Any], address: dict[str, Any] | None, **body: Any) -> dict[str, Any]:
    payload = {"region_id": setup["regions"]["North America"], **body}
    if address is not None:
        payload["shipping_address"] = {"first_name": "Ada", "address_1": "1 Main St", **address}
    cart: dict[str, Any] = _ok(store.post("/store/carts", json=payload))["cart"]
    return cart


def _options(store: httpx.Client, cart_id: str) -> dict[str, dict[str, Any]]:
    body = _ok(store.get(f"/store/shipping-options?cart_id={cart_id}"))
    return {o["name"]: o for o in body["shipping_options"]}


def test_admin_sees_the_setup_in_medusa_shape(admin: httpx.Client, setup: dict[str, Any]) -> None:
    option = _ok(admin.get(f"/admin/shipping-options/{setup['standard']['id']}"))["shipping_option"]
    assert option["price_type"] == "flat" and option["provider_id"] == "manual_manual"
    assert option["type"]["code"] == "standard" and option["type"]["label"] == "Standard"
    assert option["service_zone"]["id"] == setup["zone"] and option["shipping_profile"]["name"] == "Shoes"
    assert option["provider"] == {"id": "manual_manual", "is_enabled": True}
    assert sorted((r["attribute"], r["operator"], r["value"]) for r in option["rules"]) == [
        ("enabled_in_store", "eq", "true"),
        ("is_return", "eq", "false"),
    ]
    prices = sorted((p["currency_code"], p["amount"], [r["value"] for r in p["price_rules"]]) for p in option["prices"])
    assert prices == [("usd", 8.5, [setup["regions"]["North America"]]), ("usd", 10, [])]

    listed = _ok(admin.get(f"/admin/shipping-options?service_zone_id={setup['zone']}&order=name"))
    assert [o["name"] for o in listed["shipping_options"]] == [
        "Admin only",
        "By weight",
        "Express",
        "Returns",
        "Standard",
    ]
    assert listed["count"] == 5
    at_location = _ok(admin.get(f"/admin/shipping-options?stock_location_id={setup['location']}&limit=2"))
    assert at_location["count"] == 5 and len(at_location["shipping_options"]) == 2
    assert _ok(admin.get("/admin/shipping-options?stock_location_id=sloc_nope"))["count"] == 0

    location = _ok(admin.get(f"/admin/stock-locations/{setup['location']}?fields={SETS}"))["stock_location"]
    assert [z["name"] for z in location["fulfillment_sets"][0]["service_zones"]] == ["US and Quebec"]
    providers = _ok(admin.get(f"/admin/fulfillment-providers?stock_location_id={setup['location']}"))
    assert [p["id"] for p in providers["fulfillment_providers"]] == ["manual_manual", "weight-table_weight-table"]
    everything = _ok(admin.get("/admin/fulfillment-providers"))["fulfillment_providers"]
    assert {"id": "manual_manual", "is_enabled": True} in everything
    profiles = _ok(admin.get("/admin/shipping-profiles?type=default"))["shipping_profiles"]
    assert {p["name"] for p in profiles} >= {"Default Shipping Profile", "Shoes"}


def test_a_us_cart_sees_the_options_serving_it_with_their_price(store: httpx.Client, setup: dict[str, Any]) -> None:
    v = setup["variants"]
    cart = _cart(store, setup, {"country_code": "us", "city": "Austin"}, items=[{"variant_id": v["40"], "quantity": 2}])
    assert eventually(lambda: "Standard" in _options(store, cart["id"]))
    options = _options(store, cart["id"])
    # No return option, no admin-only option; Express needs an item total of 60.
    assert sorted(options) == ["By weight", "Standard"]
    standard = options["Standard"]
    assert standard["amount"] == 8.5, "the North America price beats the plain usd price"
    assert standard["is_tax_inclusive"] is False and standard["calculated_price"]["calculated_amount"] == 8.5
    assert standard["price_type"] == "flat" and standard["provider_id"] == "manual_manual"
    assert standard["type"] == {
        "id": setup["standard"]["type"]["id"],
        "label": "Standard",
        "description": "3-5 days",
        "code": "standard",
    }
    assert standard["service_zone_id"] == setup["zone"] and standard["shipping_profile_id"] == setup["profile"]
    assert {p["amount"] for p in standard["prices"]} == {10, 8.5}
    # 2 x 400 g: the first row of the weight table.
    assert options["By weight"]["amount"] == 5 and options["By weight"]["price_type"] == "calculated"

    store.post(f"/store/carts/{cart['id']}/line-items", json={"variant_id": v["40"], "quantity": 1})
    options = _options(store, cart["id"])
    assert sorted(options) == ["By weight", "Express", "Standard"], "item total 60 now meets Express's rule"
    assert options["Express"]["amount"] == 25
    assert options["By weight"]["amount"] == 12.5  # 1200 g


def test_the_region_price_only_applies_in_its_region(
    admin: httpx.Client, store: httpx.Client, setup: dict[str, Any]
) -> None:
    zone = _ok(
        admin.post(
            f"/admin/fulfillment-sets/{setup['set']}/service-zones",
            json={"name": "Mexico", "geo_zones": [{"type": "country", "country_code": "mx"}]},
        )
    )["fulfillment_set"]["service_zones"]
    zone_id = next(z["id"] for z in zone if z["name"] == "Mexico")
    _option(
        admin,
        name="Standard MX",
        service_zone_id=zone_id,
        shipping_profile_id=setup["profile"],
        provider_id="manual_manual",
        price_type="flat",
        type={"label": "Standard", "description": "", "code": "standard-mx"},
        prices=[{"currency_code": "usd", "amount": 10}, {"region_id": setup["regions"]["North America"], "amount": 8}],
        rules=ENABLED,
    )
    cart = _cart(
        store,
        setup,
        {"country_code": "mx"},
        region_id=setup["regions"]["Mexico"],
        items=[{"variant_id": setup["variants"]["40"], "quantity": 1}],
    )
    assert eventually(lambda: "Standard MX" in _options(store, cart["id"]))
    options = _options(store, cart["id"])
    assert sorted(options) == ["Standard MX"], "the US zone does not serve Mexico"
    assert options["Standard MX"]["amount"] == 10, "the plain usd price: the cart is not in North America"


@pytest.mark.parametrize(
    ("address", "served"),
    [
        ({"country_code": "ca", "province": "QC", "city": "Montréal"}, True),
        ({"country_code": "CA", "province": "ca-qc"}, True),
        ({"country_code": "ca", "province": "ON"}, False),
        ({"country_code": "ca"}, False),
        ({"country_code": "de", "province": "QC", "region": "Europe"}, False),
        (None, False),
    ],
)
def test_only_addresses_in_the_zone_are_served(
    store: httpx.Client, setup: dict[str, Any], address: dict[str, Any] | None, served: bool
) -> None:
    address = dict(address) if address else None
    region = setup["regions"][address.pop("region", "North America") if address else "North America"]
    item = {"variant_id": setup["variants"]["40"], "quantity": 1}
    cart = _cart(store, setup, address, region_id=region, items=[item])
    if served:
        assert eventually(lambda: sorted(_options(store, cart["id"])) == ["By weight", "Standard"])
    else:
        assert _options(store, cart["id"]) == {}


def test_a_location_serves_only_its_sales_channels(
    admin: httpx.Client, store: httpx.Client, setup: dict[str, Any]
) -> None:
    cart = _cart(store, setup, {"country_code": "us"})
    assert eventually(lambda: "Standard" in _options(store, cart["id"]))
    url = f"/admin/stock-locations/{setup['location']}/sales-channels"
    _ok(admin.post(url, json={"remove": [setup["channel"]]}))
    try:
        assert _options(store, cart["id"]) == {}
    finally:
        _ok(admin.post(url, json={"add": [setup["channel"]]}))
    assert "Standard" in _options(store, cart["id"])


def test_calculate_prices_a_calculated_option_from_the_cart_weight(store: httpx.Client, setup: dict[str, Any]) -> None:
    v = setup["variants"]
    option_id = setup["by_weight"]["id"]
    # Size 41 has no weight of its own: its product's 900 g counts.
    cart = _cart(
        store,
        setup,
        {"country_code": "us"},
        items=[{"variant_id": v["40"], "quantity": 1}, {"variant_id": v["41"], "quantity": 1}],
    )
    body = _ok(store.post(f"/store/shipping-options/{option_id}/calculate", json={"cart_id": cart["id"], "data": {}}))
    option = body["shipping_option"]
    assert option["id"] == option_id and option["amount"] == 12.5 and option["is_tax_inclusive"] is False
    assert option["calculated_price"] == {"calculated_amount": 12.5, "is_calculated_price_tax_inclusive": False}

    heavy = _cart(store, setup, {"country_code": "us"}, items=[{"variant_id": v["41"], "quantity": 6}])
    body = _ok(store.post(f"/store/shipping-options/{option_id}/calculate", json={"cart_id": heavy["id"]}))
    assert body["shipping_option"]["amount"] == 30  # 5400 g: the open-ended row

    empty = _cart(store, setup, {"country_code": "us"})
    body = _ok(store.post(f"/store/shipping-options/{option_id}/calculate", json={"cart_id": empty["id"]}))
    assert body["shipping_option"]["amount"] == 5


def test_calculate_refuses_what_it_cannot_price(store: httpx.Client, setup: dict[str, Any]) -> None:
    option_id = setup["by_weight"]["id"]
    cart = _cart(store, setup, {"country_code": "us"})
    outside = _cart(store, setup, {"country_code": "ca", "province": "ON"})
    url = f"/store/shipping-options/{option_id}/calculate"
    assert_error(store.post(url, json={"cart_id": outside["id"]}), 400, "invalid_data", "not valid for cart")
    assert_error(store.post(url, json={"cart_id": "cart_nope"}), 404, "not_found")
    assert_error(store.post(url, json={}), 400, "invalid_data", "cart_id")
    assert_error(
        store.post("/store/shipping-options/so_nope/calculate", json={"cart_id": cart["id"]}), 404, "not_found"
    )
    standard = f"/store/shipping-options/{setup['standard']['id']}/calculate"
    assert_error(store.post(standard, json={"cart_id": cart["id"]}), 400, "invalid_data", "calculated")


def test_store_listing_needs_a_cart(store: httpx.Client, client: httpx.Client, setup: dict[str, Any]) -> None:
    assert_error(store.get("/store/shipping-options"), 400, "not_allowed", "cart_id")
    assert_error(store.get("/store/shipping-options?cart_id=cart_nope"), 404, "not_found")
    assert client.get("/store/shipping-options?cart_id=x").status_code == 400  # no publishable key


def _option_count(admin: httpx.Client) -> int:
    return int(_ok(admin.get("/admin/shipping-options?limit=0"))["count"])


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"service_zone_id": "serzo_nope"}, 400, "serzo_nope"),
        ({"shipping_profile_id": "sp_nope"}, 400, "sp_nope"),
        ({"provider_id": "nope_nope"}, 400, "nope_nope"),
        ({"price_type": "calculated"}, 400, "cannot calculate"),
        ({"prices": [{"currency_code": "usd", "region_id": "x", "amount": 1}]}, 400, "prices[0]"),
        ({"prices": [{"region_id": "reg_nope", "amount": 1}]}, 400, "reg_nope"),
        ({"prices": [{"currency_code": "usd", "amount": -1}]}, 400, "amount"),
        ({"rules": [{"attribute": "item_total", "operator": "in", "value": "5"}]}, 400, "array"),
        ({"rules": [{"attribute": "item_total", "operator": "like", "value": "5"}]}, 400, "operator"),
        ({"type": {"label": "x"}}, 400, "description"),
        ({"unknown": 1}, 400, "unknown"),
        ({"provider_id": "weight-table_weight-table", "price_type": "calculated", "data": {}}, 400, "data.table"),
        (
            {
                "provider_id": "weight-table_weight-table",
                "price_type": "calculated",
                "data": {"table": [{"max_weight": "heavy", "amount": 1}]},
            },
            400,
            "max_weight",
        ),
    ],
)
def test_bad_shipping_options_are_refused_with_nothing_written(
    admin: httpx.Client, setup: dict[str, Any], change: dict[str, Any], status: int, needle: str
) -> None:
    before = _option_count(admin)
    body = {
        "name": "Bad",
        "service_zone_id": setup["zone"],
        "shipping_profile_id": setup["profile"],
        "provider_id": "manual_manual",
        "price_type": "flat",
        "type": {"label": "Bad", "description": "", "code": "bad"},
        "prices": [{"currency_code": "usd", "amount": 3}],
        **change,
    }
    assert_error(admin.post("/admin/shipping-options", json=body), status, "invalid_data", needle)
    assert _option_count(admin) == before


def test_a_provider_must_be_linked_to_the_location(admin: httpx.Client, setup: dict[str, Any]) -> None:
    other = _ok(admin.post("/admin/stock-locations", json={"name": "Outlet"}))["stock_location"]["id"]
    fset = _ok(
        admin.post(
            f"/admin/stock-locations/{other}/fulfillment-sets?fields={SETS}",
            json={"name": "Outlet shipping", "type": "shipping"},
        )
    )["stock_location"]["fulfillment_sets"][0]["id"]
    zone = _ok(
        admin.post(
            f"/admin/fulfillment-sets/{fset}/service-zones",
            json={"name": "Outlet zone", "geo_zones": [{"type": "country", "country_code": "us"}]},
        )
    )["fulfillment_set"]["service_zones"][0]["id"]
    before = _option_count(admin)
    body = {
        "name": "Outlet standard",
        "service_zone_id": zone,
        "shipping_profile_id": setup["profile"],
        "provider_id": "manual_manual",
        "price_type": "flat",
        "type": {"label": "Std", "description": "", "code": "std"},
        "prices": [{"currency_code": "usd", "amount": 3}],
    }
    assert_error(admin.post("/admin/shipping-options", json=body), 400, "invalid_data", "not enabled")
    assert _option_count(admin) == before
    assert_error(
        admin.post(f"/admin/stock-locations/{other}/fulfillment-providers", json={"add": ["nope_nope"]}),
        400,
        "invalid_data",
        "nope_nope",
    )
    _ok(admin.post(f"/admin/stock-locations/{other}/fulfillment-providers", json={"add": ["manual_manual"]}))
    created = _option(admin, **body)
    assert created["service_zone_id"] == zone

    # Deleting the location deletes its fulfillment set, zone and options.
    assert _ok(admin.delete(f"/admin/stock-locations/{other}"))["deleted"] is True
    assert_error(admin.get(f"/admin/shipping-options/{created['id']}"), 404, "not_found")
    assert_error(admin.get(f"/admin/stock-locations/{other}"), 404, "not_found")
    assert _option_count(admin) == before


def test_bad_zones_and_sets_are_refused_with_nothing_written(admin: httpx.Client, setup: dict[str, Any]) -> None:
    url = f"/admin/fulfillment-sets/{setup['set']}/service-zones"
    bad_geo = [
        ({"type": "province", "country_code": "ca"}, "province_code"),
        ({"type": "city", "country_code": "ca", "province_code": "qc"}, "city"),
        ({"type": "zip", "country_code": "us", "province_code": "ny", "city": "NYC"}, "postal_expression"),
        (
            {
                "type": "zip",
                "country_code": "us",
                "province_code": "ny",
                "city": "NYC",
                "postal_expression": {"regex": ".*"},
            },
            "postal_expression",
        ),
        ({"type": "planet", "country_code": "us"}, "type"),
        ({"type": "country", "country_code": "usa"}, "country_code"),
    ]
    for geo, needle in bad_geo:
        r = admin.post(url, json={"name": "Broken", "geo_zones": [{"type": "country", "country_code": "us"}, geo]})
        assert_error(r, 400, "invalid_data", needle)
    assert_error(admin.post(url, json={"name": "US and Quebec"}), 422, "duplicate_error", "US and Quebec")
    assert_error(admin.post("/admin/fulfillment-sets/fuset_nope/service-zones", json={"name": "Z"}), 404, "not_found")
    location = _ok(admin.get(f"/admin/stock-locations/{setup['location']}?fields={SETS}"))
    zones = location["stock_location"]["fulfillment_sets"][0]["service_zones"]
    assert "Broken" not in [z["name"] for z in zones]
    assert len(next(z for z in zones if z["name"] == "US and Quebec")["geo_zones"]) == 2

    sets_url = f"/admin/stock-locations/{setup['location']}/fulfillment-sets"
    assert_error(admin.post(sets_url, json={"name": "Main shipping", "type": "shipping"}), 422, "duplicate_error")
    assert_error(admin.post(sets_url, json={"name": "Drone", "type": "drone"}), 400, "invalid_data", "type")
    assert_error(
        admin.post("/admin/stock-locations/sloc_nope/fulfillment-sets", json={"name": "X", "type": "pickup"}),
        404,
        "not_found",
    )
    location = _ok(admin.get(f"/admin/stock-locations/{setup['location']}?fields={SETS}"))
    assert [s["name"] for s in location["stock_location"]["fulfillment_sets"]] == ["Main shipping"]
    assert_error(
        admin.post(f"/admin/stock-locations/{setup['location']}/sales-channels", json={"add": ["sc_nope"]}),
        400,
        "invalid_data",
        "sc_nope",
    )
    assert_error(admin.post("/admin/stock-locations", json={"name": "   "}), 400, "invalid_data", "name")
    assert_error(admin.get("/admin/stock-locations/sloc_nope"), 404, "not_found")


def test_zones_with_zip_codes_and_zone_updates(admin: httpx.Client, store: httpx.Client, setup: dict[str, Any]) -> None:
    pickup = _ok(
        admin.post(
            f"/admin/stock-locations/{setup['location']}/fulfillment-sets?fields={SETS}",
            json={"name": "Local delivery", "type": "pickup"},
        )
    )["stock_location"]["fulfillment_sets"]
    set_id = next(s["id"] for s in pickup if s["name"] == "Local delivery")
    zone = _ok(
        admin.post(
            f"/admin/fulfillment-sets/{set_id}/service-zones",
            json={
                "name": "Downtown Austin",
                "geo_zones": [
                    {
                        "type": "zip",
                        "country_code": "us",
                        "province_code": "us-tx",
                        "city": "Austin",
                        "postal_expression": {"codes": ["78701"], "prefixes": ["7870"]},
                    }
                ],
            },
        )
    )["fulfillment_set"]["service_zones"][0]
    _option(
        admin,
        name="Courier",
        service_zone_id=zone["id"],
        shipping_profile_id=setup["profile"],
        provider_id="manual_manual",
        price_type="flat",
        type={"label": "Courier", "description": "Same day", "code": "courier"},
        prices=[{"currency_code": "usd", "amount": 15}],
        rules=ENABLED,
    )
    near = _cart(store, setup, {"country_code": "us", "province": "TX", "city": "austin", "postal_code": "78705"})
    far = _cart(store, setup, {"country_code": "us", "province": "TX", "city": "Austin", "postal_code": "73301"})
    assert eventually(lambda: "Courier" in _options(store, near["id"]))
    assert _options(store, near["id"])["Courier"]["amount"] == 15
    assert "Courier" not in _options(store, far["id"]) and "Standard" in _options(store, far["id"])

    # Replace the zone's geo zones: now the whole of Texas.
    zone_url = f"/admin/fulfillment-sets/{set_id}/service-zones/{zone['id']}"
    updated = _ok(
        admin.post(
            zone_url,
            json={"name": "Texas", "geo_zones": [{"type": "province", "country_code": "us", "province_code": "tx"}]},
        )
    )["fulfillment_set"]["service_zones"][0]
    assert updated["name"] == "Texas"
    assert [(g["type"], g["province_code"]) for g in updated["geo_zones"]] == [("province", "tx")]
    assert "Courier" in _options(store, far["id"])
    assert _ok(admin.get(zone_url))["service_zone"]["name"] == "Texas"
    assert_error(admin.get(f"/admin/fulfillment-sets/{setup['set']}/service-zones/{zone['id']}"), 404, "not_found")

    gone = _ok(admin.delete(zone_url))
    assert gone["deleted"] is True and gone["parent"]["service_zones"] == []
    assert "Courier" not in _options(store, far["id"])
    assert _ok(admin.delete(f"/admin/fulfillment-sets/{set_id}"))["deleted"] is True
    assert_error(admin.delete(f"/admin/fulfillment-sets/{set_id}"), 404, "not_found")


def test_option_updates_and_rule_batches(admin: httpx.Client, store: httpx.Client, setup: dict[str, Any]) -> None:
    option = _option(
        admin,
        name="Economy",
        service_zone_id=setup["zone"],
        shipping_profile_id=setup["profile"],
        provider_id="manual_manual",
        price_type="flat",
        type={"label": "Economy", "description": "Slow", "code": "eco"},
        prices=[{"currency_code": "usd", "amount": 4}],
        rules=ENABLED,
    )
    cart = _cart(store, setup, {"country_code": "us"})
    assert eventually(lambda: _options(store, cart["id"]).get("Economy", {}).get("amount") == 4)

    url = f"/admin/shipping-options/{option['id']}"
    updated = _ok(
        admin.post(
            url,
            json={
                "name": "Economy+",
                "type": {"label": "Eco", "description": "Slower", "code": "eco2"},
                "prices": [{"currency_code": "usd", "amount": 3}],
            },
        )
    )["shipping_option"]
    assert updated["name"] == "Economy+" and updated["type"]["code"] == "eco2"
    assert [p["amount"] for p in updated["prices"]] == [3]
    assert eventually(lambda: _options(store, cart["id"]).get("Economy+", {}).get("amount") == 3)

    enabled_rule = next(r for r in updated["rules"] if r["attribute"] == "enabled_in_store")
    batch = _ok(
        admin.post(
            f"{url}/rules/batch",
            json={
                "create": [{"attribute": "shipping_address.country_code", "operator": "in", "value": ["ca"]}],
                "update": [
                    {"id": enabled_rule["id"], "attribute": "enabled_in_store", "operator": "eq", "value": "true"}
                ],
            },
        )
    )
    assert [r["attribute"] for r in batch["created"]] == ["shipping_address.country_code"]
    assert [r["id"] for r in batch["updated"]] == [enabled_rule["id"]]
    assert "Economy+" not in _options(store, cart["id"]), "the new rule wants a Canadian address"

    assert_error(admin.post(f"{url}/rules/batch", json={"delete": ["sorul_nope"]}), 404, "not_found", "sorul_nope")
    batch = _ok(admin.post(f"{url}/rules/batch", json={"delete": [batch["created"][0]["id"]]}))
    assert batch["deleted"]["ids"] and "Economy+" in _options(store, cart["id"])

    assert_error(admin.post(url, json={"prices": [{"region_id": "reg_nope", "amount": 1}]}), 400, "invalid_data")
    assert _ok(admin.get(url))["shipping_option"]["prices"][0]["amount"] == 3, "the failed update changed nothing"
    assert _ok(admin.delete(url))["deleted"] is True
    assert_error(admin.get(url), 404, "not_found")
    assert eventually(lambda: "Economy+" not in _options(store, cart["id"]))


def test_locations_list_update_and_filter(admin: httpx.Client, setup: dict[str, Any]) -> None:
    url = f"/admin/stock-locations/{setup['location']}"
    updated = _ok(
        admin.post(url, json={"name": "Main DC", "address": {"address_1": "2 Pier Rd", "country_code": "us"}})
    )["stock_location"]
    assert updated["name"] == "Main DC" and updated["address"]["address_1"] == "2 Pier Rd"
    assert updated["address_id"] == updated["address"]["id"]
    by_channel = _ok(admin.get(f"/admin/stock-locations?sales_channel_id={setup['channel']}"))
    assert [loc["id"] for loc in by_channel["stock_locations"]] == [setup["location"]]
    assert _ok(admin.get("/admin/stock-locations?q=main"))["count"] >= 1
    assert_error(admin.post(url, json={"address_id": "laddr_nope"}), 400, "invalid_data", "laddr_nope")
    assert_error(admin.get("/admin/stock-locations?order=nope"), 400, "invalid_data")


def test_option_for_cart_is_what_a_shipping_method_copies(
    db_url: str, store: httpx.Client, setup: dict[str, Any]
) -> None:
    v = setup["variants"]
    served = _cart(store, setup, {"country_code": "us"}, items=[{"variant_id": v["40"], "quantity": 3}])
    outside = _cart(store, setup, {"country_code": "ca", "province": "ON"})
    assert eventually(lambda: "Standard" in _options(store, served["id"]))

    async def work() -> tuple[list[dict[str, Any]], list[str]]:
        async with AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False) as pool:
            reads = Reads(
                CatalogReads(Documents(0)),
                await load_prices(pool),
                await load_regions(pool),
                await load_promotions(pool),
                await load_rates(pool),
            )
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                await reads.catalog.load(conn, [i["variant_id"] for i in served["items"]])
                picked = [
                    await fulfillment.service.option_for_cart(conn, reads, setup[name]["id"], served)
                    for name in ("standard", "by_weight", "express")
                ]
                refused = []
                for option_id, cart in (
                    (setup["standard"]["id"], outside),
                    ("so_nope", served),
                ):
                    try:
                        await fulfillment.service.option_for_cart(conn, reads, option_id, cart)
                    except InvalidData as exc:
                        refused.append(exc.message)
                return picked, refused

    picked, refused = asyncio.run(work())
    assert [(p["name"], p["amount"], p["is_tax_inclusive"]) for p in picked] == [
        ("Standard", 8.5, False),
        ("By weight", 12.5, False),  # 1200 g
        ("Express", 25, False),  # item total 60 meets its rule
    ]
    assert picked[1]["data"] == TABLE and picked[0]["data"] == {}
    assert len(refused) == 2 and all("not valid for cart" in m for m in refused)


def test_shipping_profiles(admin: httpx.Client, setup: dict[str, Any]) -> None:
    profile = _ok(admin.post("/admin/shipping-profiles", json={"name": "Fragile", "type": "custom"}))[
        "shipping_profile"
    ]
    url = f"/admin/shipping-profiles/{profile['id']}"
    assert _ok(admin.post(url, json={"name": "Very fragile"}))["shipping_profile"]["name"] == "Very fragile"
    assert_error(admin.post("/admin/shipping-profiles", json={"name": "Shoes", "type": "x"}), 422, "duplicate_error")
    assert_error(admin.delete(f"/admin/shipping-profiles/{setup['profile']}"), 400, "invalid_data", "Shipping Options")
    assert _ok(admin.delete(url))["deleted"] is True
    assert_error(admin.get(url), 404, "not_found")


def test_a_cart_ships_with_the_chosen_option(store: httpx.Client, setup: dict[str, Any]) -> None:
    v = setup["variants"]
    cart = _cart(store, setup, {"country_code": "us", "city": "Austin"}, items=[{"variant_id": v["40"], "quantity": 2}])
    assert eventually(lambda: "Standard" in _options(store, cart["id"]))
    options = _options(store, cart["id"])
    r = store.post(f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": options["Standard"]["id"]})
    assert r.status_code == 200, r.text
    shipped = r.json()["cart"]
    assert [(m["name"], m["amount"]) for m in shipped["shipping_methods"]] == [("Standard", 8.5)]
    assert shipped["shipping_total"] == 8.5
    assert shipped["total"] == shipped["item_total"] + 8.5
    # Another option replaces it; one that does not serve the cart is refused and changes nothing.
    weight = store.post(f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": options["By weight"]["id"]})
    assert [m["name"] for m in weight.json()["cart"]["shipping_methods"]] == ["By weight"]
    assert_error(
        store.post(f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": "so_nope"}), 400, "invalid_data"
    )
    assert [m["name"] for m in store.get(f"/store/carts/{cart['id']}").json()["cart"]["shipping_methods"]] == [
        "By weight"
    ]
    # A new address means a new choice.
    moved = store.post(f"/store/carts/{cart['id']}", json={"shipping_address": {"country_code": "us", "city": "Reno"}})
    assert moved.json()["cart"]["shipping_methods"] == [] and moved.json()["cart"]["shipping_total"] == 0
