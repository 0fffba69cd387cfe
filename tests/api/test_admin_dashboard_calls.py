"""The calls the admin dashboard's screens make, with the `fields` they send (copied from @medusajs/dashboard
2.21.2), answered with the data made through the API: the orders list, a product's page and its variants table,
the collections list, the locations list and page, a price list's prices, feature flags and notifications."""

from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.shop import build, ok, product

ORDERS_LIST = (
    "id,status,created_at,email,display_id,custom_display_id,payment_status,fulfillment_status,total,currency_code,"
    "*customer,*sales_channel,*payment_collections,*shipping_address"
)
PRODUCT_PAGE = "*categories,*shipping_profile,-variants"
VARIANTS_TABLE = (
    "title,sku,thumbnail,*options,created_at,*inventory_items.inventory.location_levels,inventory_quantity,"
    "manage_inventory"
)
LOCATIONS = (
    "name,*sales_channels,*address,*fulfillment_sets,*fulfillment_sets.service_zones,"
    "*fulfillment_sets.service_zones.shipping_options,*fulfillment_sets.service_zones.shipping_options.shipping_profile"
)


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    made = build(admin)
    made["variant"] = product(admin, made, "Dash Tee", 12, 7)
    return made


def test_orders_list_takes_the_dashboards_fields(admin: httpx.Client) -> None:
    body = ok(admin.get("/admin/orders", params={"fields": ORDERS_LIST, "limit": 20, "order": "-created_at"}))
    assert body["count"] == len(body["orders"])  # no orders in this database: the fields are what is checked
    assert_error(admin.get("/admin/orders", params={"fields": "no_such_field"}), 400, "invalid_data")


def test_product_page_and_variants_table(admin: httpx.Client, shop: dict[str, Any]) -> None:
    product_id = shop["variant"]["product_id"]
    found = ok(admin.get(f"/admin/products/{product_id}", params={"fields": PRODUCT_PAGE}))["product"]
    assert "variants" not in found and found["categories"] == []
    assert found["shipping_profile"]["id"] == shop["profile"] and found["shipping_profile"]["type"] == "default"
    body = ok(
        admin.get(f"/admin/products/{product_id}/variants", params={"order": "variant_rank", "fields": VARIANTS_TABLE})
    )
    (variant,) = body["variants"]
    assert variant["inventory_quantity"] == 7 and variant["manage_inventory"] is True
    (link,) = variant["inventory_items"]
    assert link["inventory"]["id"] == shop["variant"]["inventory_item_id"]
    (lvl,) = link["inventory"]["location_levels"]
    assert lvl["location_id"] == shop["location"] and lvl["stocked_quantity"] == 7


def test_collections_list_with_product_ids(admin: httpx.Client, shop: dict[str, Any]) -> None:
    collection = ok(admin.post("/admin/collections", json={"title": "Dash"}))["collection"]
    ok(admin.post(f"/admin/collections/{collection['id']}/products", json={"add": [shop["variant"]["product_id"]]}))
    body = ok(admin.get("/admin/collections", params={"fields": "+products.id", "id": collection["id"]}))
    assert body["collections"][0]["products"] == [{"id": shop["variant"]["product_id"]}]
    one = ok(admin.get(f"/admin/collections/{collection['id']}", params={"fields": "+products.id"}))["collection"]
    assert one["products"] == [{"id": shop["variant"]["product_id"]}] and one["title"] == "Dash"


def test_locations_with_their_zones_shipping_options(admin: httpx.Client, shop: dict[str, Any]) -> None:
    body = ok(admin.get("/admin/stock-locations", params={"fields": LOCATIONS}))
    (loc,) = [lo for lo in body["stock_locations"] if lo["id"] == shop["location"]]
    (zone,) = loc["fulfillment_sets"][0]["service_zones"]
    (option,) = zone["shipping_options"]
    assert option["id"] == shop["option"] and option["shipping_profile"]["id"] == shop["profile"]
    plain = ok(
        admin.get(f"/admin/stock-locations/{shop['location']}", params={"fields": "*fulfillment_sets.service_zones"})
    )
    assert "shipping_options" not in plain["stock_location"]["fulfillment_sets"][0]["service_zones"][0]


def test_price_list_prices(admin: httpx.Client, shop: dict[str, Any]) -> None:
    variant_id = shop["variant"]["id"]
    prices = [{"variant_id": variant_id, "currency_code": "usd", "amount": a} for a in (9, 8)]
    created = ok(admin.post("/admin/price-lists", json={"title": "Sale", "description": "d", "prices": prices}))
    list_id = created["price_list"]["id"]
    body = ok(admin.get(f"/admin/price-lists/{list_id}/prices", params={"limit": 1}))
    assert body["count"] == 2 and body["limit"] == 1 and len(body["prices"]) == 1
    assert body["prices"][0]["variant_id"] == variant_id
    assert ok(admin.get(f"/admin/price-lists/{list_id}/prices", params={"offset": 1}))["prices"][0]["amount"] in (8, 9)
    assert_error(admin.get("/admin/price-lists/plist_nothing/prices"), 404, "not_found")


def test_feature_flags_and_notifications_are_true_empty_answers(admin: httpx.Client) -> None:
    assert ok(admin.get("/admin/feature-flags")) == {"feature_flags": {}}
    assert ok(admin.get("/admin/notifications", params={"limit": 1})) == {
        "notifications": [],
        "count": 0,
        "offset": 0,
        "limit": 1,
    }
