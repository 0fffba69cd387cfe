"""The stock read model (catalog.stock) behind the store's `variants.inventory_quantity`: the engine's numbers
(kits, only the channel's locations, None when unmanaged), cached pages re-spliced when stock moves, quantities per
sales channel, read per variant as requests ask (a fresh worker holds none), and a reservation drops the variants it
moved from every process's cache, never the product catalog."""

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
from commerce.catalog import stock as stock_model
from commerce.catalog.stock import MARK, Slotted, Stock, VariantStock
from commerce.inventory import service as inventory
from tests.conftest import Server, eventually, worker_settings, worker_state


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
    # The rows stock.VARIANTS returns: a variant's links joined to its items' levels (none for an unmanaged one).
    rows: list[tuple[Any, ...]] = []
    engine_variants = []
    for n, v in enumerate(variants):
        vid = f"variant_{n}"
        head = (vid, v["manage_inventory"], v["allow_backorder"])
        if not v["manage_inventory"] or not v["links"]:
            rows.append((*head, None, None, None, None))
        for item, required in v["links"].items() if v["manage_inventory"] else ():
            at = [(loc, stocked - reserved) for (i, loc), (stocked, reserved) in levels.items() if i == item]
            rows.extend((*head, item, required, loc, available) for loc, available in at)
            if not at:
                rows.append((*head, item, required, None, None))
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
    stock = Stock(stock_model._entries(rows), {c: frozenset(locs) for c, locs in served.items()}, 1)
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
    assert {vid: stock.manages(vid) for vid in ids} == {v["id"]: v["manage_inventory"] for v in engine_variants}
    assert {vid: stock.allows_backorder(vid) for vid in ids} == {
        v["id"]: v["manage_inventory"] and v["allow_backorder"] for v in engine_variants
    }


def test_a_slotted_body_is_respliced_only_when_the_stock_changes() -> None:
    template = b'{"variants":[{"id":"v1","inventory_quantity":' + MARK + b'},{"id":"v2","inventory_quantity":' + MARK
    template += b'}],"n":1}'
    body = Slotted(template, ["v1", "v2"])
    assert body.needs_stock

    versions = iter(range(1, 100))

    def stock(available: int) -> Stock:
        entries = {"v1": VariantStock(False, ((2, (("loc", available),)),)), "v2": stock_model.UNMANAGED}
        return Stock(entries, {"sc": frozenset({"loc"})}, next(versions))

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
        "unmanaged": next(v["id"] for v in product["variants"] if v["title"] == "Gift card"),
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
        {"handle": "kettle"},  # a product page by handle: its stock read with its document
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


def test_a_worker_reads_stock_per_variant_and_a_reservation_drops_only_what_it_moved(
    admin: httpx.Client, db_url: str, shop: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's AppState (app.App.startup), in process: it starts holding no variant's stock; a read holds the
    variants asked for (one statement); a checkout's reservation (inventory.service.reserve in a transaction)
    NOTIFYs the variants it moved, which leave the cache — nothing else does: neither other variants nor the
    product catalog."""
    loads = {"products": 0}

    async def counted(*args: Any) -> Any:
        loads["products"] += 1
        return await fetch(*args)

    fetch = catalog_documents._fetch
    monkeypatch.setattr(catalog_documents, "_fetch", counted)
    settings = worker_settings(db_url, tmp_path)
    variant, channels = shop["variant"], (shop["a"],)
    other = shop["unmanaged"]

    async def until(check: Any) -> None:
        deadline = time.monotonic() + 3
        while not check() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def main() -> None:
        worker = App(settings, db_url)
        await worker.startup()
        try:
            state = worker.state
            assert state is not None and state.feed.connected
            cache, pool, pid = state.stock, state.pool, shop["product"]
            assert len(cache) == 0 and cache.reads == 0, "a fresh worker holds no stock"

            async def product() -> Any:
                return (await state.documents.products(pool, [pid]))[pid]

            catalog = await product()
            stock = await cache.get(pool, [variant, other])
            assert stock.quantity(variant, channels) == 7 and stock.quantity(other, channels) is None
            assert len(cache) == 2 and cache.reads == 1
            again = await cache.get(pool, [variant])
            assert again.quantity(variant, channels) == 7 and cache.reads == 1, "held: no statement"
            assert again.version == stock.version, "nothing changed: a cached page is not re-spliced"

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
            await until(lambda: cache.cache.get(variant) is None)
            assert cache.cache.get(variant) is None, "the reserved variant left the cache"
            assert cache.cache.get(other) is not None, "the other one did not"
            fresh = await cache.get(pool, [variant])
            assert fresh.quantity(variant, channels) == 5 and fresh.version != stock.version
            assert cache.reads == 2
            assert await product() is catalog

            async with pool.connection() as conn, conn.transaction():
                await inventory.release(conn, [line])
            await until(lambda: cache.cache.get(variant) is None)
            assert (await cache.get(pool, [variant])).quantity(variant, channels) == 7
            assert await product() is catalog and loads["products"] == 1

            # Which locations serve a channel is a model of its own: it reloads, the variants stay held.
            served = f"/admin/stock-locations/{shop['outlet']}/sales-channels"
            ok(await asyncio.to_thread(admin.post, served, json={"add": [shop["a"]]}))
            reads = cache.reads
            wider: list[Any] = []

            async def widened() -> bool:
                wider[:] = [(await cache.get(pool, [variant])).quantity(variant, channels)]
                return wider[0] == 7 + 4

            deadline = time.monotonic() + 3
            while not await widened() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert wider == [11] and cache.reads == reads
            ok(await asyncio.to_thread(admin.post, served, json={"remove": [shop["a"]]}))

            # The control: a product change does drop its cached document (so the identities above mean something).
            edit = f"/admin/products/{shop['product']}"
            ok(await asyncio.to_thread(admin.post, edit, json={"subtitle": "Boils fast"}))
            await until(lambda: state.documents.cache.get(("product", pid)) is None)
            assert await product() is not catalog
            assert loads["products"] == 2
        finally:
            await worker.shutdown()

    asyncio.run(main())


def test_a_page_by_handle_reads_its_stock_with_its_document(db_url: str, shop: dict[str, Any], tmp_path: Path) -> None:
    """A list by handle reads its variants' stock rows in the statement that reads its documents: the same entries
    as the stock cache's own statement, which the cache then holds (no statement of its own); not when a change was
    notified in between."""
    settings = worker_settings(db_url, tmp_path)
    variant, other, channels = shop["variant"], shop["unmanaged"], (shop["a"],)

    async def main() -> None:
        async with worker_state(settings, db_url) as state:
            cache, pool = state.stock, state.pool
            query = catalog_documents.ProductQuery(handle=["kettle"])
            version = cache.version
            page = await state.documents.select(pool, query, channels, stock=True)
            assert page.ids == [shop["product"]] and page.count == 1
            entry = page.entries[shop["product"]]
            assert sorted(entry.variant_ids) == sorted([variant, other])
            held = stock_model.entries_of(page.stock_rows, entry.variant_ids)
            async with pool.connection() as conn:
                read = await stock_model.read_variants(conn, entry.variant_ids)
            assert {v: (e.backorder, e.items) for v, e in held.items()} == {
                v: (e.backorder, e.items) for v, e in read.items()
            }
            assert not cache.keep(held, version - 1)
            assert len(cache) == 0, "a change was notified since: not kept"
            assert cache.keep(held, version)
            stock = await cache.get(pool, entry.variant_ids)
            assert stock.quantity(variant, channels) == 7 and stock.quantity(other, channels) is None
            assert cache.reads == 0
            plain = await state.documents.select(pool, query, channels)
            assert plain.entries[shop["product"]] is entry and plain.stock_rows == [], "the document is the cached one"

    asyncio.run(main())


def test_a_level_change_shows_in_every_process(
    admin: httpx.Client, store: httpx.Client, db_url: str, shop: dict[str, Any]
) -> None:
    """Two more server processes, each holding the variant's stock (its product page was served): a reservation
    and a stock adjustment made through the first server show in `inventory_quantity` on the next requests of both
    (the NOTIFY of migrations/0045 drops the variant in every process; no refresh interval)."""
    url = f"/store/products/{shop['product']}"
    plus = {"fields": "+variants.inventory_quantity"}
    others = [Server(db_url).start() for _ in range(2)]
    try:
        clients = [httpx.Client(base_url=s.url, headers=dict(store.headers), timeout=10) for s in others]

        def seen() -> list[Any]:
            return [_quantities(c.get(url, params=plus))["Steel"] for c in clients]

        assert eventually(lambda: seen() == [7, 7])
        assert seen() == [7, 7], "held now"
        reservation = {"inventory_item_id": shop["item"], "location_id": shop["warehouse"], "quantity": 2}
        made = ok(admin.post("/admin/reservations", json=reservation))["reservation"]
        assert eventually(lambda: seen() == [5, 5]), seen()
        level = f"/admin/inventory-items/{shop['item']}/location-levels/{shop['warehouse']}"
        ok(admin.post(level, json={"stocked_quantity": 9}))
        assert eventually(lambda: seen() == [7, 7]), seen()
        ok(admin.delete(f"/admin/reservations/{made['id']}"))
        ok(admin.post(level, json={"stocked_quantity": 7}))
        assert eventually(lambda: seen() == [7, 7]), seen()
        for c in clients:
            c.close()
    finally:
        for s in others:
            s.stop()
