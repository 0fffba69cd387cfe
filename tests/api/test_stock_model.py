"""The stock read model (catalog.stock) behind the store's `variants.inventory_quantity`: the engine's numbers
(kits, only the channel's locations, None when unmanaged), cached pages re-spliced when stock moves, quantities per
sales channel, and — the reason it exists — a reservation reloads the stock model, never the product catalog."""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.app import App
from commerce.catalog import documents as catalog_documents
from commerce.catalog import source
from commerce.catalog.stock import MARK, Slotted, Stock, Structure
from commerce.inventory import service as inventory
from tests.conftest import eventually, worker_settings


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# --- the numbers: the same as engine.availability -------------------------------------------------
ITEMS = ("iitem_a", "iitem_b", "iitem_c")
LOCATIONS = ("sloc_1", "sloc_2", "sloc_3")
CHANNELS = ("sc_x", "sc_y", "sc_z")

variant_st = st.fixed_dictionaries(
    {
        "manage_inventory": st.booleans(),
        "allow_backorder": st.booleans(),
        "links": st.dictionaries(st.sampled_from(ITEMS), st.integers(1, 4), max_size=3),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    variants=st.lists(variant_st, min_size=1, max_size=5),
    levels=st.dictionaries(
        st.tuples(st.sampled_from(ITEMS), st.sampled_from(LOCATIONS)),
        st.tuples(st.integers(0, 30), st.integers(0, 40)),  # stocked, reserved (a backorder can exceed stock)
    ),
    served=st.dictionaries(st.sampled_from(CHANNELS), st.sets(st.sampled_from(LOCATIONS))),
    asked=st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3),
)
def test_quantities_are_the_engines(
    variants: list[dict[str, Any]],
    levels: dict[tuple[str, str], tuple[int, int]],
    served: dict[str, set[str]],
    asked: list[str],
) -> None:
    # The rows source.load_stock_structure / load_stock_levels return.
    managed: list[tuple[str, bool]] = []
    links: list[tuple[str, str, int]] = []
    engine_variants = []
    for n, v in enumerate(variants):
        vid = f"variant_{n}"
        if v["manage_inventory"]:
            managed.append((vid, v["allow_backorder"]))
        links.extend((vid, item, required) for item, required in v["links"].items())
        engine_variants.append(
            {
                "id": vid,
                "manage_inventory": v["manage_inventory"],
                "allow_backorder": v["allow_backorder"],
                "inventory_items": [
                    {"inventory_item_id": item, "required_quantity": required} for item, required in v["links"].items()
                ],
            }
        )
    structure = Structure(managed, links, [(channel, loc) for channel, locs in served.items() for loc in locs])
    stock = Stock(structure, [(item, loc, stocked - reserved) for (item, loc), (stocked, reserved) in levels.items()])
    channels = tuple(asked)
    locations = sorted({loc for c in channels for loc in served.get(c, ())})
    engine_levels = [
        {"inventory_item_id": item, "location_id": loc, "stocked_quantity": stocked, "reserved_quantity": reserved}
        for (item, loc), (stocked, reserved) in levels.items()
    ]
    expected = engine.availability(engine_variants, engine_levels, locations)
    ids = [v["id"] for v in engine_variants]
    assert [stock.quantity(vid, channels) for vid in ids] == [expected[vid]["inventory_quantity"] for vid in ids]
    encoded = [
        b"null" if expected[vid]["inventory_quantity"] is None else b"%d" % expected[vid]["inventory_quantity"]
        for vid in ids
    ]
    assert stock.encoded(ids, channels) == encoded
    assert stock.encoded(ids, channels) == encoded  # memoised: the same again
    assert {vid: stock.manages(vid) for vid in ids} == {v["id"]: v["manage_inventory"] for v in engine_variants}
    assert {vid: stock.allows_backorder(vid) for vid in ids} == {
        v["id"]: v["manage_inventory"] and v["allow_backorder"] for v in engine_variants
    }


def test_a_slotted_body_is_respliced_only_when_the_stock_changes() -> None:
    template = b'{"variants":[{"id":"v1","inventory_quantity":' + MARK + b'},{"id":"v2","inventory_quantity":' + MARK
    template += b'}],"n":1}'
    body = Slotted(template, ["v1", "v2"])
    assert body.needs_stock

    structure = Structure([("v1", False)], [("v1", "item", 2), ("v2", "item", 1)], [("sc", "loc")])

    def stock(available: int) -> Stock:
        return Stock(structure, [("item", "loc", available)])

    five, nine = stock(10), stock(18)
    first = body.render(five, ("sc",))
    assert first == b'{"variants":[{"id":"v1","inventory_quantity":5},{"id":"v2","inventory_quantity":null}],"n":1}'
    assert body.render(five, ("sc",)) is first, "the same stock: the same bytes, no work"
    assert body.render(nine, ("sc",)) == first.replace(b":5}", b":9}")
    assert body.render(five, ("sc",)) == first
    assert body.render(five, ("other",)) == first.replace(b":5}", b":0}"), "no location serves that channel"
    assert body.render(stock(-3), ("sc",)) == first.replace(b":5}", b":0}"), "never below 0"

    plain = Slotted(b'{"id":"p"}', [])
    assert not plain.needs_stock and plain.render(None, ()) == b'{"id":"p"}'
    with pytest.raises(RuntimeError):
        Slotted(template, ["v1"])


# --- over HTTP and in-process against the same database -------------------------------------------
@pytest.fixture(scope="module")
def shop(admin: httpx.Client, client: httpx.Client) -> dict[str, Any]:
    """Channel A (the demo key's) served by the warehouse, channel B (the outlet key's) served by the outlet; one
    product sold in both with a managed variant (7 at the warehouse, 4 at the outlet) and an unmanaged one."""
    channel_a = ok(admin.get("/admin/stores"))["stores"][0]["default_sales_channel_id"]
    channel_b = ok(admin.post("/admin/sales-channels", json={"name": "Outlet"}))["sales_channel"]["id"]

    def location(name: str, channel: str) -> str:
        loc: str = ok(admin.post("/admin/stock-locations", json={"name": name}))["stock_location"]["id"]
        ok(admin.post(f"/admin/stock-locations/{loc}/sales-channels", json={"add": [channel]}))
        return loc

    warehouse, outlet = location("Warehouse", channel_a), location("Outlet store", channel_b)

    def key(title: str, channels: list[str]) -> dict[str, str]:
        created = ok(admin.post("/admin/api-keys", json={"title": title, "type": "publishable"}))["api_key"]
        ok(admin.post(f"/admin/api-keys/{created['id']}/sales-channels", json={"add": channels}))
        return {"x-publishable-api-key": created["token"]}

    product = ok(
        admin.post(
            "/admin/products",
            json={
                "title": "Kettle",
                "status": "published",
                "sales_channels": [{"id": channel_a}, {"id": channel_b}],
                "options": [{"title": "Kind", "values": ["Steel", "Gift card"]}],
                "variants": [
                    {"title": "Steel", "sku": "KETTLE", "options": {"Kind": "Steel"}},
                    {"title": "Gift card", "options": {"Kind": "Gift card"}, "manage_inventory": False},
                ],
            },
        )
    )["product"]
    [item] = ok(admin.get("/admin/inventory-items", params={"sku": "KETTLE"}))["inventory_items"]
    for loc, stocked in ((warehouse, 7), (outlet, 4)):
        ok(
            admin.post(
                f"/admin/inventory-items/{item['id']}/location-levels",
                json={"location_id": loc, "stocked_quantity": stocked},
            )
        )
    return {
        "product": product["id"],
        "variant": next(v["id"] for v in product["variants"] if v["title"] == "Steel"),
        "item": item["id"],
        "warehouse": warehouse,
        "outlet": outlet,
        "a": channel_a,
        "b": channel_b,
        "key_b": key("Outlet app", [channel_b]),
        "key_ab": key("Both", [channel_a, channel_b]),
    }


def _quantities(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body = r.json()
    product = body["product"] if "product" in body else body["products"][0]
    return {v["title"]: v.get("inventory_quantity", "absent") for v in product["variants"]}


def test_inventory_quantity_is_per_sales_channel(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    url = f"/store/products/{shop['product']}"
    plus = {"fields": "+variants.inventory_quantity"}
    assert eventually(lambda: _quantities(store.get(url, params=plus)) == {"Steel": 7, "Gift card": None})
    # The outlet's key sees the outlet's stock only; a key with both channels counts both locations, unless the
    # request names one channel.
    assert _quantities(store.get(url, params=plus, headers=shop["key_b"])) == {"Steel": 4, "Gift card": None}
    assert _quantities(store.get(url, params=plus, headers=shop["key_ab"]))["Steel"] == 11
    one = {**plus, "sales_channel_id": shop["b"]}
    assert _quantities(store.get(url, params=one, headers=shop["key_ab"]))["Steel"] == 4
    listed = store.get("/store/products", params={"sales_channel_id": shop["b"]}, headers=shop["key_ab"])
    assert _quantities(listed)["Steel"] == 4

    # A reservation at the outlet moves the outlet's number only.
    reservation = {"inventory_item_id": shop["item"], "location_id": shop["outlet"], "quantity": 3}
    made = ok(admin.post("/admin/reservations", json=reservation))["reservation"]
    assert eventually(lambda: _quantities(store.get(url, params=plus, headers=shop["key_b"]))["Steel"] == 1)
    assert _quantities(store.get(url, params=plus))["Steel"] == 7
    ok(admin.delete(f"/admin/reservations/{made['id']}"))
    assert eventually(lambda: _quantities(store.get(url, params=plus, headers=shop["key_b"]))["Steel"] == 4)


def test_cached_pages_follow_the_stock(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    level = f"/admin/inventory-items/{shop['item']}/location-levels/{shop['warehouse']}"
    pages = [
        {},  # the default fields carry inventory_quantity
        {"fields": "id,title,*variants"},
        {"fields": "+variants.inventory_quantity", "currency_code": "usd"},
    ]

    def seen(params: dict[str, str]) -> Any:
        return _quantities(store.get("/store/products", params=params))["Steel"]

    for params in pages:
        assert eventually(lambda p=params: seen(p) == 7), (params, seen(params))
        assert seen(params) == 7  # now served from the page cache
    ok(admin.post(level, json={"stocked_quantity": 12}))
    for params in pages:
        assert eventually(lambda p=params: seen(p) == 12), (params, seen(params))
    ok(admin.post(level, json={"stocked_quantity": 7}))
    for params in pages:
        assert eventually(lambda p=params: seen(p) == 7), (params, seen(params))

    # Not selected, not there (and such a page needs no stock at all).
    assert _quantities(store.get("/store/products", params={"fields": "-variants.inventory_quantity"})) == {
        "Steel": "absent",
        "Gift card": "absent",
    }
    slim = store.get("/store/products", params={"fields": "id,variants.title"})
    assert _quantities(slim) == {"Steel": "absent", "Gift card": "absent"}


def test_a_reservation_reloads_the_stock_not_the_catalog(
    admin: httpx.Client, db_url: str, shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's AppState (app.App.startup), in process: a checkout's reservation (inventory.service.reserve in a
    transaction) NOTIFYs inventory_level; the stock model re-reads its levels on its next read — and nothing else:
    neither the product catalog nor the stock's structure."""
    loads = {"products": 0, "structure": 0, "levels": 0}

    def counted(name: str, load: Any) -> Any:
        async def wrapper(*args: Any) -> Any:
            loads[name] += 1
            return await load(*args)

        return wrapper

    monkeypatch.setattr(catalog_documents, "_fetch", counted("products", catalog_documents._fetch))
    monkeypatch.setattr(source, "load_stock_structure", counted("structure", source.load_stock_structure))
    monkeypatch.setattr(source, "load_stock_levels", counted("levels", source.load_stock_levels))
    settings = worker_settings(db_url, tmp_path)
    variant, channels = shop["variant"], (shop["a"],)

    async def changed(get: Any, before: Any) -> Any:
        deadline = time.monotonic() + 3
        while (now := await get()) is before and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return now

    async def main() -> None:
        worker = App(settings, db_url)
        await worker.startup()
        try:
            state = worker.state
            assert state is not None and state.feed.connected
            pool = state.pool
            pid = shop["product"]

            async def product() -> Any:
                return (await state.documents.products(pool, [pid]))[pid]

            catalog = await product()
            stock = await state.stock.get(pool)
            assert stock.quantity(variant, channels) == 7
            assert loads == {"products": 1, "structure": 1, "levels": 1}

            line = "cali_stock_model_test"
            async with pool.connection() as conn, conn.transaction():
                await inventory.reserve(
                    conn,
                    [
                        {
                            "line_item_id": line,
                            "inventory_item_id": shop["item"],
                            "location_id": shop["warehouse"],
                            "quantity": 2,
                            "allow_backorder": False,
                        }
                    ],
                )
            fresh = await changed(lambda: state.stock.get(pool), stock)
            assert fresh is not stock and fresh.quantity(variant, channels) == 5
            assert await product() is catalog
            assert fresh.structure is stock.structure
            assert loads == {"products": 1, "structure": 1, "levels": 2}, "a reservation re-reads the levels only"

            async with pool.connection() as conn, conn.transaction():
                await inventory.release(conn, [line])
            back = await changed(lambda: state.stock.get(pool), fresh)
            assert back.quantity(variant, channels) == 7
            assert await product() is catalog
            assert loads == {"products": 1, "structure": 1, "levels": 3}

            # Which locations serve a channel is structure: it reloads, the catalog still does not.
            served = f"/admin/stock-locations/{shop['outlet']}/sales-channels"
            ok(await asyncio.to_thread(admin.post, served, json={"add": [shop["a"]]}))
            wider = await changed(lambda: state.stock.get(pool), back)
            assert wider.structure is not back.structure and wider.quantity(variant, channels) == 7 + 4
            assert await product() is catalog and loads["products"] == 1
            ok(await asyncio.to_thread(admin.post, served, json={"remove": [shop["a"]]}))
            assert (await changed(lambda: state.stock.get(pool), wider)).quantity(variant, channels) == 7

            # The control: a product change does drop its cached document (so the identities above mean something).
            edit = f"/admin/products/{shop['product']}"
            ok(await asyncio.to_thread(admin.post, edit, json={"subtitle": "Boils fast"}))
            assert await changed(product, catalog) is not catalog
            assert loads["products"] == 2
        finally:
            await worker.shutdown()

    asyncio.run(main())
