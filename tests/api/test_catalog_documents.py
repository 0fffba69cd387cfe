"""The bounded catalog (issue 10): product documents rendered by PostgreSQL at each change (catalog_product), each
worker's byte-budgeted cache of them, row-level invalidation reaching every server process, and search (`q`) with
and without pg_trgm."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from commerce.app import App
from commerce.catalog.documents import ByteLRU, Documents, ProductQuery
from commerce.db.connect import run_with_conn, with_dbname
from commerce.flows import setup
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server, eventually, worker_settings
from tests.shop import ok

PRODUCTS = 120


@pytest.fixture(scope="module")
def shop(db_url: str) -> dict[str, Any]:
    async def seed(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        await setup.seed_demo(conn, products=PRODUCTS)
        await setup.create_admin_user(conn, ADMIN_EMAIL, ADMIN_PASSWORD)
        info = await setup.demo_info(conn)
        return {"key": info.publishable_key}

    return run_with_conn(db_url, seed)


@pytest.fixture(scope="module")
def servers(db_url: str, shop: dict[str, Any]) -> Iterator[list[Server]]:
    """Two server processes on one database, each with a small cache."""
    started = [Server(db_url, env={"CATALOG_CACHE_MB": "1"}).start() for _ in range(2)]
    yield started
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def stores(servers: list[Server], shop: dict[str, Any]) -> Iterator[list[httpx.Client]]:
    clients = [
        httpx.Client(base_url=s.url, timeout=10, headers={"x-publishable-api-key": shop["key"]}) for s in servers
    ]
    yield clients
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def admin(servers: list[Server]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers[0].url, timeout=30) as c:
        token = ok(c.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))["token"]
        c.headers["authorization"] = f"Bearer {token}"
        yield c


def _product(store: httpx.Client, handle: str, **params: Any) -> dict[str, Any]:
    found = ok(store.get("/store/products", params={"handle": handle, **params}))["products"]
    assert len(found) == 1
    product: dict[str, Any] = found[0]
    return product


def test_a_product_change_reaches_every_process(stores: list[httpx.Client], admin: httpx.Client) -> None:
    first = ok(stores[0].get("/store/products", params={"limit": 3}))["products"]
    target, other = first[0], first[1]
    for store in stores:  # both processes cache the page, the product and its neighbour
        for _ in range(2):
            assert ok(store.get(f"/store/products/{target['id']}"))["product"]["title"] == target["title"]
            assert _product(store, other["handle"])["title"] == other["title"]
            ok(store.get("/store/products", params={"limit": 3}))

    title = f"Renamed {uuid.uuid4().hex[:6]}"
    ok(admin.post(f"/admin/products/{target['id']}", json={"title": title}))
    for store in stores:
        assert eventually(lambda s=store: ok(s.get(f"/store/products/{target['id']}"))["product"]["title"] == title)
        assert eventually(
            lambda s=store: ok(s.get("/store/products", params={"limit": 3}))["products"][0]["title"] == title
        )
        assert _product(store, other["handle"])["title"] == other["title"]

    # Unpublished: gone from every process's lists and product pages; published again: back.
    ok(admin.post(f"/admin/products/{target['id']}", json={"status": "draft"}))
    for store in stores:
        assert eventually(lambda s=store: s.get(f"/store/products/{target['id']}").status_code == 404)
        assert eventually(
            lambda s=store: target["id"] not in {p["id"] for p in ok(s.get("/store/products"))["products"]}
        )
    ok(admin.post(f"/admin/products/{target['id']}", json={"status": "published"}))
    for store in stores:
        assert eventually(lambda s=store: s.get(f"/store/products/{target['id']}").status_code == 200)


def test_a_price_change_reaches_every_process(stores: list[httpx.Client], admin: httpx.Client) -> None:
    regions = {r["currency_code"]: r["id"] for r in ok(stores[0].get("/store/regions"))["regions"]}
    params = {"region_id": regions["usd"], "fields": "id,*variants.calculated_price"}
    product = ok(stores[0].get("/store/products", params={"limit": 1, "offset": 5}))["products"][0]
    variant = product["variants"][0]

    def amount(store: httpx.Client) -> Any:
        got = ok(store.get(f"/store/products/{product['id']}", params=params))["product"]
        return next(v for v in got["variants"] if v["id"] == variant["id"])["calculated_price"]["original_amount"]

    before = [amount(s) for s in stores]
    assert before[0] == before[1]
    new = 12345
    ok(
        admin.post(
            f"/admin/products/{product['id']}/variants/{variant['id']}",
            json={"prices": [{"currency_code": "usd", "amount": new}, {"currency_code": "eur", "amount": 99}]},
        )
    )
    for store in stores:
        assert eventually(lambda s=store: amount(s) == new)


def _ids(store: httpx.Client, **params: Any) -> list[str]:
    return [p["id"] for p in ok(store.get("/store/products", params={"limit": 100, **params}))["products"]]


def test_each_channel_count_follows_its_products(db_url: str, stores: list[httpx.Client], admin: httpx.Client) -> None:
    """The store list's `count` with no filter comes from catalog_channel_count (migrations/0062): after products
    leave, come back and join a second channel, each channel's count is still its products, and the list says so."""

    def held_and_real() -> tuple[dict[str, int], dict[str, int]]:
        with psycopg.connect(db_url) as conn:
            held = dict(conn.execute("SELECT channel_id, products FROM catalog_channel_count WHERE products <> 0"))
            real = dict(conn.execute("SELECT ch, count(*) FROM catalog_product, unnest(channel_ids) ch GROUP BY ch"))
        return held, real

    def count(store: httpx.Client) -> int:
        return int(ok(store.get("/store/products", params={"limit": 1}))["count"])

    store = stores[0]
    before = count(store)
    two = ok(store.get("/store/products", params={"limit": 2, "offset": 30}))["products"]
    for product in two:
        ok(admin.post(f"/admin/products/{product['id']}", json={"status": "draft"}))
    held, real = held_and_real()
    assert held == real
    assert eventually(lambda: count(store) == before - 2)
    ok(admin.post(f"/admin/products/{two[0]['id']}", json={"status": "published"}))
    assert eventually(lambda: count(store) == before - 1)

    default = next(iter(real))
    outlet = ok(admin.post("/admin/sales-channels", json={"name": f"Outlet {uuid.uuid4().hex[:6]}"}))["sales_channel"]
    channels = [{"id": default}, {"id": outlet["id"]}]
    ok(admin.post(f"/admin/products/{two[0]['id']}", json={"sales_channels": channels}))
    held, real = held_and_real()
    assert held == real and held[outlet["id"]] == 1 and held[default] == before - 1
    ok(admin.post(f"/admin/products/{two[1]['id']}", json={"status": "published"}))
    held, real = held_and_real()
    assert held == real and held[default] == before
    assert eventually(lambda: count(store) == before)


def test_search_words_prefixes_substrings_skus_tags_categories(stores: list[httpx.Client], admin: httpx.Client) -> None:
    store = stores[1]
    product = ok(store.get("/store/products", params={"limit": 1, "offset": 7}))["products"][0]
    sku = product["variants"][0]["sku"]
    assert product["id"] in _ids(store, q=sku)
    assert product["id"] in _ids(store, q=sku.lower()[:-2]), "a partial SKU"
    word = product["title"].split()[-1]
    hits = _ids(store, q=word)
    assert product["id"] in hits and len(hits) < PRODUCTS
    assert product["id"] in _ids(store, q=word[:3]), "a word's beginning"
    assert product["id"] in _ids(store, q=word[1:-1].upper()), "the middle of a word, in any case"
    assert _ids(store, q="zzqx no such thing") == []
    assert _ids(store, q="%") == [] and _ids(store, q="_") == [], "LIKE wildcards are plain characters"

    tag = ok(admin.post("/admin/product-tags", json={"value": "Solstice"}))["product_tag"]
    category = ok(admin.post("/admin/product-categories", json={"name": "Equinox", "is_active": True}))
    ok(
        admin.post(
            f"/admin/products/{product['id']}",
            json={"tags": [{"id": tag["id"]}], "categories": [{"id": category["product_category"]["id"]}]},
        )
    )
    assert eventually(lambda: _ids(store, q="solstice") == [product["id"]])
    assert eventually(lambda: _ids(store, q="equin") == [product["id"]])
    # With the filters the store list takes.
    assert _ids(store, q="solstice", tag_id=tag["id"]) == [product["id"]]
    assert _ids(store, q="solstice", id="prod_nope") == []


def test_search_ranks_title_matches_first(stores: list[httpx.Client], admin: httpx.Client) -> None:
    store = stores[0]
    two = ok(store.get("/store/products", params={"limit": 2, "offset": 20}))["products"]
    # The later product gets the word in its title, the earlier one only in its description.
    ok(admin.post(f"/admin/products/{two[0]['id']}", json={"description": "Made for the marigold season"}))
    ok(admin.post(f"/admin/products/{two[1]['id']}", json={"title": "Marigold Tee"}))
    assert eventually(lambda: _ids(store, q="marigold") == [two[1]["id"], two[0]["id"]])
    assert _ids(store, q="marigold", order="created_at") == [two[0]["id"], two[1]["id"]]


def test_a_list_or_search_walks_its_pages_to_the_ranked_list(db_url: str, shop: dict[str, Any]) -> None:
    """A worker that holds a list's or a search's counts walks its pages in created_at order (a search's relevance:
    its titled part, then the rest) instead of counting and sorting every match: every page, in every order the walk
    serves, is the ranked statement's; the counts are the worker's until a change is notified."""
    from commerce.catalog import documents as d

    channels = tuple(shop_channels(db_url))

    def ranked(conn: psycopg.Connection[Any], query: ProductQuery) -> tuple[list[str], int]:
        params = {**d.filters(query, channels), "limit": query.limit, "offset": query.offset}
        order = d.order_clause(query)
        rows = conn.execute(d.page_statement(order, params), params).fetchall()
        if not rows:
            return [], int((conn.execute(d.count_statement(order, params), params).fetchone() or (0,))[0])
        return [r[0] for r in rows], int(rows[0][1])

    async def main() -> None:
        documents = Documents(64 * 1024 * 1024)  # room for every product read: no count evicted
        documents.connected = True  # as the change feed leaves it
        walked = shown = 0
        async with AsyncConnectionPool(db_url, min_size=1, max_size=1, open=False) as pool:
            with psycopg.connect(db_url, autocommit=True) as conn:
                category = (conn.execute("SELECT category_ids[1] FROM catalog_product LIMIT 1").fetchone() or [""])[0]
                # "s": a title word's beginning for some products, only their SKUs' for the others (both parts).
                lists: list[dict[str, Any]] = [{"q": q} for q in ("shirt", "s", "made shi", "zzqx")]
                for listed in [*lists, {}, {"category_id": [category]}, {"q": "s", "category_id": [category]}]:
                    for order in (None, "created_at", "-created_at"):
                        for offset in (0, 3, 10, 11, 12, 60, 115, 119, 120, 200):
                            query = ProductQuery(**listed, order=order, limit=5, offset=offset)
                            want = ranked(conn, query)
                            for _ in range(2):  # counts read, then held
                                page = await documents.select(pool, query, channels, documents=True)
                                assert (page.ids, page.count) == want, (listed, order, offset)
                                assert list(page.entries) == want[0]
                            params = d.filters(query, channels)
                            counts = documents.page(d.counts_key(params))
                            if not d.walkable(params, d.order_clause(query)):  # a search with a filter: ranked
                                assert counts is None and "q" in listed and len(listed) > 1
                                continue
                            assert counts is not None and counts[0] == want[1]
                            walked += bool(d.walk_plan(d.order_clause(query), offset, 5, counts))
                            shown += bool(want[0])
                counts = d.counts_key(d.filters(ProductQuery(q="s"), channels))
                assert 0 < documents.page(counts)[1] < documents.page(counts)[0] == PRODUCTS  # type: ignore[index]
        assert walked == shown > 40, "a catalog this small: every page with rows is walked"
        documents.changed("prod_x")
        assert documents.page(counts) is None, "a notified change drops every search's counts"

    asyncio.run(main())


def test_a_walk_takes_a_page_from_each_part_and_leaves_sparse_parts_ranked() -> None:
    from commerce.catalog.documents import ORDER_BY, RANKED, walk_plan

    # 8 titled matches of 20, page 5..15: the titled part's last 3 (walked back from its end), then the rest's first 7.
    assert walk_plan(RANKED, 5, 10, (20, 8, 100)) == [(True, 0, 3, True), (False, 0, 7, False)]
    assert walk_plan(ORDER_BY["created_at"], 5, 10, (20, 8, 100)) == [(None, 5, 10, False)]
    assert walk_plan(RANKED, 20, 10, (20, 8, 100)) == [], "past the last match: nothing to read"
    assert walk_plan(RANKED, 980, 20, (10_000, 10_000, 100_000)) == [(True, 980, 20, False)]
    # A deep page of the whole catalog: 20 rows from its end, not 99,980 from its start.
    assert walk_plan(ORDER_BY["-created_at"], 99_980, 20, (100_000, 100_000, 100_000)) == [(None, 0, 20, True)]
    # 50 matches of 100,000: the page's rows lie ~60,000 rows deep either way; ranking 50 matches is cheaper.
    assert walk_plan(RANKED, 20, 20, (50, 50, 100_000)) is None


def test_search_without_pg_trgm(server_url: str, template_db: str) -> None:
    """Where the server has no pg_trgm (the embedded one may not), `q` still matches substrings, by a scan."""
    name = f"commerce_t_notrgm_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    url = with_dbname(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP INDEX IF EXISTS catalog_search_trgm_idx")
            conn.execute("DROP EXTENSION IF EXISTS pg_trgm")
        run_with_conn(url, lambda conn: setup.seed_demo(conn, products=5))
        with psycopg.connect(url, autocommit=True) as conn:
            channel, sku = conn.execute(
                "SELECT channel_ids[1], document::json->'variants'->0->>'sku' FROM catalog_product LIMIT 1"
            ).fetchone() or ("", "")

        async def search(q: str) -> list[str]:
            async with AsyncConnectionPool(url, min_size=1, max_size=1, open=False) as pool:
                ids = (await Documents(0).select(pool, ProductQuery(q=q), (channel,))).ids
                return ids

        assert len(asyncio.run(search(sku[2:-1]))) == 1, "a substring of a SKU"
        assert asyncio.run(search("zzqx")) == []
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_byte_lru_keeps_within_its_budget() -> None:
    lru: ByteLRU[str, str] = ByteLRU(100)
    for n in range(50):
        lru.put(f"k{n}", "v", 7 + n % 5)
        assert lru.nbytes <= 100
    assert lru.get("k0") is None and lru.get("k49") == "v"
    lru.put("huge", "v", 101)
    assert lru.get("huge") is None and lru.nbytes <= 100
    assert lru.nbytes == sum(7 + n % 5 for n in range(50) if lru.get(f"k{n}") is not None)


def test_the_worker_cache_never_exceeds_its_budget(db_url: str, shop: dict[str, Any], tmp_path: Path) -> None:
    """A worker with a 1 MB budget reads every product and many pages: its own byte count never passes 1 MB, it
    evicts, and a change to one product drops that product only."""
    settings = worker_settings(db_url, tmp_path, catalog_cache_mb=1)
    budget = 1024 * 1024

    async def main() -> None:
        worker = App(settings, db_url)
        await worker.startup()
        try:
            state = worker.state
            assert state is not None and state.feed.connected
            documents = state.documents
            pool = state.pool
            channels = tuple(shop_channels(db_url))
            seen = 0
            for offset in range(0, PRODUCTS, 10):
                page = await documents.select(pool, ProductQuery(limit=10, offset=offset), channels)
                ids, count = page.ids, page.count
                assert count == PRODUCTS
                found = await documents.products(pool, ids)
                seen += len(found)
                documents.remember_page(("page", offset), found, 50_000, documents.generation)
                assert documents.cache.nbytes <= budget
            assert seen == PRODUCTS
            assert len(documents.cache) < PRODUCTS, "the budget made it evict"
            kept = await documents.products(pool, ids)
            one, two = ids[0], ids[1]

            async with pool.connection() as conn:
                await conn.execute("UPDATE product SET subtitle = 'changed' WHERE id = %s", (one,))
            deadline = asyncio.get_running_loop().time() + 3
            while documents.cache.get(("product", one)) is not None:
                assert asyncio.get_running_loop().time() < deadline, "the change was not notified"
                await asyncio.sleep(0.01)
            assert documents.cache.get(("product", two)) is kept[two], "an untouched product stays cached"
            assert (await documents.products(pool, [one]))[one].full["subtitle"] == "changed"
            assert documents.cache.nbytes <= budget
        finally:
            await worker.shutdown()

    asyncio.run(main())


def shop_channels(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM sales_channel")]


def test_documents_match_the_product_tables(db_url: str, shop: dict[str, Any]) -> None:
    """Rendering again from scratch gives the same documents the triggers left (nothing drifted)."""
    with psycopg.connect(db_url) as conn:
        before: dict[str, str] = dict(conn.execute("SELECT id, document FROM catalog_product").fetchall())
        conn.execute("SELECT catalog_render(array_agg(id)) FROM product")
        after: dict[str, str] = dict(conn.execute("SELECT id, document FROM catalog_product").fetchall())
        conn.rollback()
    assert before == after and len(after) >= PRODUCTS


def test_a_product_page_is_one_statement_on_a_generic_plan(db_url: str, shop: dict[str, Any]) -> None:
    """A product page by handle is one statement (documents, stock, prices) whose prepared form PostgreSQL runs with
    its generic plan, not planned again at every run; its prices are the rows pricing's SET_PRICES reads."""
    from commerce.catalog import documents
    from commerce.pricing.repository import SET_PRICES

    with psycopg.connect(db_url, autocommit=True) as conn:
        channels = [r[0] for r in conn.execute("SELECT id FROM sales_channel WHERE deleted_at IS NULL")]
        handles = [r[0] for r in conn.execute("SELECT handle FROM catalog_product ORDER BY id LIMIT 20")]
        for handle in handles:
            query = ProductQuery(handle=[handle], limit=50)
            params = {**documents.filters(query, tuple(channels)), "limit": 50, "offset": 0}
            statement = documents.page_statement(documents.order_clause(query), params, stock=True, prices=True)
            (row,) = conn.execute(statement, params).fetchall()  # psycopg prepares it from the 5th run
            read = sorted((p.id, p.amount, p.rules) for p in documents._decode_prices(row[6]))
            expected = sorted((p[0], p[4], p[7]) for p in conn.execute(SET_PRICES, (row[3],)).fetchall())
            assert read == expected and read
        generic, custom = conn.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT id, count%'"
        ).fetchone() or (0, 0)
        # 20 runs: psycopg prepares it at the 6th; PostgreSQL plans its first 5 runs, then keeps the generic plan.
        assert generic >= 5 and custom <= 5, (generic, custom)
