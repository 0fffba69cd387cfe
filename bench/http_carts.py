"""HTTP benchmark: cart retrieve and add-to-cart vs a one-SELECT-per-request app and a bare ASGI app, in one run.

    GET  /store/carts/<id>              rotating over RETRIEVE_CARTS carts of one line each
    POST /store/carts/<id>/line-items   {"variant_id": <one of the variants>, "quantity": 1}, over ADD_CARTS carts

One run, one process, as bench/http_products.py: a fresh database (DATABASE_URL's server, else an embedded
PostgreSQL in a temp dir) is migrated and seeded with the demo store and catalog; our server (DB_POOL_SIZE left at
the server's default, 10) is started by this process with Granian (1 worker, --interface asgi --loop uvloop), and
the carts are created through the API (POST /store/carts with the "North America" region and one item). Then the
two baselines are started the same way: bench/one_select_app.py (one primary-key SELECT on the same database per
request, through a psycopg pool of the same size) and bench/bare_app.py, both answering a body of the size of our
cart retrieve. wrk (also run from here, with Lua scripts rotating over the carts) warms each of the four targets up,
then measures them in turn (ours retrieve, ours add, one-SELECT, bare; repeated BENCH_ROUNDS times), and the best
run of each is kept. Any non-2xx response or socket error from our server fails the section (figures are still
shown). Writes the "http-carts" section of bench/RESULTS.md.

Carts stay small: the add-to-cart carts are created with the first of VARIANT_COUNT variants and the script only
adds those, so a cart has at most VARIANT_COUNT lines; adding a variant already in the cart raises that line's
quantity (Medusa's merge), so after the first passes over the carts every add is a quantity change on an existing line.

    .venv/bin/python bench/http_carts.py        # BENCH_DURATION=10s BENCH_ROUNDS=2 BENCH_CONNECTIONS=64 ...
"""

import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
from harness import BenchSettings, Comparison, GranianServer, Target, WrkResult, fmt_ms, fmt_rate
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-carts"
REGION = "North America"
RETRIEVE_CARTS = 200
ADD_CARTS = 500
VARIANT_COUNT = 4  # variants the add-to-cart script rotates over (each from another product)
GOAL_ADD_PERCENT = 50.0
GOAL_RETRIEVE_PERCENT = 100.0
GOAL_CONNECTIONS = 64
RETRIEVE = "commerce-core cart retrieve"
ADD = "commerce-core add-to-cart"
ONE_SELECT = "one-SELECT app"
BARE = "bare ASGI app"
OURS = (RETRIEVE, ADD)


def json_or_fail(what: str, status: int, body: bytes) -> dict[str, Any]:
    if status != 200:
        raise RuntimeError(f"{what} answered {status}: {body[:500]!r}")
    return dict(json.loads(body))


def region_id(url: str, headers: dict[str, str]) -> str:
    for region in json_or_fail("GET /store/regions", *harness.fetch(url + "/store/regions", headers))["regions"]:
        if region["name"] == REGION:
            return str(region["id"])
    raise RuntimeError(f"no region named {REGION!r} in the demo store")


def variant_ids(url: str, headers: dict[str, str], region: str) -> list[str]:
    """The first priced variant of each of the first VARIANT_COUNT products of the demo catalog."""
    path = f"/store/products?limit={VARIANT_COUNT}&region_id={region}&fields=*variants.calculated_price"
    page = json_or_fail(f"GET {path}", *harness.fetch(url + path, headers, timeout=30))
    found = []
    for product in page["products"]:
        priced = [v for v in product["variants"] if (v.get("calculated_price") or {}).get("calculated_amount")]
        if priced:
            found.append(str(priced[0]["id"]))
    if len(found) < VARIANT_COUNT:
        raise RuntimeError(f"found {len(found)} priced variants, want {VARIANT_COUNT} (is the demo catalog seeded?)")
    return found


def create_carts(url: str, headers: dict[str, str], region: str, variant: str, count: int) -> list[str]:
    """`count` carts made through the API, each with one `variant`; their ids."""
    payload = {"region_id": region, "items": [{"variant_id": variant, "quantity": 1}]}

    def one(_: int) -> str:
        cart = json_or_fail("POST /store/carts", *harness.post_json(url + "/store/carts", payload, headers))["cart"]
        if len(cart["items"]) != 1:
            raise RuntimeError(f"POST /store/carts made a cart with {len(cart['items'])} items, want 1")
        return str(cart["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def retrieve_script(carts: list[str]) -> str:
    """GET /store/carts/<id>, one cart after another (the one-SELECT and bare apps get the same paths)."""
    return f"""-- bench/http_carts.py: GET /store/carts/<id>, rotating over {len(carts)} carts
local carts = {lua_list(carts)}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/store/carts/" .. carts[(i % #carts) + 1])
end
"""


def add_script(carts: list[str], variants: list[str]) -> str:
    """POST /store/carts/<id>/line-items: cart after cart (64 connections rarely wait on one cart's row lock), the
    variant changing on each pass over the carts."""
    return f"""-- bench/http_carts.py: POST /store/carts/<id>/line-items, rotating over {len(carts)} carts and \
{len(variants)} variants
local carts = {lua_list(carts)}
local variants = {lua_list(variants)}
local i = 0
wrk.headers["content-type"] = "application/json"
request = function()
  local cart = carts[(i % #carts) + 1]
  local variant = variants[(math.floor(i / #carts) % #variants) + 1]
  i = i + 1
  return wrk.format("POST", "/store/carts/" .. cart .. "/line-items", nil,
    '{{"variant_id":"' .. variant .. '","quantity":1}}')
end
"""


def cart_stats(db_url: str, carts: list[str]) -> dict[str, int]:
    """Lines and quantities of the add-to-cart carts, read from PostgreSQL after the runs."""

    async def work(conn: Any) -> dict[str, int]:
        cursor = await conn.execute(
            """
            SELECT count(*), coalesce(sum(quantity), 0), coalesce(max(quantity), 0),
                   (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM cart_line_item
                     WHERE cart_id = ANY(%(carts)s) AND deleted_at IS NULL GROUP BY cart_id) AS per_cart)
            FROM cart_line_item WHERE cart_id = ANY(%(carts)s) AND deleted_at IS NULL
            """,
            {"carts": carts},
        )
        lines, quantity, max_quantity, max_lines = await cursor.fetchone()
        return {"lines": lines, "quantity": int(quantity), "max_quantity": max_quantity, "max_lines": max_lines}

    return harness.run_async(db_url, work)


def shown(command: str, key: str, scratch: Path) -> str:
    """A wrk command line as RESULTS.md shows it: the key shortened, the scripts' temp dir elided."""
    return harness.redact(command, key).replace(str(scratch) + "/", "")


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def ours_errors(cmp: Comparison) -> dict[str, tuple[int, int]]:
    """(non-2xx responses, socket errors) of our targets, over all measured runs, where there were any."""
    found = {}
    for name in OURS:
        non_2xx = sum(r.non_2xx for r in cmp.runs[name])
        sockets = sum(sum(r.socket_errors.values()) for r in cmp.runs[name])
        if non_2xx or sockets:
            found[name] = (non_2xx, sockets)
    return found


def row(cmp: Comparison, name: str, label: str) -> list[str]:
    best: WrkResult = cmp.best(name)
    all_runs = ", ".join(
        fmt_rate(r.requests_per_s)
        + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
        + (f" **{r.non_2xx} non-2xx**" if r.non_2xx else "")
        for r in cmp.runs[name]
    )
    return [
        label,
        f"**{fmt_rate(best.requests_per_s)}**",
        fmt_ms(best.p50_ms),
        fmt_ms(best.p99_ms),
        fmt_rate(per_cpu) if (per_cpu := cmp.best_per_cpu(name)) else "—",
        f"{best.server_cpu_s / best.requests * 1e6:,.0f} µs" if best.server_cpu_s and best.requests else "—",
        f"{best.db_cpu_s / best.requests * 1e6:,.0f} µs" if best.db_cpu_s is not None and best.requests else "—",
        all_runs,
    ]


def render(
    cmp: Comparison,
    servers: dict[str, GranianServer],
    sizes: dict[str, int],
    variants: list[str],
    stats: dict[str, int],
    load_before: str,
    key: str,
    db_pid: int | None,
    scratch: Path,
) -> tuple[str, str, bool]:
    """(section markdown, one-line summary, whether our server answered every request with a 2xx)."""
    settings = cmp.settings
    retrieve, add, one, bare = (cmp.best(n) for n in (RETRIEVE, ADD, ONE_SELECT, BARE))
    add_ratio = 100 * add.requests_per_s / one.requests_per_s
    retrieve_ratio = 100 * retrieve.requests_per_s / one.requests_per_s
    errors = ours_errors(cmp)
    size = sizes["retrieve"]
    at = f"at {settings.connections} connections, 1 worker"
    off_goal = (
        f" (the goals are stated at {GOAL_CONNECTIONS} connections; this run used {settings.connections})"
        if settings.connections != GOAL_CONNECTIONS
        else ""
    )
    measured_adds = sum(r.requests for r in cmp.runs[ADD])
    added = stats["quantity"] - ADD_CARTS  # each cart started with one unit of one line
    lines = []
    if errors:
        lines += [
            "**FAILED: our server answered errors during the runs** (non-2xx responses, socket errors): "
            + ", ".join(f"{name}: {n} non-2xx, {s} socket errors" for name, (n, s) in errors.items())
            + ". The figures below count those error responses as requests; they are not valid.",
            "",
        ]
    lines += [
        f"Our server on the demo store and catalog, {len(variants)} variants of the {REGION} region (USD), carts made "
        f"through the API (`POST /store/carts` with `region_id` and one item), publishable key header; against two "
        f"baselines answering a {size}-byte JSON body (the size of our cart retrieve): `bench/one_select_app.py`, a "
        "bare ASGI app (no framework) running one primary-key `SELECT id, currency_code, email FROM cart WHERE id = "
        "$1` per request on the same database through a psycopg `AsyncConnectionPool` shaped like ours (min 2, max "
        "10 connections, autocommit, psycopg's default prepared statements), and `bench/bare_app.py` (no database). "
        "All served by Granian, 1 worker, `--interface asgi --loop uvloop`, started by the same process as wrk.",
        "",
        f"- **Cart retrieve**: `GET /store/carts/<id>` rotating over {RETRIEVE_CARTS} carts of one line each "
        f"({size} bytes: the Medusa `{{cart}}` object with its one line item and the totals fields computed by "
        "the engine). The one-SELECT and bare apps get the same rotating paths.",
        f'- **Add-to-cart**: `POST /store/carts/<id>/line-items {{"variant_id": ..., "quantity": 1}}` '
        f"(`content-type: application/json`) rotating over {ADD_CARTS} other carts (request i goes to cart i mod "
        f"{ADD_CARTS}, so the {settings.connections} concurrent writers are always on different carts' row locks) "
        f"and, pass after pass, {len(variants)} variants. Each cart was created with the first of them, so it never "
        f"holds more than {len(variants)} lines. Every wrk run (warm-up included) starts over at the first cart and "
        f"variant; an add of a variant not yet in the cart inserts a line ({stats['lines'] - ADD_CARTS:,} such adds in "
        "all, over the whole run), any other add raises that line's quantity (Medusa merges it). Either way the "
        "server locks the cart, prices the line for its quantity, evaluates promotions and taxes, writes, and "
        f"answers the whole cart ({sizes['add']} bytes when it holds all {len(variants)} lines).",
        "",
        table(
            [
                "target",
                "req/s (best)",
                "p50",
                "p99",
                "req per server CPU-s (best)",
                "server CPU per req",
                "PostgreSQL CPU per req",
                f"each {settings.duration} run: req/s (CPUs used by others)",
            ],
            [
                row(cmp, RETRIEVE, "commerce-core `GET /store/carts/<id>`"),
                row(cmp, ADD, "commerce-core `POST /store/carts/<id>/line-items`"),
                row(cmp, ONE_SELECT, f"one-SELECT app (`GET`, one PK SELECT, {size}-byte body)"),
                row(cmp, BARE, f"bare ASGI app (`GET`, no database, {size}-byte body)"),
            ],
            "lrrrrrrr",
        ),
        "",
        "CPU per request is from the kept run: the Granian server's processes, and the PostgreSQL server's "
        "(postmaster and backends; "
        + (
            "it runs on this machine, so its CPU is not counted as other processes' noise either"
            if db_pid
            else "not found on this machine, so not measured"
        )
        + ").",
        "",
        f"**add-to-cart / one-SELECT = {add_ratio:.1f} %**, **cart retrieve / one-SELECT = {retrieve_ratio:.1f} %** "
        f"of the one-SELECT app's requests per second (for scale, the one-SELECT app is "
        f"{100 * one.requests_per_s / bare.requests_per_s:.1f} % of the bare app; cart retrieve "
        f"{100 * retrieve.requests_per_s / bare.requests_per_s:.1f} % and add-to-cart "
        f"{100 * add.requests_per_s / bare.requests_per_s:.1f} % of it).",
        "",
        f"Goals {at}{off_goal}:",
        f"- add-to-cart >= {GOAL_ADD_PERCENT:.0f} % of the one-SELECT app's req/s: "
        f"**{verdict(add_ratio >= GOAL_ADD_PERCENT)}** ({add_ratio:.1f} %).",
        f"- cart retrieve >= the one-SELECT app's req/s: **{verdict(retrieve_ratio >= GOAL_RETRIEVE_PERCENT)}** "
        f"({retrieve_ratio:.1f} %).",
        f"- every request of ours answered 2xx: **{verdict(not errors)}**"
        + (
            ""
            if errors
            else f" (wrk counted no non-2xx response and no socket error in the {2 * settings.rounds} measured runs)."
        ),
        "",
        f"After the runs the {ADD_CARTS} add-to-cart carts held {stats['lines']:,} lines (at most {stats['max_lines']} "
        f"per cart, quantities up to {stats['max_quantity']:,}); their quantities add up to {added:,} units more than "
        f"they were created with, for {measured_adds:,} adds that wrk counted as answered in the measured runs (the "
        "warm-up's adds and those still in flight when a run stopped count in the carts but not in wrk's figure"
        + (
            "): no add was lost."
            if added >= measured_adds
            else "): **fewer units than answered adds: adds were lost**."
        ),
        "",
        f"- Load: `{shown(add.command, key, scratch)}` (cart retrieve: `{shown(retrieve.command, key, scratch)}`, and "
        "the same retrieve script without the key header on the baselines; the Lua scripts are written by this "
        "benchmark into a temp dir); "
        f"{settings.warmup} warm-up per target, then {settings.rounds} rounds of {settings.duration} in turn (ours "
        f"retrieve, ours add, one-SELECT, bare), each after waiting up to {settings.quiet_wait:.0f} s for other "
        f"processes to use < {harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers: `{servers['ours'].command}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE unset: the "
        f"server's default, 10), `{servers['one'].command}` (env ONE_SELECT_DATABASE_URL = the same database, "
        f"ONE_SELECT_BODY_BYTES={size}, ONE_SELECT_POOL_SIZE=10) and `{servers['bare'].command}` "
        f"(env BARE_BODY_BYTES={size}).",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store and catalog "
        f"(`commerce.flows.setup.seed_demo`) plus the {RETRIEVE_CARTS + ADD_CARTS + 1} benchmark carts, dropped "
        "afterwards.",
        f"- Rust engine: {harness.engine_build()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    others = cmp.others_cpus()
    if others is not None:
        lines.append(
            f"- Noise: other processes on the machine used up to {others:.2f} CPUs during the kept (best) runs"
            + (
                f" (of {nproc()}): **the figures are noisy** (the ratios can be off either way); "
                "re-run on a quiet machine."
                if others >= harness.QUIET_CPUS
                else f" (of {nproc()}): quiet."
            )
        )
    baseline_errors = {n: c for n, c in cmp.errors().items() if n not in OURS and c}
    if baseline_errors:
        lines.append(
            "- **Errors from the baselines** (non-2xx responses or socket errors; their figures are suspect): "
            + ", ".join(f"{name}: {count}" for name, count in baseline_errors.items())
        )
    summary = (
        f"retrieve {fmt_rate(retrieve.requests_per_s)} req/s (p50 {fmt_ms(retrieve.p50_ms)}, p99 "
        f"{fmt_ms(retrieve.p99_ms)}), add {fmt_rate(add.requests_per_s)} req/s (p50 {fmt_ms(add.p50_ms)}, p99 "
        f"{fmt_ms(add.p99_ms)}), one-SELECT {fmt_rate(one.requests_per_s)}, bare {fmt_rate(bare.requests_per_s)}; "
        f"add/one-SELECT {add_ratio:.1f} % (goal {verdict(add_ratio >= GOAL_ADD_PERCENT)}), retrieve/one-SELECT "
        f"{retrieve_ratio:.1f} % (goal {verdict(retrieve_ratio >= GOAL_RETRIEVE_PERCENT)})"
        + (f"; FAILED: errors from ours {errors}" if errors else "")
    )
    return "\n".join(lines) + "\n", summary, not errors


def check_baseline(server: GranianServer, path: str, size: int) -> None:
    status, body = harness.fetch(server.url + path)
    if status != 200 or len(body) != size:
        raise RuntimeError(f"{server.name} answered {status} with {len(body)} bytes, want 200 and {size}")


def measure(settings: BenchSettings, scratch: Path) -> tuple[str, str, bool]:
    """Run the benchmark; (section markdown, one-line summary, whether ours answered only 2xx)."""
    load_before = load_average()
    with harness.demo_store() as store, harness.commerce_server(store.db_url, pool_size=None) as ours:
        db_pid = harness.account_database(store.db_url)
        headers = store.headers
        region = region_id(ours.url, headers)
        variants = variant_ids(ours.url, headers, region)
        harness.log(f"creating {RETRIEVE_CARTS} + {ADD_CARTS} carts through the API")
        retrieve_carts = create_carts(ours.url, headers, region, variants[0], RETRIEVE_CARTS)
        add_carts = create_carts(ours.url, headers, region, variants[0], ADD_CARTS)
        path = f"/store/carts/{retrieve_carts[0]}"
        cart = json_or_fail(f"GET {path}", *harness.fetch(ours.url + path, headers))["cart"]
        if cart["id"] != retrieve_carts[0] or len(cart["items"]) != 1 or cart.get("total") is None:
            raise RuntimeError(f"GET {path} answered an unexpected cart: {cart!r}")
        sizes = {"retrieve": len(harness.fetch(ours.url + path, headers)[1])}
        # One add of every variant to a cart outside the rotation: the add answer's size with all lines.
        probe = create_carts(ours.url, headers, region, variants[0], 1)[0]
        for variant in variants:
            status, body = harness.post_json(
                f"{ours.url}/store/carts/{probe}/line-items", {"variant_id": variant, "quantity": 1}, headers
            )
            added = json_or_fail(f"POST /store/carts/{probe}/line-items", status, body)["cart"]
        if len(added["items"]) != len(variants):
            raise RuntimeError(f"the probe cart has {len(added['items'])} lines, want {len(variants)}")
        sizes["add"] = len(body)

        retrieve_lua = scratch / "cart_retrieve.lua"
        retrieve_lua.write_text(retrieve_script(retrieve_carts))
        add_lua = scratch / "cart_add.lua"
        add_lua.write_text(add_script(add_carts, variants))

        one_select = harness.GranianServer(
            "bench.one_select_app:app",
            env={
                "ONE_SELECT_DATABASE_URL": store.db_url,
                "ONE_SELECT_BODY_BYTES": str(sizes["retrieve"]),
                "ONE_SELECT_POOL_SIZE": "10",
            },
            name="one-SELECT app",
        )
        with one_select as one, harness.bare_server(sizes["retrieve"]) as bare:
            check_baseline(one, path, sizes["retrieve"])
            check_baseline(bare, path, sizes["retrieve"])
            harness.log(
                f"cart retrieve {sizes['retrieve']} bytes, add answer up to {sizes['add']} bytes; measuring {settings}"
            )
            cmp = harness.compare(
                [
                    Target(RETRIEVE, ours.url + "/", headers, server_pid=ours.pid, script=retrieve_lua),
                    Target(ADD, ours.url + "/", headers, server_pid=ours.pid, script=add_lua),
                    Target(ONE_SELECT, one.url + "/", server_pid=one.pid, script=retrieve_lua),
                    Target(BARE, bare.url + "/", server_pid=bare.pid, script=retrieve_lua),
                ],
                settings,
            )
            stats = cart_stats(store.db_url, add_carts)
            servers = {"ours": ours, "one": one, "bare": bare}
            return render(cmp, servers, sizes, variants, stats, load_before, store.publishable_key, db_pid, scratch)


def main() -> int:
    settings = BenchSettings.from_env()
    harness.wrk_binary()  # fail before setting anything up
    title = "http-carts: cart retrieve and add-to-cart vs a one-SELECT app and a bare ASGI app"
    command = default_command(harness.ENV_NAMES)
    try:
        with tempfile.TemporaryDirectory(prefix="commerce-bench-carts-") as scratch:
            markdown, summary, ok = measure(settings, Path(scratch))
    except Exception as exc:
        # Say so in RESULTS.md rather than leave an older section standing as if it were current.
        path = update_section(SECTION, harness.failure_markdown(exc), title=title, command=command)
        print(f"{SECTION}: FAILED ({type(exc).__name__}), see {path}", file=sys.stderr)
        raise
    path = update_section(SECTION, markdown, title=title, command=command)
    if not ok:
        print(f"{SECTION}: FAILED, our server answered errors: {summary} -> {path}", file=sys.stderr)
        return 1
    print(f"{SECTION}: {summary} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
