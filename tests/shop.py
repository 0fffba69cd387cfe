"""A store that can sell, built through the admin API as an operator would: a stock location serving the demo
channel with the manual fulfillment provider, a shipping zone for the US, a flat shipping option, and products whose
variants have stock; plus the shopper's steps (cart → address → shipping → payment session → complete)."""

from decimal import Decimal
from typing import Any

import httpx

ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "1 Main St",
    "city": "Springfield",
    "country_code": "us",
    "postal_code": "12345",
}
ENABLED = [
    {"attribute": "enabled_in_store", "operator": "eq", "value": "true"},
    {"attribute": "is_return", "operator": "eq", "value": "false"},
]


def ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def location(admin: httpx.Client, name: str, channel: str) -> str:
    loc = ok(
        admin.post(
            "/admin/stock-locations", json={"name": name, "address": {"address_1": "1 Dock St", "country_code": "us"}}
        )
    )
    loc_id: str = loc["stock_location"]["id"]
    ok(admin.post(f"/admin/stock-locations/{loc_id}/sales-channels", json={"add": [channel]}))
    ok(admin.post(f"/admin/stock-locations/{loc_id}/fulfillment-providers", json={"add": ["manual_manual"]}))
    return loc_id


def build(admin: httpx.Client, *, suffix: str = "") -> dict[str, Any]:
    """The shop: `channel`, `region` (North America, usd), `location`, `option` (flat 10), `profile`."""
    channel = admin.get("/admin/stores").json()["stores"][0]["default_sales_channel_id"]
    regions = {r["name"]: r["id"] for r in admin.get("/admin/regions").json()["regions"]}
    loc = location(admin, f"Warehouse{suffix}", channel)
    sets = ok(
        admin.post(
            f"/admin/stock-locations/{loc}/fulfillment-sets?fields=*fulfillment_sets",
            json={"name": f"Shipping{suffix}", "type": "shipping"},
        )
    )["stock_location"]["fulfillment_sets"]
    zone = ok(
        admin.post(
            f"/admin/fulfillment-sets/{sets[0]['id']}/service-zones",
            json={"name": f"US{suffix}", "geo_zones": [{"type": "country", "country_code": "us"}]},
        )
    )["fulfillment_set"]["service_zones"][0]
    profile = ok(admin.post("/admin/shipping-profiles", json={"name": f"Default{suffix}", "type": "default"}))[
        "shipping_profile"
    ]["id"]
    option = ok(
        admin.post(
            "/admin/shipping-options",
            json={
                "name": "Standard",
                "service_zone_id": zone["id"],
                "shipping_profile_id": profile,
                "provider_id": "manual_manual",
                "price_type": "flat",
                "type": {"label": "Standard", "description": "3-5 days", "code": "standard"},
                "prices": [{"currency_code": "usd", "amount": 10}],
                "rules": ENABLED,
            },
        )
    )["shipping_option"]["id"]
    return {
        "channel": channel,
        "region": regions["North America"],
        "location": loc,
        "option": option,
        "profile": profile,
    }


def product(
    admin: httpx.Client,
    shop: dict[str, Any],
    title: str,
    price: str | int,
    stock: int | None,
    *,
    allow_backorder: bool = False,
) -> dict[str, Any]:
    """A published product with one variant priced in usd; `stock` units at the shop's location (None: stock not
    managed). Returns the variant with its `inventory_item_id`."""
    created = ok(
        admin.post(
            "/admin/products",
            json={
                "title": title,
                "status": "published",
                "shipping_profile_id": shop["profile"],
                "sales_channels": [{"id": shop["channel"]}],
                "options": [{"title": "Size", "values": ["One"]}],
                "variants": [
                    {
                        "title": "One",
                        "sku": f"SKU-{title.upper().replace(' ', '-')}",
                        "options": {"Size": "One"},
                        "manage_inventory": stock is not None,
                        "allow_backorder": allow_backorder,
                        "prices": [{"currency_code": "usd", "amount": price}],
                    }
                ],
            },
        )
    )["product"]
    variant: dict[str, Any] = created["variants"][0]
    if stock is not None:
        items = ok(admin.get("/admin/inventory-items", params={"sku": variant["sku"]}))["inventory_items"]
        variant = {**variant, "inventory_item_id": items[0]["id"]}
        set_stock(admin, variant["inventory_item_id"], shop["location"], stock)
    return variant


def set_stock(admin: httpx.Client, item_id: str, location_id: str, stocked: int) -> None:
    r = admin.post(
        f"/admin/inventory-items/{item_id}/location-levels/{location_id}", json={"stocked_quantity": stocked}
    )
    if r.status_code == 404:
        ok(
            admin.post(
                f"/admin/inventory-items/{item_id}/location-levels",
                json={"location_id": location_id, "stocked_quantity": stocked},
            )
        )
    else:
        ok(r)


def level(admin: httpx.Client, item_id: str, location_id: str) -> dict[str, Any]:
    levels = ok(admin.get(f"/admin/inventory-items/{item_id}/location-levels"))["inventory_levels"]
    found: dict[str, Any] = next(lvl for lvl in levels if lvl["location_id"] == location_id)
    return found


def cart_ready(
    store: httpx.Client,
    shop: dict[str, Any],
    lines: list[tuple[str, int]],
    *,
    email: str = "ada@example.com",
    provider: str = "pp_system_default",
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A cart with these (variant_id, quantity) lines, an address, the shop's shipping option and a payment session:
    ready to complete."""
    cart = ok(
        store.post(
            "/store/carts",
            json={
                "region_id": shop["region"],
                "email": email,
                "items": [{"variant_id": v, "quantity": q} for v, q in lines],
                "shipping_address": ADDRESS,
                "billing_address": ADDRESS,
            },
            headers=headers,
        )
    )["cart"]
    ok(store.post(f"/store/carts/{cart['id']}/shipping-methods", json={"option_id": shop["option"]}, headers=headers))
    collection = ok(store.post("/store/payment-collections", json={"cart_id": cart["id"]}, headers=headers))[
        "payment_collection"
    ]
    body: dict[str, Any] = {"provider_id": provider}
    if data is not None:
        body["data"] = data
    ok(store.post(f"/store/payment-collections/{collection['id']}/payment-sessions", json=body, headers=headers))
    ready: dict[str, Any] = ok(store.get(f"/store/carts/{cart['id']}", headers=headers))["cart"]
    return ready


def money(value: Any) -> Decimal:
    return Decimal(str(value))
