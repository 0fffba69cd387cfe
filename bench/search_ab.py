"""Search and cold product pages at scale, A/B (issue 10): the same seeded database served by two code trees, one
after the other in the same run, one worker each.

Cells (wrk at 1 connection, BENCH_DURATION each, 10s):
- product: `GET /store/products?handle=...`, 30,000 distinct products of all N in turn from a random start (every
  request a miss of the worker's caches: documents, stock, pages), default fields
- product+prices: the same with `fields=*variants.calculated_price` and a region
- search: `q=` a random word of the demo titles (each matches ~10 % of the catalog) at a random one of 50 offsets,
  a priced page of 20: ~1,500 distinct pages, so nearly every request is a miss of the worker's page cache and runs
  the search statement (filter, rank, count)

    BENCH_SEARCH_DB=postgresql://postgres@127.0.0.1:5432/srch_100k BENCH_AB_BASE=../main-base \\
        .venv/bin/python bench/search_ab.py

BENCH_AB_BASE: the root of the other checkout (its python/ goes on PYTHONPATH), served first, then this checkout;
BENCH_ROUNDS (2) times, so that both see the machine's load alike.
BENCH_AB_BASE_DB: the base's database when this checkout's migrations changed it (a copy of BENCH_SEARCH_DB made
before `commerce migrate`: `CREATE DATABASE ... TEMPLATE ...`), else both serve BENCH_SEARCH_DB.
Then each search word's page statement (filter, rank, count) as a worker runs it on a page-cache miss, timed in
PostgreSQL (EXPLAIN ANALYZE's execution and planning time, buffers touched), both trees' statements alternately,
BENCH_SQL_REPEAT (3) times each: the base's built by its own catalog.documents (loaded from BENCH_AB_BASE).
Prints markdown tables; writes nothing.
"""

import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import harness
from catalog_scale import PAGE, _key_and_region, _lua, _start, search_page
from harness import fmt_ms
from results import load_average, table

FIELDS = "*variants.calculated_price"


def _paths(products: int, region: str) -> dict[str, list[str]]:
    from commerce.flows import demo_catalog
    from commerce.product import service as product_service

    rng = random.Random(products)
    sample = rng.sample(range(products), min(products, 30_000))
    handles = [product_service.to_handle(demo_catalog.title_of(n)) for n in sample]
    priced = urllib.parse.urlencode({"region_id": region, "fields": FIELDS}, safe="*")
    words = sorted({w.lower() for n in sample[:300] for w in demo_catalog.title_of(n).split()[:3]})
    return {
        "product": [f"/store/products?handle={h}" for h in handles],
        "product+prices": [f"/store/products?handle={h}&{priced}" for h in handles],
        "search": [f"/store/products?limit={PAGE}&{priced}&q={w}&offset={PAGE * k}" for w in words for k in range(50)],
    }


def _documents_of(tree: Path) -> object:
    """That checkout's catalog.documents module (the rest of `commerce` is this one's)."""
    spec = importlib.util.spec_from_file_location(
        f"documents_{abs(hash(tree))}", tree / "python/commerce/catalog/documents.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _backend_cpu_ns(pid: int) -> int:
    """CPU time a PostgreSQL backend of this machine has used (schedstat: nanoseconds on a CPU), which the other
    sessions' load does not inflate as it does wall time."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def search_sql(trees: list[tuple[Path, str]], words: list[str], repeat: int) -> list[list[str]]:
    """Per tree, over the words: a search's first page (offset 0, its counts unknown to the worker) and a later page
    (a random one of the 50 offsets the HTTP cell asks, the counts held where that tree keeps them), each run `repeat`
    times, both trees alternately; p50 and max over the words of its best wall time, p50 of its mean CPU time in the
    backend, and its plan's buffers."""
    import psycopg

    kinds = ("first page", "later page")
    runs: dict[tuple[Path, str], list[tuple[float, float, int]]] = {(t, k): [] for t, _ in trees for k in kinds}
    conns = {tree: psycopg.connect(db, autocommit=True) for tree, db in trees}
    modules = {tree: _documents_of(tree) for tree, _ in trees}
    rng = random.Random(len(words))
    try:
        for word in words:
            later = PAGE * rng.randrange(1, 50)
            counts: dict[Path, object] = dict.fromkeys(conns)
            for kind in kinds:
                wall: dict[Path, list[float]] = {tree: [] for tree, _ in trees}
                cpu: dict[Path, int] = dict.fromkeys(wall, 0)
                offset = 0 if kind == "first page" else later
                channels = {
                    tree: tuple(r[0] for r in conn.execute("SELECT id FROM sales_channel WHERE deleted_at IS NULL"))
                    for tree, conn in conns.items()
                }
                held = dict(counts)  # a first page is run each time without the counts
                for _ in range(repeat):
                    for tree, _db in trees:
                        conn = conns[tree]
                        backend = conn.info.backend_pid
                        before, started = _backend_cpu_ns(backend), time.perf_counter()
                        counts[tree], _ = search_page(
                            modules[tree], conn, word, channels[tree], offset, held[tree], False
                        )
                        wall[tree].append((time.perf_counter() - started) * 1000)
                        cpu[tree] += _backend_cpu_ns(backend) - before
                for tree, _db in trees:
                    _, buffers = search_page(modules[tree], conns[tree], word, channels[tree], offset, held[tree], True)
                    runs[(tree, kind)].append((min(wall[tree]), cpu[tree] / repeat / 1e6, buffers))
    finally:
        for conn in conns.values():
            conn.close()
    rows = []
    for tree, _ in trees:
        for kind in kinds:
            measured = runs[(tree, kind)]
            best = [r[0] for r in measured]
            rows.append(
                [
                    tree.name,
                    kind,
                    f"{statistics.median(best):.1f} / {max(best):.1f} ms",
                    f"{statistics.median(r[1] for r in measured):.1f} ms",
                    f"{statistics.median(r[2] for r in measured):,.0f}",
                ]
            )
    return rows


def main() -> int:
    db_url = os.environ["BENCH_SEARCH_DB"]
    trees = [
        (Path(os.environ["BENCH_AB_BASE"]).resolve(), os.environ.get("BENCH_AB_BASE_DB", db_url)),
        (harness.ROOT, db_url),
    ]
    duration = os.environ.get("BENCH_DURATION", "10s")
    import psycopg

    with psycopg.connect(db_url) as conn:
        found = conn.execute("SELECT count(*) FROM catalog_product").fetchone()
    products = int(found[0]) if found else 0
    key, region = _key_and_region(db_url)
    headers = {"x-publishable-api-key": key}
    hot = f"/store/products?limit={PAGE}&" + urllib.parse.urlencode({"region_id": region, "fields": FIELDS}, safe="*")
    rows = []
    with tempfile.TemporaryDirectory(prefix="commerce-search-ab-") as tmp:
        scripts = {
            name: _lua(paths, Path(tmp), name.replace("+", "_"), in_turn=name != "search")
            for name, paths in _paths(products, region).items()
        }
        for tree, tree_db in trees * int(os.environ.get("BENCH_ROUNDS", "2")):
            os.environ["PYTHONPATH"] = str(tree / "python")
            server, _, _ = _start(tree_db, headers, hot)
            try:
                cells = []
                for name, script in scripts.items():
                    run = harness.run_wrk(
                        server.url + hot,
                        duration=duration,
                        connections=1,
                        headers=headers,
                        script=script,
                        server_pid=server.pid,
                    )
                    harness.log(f"{tree.name} {name}: p50 {fmt_ms(run.p50_ms)} p99 {fmt_ms(run.p99_ms)}")
                    per_request = (run.server_cpu_s or 0.0) * 1000 / max(run.requests, 1)
                    cells.append(
                        f"{fmt_ms(run.p50_ms)} / {fmt_ms(run.p99_ms)} ({run.requests:,}; {per_request:.2f} ms CPU)"
                    )
                rows.append([tree.name, f"{products:,}", *cells])
            finally:
                server.stop()
    print(
        table(
            ["code", "products", *(f"{name} p50/p99 @1 (requests; worker CPU per request)" for name in scripts)],
            rows,
            "llrrr",
        )
    )
    print(f"\nload average {load_average()}; wrk {duration} per cell, one worker\n")
    from commerce.flows import demo_catalog

    rng = random.Random(products)
    words = sorted({w.lower() for n in range(300) for w in demo_catalog.title_of(rng.randrange(products)).split()[:3]})
    repeat = int(os.environ.get("BENCH_SQL_REPEAT", "3"))
    print(
        table(
            ["code", "page", "search statement wall p50 / max (best of each word)", "backend CPU p50", "buffers p50"],
            search_sql(trees[:2], words, repeat),
            "llrrr",
        )
    )
    print(f"\n{len(words)} words, {repeat} runs each, alternating; load average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
