"""Fulfillments over HTTP (Medusa's standalone admin routes) and through the service the order flows call: an admin
fulfils items from a stock location through a provider linked to it, ships them with labels, and the service marks
them delivered; a fulfillment can be canceled until it ships, and of two concurrent cancels or shipments exactly one
wins; unknown ids are 404 and bad input is refused with nothing written."""

import asyncio
from typing import Any

import httpx
import psycopg
import pytest

from commerce import fulfillment
from commerce.db.connect import run_with_conn
from commerce.errors import InvalidData, NotAllowed, NotFound
from tests.conftest import assert_error

ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "1 Main St",
    "city": "Boston",
    "country_code": "US",
}
ITEMS = [
    {"title": "Boots 40", "sku": "BOOT-40", "barcode": "123", "quantity": 2, "line_item_id": "ordli_1"},
    {"title": "Laces", "sku": "LACE", "barcode": "", "quantity": 1, "inventory_item_id": "iitem_1"},
]
LABEL = {"tracking_number": "TRK-1", "tracking_url": "https://track.example/TRK-1", "label_url": "#"}
DEFAULT_KEYS = {
    "id",
    "location_id",
    "packed_at",
    "shipped_at",
    "marked_shipped_by",
    "created_by",
    "delivered_at",
    "canceled_at",
    "data",
    "provider_id",
    "shipping_option_id",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "delivery_address",
    "items",
    "labels",
}


def _ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def setup(admin: httpx.Client) -> dict[str, Any]:
    loc = _ok(admin.post("/admin/stock-locations", json={"name": "Dock"}))["stock_location"]["id"]
    _ok(admin.post(f"/admin/stock-locations/{loc}/fulfillment-providers", json={"add": ["manual_manual"]}))
    bare = _ok(admin.post("/admin/stock-locations", json={"name": "No providers"}))["stock_location"]["id"]
    located = _ok(
        admin.post(
            f"/admin/stock-locations/{loc}/fulfillment-sets?fields=*fulfillment_sets",
            json={"name": "Dock shipping", "type": "shipping"},
        )
    )["stock_location"]
    set_id = located["fulfillment_sets"][0]["id"]
    zone = _ok(
        admin.post(
            f"/admin/fulfillment-sets/{set_id}/service-zones",
            json={"name": "Dock US", "geo_zones": [{"type": "country", "country_code": "us"}]},
        )
    )["fulfillment_set"]["service_zones"][0]["id"]
    option = _ok(
        admin.post(
            "/admin/shipping-options",
            json={
                "name": "Dock standard",
                "service_zone_id": zone,
                "shipping_profile_id": "sp_default",
                "provider_id": "manual_manual",
                "price_type": "flat",
                "type": {"label": "Standard", "description": "", "code": "standard"},
                "prices": [{"currency_code": "usd", "amount": 10}],
            },
        )
    )["shipping_option"]["id"]
    return {"location": loc, "bare": bare, "option": option}


def _body(setup: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "location_id": setup["location"],
        "provider_id": "manual_manual",
        "delivery_address": ADDRESS,
        "items": ITEMS,
        "labels": [],
        "order_id": "order_1",
        "shipping_option_id": setup["option"],
        "metadata": {"note": "fragile"},
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}


def _create(admin: httpx.Client, setup: dict[str, Any], **changes: Any) -> dict[str, Any]:
    created: dict[str, Any] = _ok(admin.post("/admin/fulfillments", json=_body(setup, **changes)))["fulfillment"]
    return created


def _count(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM fulfillment) + (SELECT count(*) FROM fulfillment_item)"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_create_answers_medusa_shape(admin: httpx.Client, setup: dict[str, Any]) -> None:
    ful = _create(admin, setup, labels=[LABEL])
    assert set(ful) == DEFAULT_KEYS
    assert ful["id"].startswith("ful_")
    assert (ful["location_id"], ful["provider_id"], ful["shipping_option_id"]) == (
        setup["location"],
        "manual_manual",
        setup["option"],
    )
    assert [ful[k] for k in ("packed_at", "shipped_at", "delivered_at", "canceled_at", "deleted_at")] == [None] * 5
    assert ful["data"] == {} and ful["metadata"] == {"note": "fragile"}
    assert ful["created_by"].startswith("user_") and ful["marked_shipped_by"] is None
    address = ful["delivery_address"]
    assert address["id"].startswith("fuladdr_") and address["fulfillment_id"] == ful["id"]
    assert (address["first_name"], address["city"], address["country_code"]) == ("Ada", "Boston", "us")
    items = sorted(ful["items"], key=lambda i: i["title"])
    assert [(i["title"], i["sku"], i["barcode"], i["quantity"]) for i in items] == [
        ("Boots 40", "BOOT-40", "123", 2),
        ("Laces", "LACE", "", 1),
    ]
    assert [(i["line_item_id"], i["inventory_item_id"]) for i in items] == [("ordli_1", None), (None, "iitem_1")]
    assert all(i["id"].startswith("fulit_") and i["fulfillment_id"] == ful["id"] for i in items)
    (label,) = ful["labels"]
    assert label["id"].startswith("fulla_")
    assert {k: label[k] for k in LABEL} == LABEL

    narrow = _ok(admin.post("/admin/fulfillments?fields=id,shipped_at,*items", json=_body(setup)))["fulfillment"]
    assert set(narrow) == {"id", "shipped_at", "items"} and len(narrow["items"]) == 2
    assert_error(admin.post("/admin/fulfillments?fields=nope", json=_body(setup)), 400, "invalid_data", "nope")


def test_ship_with_labels_then_no_cancel(admin: httpx.Client, setup: dict[str, Any]) -> None:
    ful = _create(admin, setup, labels=[LABEL])
    labels = [
        {"tracking_number": "A1", "tracking_url": "https://t.example/A1", "label_url": "https://l.example/A1.pdf"},
        {"tracking_number": "A2", "tracking_url": "#", "label_url": "#"},
    ]
    shipped = _ok(admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json={"labels": labels}))["fulfillment"]
    assert shipped["shipped_at"] is not None and shipped["canceled_at"] is None
    assert shipped["marked_shipped_by"] == ful["created_by"]
    # Medusa's shipment replaces the fulfillment's labels with the ones given.
    assert sorted(label["tracking_number"] for label in shipped["labels"]) == ["A1", "A2"]

    again = admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json={"labels": []})
    assert_error(again, 400, "not_allowed", "Shipment has already been created")
    refused = admin.post(f"/admin/fulfillments/{ful['id']}/cancel")
    assert_error(refused, 400, "not_allowed", "Shipped fulfillments cannot be canceled")

    # Shipping without labels keeps the ones given at creation.
    other = _create(admin, setup, labels=[LABEL])
    kept = _ok(admin.post(f"/admin/fulfillments/{other['id']}/shipment", json={"labels": []}))["fulfillment"]
    assert [label["tracking_number"] for label in kept["labels"]] == ["TRK-1"]


def test_cancel_before_shipping(admin: httpx.Client, setup: dict[str, Any], db_url: str) -> None:
    ful = _create(admin, setup)
    canceled = _ok(admin.post(f"/admin/fulfillments/{ful['id']}/cancel"))["fulfillment"]
    assert canceled["canceled_at"] is not None and canceled["shipped_at"] is None
    assert len(canceled["items"]) == 2

    assert_error(admin.post(f"/admin/fulfillments/{ful['id']}/cancel"), 400, "not_allowed", "already canceled")
    shipped = admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json={"labels": [LABEL]})
    assert_error(shipped, 400, "not_allowed", "Cannot create shipment for a canceled fulfillment")

    async def deliver(conn: psycopg.AsyncConnection[Any]) -> None:
        with pytest.raises(NotAllowed, match="Cannot deliver an already canceled fulfillment"):
            await fulfillment.service.mark_delivered(conn, ful["id"])

    run_with_conn(db_url, deliver)


def test_mark_delivered_through_the_service(admin: httpx.Client, setup: dict[str, Any], db_url: str) -> None:
    ful = _create(admin, setup)
    _ok(admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json={"labels": [LABEL]}))

    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        delivered = await fulfillment.service.mark_delivered(conn, ful["id"])
        with pytest.raises(NotAllowed, match="already been marked delivered"):
            await fulfillment.service.mark_delivered(conn, ful["id"])
        with pytest.raises(NotFound, match="ful_nope"):
            await fulfillment.service.mark_delivered(conn, "ful_nope")
        assert await fulfillment.service.retrieve_fulfillment(conn, ful["id"]) == delivered
        listed = await fulfillment.service.fulfillments(conn, [ful["id"], "ful_nope", ful["id"]])
        assert [f["id"] for f in listed] == [ful["id"]]
        return delivered

    delivered = run_with_conn(db_url, work)
    assert delivered["delivered_at"] is not None and delivered["shipped_at"] is not None
    assert [label["tracking_number"] for label in delivered["labels"]] == ["TRK-1"]
    assert delivered["provider"] == {"id": "manual_manual", "is_enabled": True}

    # Delivered without a shipment (Medusa allows it); then it can no longer be canceled.
    unshipped = _create(admin, setup)
    run_with_conn(db_url, lambda conn: fulfillment.service.mark_delivered(conn, unshipped["id"]))
    assert_error(admin.post(f"/admin/fulfillments/{unshipped['id']}/cancel"), 400, "not_allowed", "already delivered")


def test_service_create_for_an_order(setup: dict[str, Any], db_url: str) -> None:
    """The order flow's call: items as the order has them (no sku), no delivery address, the order for the provider;
    a refusal writes nothing and leaves the caller's transaction usable."""

    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        async with conn.transaction():
            with pytest.raises(InvalidData, match="not enabled for the service location"):
                await fulfillment.service.create_fulfillment(
                    conn, setup["bare"], "manual_manual", [{"title": "X", "quantity": 1}], None, None
                )
            created = await fulfillment.service.create_fulfillment(
                conn,
                setup["location"],
                "manual_manual",
                [{"title": "Boots", "sku": None, "barcode": None, "quantity": 3, "line_item_id": "ordli_9"}],
                None,
                {"id": "order_9", "items": []},
                metadata={"source": "order"},
                shipping_option_id=setup["option"],
                created_by="user_1",
            )
        return created

    created = run_with_conn(db_url, work)
    assert created["delivery_address"] is None and created["created_by"] == "user_1"
    (item,) = created["items"]
    assert (item["title"], item["sku"], item["barcode"], item["quantity"]) == ("Boots", "", "", 3)
    assert created["requires_shipping"] is True and created["labels"] == []


def test_concurrent_cancels_and_shipments_have_one_winner(
    admin: httpx.Client, setup: dict[str, Any], db_url: str
) -> None:
    to_cancel = _create(admin, setup)["id"]
    to_ship = _create(admin, setup)["id"]

    async def race(action: Any, fulfillment_id: str) -> list[Any]:
        async def one() -> Any:
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
                try:
                    return await action(conn, fulfillment_id)
                except NotAllowed as error:
                    return error

        return list(await asyncio.gather(*(one() for _ in range(4))))

    async def cancel(conn: psycopg.AsyncConnection[Any], fid: str) -> dict[str, Any]:
        return await fulfillment.service.cancel_fulfillment(conn, fid)

    async def ship(conn: psycopg.AsyncConnection[Any], fid: str) -> dict[str, Any]:
        return await fulfillment.service.create_shipment(conn, fid, [LABEL])

    for action, fid in ((cancel, to_cancel), (ship, to_ship)):
        results = asyncio.run(race(action, fid))
        assert sum(isinstance(r, dict) for r in results) == 1, results
        assert sum(isinstance(r, NotAllowed) for r in results) == 3, results
    assert_error(admin.post(f"/admin/fulfillments/{to_cancel}/cancel"), 400, "not_allowed", "already canceled")
    assert_error(admin.post(f"/admin/fulfillments/{to_ship}/cancel"), 400, "not_allowed", "already been shipped")


def test_shipment_needs_a_shipping_option(admin: httpx.Client, setup: dict[str, Any]) -> None:
    ful = _create(admin, setup, shipping_option_id=None)
    assert ful["shipping_option_id"] is None
    refused = admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json={"labels": [LABEL]})
    assert_error(refused, 400, "not_allowed", "Cannot create shipment without a Shipping Option")


def test_unknown_ids_are_404(admin: httpx.Client) -> None:
    assert_error(admin.post("/admin/fulfillments/ful_nope/cancel"), 404, "not_found", "ful_nope")
    assert_error(
        admin.post("/admin/fulfillments/ful_nope/shipment", json={"labels": [LABEL]}), 404, "not_found", "ful_nope"
    )


def test_provider_must_be_linked_to_the_location(admin: httpx.Client, setup: dict[str, Any], db_url: str) -> None:
    before = _count(db_url)
    cases = [
        (_body(setup, location_id=setup["bare"]), "Providers (manual_manual) are not enabled for the service location"),
        (_body(setup, provider_id="weight-table_weight-table"), "not enabled for the service location"),
        (_body(setup, provider_id="acme_acme"), "Fulfillment provider with id: acme_acme was not found"),
        (_body(setup, location_id="sloc_nope"), "Stock location with id: sloc_nope was not found"),
        (_body(setup, shipping_option_id="so_nope"), "Shipping option with id: so_nope was not found"),
    ]
    for body, message in cases:
        assert_error(admin.post("/admin/fulfillments", json=body), 400, "invalid_data", message)
    assert _count(db_url) == before


def test_bad_bodies_are_refused(admin: httpx.Client, setup: dict[str, Any], db_url: str) -> None:
    before = _count(db_url)
    item = ITEMS[0]
    cases = [
        ({k: v for k, v in _body(setup).items() if k != "items"}, "'items'"),
        ({k: v for k, v in _body(setup).items() if k != "delivery_address"}, "'delivery_address'"),
        ({k: v for k, v in _body(setup).items() if k != "location_id"}, "'location_id'"),
        (_body(setup, items=[]), "'items'"),
        (_body(setup, items=[{**item, "quantity": 0}]), "'items[0].quantity'"),
        (_body(setup, items=[{**item, "quantity": 1.5}]), "'items[0].quantity'"),
        (_body(setup, items=[{**item, "title": ""}]), "'items[0].title'"),
        (_body(setup, items=[{**item, "colour": "red"}]), "colour"),
        (_body(setup, delivery_address={**ADDRESS, "country_code": "USA"}), "'delivery_address.country_code'"),
        (_body(setup, labels=[{**LABEL, "tracking_url": "javascript:alert(1)"}]), "'labels[0].tracking_url'"),
        (_body(setup, labels=[{"tracking_number": "T"}]), "tracking_url"),
        (_body(setup, surprise=True), "surprise"),
    ]
    for body, where in cases:
        assert_error(admin.post("/admin/fulfillments", json=body), 400, "invalid_data", where)
    assert _count(db_url) == before

    ful = _create(admin, setup)
    shipments = [
        ({}, "'labels'"),
        ({"labels": "T"}, "'labels'"),
        ({"labels": [{**LABEL, "label_url": "data:text/html,x"}]}, "'labels[0].label_url' must be an http(s) URL"),
        ({"labels": [LABEL], "x": 1}, "'x'"),
    ]
    for shipment, where in shipments:
        refused = admin.post(f"/admin/fulfillments/{ful['id']}/shipment", json=shipment)
        assert_error(refused, 400, "invalid_data", where)
    after = _ok(admin.post(f"/admin/fulfillments/{ful['id']}/cancel"))["fulfillment"]
    assert after["shipped_at"] is None and after["labels"] == []


def test_admin_only(client: httpx.Client, store: httpx.Client, setup: dict[str, Any]) -> None:
    for c in (client, store):
        assert c.post("/admin/fulfillments", json=_body(setup)).status_code == 401
        assert c.post("/admin/fulfillments/ful_x/cancel").status_code == 401
