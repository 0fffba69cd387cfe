"""The calls the admin dashboard's screens make, with the `fields` they send (copied from @medusajs/dashboard
2.21.2), answered with the data made through the API: the orders list, a product's page and its variants table,
the collections list, the locations list and page, a price list's prices, feature flags and notifications."""

from typing import Any

import httpx
import pytest

from tests.conftest import Server, assert_error
from tests.shop import build, cart_ready, ok, product

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
    # The variant's page and the fulfilment form's stock check.
    one = ok(
        admin.get(
            f"/admin/products/{product_id}/variants/{variant['id']}",
            params={"fields": "*inventory,*inventory.location_levels,*inventory_items,*options,*options.option"},
        )
    )["variant"]
    assert [i["id"] for i in one["inventory"]] == [shop["variant"]["inventory_item_id"]]
    assert one["inventory"][0]["location_levels"][0]["stocked_quantity"] == 7
    assert one["options"][0]["option"]["title"] == "Size"


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


def test_feature_flags_and_notifications_are_true_empty_answers(admin: httpx.Client, server: Server) -> None:
    assert ok(admin.get("/admin/feature-flags")) == {"feature_flags": {}}
    # Public, as Medusa's: the dashboard asks before anyone logs in.
    assert ok(httpx.get(f"{server.url}/admin/feature-flags")) == {"feature_flags": {}}
    assert ok(admin.get("/admin/notifications", params={"limit": 1})) == {
        "notifications": [],
        "count": 0,
        "offset": 0,
        "limit": 1,
    }


def test_promotion_rules_as_the_forms_show_them(admin: httpx.Client) -> None:
    body = {
        "code": "DASH5",
        "type": "standard",
        "application_method": {"type": "fixed", "target_type": "order", "value": 5, "currency_code": "usd"},
        "rules": [{"attribute": "region.id", "operator": "in", "values": ["reg_a", "reg_b"]}],
        "is_tax_inclusive": False,
    }
    promo = ok(admin.post("/admin/promotions", json=body))["promotion"]
    rules = ok(admin.get(f"/admin/promotions/{promo['id']}/rules"))["rules"]
    region, currency = rules
    assert region["attribute"] == "region.id" and region["attribute_label"] == "Region"
    assert region["operator_label"] == "In" and [v["value"] for v in region["values"]] == ["reg_a", "reg_b"]
    # The fixed amount's currency is a field of the promotion, shown as a required rule (Medusa's "disguised").
    assert currency["attribute"] == "currency_code" and currency["values"] == [{"label": "usd", "value": "usd"}]
    assert ok(admin.get(f"/admin/promotions/{promo['id']}/target-rules"))["rules"] == []
    # The create form asks with no promotion yet: the query's types decide.
    fresh = ok(admin.get("/admin/promotions/null/rules", params={"application_method_type": "percentage"}))
    assert fresh["rules"] == []
    attrs = ok(admin.get("/admin/promotions/rule-attribute-options/target-rules"))["attributes"]
    assert [a["id"] for a in attrs][:2] == ["product", "product_category"]
    assert_error(admin.get("/admin/promotions/rule-attribute-options/nope"), 400, "invalid_data")
    refused = admin.post("/admin/promotions", json={**body, "code": "DASH6", "is_tax_inclusive": True})
    assert_error(refused, 400, "invalid_data", "tax-inclusive")


def test_features_not_here_answer_empty(admin: httpx.Client) -> None:
    for name in ("returns", "claims", "exchanges"):
        assert ok(admin.get(f"/admin/{name}", params={"order_id": "order_x"})) == {
            name: [],
            "count": 0,
            "offset": 0,
            "limit": 20,
        }
    assert ok(admin.get("/admin/orders/order_x/changes")) == {"order_changes": []}
    assert ok(admin.get("/admin/plugins")) == {"plugins": []}


ORDER_PAGE = (
    "id,status,created_at,canceled_at,email,display_id,custom_display_id,currency_code,metadata,total,"
    "credit_line_total,item_subtotal,item_total,item_tax_total,original_item_tax_total,item_discount_total,"
    "shipping_subtotal,original_total,original_tax_total,subtotal,discount_total,discount_subtotal,shipping_total,"
    "shipping_tax_total,original_shipping_tax_total,shipping_discount_total,tax_total,refundable_total,order_change,"
    "*customer,*items,*items.variant,*items.variant.product,*items.variant.options,+items.variant.manage_inventory,"
    "*items.variant.inventory_items.inventory,+items.variant.inventory_items.required_quantity,+summary,"
    "*shipping_address,*billing_address,*sales_channel,*promotions,*shipping_methods,*credit_lines,*fulfillments,"
    "+fulfillments.shipping_option.service_zone.fulfillment_set.type,*fulfillments.items,*fulfillments.labels,"
    "*payment_collections,*payment_collections.payment_sessions,*payment_collections.payments,"
    "*payment_collections.payments.refunds,*payment_collections.payments.refunds.refund_reason,"
    "region.automatic_taxes"
)
FULFIL_FORM = (
    "currency_code,*items,*items.variant,+items.variant.product.shipping_profile.id,*shipping_address,"
    "+shipping_methods.shipping_option_id,no_notification"
)


def test_order_page_and_fulfilment_form(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = cart_ready(store, shop, [(shop["variant"]["id"], 2)], email="page@example.com")
    order_id = ok(store.post(f"/store/carts/{cart['id']}/complete"))["order"]["id"]
    order = ok(admin.get(f"/admin/orders/{order_id}", params={"fields": ORDER_PAGE}))["order"]
    assert order["payment_status"] == "authorized" and order["fulfillment_status"] == "not_fulfilled"
    assert order["custom_display_id"] is None and order["order_change"] is None and order["promotions"] == []
    assert order["refundable_total"] == 0  # nothing captured yet
    (item,) = order["items"]
    assert item["detail"]["fulfilled_quantity"] == 0 and item["quantity"] == 2
    assert item["variant"]["manage_inventory"] is True
    assert item["variant"]["inventory_items"][0]["inventory"]["id"] == shop["variant"]["inventory_item_id"]
    form = ok(admin.get(f"/admin/orders/{order_id}", params={"fields": FULFIL_FORM}))["order"]
    assert form["items"][0]["variant"]["product"]["shipping_profile"] == {"id": shop["profile"]}
    option = ok(
        admin.get(
            f"/admin/shipping-options/{shop['option']}", params={"fields": "+service_zone.fulfillment_set.location.id"}
        )
    )["shipping_option"]
    assert option["service_zone"]["fulfillment_set"]["location"] == {"id": shop["location"]}
    body = {
        "location_id": shop["location"],
        "shipping_option_id": shop["option"],
        "no_notification": True,
        "items": [{"id": item["id"], "quantity": 2}],
    }
    ok(admin.post(f"/admin/orders/{order_id}/fulfillments", json=body))
    fields = "*fulfillments,+fulfillments.shipping_option.service_zone.fulfillment_set.type"
    done = ok(admin.get(f"/admin/orders/{order_id}", params={"fields": fields}))["order"]
    assert done["fulfillment_status"] == "fulfilled"
    assert done["fulfillments"][0]["shipping_option"]["service_zone"]["fulfillment_set"]["type"] == "shipping"
    assert ok(admin.get(f"/admin/orders/{order_id}/preview"))["order"]["id"] == order_id
    bad = {**body, "shipping_option_id": "so_nothing"}
    assert_error(admin.post(f"/admin/orders/{order_id}/fulfillments", json=bad), 404, "not_found")
