"""Catalog at scale (issue 10): the demo catalog at 1k, 10k and 100k products x 3 variants, one server worker each.

For each size N (BENCH_CATALOG_SIZES, default 1000,10000,100000), on a fresh database (DATABASE_URL's server, else
an embedded PostgreSQL):
- seed:    `commerce seed --demo --products N` (the bulk import path: COPY, documents rendered at commit); its rate
- start:   `python -m commerce.server` (Granian serving commerce.boot), as `commerce serve` runs it, on the
           migrated database (1 worker, CATALOG_CACHE_MB default): time to the first 200 on /health (polled every
           5 ms) and to the first priced page right after; the worker's RSS then
- prices:  the resident memory an engine PriceIndex of every price would add (measured in this process), per price
- latency: wrk at 1 and 64 connections, BENCH_DURATION each (10s): a hot catalog page (one URL, priced), product
           pages by handle (a random product of all N per request: mostly cache misses at 100k), search (`q=` a
           random word of the demo titles at one of its first 10 pages, priced page of 20)
- memory:  BENCH_MIXED_DURATION (60s) of mixed traffic at 16 connections (random pages, product pages, categories,
           search), then the worker's RSS
- search SQL: each search word's statements as a worker runs them on a page-cache miss (catalog.documents): its
           first page (the counts, then the page) and a later page (the counts held), wall time from here
- import:  `commerce import` of the catalog as `commerce export` wrote it, handles and SKUs renamed and ids dropped
           (N more products into the N-product catalog, one transaction); its rate

Writes the "catalog-scale" section of bench/RESULTS.md (BENCH_NO_WRITE=1: not). Needs wrk.
BENCH_CATALOG_DB_<N> (e.g. BENCH_CATALOG_DB_100000) names a database already seeded with N demo products
(`commerce seed --demo --products N`) to measure instead of seeding a fresh one (seeding 100k takes many minutes);
its seed column then says "reused".

    .venv/bin/python bench/catalog_scale.py     # BENCH_CATALOG_SIZES=1000 BENCH_DURATION=5s BENCH_MIXED_DURATION=20s
"""

import contextlib
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from harness import Memory, WrkResult, fmt_mb, fmt_ms
from results import default_command, load_average, table, update_section

SECTION = "catalog-scale"
REGION = "North America"
PAGE = 20
FIELDS = "*variants.calculated_price"
CELLS = (("page", 1), ("page", 64), ("product", 1), ("product", 64), ("search", 1), ("search", 64))


@dataclass
class SizeResult:
    products: int
    seed_s: float = 0.0
    health_ms: float = 0.0
    first_page_ms: float = 0.0
    fresh_rss_kb: int = 0
    mixed_rss_kb: int = 0
    mixed_requests: int = 0
    mixed_errors: int = 0
    runs: dict[str, WrkResult] = field(default_factory=dict)
    prices: int = 0
    index_bytes: int = 0  # RSS the engine's PriceIndex of all of them added to this process
    search_sql_ms: list[float] = field(default_factory=list)  # per search word: its first page, uncached
    search_later_ms: list[float] = field(default_factory=list)  # and a later page, the counts held
    import_s: float = 0.0


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _lua(paths: list[str], directory: Path, name: str, *, in_turn: bool = False) -> Path:
    """A wrk script that asks a random one of `paths` per request; `in_turn`: each in order from a random start (no
    repeat before it wraps)."""
    script = directory / f"{name}.lua"
    body = ",\n".join(json.dumps(p) for p in paths)
    pick = "  at = at % #paths + 1\n  return wrk.format('GET', paths[at])\n"
    if not in_turn:
        pick = "  return wrk.format('GET', paths[math.random(#paths)])\n"
    script.write_text(
        "local paths = {\n" + body + "\n}\n"
        "math.randomseed(os.time())\n"
        "local at = math.random(#paths)\n"
        "request = function()\n" + pick + "end\n"
    )
    return script


def _seed(db_url: str, products: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(harness.BIN / "commerce"), "seed", "--demo", "--products", str(products)],
        env={**os.environ, "DATABASE_URL": db_url},
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seed failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def _cli(db_url: str, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(harness.BIN / "commerce"), *args],
        env={**os.environ, "DATABASE_URL": db_url},
        cwd=harness.ROOT,  # where the CLI's .commerce/ (its JWT secret) is ignored by git
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"commerce {args[0]} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def _import(db_url: str, work: Path) -> float:
    """Seconds `commerce import` takes for the catalog as exported, renamed so that it adds as many products."""
    exported, renamed = work / "export.csv", work / "import.csv"
    _cli(db_url, "export", str(exported))
    renamed_copy(exported, renamed)
    return _cli(db_url, "import", str(renamed))


def renamed_copy(exported: Path, renamed: Path) -> None:
    """`exported` (a product CSV) written to `renamed` without its ids and with its handles and SKUs renamed, so that
    importing it adds as many new products."""
    with exported.open(newline="") as src, renamed.open("w", newline="") as out:
        rows = csv.reader(src)
        header = next(rows)
        at = {name.lower(): i for i, name in enumerate(header)}
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            row[at["product id"]] = row[at["variant id"]] = ""
            row[at["product handle"]] += "-imported"
            row[at["variant sku"]] += "-IMPORTED"
            writer.writerow(row)


def _search_sql(db_url: str, words: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds (wall, from this process) of each word's search pages as a worker runs them on a page-cache miss
    (`search_page`): its first page (the counts read, then the page) and a later one (the counts held)."""
    import psycopg

    from commerce.catalog import documents

    first, later = [], []
    rng = random.Random(len(words))
    with psycopg.connect(db_url, autocommit=True) as conn:
        channels = tuple(r[0] for r in conn.execute("SELECT id FROM sales_channel WHERE deleted_at IS NULL"))
        for word in words:
            started = time.perf_counter()
            counts, _ = search_page(documents, conn, word, channels, 0, None, False)
            first.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            search_page(documents, conn, word, channels, PAGE * rng.randrange(1, 50), counts, False)
            later.append((time.perf_counter() - started) * 1000)
    return first, later


def search_page(
    documents: object, conn: object, word: str, channels: tuple[str, ...], offset: int, counts: object, explain: bool
) -> tuple[object, int]:
    """Run that tree's statements of one page of a search as its worker runs them on a page-cache miss: a tree that
    walks reads the search's counts first unless it holds them (`counts`), then the walked (or ranked) page; a tree
    that cannot walk, its ranked statement. The counts it holds after, and the buffers the statements touched (each
    run again under EXPLAIN) with `explain`, else 0."""
    d: Any = documents
    query = d.ProductQuery(q=word, limit=PAGE, offset=offset)
    params = {**d.filters(query, channels), "limit": PAGE, "offset": offset}
    order = d.order_clause(query)
    statements = []
    ran = 0
    if hasattr(d, "walk_plan") and d.walkable(params, order):
        if counts is None:
            statements.append((d.counts_statement(params), dict(params)))
            found: Any = _execute(conn, *statements[-1])[0]
            counts, ran = (int(found[0]), int(found[1]), int(found[2])), 1
        plan = d.walk_plan(order, offset, PAGE, counts)
        if plan:
            walk, values = d.walk_statement(order, plan, params)
            params.update(values, count=counts[0])
            statements.append((d.page_statement(order, params, walk=walk), params))
        elif plan is None:
            statements.append((d.page_statement(order, params), params))
    else:
        statements.append((d.page_statement(order, params), params))
    for statement, values in statements[ran:]:
        _execute(conn, statement, values)
    buffers = 0
    for statement, values in statements if explain else []:
        found = _execute(conn, "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + statement, values)[0][0]
        buffers += int(found[0]["Plan"]["Shared Hit Blocks"]) + int(found[0]["Plan"]["Shared Read Blocks"])
    return counts, buffers


def _execute(conn: Any, statement: str, params: dict[str, Any]) -> list[Any]:
    return list(conn.execute(statement, params).fetchall())


def _key_and_region(db_url: str) -> tuple[str, str]:
    import psycopg

    from commerce.db.connect import run_with_conn
    from commerce.flows import setup

    info = run_with_conn(db_url, setup.demo_info)
    with psycopg.connect(db_url) as conn:
        found = conn.execute("SELECT id FROM region WHERE name = %s AND deleted_at IS NULL", (REGION,)).fetchone()
    if not info.publishable_key or found is None:
        raise RuntimeError("the demo seed made no publishable key or region")
    return info.publishable_key, str(found[0])


def _start(db_url: str, headers: dict[str, str], page: str) -> tuple[harness.GranianServer, float, float]:
    """Start the server as `commerce serve` runs it (harness.commerce_server's `served`); (server, ms to /health, ms
    to the first priced page)."""
    server = harness.commerce_server(db_url, served=True)
    server._log = tempfile.TemporaryFile()
    started = time.perf_counter()
    server.proc = subprocess.Popen(
        server.cmd, env=server.env, cwd=harness.ROOT, stdout=server._log, stderr=subprocess.STDOUT
    )
    health = page_ms = 0.0
    while time.perf_counter() - started < 60:
        try:
            if harness.fetch(server.url + "/health", timeout=1)[0] == 200:
                health = (time.perf_counter() - started) * 1000
                break
        except OSError:
            pass
        time.sleep(0.005)
    else:
        server.stop()
        raise RuntimeError("the server did not answer /health in 60 s")
    try:
        status, body = harness.fetch(server.url + page, headers, timeout=120)
    except OSError as exc:
        server.stop()
        raise RuntimeError(f"the first priced page did not come in 120 s: {exc}") from exc
    page_ms = (time.perf_counter() - started) * 1000
    if status != 200 or b"calculated_amount" not in body:
        server.stop()
        raise RuntimeError(f"the first priced page answered {status}: {body[:300]!r}")
    return server, health, page_ms


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def price_index_size(db_url: str) -> tuple[int, int]:
    """(prices, bytes): the resident memory an engine PriceIndex of every price adds to this process, measured
    around its build after the rows it was built from are freed. Workers no longer hold one (catalog.prices reads a
    page's prices per request); this is what holding it would cost."""
    import asyncio

    import psycopg

    from commerce import pricing
    from commerce.catalog.model import release_memory
    from commerce.catalog.prices import Prices

    async def build() -> tuple[int, object]:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            prices = Prices({**await pricing.service.index_rules(conn), "prices": []})
            cur = await conn.execute("SELECT id FROM price_set WHERE deleted_at IS NULL")
            rows = await pricing.service.prices_of_sets(conn, [r[0] for r in await cur.fetchall()])
        return len(rows), prices._index(rows)

    release_memory()
    before = _rss_bytes()
    count, index = asyncio.run(build())
    release_memory()
    after = _rss_bytes()
    del index
    return count, after - before


def measure(products: int, server_url: str, work: Path, duration: str, mixed: str) -> SizeResult:
    from commerce.flows import demo_catalog
    from commerce.product import service as product_service

    result = SizeResult(products)
    reused = os.environ.get(f"BENCH_CATALOG_DB_{products}")
    with (
        contextlib.nullcontext(reused)
        if reused
        else harness.fresh_database(server_url, prefix="commerce_scale") as db_url
    ):
        if reused:
            result.seed_s = float("nan")
        else:
            harness.log(f"seeding {products:,} products ...")
            result.seed_s = _seed(db_url, products)
        key, region = _key_and_region(db_url)
        result.prices, result.index_bytes = price_index_size(db_url)
        headers = {"x-publishable-api-key": key}
        priced = urllib.parse.urlencode({"limit": PAGE, "region_id": region, "fields": FIELDS}, safe="*")
        hot = f"/store/products?{priced}"
        server, result.health_ms, result.first_page_ms = _start(db_url, headers, hot)
        try:
            pid = harness.worker_pid(server)
            result.fresh_rss_kb = Memory.of(pid).rss_kb
            rng = random.Random(products)
            sample = [rng.randrange(products) for _ in range(2000)]
            handles = [f"/store/products?handle={product_service.to_handle(demo_catalog.title_of(n))}" for n in sample]
            words = sorted({w.lower() for n in sample[:300] for w in demo_catalog.title_of(n).split()[:3]})
            # Each word at one of its first 10 pages: ~300 pages of ~140 KB, more than the worker's page cache holds,
            # so most requests run the search (the counts of a word are held after its first miss).
            searches = [
                f"/store/products?{priced}&q={urllib.parse.quote(w)}&offset={PAGE * k}"
                for w in words
                for k in range(10)
            ]
            rng.shuffle(searches)
            pages = [
                f"/store/products?{priced}&offset={PAGE * rng.randrange(max(products // PAGE, 1))}" for _ in range(500)
            ]
            scripts = {
                "product": _lua(handles, work, "product"),
                "search": _lua(searches, work, "search"),
                "mixed": _lua(
                    pages + handles[:500] + searches + ["/store/product-categories", "/store/collections"] * 20,
                    work,
                    "mixed",
                ),
            }
            for name, connections in (
                ("page", 1),
                ("page", 64),
                ("product", 1),
                ("product", 64),
                ("search", 1),
                ("search", 64),
            ):
                script = scripts.get(name)
                run = harness.run_wrk(
                    server.url + hot,
                    duration=duration,
                    connections=connections,
                    headers=headers,
                    server_pid=server.pid,
                    script=script,
                )
                result.runs[f"{name}@{connections}"] = run
                harness.log(f"{products:,} {name}@{connections}: p50 {fmt_ms(run.p50_ms)} p99 {fmt_ms(run.p99_ms)}")
            run = harness.run_wrk(
                server.url + hot, duration=mixed, connections=16, headers=headers, script=scripts["mixed"]
            )
            result.mixed_requests, result.mixed_errors = run.requests, run.errors
            result.mixed_rss_kb = Memory.of(pid).rss_kb
        finally:
            server.stop()
        result.search_sql_ms, result.search_later_ms = _search_sql(db_url, words)
        harness.log(f"importing {products:,} more products ...")
        result.import_s = _import(db_url, work)
    return result


COLUMNS_NOTE = (
    "search: `q=` a word of the demo titles at one of its first 10 pages (~300 pages, more than the worker's page "
    "cache holds: mostly misses). search SQL uncached: each word's statements after the wrk cells, as a worker runs "
    "them on a page-cache miss (wall time from the bench's process): its first page (the counts of its matches, "
    "then the page walked) and a later page (the counts held by the worker); a word of the demo titles matches 10 % "
    "of the catalog. `commerce import`: the catalog "
    "as `commerce export` wrote it, handles and SKUs renamed, imported into the same database in one transaction."
)


def _search_cell(ms: list[float]) -> str:
    return f"{statistics.median(ms):.1f} / {max(ms):.1f} ms ({len(ms)} words)" if ms else "-"


def markdown(results: list[SizeResult], duration: str, mixed: str) -> str:
    rows = []
    for r in results:
        runs = r.runs

        def cell(name: str, runs: dict[str, WrkResult] = runs) -> str:
            run = runs.get(name)
            if run is None:
                return "-"
            errors = f" ({run.errors} errors)" if run.errors else ""
            return f"{fmt_ms(run.p50_ms)} / {fmt_ms(run.p99_ms)}{errors}"

        rows.append(
            [
                f"{r.products:,}",
                f"{r.products / r.seed_s:,.0f}/s ({r.seed_s:.0f} s)"
                if r.seed_s == r.seed_s
                else "reused (seeded before)",
                f"{r.health_ms:.0f} ms",
                f"{r.first_page_ms:.0f} ms",
                fmt_mb(r.fresh_rss_kb),
                f"{fmt_mb(r.mixed_rss_kb)} ({r.mixed_requests:,} requests"
                + (f", {r.mixed_errors} errors)" if r.mixed_errors else ")"),
                cell("page@1"),
                cell("page@64"),
                cell("product@1"),
                cell("product@64"),
                cell("search@1"),
                cell("search@64"),
                _search_cell(r.search_sql_ms),
                _search_cell(r.search_later_ms),
                f"{r.products / r.import_s:,.0f}/s ({r.import_s:.0f} s)" if r.import_s else "-",
                f"{r.index_bytes / max(r.prices, 1):.0f} B ({r.prices:,} prices)",
            ]
        )
    headers = [
        "products (x 3 variants)",
        "seed (bulk import path)",
        "start → /health",
        "start → first priced page",
        "worker RSS fresh",
        f"worker RSS after {mixed} mixed",
        "hot page p50/p99 @1",
        "@64",
        "product page p50/p99 @1",
        "@64",
        "search p50/p99 @1",
        "@64",
        "search SQL uncached, first page p50 / max",
        "later page",
        "`commerce import` of N more",
        "PriceIndex RSS per price",
    ]
    return (
        f"One worker, CATALOG_CACHE_MB 32 (default); wrk {duration} per cell; pages of {PAGE} priced "
        f"(`fields={FIELDS}`, region {REGION}); product pages by handle, a random product of all N per request; "
        "search `q=` a word of the demo titles at one of its first 10 pages. Load average at the end (1/5/15 min): "
        f"{load_average()}; absolute figures move with the machine's load, compare sizes within the run.\n\n"
        + table(headers, rows, "rrrrrrrrrrrrrrrr")
        + "\n\n"
        + COLUMNS_NOTE
    )


def main() -> int:
    sizes = [int(s) for s in _env("BENCH_CATALOG_SIZES", "1000,10000,100000").split(",") if s.strip()]
    duration = _env("BENCH_DURATION", "10s")
    mixed = _env("BENCH_MIXED_DURATION", "60s")
    results = []
    with harness.postgres() as server_url, tempfile.TemporaryDirectory(prefix="commerce-scale-") as tmp:
        for n in sizes:
            results.append(measure(n, server_url, Path(tmp), duration, mixed))
    results.sort(key=lambda r: r.products)
    text = markdown(results, duration, mixed)
    print(text)
    if not os.environ.get("BENCH_NO_WRITE"):
        update_section(
            SECTION,
            text,
            title="Catalog at scale: 1k / 10k / 100k products",
            command=default_command(
                (
                    "BENCH_CATALOG_SIZES",
                    "BENCH_CATALOG_DB_100000",
                    "BENCH_DURATION",
                    "BENCH_MIXED_DURATION",
                    "DATABASE_URL",
                )
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
