"""Inventory over real HTTP (and the checkout's service calls on a real connection): items and their levels at stock
locations, reservations moving reserved/available, the conditional reserve that never oversells, the inventory item
a new variant gets, variant links with required_quantity, and the store's inventory_quantity following stock."""

import asyncio
from typing import Any
from unittest.mock import ANY

import httpx
import psycopg
import pytest

from commerce.errors import InvalidData, NotAllowed
from commerce.inventory import service
from tests.conftest import assert_error, eventually, run_async

ITEM_KEYS = {
    "id",
    "sku",
    "title",
    "description",
    "thumbnail",
    "origin_country",
    "hs_code",
    "requires_shipping",
    "mid_code",
    "material",
    "unit_of_measure",
    "weight",
    "length",
    "height",
    "width",
    "metadata",
    "reserved_quantity",
    "stocked_quantity",
    "created_at",
    "updated_at",
    "location_levels",
}
LEVEL_KEYS = {
    "id",
    "inventory_item_id",
    "location_id",
    "stocked_quantity",
    "reserved_quantity",
    "incoming_quantity",
    "available_quantity",
    "metadata",
    "created_at",
    "updated_at",
}


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def world(admin: httpx.Client) -> dict[str, str]:
    """The demo channel, a warehouse serving it and a depot serving no channel."""
    channel = ok(admin.get("/admin/stores"))["stores"][0]["default_sales_channel_id"]
    warehouse = ok(admin.post("/admin/stock-locations", json={"name": "Warehouse"}))["stock_location"]["id"]
    depot = ok(admin.post("/admin/stock-locations", json={"name": "Depot"}))["stock_location"]["id"]
    ok(admin.post(f"/admin/stock-locations/{warehouse}/sales-channels", json={"add": [channel]}))
    return {"channel": channel, "warehouse": warehouse, "depot": depot}


def _item(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    item: dict[str, Any] = ok(admin.post("/admin/inventory-items", json=body))["inventory_item"]
    return item


def _level(admin: httpx.Client, item_id: str, location_id: str) -> dict[str, Any]:
    item = ok(admin.get(f"/admin/inventory-items/{item_id}"))["inventory_item"]
    return next(lv for lv in item["location_levels"] if lv["location_id"] == location_id)


# --- items ----------------------------------------------------------------------------------------
def test_item_crud_in_medusa_shape(admin: httpx.Client) -> None:
    item = _item(
        admin,
        sku="MUG-01",
        title="Mug",
        description="A stoneware mug",
        origin_country="UK",
        hs_code="hs001",
        mid_code="mids",
        material="stoneware",
        weight=300,
        length=100,
        height=200,
        width=150.5,
        metadata={"color": "blue"},
    )
    assert set(item) == ITEM_KEYS
    assert item["id"].startswith("iitem_")
    assert (item["sku"], item["weight"], item["width"], item["requires_shipping"]) == ("MUG-01", 300, 150.5, True)
    assert (item["stocked_quantity"], item["reserved_quantity"], item["location_levels"]) == (0, 0, [])

    again = ok(admin.get(f"/admin/inventory-items/{item['id']}"))["inventory_item"]
    assert again == item
    slim = ok(admin.get(f"/admin/inventory-items/{item['id']}", params={"fields": "id,sku"}))["inventory_item"]
    assert slim == {"id": item["id"], "sku": "MUG-01"}

    changed = ok(admin.post(f"/admin/inventory-items/{item['id']}", json={"mid_code": "new", "weight": 120}))
    assert (changed["inventory_item"]["mid_code"], changed["inventory_item"]["weight"]) == ("new", 120)
    assert changed["inventory_item"]["sku"] == "MUG-01"

    assert_error(admin.post("/admin/inventory-items", json={"sku": "MUG-01"}), 422, "duplicate_error", "MUG-01")
    assert_error(admin.post("/admin/inventory-items", json={"sku": "X", "bogus": 1}), 400, "invalid_data")
    assert_error(admin.post("/admin/inventory-items", json={"weight": -1}), 400, "invalid_data")
    assert_error(admin.post(f"/admin/inventory-items/{item['id']}", json={"sku": 5}), 400, "invalid_data")

    assert ok(admin.delete(f"/admin/inventory-items/{item['id']}")) == {
        "id": item["id"],
        "object": "inventory_item",
        "deleted": True,
    }
    assert_error(admin.get(f"/admin/inventory-items/{item['id']}"), 404, "not_found", item["id"])
    assert_error(admin.post("/admin/inventory-items/iitem_nope", json={"title": "x"}), 404, "not_found")
    assert_error(admin.delete("/admin/inventory-items/iitem_nope"), 404, "not_found")
    # A deleted item's SKU is free again.
    assert _item(admin, sku="MUG-01")["sku"] == "MUG-01"


def test_list_items_with_filters(admin: httpx.Client, world: dict[str, str]) -> None:
    first = _item(admin, sku="LIST-A", title="Teapot", location_levels=[{"location_id": world["depot"]}])
    second = _item(admin, sku="LIST-B", description="Another teapot")
    third = _item(admin, sku="LIST-C", title="Saucer")

    def ids(**params: Any) -> list[str]:
        return [i["id"] for i in ok(admin.get("/admin/inventory-items", params=params))["inventory_items"]]

    assert set(ids(q="teapot")) == {first["id"], second["id"]}
    assert ids(sku="LIST-C") == [third["id"]]
    assert set(ids(**{"id[]": [first["id"], third["id"]]})) == {first["id"], third["id"]}
    assert ids(**{"location_levels[location_id]": world["depot"]}) == [first["id"]]
    assert ids(**{"location_levels[location_id][]": [world["depot"]], "q": "LIST"}) == [first["id"]]
    listing = ok(admin.get("/admin/inventory-items", params={"q": "LIST-", "limit": 2, "order": "-sku"}))
    assert (listing["count"], listing["limit"], listing["offset"]) == (3, 2, 0)
    assert [i["sku"] for i in listing["inventory_items"]] == ["LIST-C", "LIST-B"]
    assert set(listing["inventory_items"][0]) == ITEM_KEYS
    assert_error(admin.get("/admin/inventory-items", params={"order": "nope"}), 400, "invalid_data")
    assert_error(admin.get("/admin/inventory-items", params={"fields": "nope"}), 400, "invalid_data")


# --- levels ---------------------------------------------------------------------------------------
def test_levels_of_an_item(admin: httpx.Client, world: dict[str, str]) -> None:
    wh, depot = world["warehouse"], world["depot"]
    item = ok(
        admin.post(
            "/admin/inventory-items",
            params={"fields": "*location_levels"},
            json={
                "sku": "LVL-1",
                "location_levels": [{"location_id": wh, "stocked_quantity": 20, "incoming_quantity": 4}],
            },
        )
    )["inventory_item"]
    [level] = item["location_levels"]
    assert set(level) == {*LEVEL_KEYS, "deleted_at"} and level["id"].startswith("iilev_")
    assert (level["stocked_quantity"], level["incoming_quantity"], level["available_quantity"]) == (20, 4, 20)

    url = f"/admin/inventory-items/{item['id']}/location-levels"
    body = ok(admin.post(url, json={"location_id": depot, "stocked_quantity": 5}))["inventory_item"]
    assert (body["stocked_quantity"], body["reserved_quantity"], len(body["location_levels"])) == (25, 0, 2)

    listing = ok(admin.get(url))
    assert (listing["count"], listing["limit"], listing["offset"]) == (2, 50, 0)
    assert [lv["location_id"] for lv in listing["inventory_levels"]] == [wh, depot]
    only = ok(admin.get(url, params={"location_id[]": depot}))["inventory_levels"]
    assert [(lv["location_id"], lv["stocked_quantity"]) for lv in only] == [(depot, 5)]

    updated = ok(admin.post(f"{url}/{depot}", json={"stocked_quantity": 15, "incoming_quantity": 5}))
    assert updated["inventory_item"]["stocked_quantity"] == 35
    assert _level(admin, item["id"], depot)["incoming_quantity"] == 5
    # Only what is sent changes.
    ok(admin.post(f"{url}/{depot}", json={"incoming_quantity": 0}))
    assert (
        _level(admin, item["id"], depot)["stocked_quantity"],
        _level(admin, item["id"], depot)["incoming_quantity"],
    ) == (15, 0)

    # Errors: a second level at the same location, unknown locations and items, negative quantities.
    assert_error(admin.post(url, json={"location_id": wh}), 422, "duplicate_error")
    assert_error(
        admin.post(url, json={"location_id": "sloc_nope"}), 404, "not_found", "Stock locations with ids: sloc_nope"
    )
    assert_error(
        admin.post(f"{url}/sloc_nope", json={"stocked_quantity": 1}), 404, "not_found", "is not stocked at location"
    )
    assert_error(admin.get("/admin/inventory-items/iitem_nope/location-levels"), 404, "not_found")
    assert_error(
        admin.post("/admin/inventory-items/iitem_nope/location-levels", json={"location_id": wh}), 404, "not_found"
    )
    assert_error(admin.post(f"{url}/{depot}", json={"stocked_quantity": -1}), 400, "invalid_data", "stocked_quantity")
    assert_error(admin.post(url, json={"location_id": depot, "incoming_quantity": -3}), 400, "invalid_data")

    removed = ok(admin.delete(f"{url}/{depot}"))
    assert (removed["object"], removed["deleted"]) == ("inventory-level", True)
    assert removed["id"].startswith("iilev_") and removed["parent"]["id"] == item["id"]
    assert [lv["location_id"] for lv in removed["parent"]["location_levels"]] == [wh]
    assert_error(admin.delete(f"{url}/{depot}"), 404, "not_found")


def test_level_batches(admin: httpx.Client, world: dict[str, str]) -> None:
    wh, depot = world["warehouse"], world["depot"]
    item = _item(admin, sku="BATCH-1")
    other = _item(admin, sku="BATCH-2")
    seeded = ok(
        admin.post(
            f"/admin/inventory-items/{item['id']}/location-levels/batch",
            json={
                "create": [{"location_id": wh, "stocked_quantity": 0}, {"location_id": depot, "stocked_quantity": 10}]
            },
        )
    )
    empty, stocked = seeded["created"]
    assert (empty["location_id"], stocked["stocked_quantity"]) == (wh, 10) and set(empty) == LEVEL_KEYS

    batch = "/admin/inventory-items/location-levels/batch"
    result = ok(
        admin.post(
            batch,
            json={
                "create": [{"inventory_item_id": other["id"], "location_id": wh, "stocked_quantity": 3}],
                "update": [{"inventory_item_id": item["id"], "location_id": wh, "stocked_quantity": 7}],
            },
        )
    )
    assert [(c["inventory_item_id"], c["stocked_quantity"]) for c in result["created"]] == [(other["id"], 3)]
    assert [(u["location_id"], u["stocked_quantity"]) for u in result["updated"]] == [(wh, 7)]
    assert result["deleted"] == []

    # A level with stock goes only with force; nothing of a refused batch is written.
    refused = admin.post(
        batch,
        json={
            "delete": [stocked["id"]],
            "create": [{"inventory_item_id": other["id"], "location_id": depot}],
        },
    )
    assert_error(refused, 400, "not_allowed", f"Cannot remove Inventory Levels for {depot} because there are stocked")
    assert len(ok(admin.get(f"/admin/inventory-items/{other['id']}"))["inventory_item"]["location_levels"]) == 1
    assert ok(admin.post(batch, json={"delete": [stocked["id"]], "force": True}))["deleted"] == [stocked["id"]]
    assert [lv["location_id"] for lv in _item_levels(admin, item["id"])] == [wh]

    # The item's batch deletes only its own levels; bad input is refused.
    ok(
        admin.post(
            f"/admin/inventory-items/{item['id']}/location-levels/batch", json={"delete": [result["created"][0]["id"]]}
        )
    )
    assert len(_item_levels(admin, other["id"])) == 1
    assert_error(
        admin.post(batch, json={"create": [{"inventory_item_id": "iitem_nope", "location_id": wh}]}), 404, "not_found"
    )
    assert_error(
        admin.post(batch, json={"create": [{"inventory_item_id": item["id"], "location_id": "sloc_nope"}]}),
        404,
        "not_found",
    )
    assert_error(
        admin.post(
            batch, json={"update": [{"inventory_item_id": item["id"], "location_id": wh, "stocked_quantity": -2}]}
        ),
        400,
        "invalid_data",
    )
    empty_batch = ok(admin.post(batch, json={"create": [], "update": [], "delete": []}))
    assert empty_batch == {"created": [], "updated": [], "deleted": []}


def _item_levels(admin: httpx.Client, item_id: str) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = ok(admin.get(f"/admin/inventory-items/{item_id}"))["inventory_item"][
        "location_levels"
    ]
    return levels


# --- reservations ---------------------------------------------------------------------------------
def test_reservations_move_reserved_and_available(admin: httpx.Client, world: dict[str, str]) -> None:
    wh, depot = world["warehouse"], world["depot"]
    item = _item(
        admin,
        sku="RES-1",
        location_levels=[{"location_id": wh, "stocked_quantity": 10}, {"location_id": depot, "stocked_quantity": 7}],
    )
    made = ok(
        admin.post(
            "/admin/reservations",
            json={
                "line_item_id": "line-1",
                "inventory_item_id": item["id"],
                "location_id": wh,
                "quantity": 5,
                "description": "held for a phone order",
            },
        )
    )["reservation"]
    assert made["id"].startswith("resitem_") and made["quantity"] == 5 and made["line_item_id"] == "line-1"
    assert made["inventory_item"]["id"] == item["id"] and made["inventory_item"]["reserved_quantity"] == 5
    level = _level(admin, item["id"], wh)
    assert (level["reserved_quantity"], level["available_quantity"]) == (5, 5)
    detail = ok(admin.get(f"/admin/inventory-items/{item['id']}"))["inventory_item"]
    assert (detail["stocked_quantity"], detail["reserved_quantity"]) == (17, 5)

    # More than is available is refused and changes nothing.
    too_many = {"inventory_item_id": item["id"], "location_id": wh, "quantity": 6}
    assert_error(admin.post("/admin/reservations", json=too_many), 400, "not_allowed", "Not enough stock available")
    assert _level(admin, item["id"], wh)["reserved_quantity"] == 5
    assert_error(admin.post("/admin/reservations", json={**too_many, "quantity": 0}), 400, "invalid_data")
    assert_error(admin.post("/admin/reservations", json={**too_many, "quantity": -1}), 400, "invalid_data")
    assert_error(
        admin.post("/admin/reservations", json={**too_many, "quantity": 1, "location_id": "sloc_nope"}),
        404,
        "not_found",
        "is not stocked at location sloc_nope",
    )

    # Growing needs availability; shrinking and moving carry the level's reserved quantity along.
    url = f"/admin/reservations/{made['id']}"
    assert ok(admin.post(url, json={"quantity": 8}))["reservation"]["quantity"] == 8
    assert _level(admin, item["id"], wh)["reserved_quantity"] == 8
    assert_error(admin.post(url, json={"quantity": 11}), 400, "not_allowed")
    assert _level(admin, item["id"], wh)["reserved_quantity"] == 8
    assert_error(admin.post(url, json={"location_id": depot}), 400, "not_allowed")
    moved = ok(admin.post(url, json={"location_id": depot, "quantity": 6, "description": "moved"}))["reservation"]
    assert (moved["location_id"], moved["quantity"], moved["description"]) == (depot, 6, "moved")
    assert (
        _level(admin, item["id"], wh)["reserved_quantity"],
        _level(admin, item["id"], depot)["reserved_quantity"],
    ) == (0, 6)

    second = ok(
        admin.post(
            "/admin/reservations",
            json={"line_item_id": "line-2", "inventory_item_id": item["id"], "location_id": wh, "quantity": 2},
        )
    )["reservation"]

    def ids(**params: Any) -> set[str]:
        return {r["id"] for r in ok(admin.get("/admin/reservations", params=params))["reservations"]}

    assert ids(inventory_item_id=item["id"]) == {made["id"], second["id"]}
    assert ids(**{"location_id[]": depot, "inventory_item_id": item["id"]}) == {made["id"]}
    assert ids(line_item_id="line-2") == {second["id"]}
    assert ok(admin.get(url, params={"fields": "id,quantity"}))["reservation"] == {"id": made["id"], "quantity": 6}

    # A level holding reservations and an item with reservations cannot be removed.
    assert_error(
        admin.delete(f"/admin/inventory-items/{item['id']}/location-levels/{depot}"),
        400,
        "not_allowed",
        "because there are reservations at location",
    )
    assert_error(admin.delete(f"/admin/inventory-items/{item['id']}"), 400, "not_allowed", "have reservations")

    assert ok(admin.delete(url)) == {"id": made["id"], "object": "reservation", "deleted": True}
    assert _level(admin, item["id"], depot)["reserved_quantity"] == 0
    assert_error(admin.get(url), 404, "not_found")
    assert_error(admin.post(url, json={"quantity": 1}), 404, "not_found")
    assert_error(admin.delete(url), 404, "not_found")
    ok(admin.delete(f"/admin/inventory-items/{item['id']}/location-levels/{depot}"))
    ok(admin.delete(f"/admin/reservations/{second['id']}"))
    ok(admin.delete(f"/admin/inventory-items/{item['id']}"))


# --- the checkout's service calls -----------------------------------------------------------------
def test_reserve_is_conditional_and_never_oversells(admin: httpx.Client, world: dict[str, str], db_url: str) -> None:
    wh = world["warehouse"]
    item = _item(admin, sku="SVC-1", location_levels=[{"location_id": wh, "stocked_quantity": 3}])
    kit_part = _item(admin, sku="SVC-2", location_levels=[{"location_id": wh, "stocked_quantity": 10}])

    def row(line: str, quantity: int, item_id: str = item["id"], backorder: bool = False) -> dict[str, Any]:
        return {
            "line_item_id": line,
            "inventory_item_id": item_id,
            "location_id": wh,
            "quantity": quantity,
            "allow_backorder": backorder,
        }

    async def work(conn: psycopg.AsyncConnection[Any]) -> None:
        made = await service.reserve(conn, [row("l1", 2), row("l1", 4, kit_part["id"])])
        assert [(m["inventory_item_id"], m["quantity"]) for m in made] == [(item["id"], 2), (kit_part["id"], 4)]
        # One short row refuses the whole call, inside the caller's transaction.
        with pytest.raises(NotAllowed) as refused:
            async with conn.transaction():
                await service.reserve(conn, [row("l2", 1, kit_part["id"]), row("l2", 2)])
        assert refused.value.code == "insufficient_inventory"
        stock = {lv["inventory_item_id"]: lv for lv in await service.levels(conn, [item["id"], kit_part["id"]], [wh])}
        assert (stock[item["id"]]["reserved_quantity"], stock[kit_part["id"]]["reserved_quantity"]) == (2, 4)
        # Without a caller's transaction it is atomic on its own.
        with pytest.raises(NotAllowed):
            await service.reserve(conn, [row("l3", 1, kit_part["id"]), row("l3", 5)])
        assert (await service.levels(conn, [kit_part["id"]], None))[0]["reserved_quantity"] == 4
        with pytest.raises(InvalidData):
            await service.reserve(conn, [row("l4", 0)])
        with pytest.raises(NotAllowed):
            await service.reserve(conn, [{**row("l4", 1), "location_id": "sloc_nope"}])

        # Two checkouts race for the last unit: exactly one gets it.
        async def attempt(line: str) -> bool:
            async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as other:
                try:
                    async with other.transaction():
                        await service.reserve(other, [row(line, 1)])
                        await asyncio.sleep(0.05)
                    return True
                except NotAllowed:
                    return False

        assert sorted(await asyncio.gather(attempt("race-a"), attempt("race-b"))) == [False, True]
        assert (await service.levels(conn, [item["id"]], [wh]))[0]["reserved_quantity"] == 3
        # Backorders may go beyond the stock.
        await service.reserve(conn, [row("l5", 2, backorder=True)])
        assert (await service.levels(conn, [item["id"]], [wh]))[0]["reserved_quantity"] == 5

        # Release gives back what the lines held.
        await service.release(conn, ["l5", "race-a", "race-b"])
        level = (await service.levels(conn, [item["id"]], [wh]))[0]
        assert (level["stocked_quantity"], level["reserved_quantity"]) == (3, 2)

        # Fulfil ships reserved goods; unfulfil puts them back and reserved again.
        await service.fulfil(conn, "l1", wh, 1, item["id"])
        level = (await service.levels(conn, [item["id"]], [wh]))[0]
        assert (level["stocked_quantity"], level["reserved_quantity"]) == (2, 1)
        with pytest.raises(InvalidData):  # l1 holds two items at the warehouse: name one
            await service.fulfil(conn, "l1", wh, 1)
        with pytest.raises(NotAllowed):
            await service.fulfil(conn, "l1", wh, 5, kit_part["id"])
        await service.fulfil(conn, "l1", wh, 4, kit_part["id"])
        await service.unfulfil(conn, "l1", kit_part["id"], wh, 4)
        part = (await service.levels(conn, [kit_part["id"]], [wh]))[0]
        assert (part["stocked_quantity"], part["reserved_quantity"]) == (10, 4)
        await service.release(conn, ["l1"])
        assert [lv["reserved_quantity"] for lv in await service.levels(conn, [item["id"], kit_part["id"]], [wh])] == [
            0,
            0,
        ]
        assert await service.levels(conn, [item["id"]], []) == []

    run_async(db_url, work)


# --- variants and their inventory items -----------------------------------------------------------
def test_a_new_managed_variant_gets_its_inventory_item(admin: httpx.Client, world: dict[str, str], db_url: str) -> None:
    product = ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Kettle",
                "options": [{"title": "Color", "values": ["Red", "Blue", "Green"]}],
                "variants": [
                    {"title": "Red kettle", "sku": "KETTLE-R", "options": {"Color": "Red"}, "weight": 900},
                    {
                        "title": "Blue kettle",
                        "sku": "KETTLE-B",
                        "options": {"Color": "Blue"},
                        "manage_inventory": False,
                    },
                ],
            },
        )
    )["product"]
    red, blue = (next(v["id"] for v in product["variants"] if v["sku"] == s) for s in ("KETTLE-R", "KETTLE-B"))
    [item] = ok(admin.get("/admin/inventory-items", params={"sku": "KETTLE-R"}))["inventory_items"]
    assert (item["title"], item["weight"], item["requires_shipping"]) == ("Red kettle", 900, True)
    assert ok(admin.get("/admin/inventory-items", params={"sku": "KETTLE-B"}))["count"] == 0

    links = run_async(db_url, lambda conn: service.variant_links(conn, [red, blue]))
    assert links == {red: [{"inventory_item_id": item["id"], "required_quantity": 1}], blue: []}

    # A variant added later, and one switched to managed inventory, get theirs; an update adds nothing twice.
    ok(
        admin.post(
            f"/admin/products/{product['id']}/variants",
            json={"title": "Green kettle", "sku": "KETTLE-G", "options": {"Color": "Green"}},
        )
    )
    assert ok(admin.get("/admin/inventory-items", params={"sku": "KETTLE-G"}))["count"] == 1
    ok(admin.post(f"/admin/products/{product['id']}/variants/{blue}", json={"manage_inventory": True}))
    assert ok(admin.get("/admin/inventory-items", params={"sku": "KETTLE-B"}))["count"] == 1
    ok(admin.post(f"/admin/products/{product['id']}", json={"title": "Kettle 2"}))
    assert ok(admin.get("/admin/inventory-items", params={"q": "KETTLE-"}))["count"] == 3

    # Batch creates do it too; a product re-created with a known SKU finds its item again.
    batch = ok(
        admin.post(
            "/admin/products/batch",
            json={"create": [{"title": "Toaster", "variants": [{"title": "Default", "sku": "TOASTER"}]}]},
        )
    )
    toaster = batch["created"][0]
    assert ok(admin.get("/admin/inventory-items", params={"sku": "TOASTER"}))["count"] == 1
    ok(admin.delete(f"/admin/products/{toaster['id']}"))
    again = ok(
        admin.post("/admin/products", json={"title": "Toaster", "variants": [{"title": "Default", "sku": "TOASTER"}]})
    )
    [toaster_item] = ok(admin.get("/admin/inventory-items", params={"sku": "TOASTER"}))["inventory_items"]
    variant = again["product"]["variants"][0]["id"]
    links = run_async(db_url, lambda conn: service.variant_links(conn, [variant]))
    assert links[variant] == [{"inventory_item_id": toaster_item["id"], "required_quantity": 1}]

    # A product that fails to be created leaves no inventory item behind.
    bad = admin.post("/admin/products", json={"title": "Bad", "variants": [{"title": "X", "sku": "KETTLE-R"}]})
    assert_error(bad, 422, "duplicate_error")
    assert ok(admin.get("/admin/inventory-items", params={"q": "KETTLE-"}))["count"] == 3


def test_variant_links_with_required_quantity(admin: httpx.Client, db_url: str) -> None:
    product = ok(
        admin.post("/admin/products", json={"title": "Gift box", "variants": [{"title": "Box", "sku": "GIFTBOX"}]})
    )["product"]
    variant = product["variants"][0]["id"]
    candle = _item(admin, sku="CANDLE", title="Candle")
    url = f"/admin/products/{product['id']}/variants/{variant}/inventory-items"

    linked = ok(admin.post(url, json={"inventory_item_id": candle["id"], "required_quantity": 2}))["variant"]
    assert linked["id"] == variant and linked["sku"] == "GIFTBOX"
    by_item = {link["inventory_item_id"]: link for link in linked["inventory_items"]}
    assert by_item[candle["id"]]["required_quantity"] == 2 and by_item[candle["id"]]["variant_id"] == variant
    assert len(by_item) == 2  # its own item (GIFTBOX) and the candles

    expanded = ok(
        admin.post(
            f"{url}/{candle['id']}",
            params={"fields": "id,inventory_items.required_quantity,inventory_items.inventory.sku"},
            json={"required_quantity": 3},
        )
    )["variant"]
    assert {"id": ANY, "required_quantity": 3, "inventory": {"id": candle["id"], "sku": "CANDLE"}} in expanded[
        "inventory_items"
    ]
    links = run_async(db_url, lambda conn: service.variant_links(conn, [variant]))
    assert {"inventory_item_id": candle["id"], "required_quantity": 3} in links[variant]

    removed = ok(admin.delete(f"{url}/{candle['id']}"))
    assert (removed["object"], removed["deleted"]) == ("variant-inventory-item-link", True)
    assert removed["id"] == {"product": {"variant_id": variant}, "inventory": {"inventory_item_id": candle["id"]}}
    [own] = ok(admin.get("/admin/inventory-items", params={"sku": "GIFTBOX"}))["inventory_items"]
    assert [link["inventory_item_id"] for link in removed["parent"]["inventory_items"]] == [own["id"]]

    assert_error(admin.delete(f"{url}/{candle['id']}"), 404, "not_found")
    assert_error(admin.post(f"{url}/{candle['id']}", json={"required_quantity": 2}), 404, "not_found")
    assert_error(admin.post(url, json={"inventory_item_id": "iitem_nope"}), 404, "not_found", "iitem_nope")
    assert_error(admin.post(url, json={"inventory_item_id": candle["id"], "required_quantity": 0}), 400, "invalid_data")
    assert_error(
        admin.post(
            f"/admin/products/{product['id']}/variants/variant_nope/inventory-items",
            json={"inventory_item_id": candle["id"]},
        ),
        404,
        "not_found",
    )
    # Deleting an item unlinks it from its variants.
    ok(admin.post(url, json={"inventory_item_id": candle["id"], "required_quantity": 1}))
    ok(admin.delete(f"/admin/inventory-items/{candle['id']}"))
    links = run_async(db_url, lambda conn: service.variant_links(conn, [variant]))
    assert candle["id"] not in {link["inventory_item_id"] for link in links[variant]}


# --- the store's inventory_quantity ---------------------------------------------------------------
def test_store_inventory_quantity_follows_stock(
    admin: httpx.Client, store: httpx.Client, world: dict[str, str], db_url: str
) -> None:
    wh, depot = world["warehouse"], world["depot"]
    product = ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Lamp",
                "status": "published",
                "sales_channels": [{"id": world["channel"]}],
                "options": [{"title": "Kind", "values": ["Plain", "Kit", "Digital"]}],
                "variants": [
                    {"title": "Plain", "sku": "LAMP", "options": {"Kind": "Plain"}},
                    {"title": "Kit", "sku": "LAMP-KIT", "options": {"Kind": "Kit"}},
                    {"title": "Digital", "options": {"Kind": "Digital"}, "manage_inventory": False},
                ],
            },
        )
    )["product"]
    variants = {v["title"]: v["id"] for v in product["variants"]}

    def quantities() -> dict[str, Any]:
        r = store.get(
            f"/store/products/{product['id']}", params={"fields": "id,variants.title,+variants.inventory_quantity"}
        )
        assert r.status_code == 200, r.text
        return {v["title"]: v["inventory_quantity"] for v in r.json()["product"]["variants"]}

    assert eventually(lambda: quantities() == {"Plain": 0, "Kit": 0, "Digital": None}), quantities()

    [lamp] = ok(admin.get("/admin/inventory-items", params={"sku": "LAMP"}))["inventory_items"]
    ok(
        admin.post(
            f"/admin/inventory-items/{lamp['id']}/location-levels", json={"location_id": wh, "stocked_quantity": 7}
        )
    )
    # Stock at a location that serves no sales channel of the key does not count.
    ok(
        admin.post(
            f"/admin/inventory-items/{lamp['id']}/location-levels", json={"location_id": depot, "stocked_quantity": 50}
        )
    )
    assert eventually(lambda: quantities()["Plain"] == 7), quantities()

    ok(admin.post(f"/admin/inventory-items/{lamp['id']}/location-levels/{wh}", json={"stocked_quantity": 9}))
    assert eventually(lambda: quantities()["Plain"] == 9), quantities()
    ok(admin.post("/admin/reservations", json={"inventory_item_id": lamp["id"], "location_id": wh, "quantity": 4}))
    assert eventually(lambda: quantities()["Plain"] == 5), quantities()

    # A kit: 1 lamp and 2 bulbs per unit sells min(5 // 1, 7 // 2) = 3.
    [kit_item] = ok(admin.get("/admin/inventory-items", params={"sku": "LAMP-KIT"}))["inventory_items"]
    ok(admin.delete(f"/admin/products/{product['id']}/variants/{variants['Kit']}/inventory-items/{kit_item['id']}"))
    bulb = _item(admin, sku="BULB", location_levels=[{"location_id": wh, "stocked_quantity": 7}])
    kit_url = f"/admin/products/{product['id']}/variants/{variants['Kit']}/inventory-items"
    ok(admin.post(kit_url, json={"inventory_item_id": lamp["id"], "required_quantity": 1}))
    ok(admin.post(kit_url, json={"inventory_item_id": bulb["id"], "required_quantity": 2}))
    assert eventually(lambda: quantities()["Kit"] == 3), quantities()

    # The depot starts serving the channel: its stock counts from then on.
    ok(admin.post(f"/admin/stock-locations/{depot}/sales-channels", json={"add": [world["channel"]]}))
    assert eventually(lambda: quantities()["Plain"] == 55), quantities()
    ok(admin.post(f"/admin/stock-locations/{depot}/sales-channels", json={"remove": [world["channel"]]}))
    assert eventually(lambda: quantities()["Plain"] == 5), quantities()
    # The default store fields carry it as well.
    listed = ok(store.get("/store/products", params={"handle": product["handle"]}))["products"][0]
    assert {v["title"]: v["inventory_quantity"] for v in listed["variants"]} == {"Plain": 5, "Kit": 3, "Digital": None}
