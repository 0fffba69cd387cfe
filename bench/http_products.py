"""HTTP benchmark: a storefront product page with engine-calculated prices vs a bare ASGI app of the same body size.

    GET /store/products?limit=20&region_id=<North America>&fields=*variants.calculated_price

One run, one process, as bench/http_bench.py: a fresh database (DATABASE_URL's server, else an embedded
PostgreSQL in a temp dir) is migrated and seeded with the demo store *and its demo catalog* (1,000 products x 3
variants, with prices); our server (DB_POOL_SIZE left at the server's default) and the bare app are both started
by this process with Granian (1 worker, --loop uvloop; ours through RSGI, the bare app ASGI); wrk (also run from
here) warms each up, then measures them in turn, ours/bare/ours/bare, and the best run of each is kept. The memory
of our worker is read from /proc/<pid>/smaps_rollup right after start (no product request yet: the catalog is not
loaded) and after the runs (catalog and price index loaded). Writes the "http-products" section of bench/RESULTS.md.

    .venv/bin/python bench/http_products.py     # BENCH_DURATION=10s BENCH_ROUNDS=2 BENCH_CONNECTIONS=64 ...
"""

import json
import sys
import time
import urllib.parse

import harness
from harness import BenchSettings, Comparison, Memory, Target, fmt_mb, fmt_ms, fmt_rate
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-products"
REGION = "North America"
LIMIT = 20
FIELDS = "*variants.calculated_price"
GOAL_PERCENT = 50.0
GOAL_P99_MS = 5.0
GOAL_CONNECTIONS = 64
GOAL_RSS_MB = 50.0
OURS = "commerce-core"
BARE = "bare ASGI app"


def route(region_id: str) -> str:
    query = urllib.parse.urlencode({"limit": LIMIT, "region_id": region_id, "fields": FIELDS}, safe="*")
    return f"/store/products?{query}"


def shown_route() -> str:
    return f"/store/products?limit={LIMIT}&region_id=<{REGION}>&fields={FIELDS}"


def region_id(url: str, headers: dict[str, str]) -> str:
    status, body = harness.fetch(url + "/store/regions", headers)
    if status != 200:
        raise RuntimeError(f"GET /store/regions answered {status}: {body[:500]!r}")
    for region in json.loads(body)["regions"]:
        if region["name"] == REGION:
            return str(region["id"])
    raise RuntimeError(f"no region named {REGION!r} in the demo store")


def check_page(body: bytes) -> tuple[int, int, int]:
    """(products on the page, products in the catalog, variants priced on the page); raises when unpriced."""
    page = json.loads(body)
    products = page["products"]
    variants = [v for p in products for v in p.get("variants") or []]
    priced = [v for v in variants if (v.get("calculated_price") or {}).get("calculated_amount") is not None]
    if len(products) != LIMIT or not variants or len(priced) != len(variants):
        raise RuntimeError(
            f"unexpected page: {len(products)} products, {len(variants)} variants, {len(priced)} priced "
            f"(is the demo catalog seeded?): {body[:300]!r}"
        )
    return len(products), int(page["count"]), len(priced)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def settle_memory(pid: int, wait: float = 1.0) -> Memory:
    time.sleep(wait)  # let the worker finish whatever it was doing (it is idle: no load is running)
    return Memory.of(pid)


def memory_rows(rows: list[tuple[str, Memory]]) -> str:
    return table(
        ["worker", "RSS", "PSS", "USS", "anonymous"],
        [[name, f"**{fmt_mb(m.rss_kb)}**", fmt_mb(m.pss_kb), fmt_mb(m.uss_kb), fmt_mb(m.anon_kb)] for name, m in rows],
        "lrrrr",
    )


def render(
    cmp: Comparison,
    ours_cmd: str,
    bare_cmd: str,
    body_size: int,
    page: tuple[int, int, int],
    memory: dict[str, Memory],
    load_before: str,
    key: str,
) -> tuple[str, str]:
    settings = cmp.settings
    ours, bare = cmp.best(OURS), cmp.best(BARE)
    ratio = 100 * ours.requests_per_s / bare.requests_per_s
    rows = []
    for name, best in ((OURS, ours), (BARE, bare)):
        all_runs = ", ".join(
            fmt_rate(r.requests_per_s) + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
            for r in cmp.runs[name]
        )
        rows.append(
            [
                f"{name} `GET {shown_route()}`" if name == OURS else f"{name} (same body size)",
                f"**{fmt_rate(best.requests_per_s)}**",
                fmt_ms(best.p50_ms),
                fmt_ms(best.p99_ms),
                fmt_rate(per_cpu) if (per_cpu := cmp.best_per_cpu(name)) else "—",
                all_runs,
            ]
        )
    shown, count, priced = page
    at = f"at {settings.connections} connections, 1 worker"
    off_goal = (
        f" (the goals are stated at {GOAL_CONNECTIONS} connections; this run used {settings.connections})"
        if settings.connections != GOAL_CONNECTIONS
        else ""
    )
    rate_met = ratio >= GOAL_PERCENT
    p99_met = ours.p99_ms < GOAL_P99_MS
    loaded, fresh, bare_mem = memory["loaded"], memory["fresh"], memory["bare"]
    rss_met = loaded.rss_kb * 1024 / 1e6 <= GOAL_RSS_MB
    lines = [
        f"`GET {shown_route()}`: {shown} of the demo catalog's {count} published products (3 variants each, "
        f"{priced} prices calculated by the Rust engine per page), {body_size} bytes of JSON, publishable key header; "
        f"against a bare ASGI app (`bench/bare_app.py`, no framework) answering a {body_size}-byte JSON body. "
        f"Both served by Granian, 1 worker, {harness.SERVED}, started by the same process as wrk.",
        "",
        table(
            [
                "target",
                "req/s (best)",
                "p50",
                "p99",
                "req per server CPU-s (best)",
                f"each {settings.duration} run: req/s (CPUs used by others)",
            ],
            rows,
            "lrrrrr",
        ),
        "",
        f"**ours / bare = {ratio:.1f} %** of the bare app's requests per second."
        + (
            f" Per server CPU second (a cost measure that other load on the machine hardly moves): "
            f"{100 * ours_cpu / bare_cpu:.1f} %."
            if (ours_cpu := cmp.best_per_cpu(OURS)) and (bare_cpu := cmp.best_per_cpu(BARE))
            else ""
        ),
        "",
        "Memory of one Granian worker (`/proc/<pid>/smaps_rollup`, the granian process's child; MB = 10^6 bytes). "
        "RSS counts every resident page the worker maps, shared library pages (libpython, the Rust engine, "
        "libpq, ...) in full even though other processes share them; PSS splits shared pages among the processes "
        "mapping them; USS is the worker's private memory, what stopping it would give back.",
        "",
        memory_rows(
            [
                ("commerce-core, right after start (catalog not loaded yet)", fresh),
                (f"commerce-core, after the runs (demo catalog and {REGION} prices loaded)", loaded),
                ("bare ASGI app, after the runs (for reference)", bare_mem),
            ]
        ),
        "",
        f"The catalog's own cost (loaded minus fresh): RSS {fmt_mb(loaded.rss_kb - fresh.rss_kb)}, "
        f"USS {fmt_mb(loaded.uss_kb - fresh.uss_kb)}.",
        "",
        f"Goals {at}{off_goal}:",
        f"- >= {GOAL_PERCENT:.0f} % of the bare app's req/s: **{verdict(rate_met)}** ({ratio:.1f} %).",
        f"- p99 < {GOAL_P99_MS:.0f} ms: **{verdict(p99_met)}** ({fmt_ms(ours.p99_ms)}). For scale: with "
        f"{settings.connections} connections always busy, a mean latency under {GOAL_P99_MS:.0f} ms takes >= "
        f"{fmt_rate(settings.connections / (GOAL_P99_MS / 1000))} req/s (Little's law); the bare app moving the same "
        f"{body_size}-byte body has p99 {fmt_ms(bare.p99_ms)} at {fmt_rate(bare.requests_per_s)} req/s here.",
        f"- RSS per worker <= {GOAL_RSS_MB:.0f} MB with the demo catalog loaded: **{verdict(rss_met)}** "
        f"({fmt_mb(loaded.rss_kb)} RSS; PSS {fmt_mb(loaded.pss_kb)}, USS {fmt_mb(loaded.uss_kb)}).",
        "",
        f"- Load: `{harness.redact(ours.command, key)}` (and the same on the bare app's URL); "
        f"{settings.warmup} warm-up per target, then {settings.rounds} rounds of {settings.duration} alternating "
        f"ours/bare, each after waiting up to {settings.quiet_wait:.0f} s for other processes to use < "
        f"{harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers: `{ours_cmd}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE unset: the server's default, "
        f"10) and `{bare_cmd}` (env BARE_BODY_BYTES={body_size}).",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store and catalog "
        "(`commerce.flows.setup.seed_demo`), dropped afterwards.",
        f"- Rust engine: {harness.engine_build()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    others = cmp.others_cpus()
    if others is not None:
        lines.append(
            f"- Noise: other processes on the machine used up to {others:.2f} CPUs during the kept (best) runs"
            + (
                f" (of {nproc()}): **the figures are noisy** (the ratio can be off either way); "
                "re-run on a quiet machine."
                if others >= harness.QUIET_CPUS
                else f" (of {nproc()}): quiet."
            )
        )
    errors = cmp.errors()
    if any(errors.values()):
        lines.append(
            "- **Errors during the runs** (non-2xx responses or socket errors; figures are suspect): "
            + ", ".join(f"{name}: {count}" for name, count in errors.items())
        )
    summary = (
        f"ours {fmt_rate(ours.requests_per_s)} req/s (p50 {fmt_ms(ours.p50_ms)}, p99 {fmt_ms(ours.p99_ms)}), "
        f"bare {fmt_rate(bare.requests_per_s)} req/s, ours/bare {ratio:.1f} %; worker RSS "
        f"{fmt_mb(fresh.rss_kb)} fresh, {fmt_mb(loaded.rss_kb)} with the catalog"
    )
    return "\n".join(lines) + "\n", summary


def measure(settings: BenchSettings) -> tuple[str, str]:
    """Run the benchmark; (section markdown, one-line summary)."""
    load_before = load_average()
    memory: dict[str, Memory] = {}
    with harness.demo_store() as store, harness.commerce_server(store.db_url, pool_size=None) as ours:
        worker = harness.worker_pid(ours)
        memory["fresh"] = settle_memory(worker)  # only /health answered so far
        path = route(region_id(ours.url, store.headers))
        status, body = harness.fetch(ours.url + path, store.headers, timeout=30)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
        page = check_page(body)
        with harness.bare_server(len(body)) as bare:
            bare_status, bare_body = harness.fetch(bare.url + path)
            if bare_status != 200 or len(bare_body) != len(body):
                raise RuntimeError(f"bare app answered {bare_status} with {len(bare_body)} bytes, want {len(body)}")
            harness.log(f"{path}: {len(body)} bytes; measuring {settings}")
            cmp = harness.compare(
                [
                    Target(OURS, ours.url + path, store.headers, server_pid=ours.pid),
                    Target(BARE, bare.url + path, server_pid=bare.pid),
                ],
                settings,
            )
            if harness.worker_pid(ours) != worker:
                raise RuntimeError("our worker was replaced during the run (did it crash?)")
            memory["loaded"] = settle_memory(worker)
            memory["bare"] = Memory.of(harness.worker_pid(bare))
            for name, m in memory.items():
                harness.log(f"memory {name}: RSS {fmt_mb(m.rss_kb)}, PSS {fmt_mb(m.pss_kb)}, USS {fmt_mb(m.uss_kb)}")
            return render(cmp, ours.command, bare.command, len(body), page, memory, load_before, store.publishable_key)


def main() -> int:
    settings = BenchSettings.from_env()
    harness.wrk_binary()  # fail before setting anything up
    title = "http-products: GET /store/products with calculated prices vs a bare ASGI app"
    command = default_command(harness.ENV_NAMES)
    try:
        markdown, summary = measure(settings)
    except Exception as exc:
        # Say so in RESULTS.md rather than leave an older section standing as if it were current.
        path = update_section(SECTION, harness.failure_markdown(exc), title=title, command=command)
        print(f"{SECTION}: FAILED ({type(exc).__name__}), see {path}", file=sys.stderr)
        raise
    path = update_section(SECTION, markdown, title=title, command=command)
    print(f"{SECTION}: {summary} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
