"""HTTP benchmark: cart retrieve and cart changes vs a one-SELECT-per-request app and a bare ASGI app, in one run.

    GET  /store/carts/<id>                       rotating over RETRIEVE_CARTS carts of one line each
    POST /store/carts/<id>/line-items            {"variant_id": <one of the variants>, "quantity": 1}, over ADD_CARTS
    POST /store/carts/<id>/line-items/<line_id>  {"quantity": 1 or 2}, over CHANGE_CARTS carts of one line
    POST /store/carts/<id>/promotions            {"promo_codes": [PROMO_CODE]} (10 % off), over CHANGE_CARTS carts
    POST /store/carts/<id>                       {"shipping_address": one of two US addresses}, over CHANGE_CARTS

Each is measured with 1 Granian worker (ours and both baselines), then again with 2 workers, in the same run; the
PostgreSQL round trips of each (and of cart creation) are counted on the wire by bench/http_checkout.py's proxy.

One run, one process, as bench/http_products.py: a fresh database (DATABASE_URL's server, else an embedded
PostgreSQL in a temp dir) is migrated and seeded with the demo store and catalog; our server (DB_POOL_SIZE left at
the server's default, 10) is started by this process with Granian (1 worker, --interface rsgi --loop uvloop), and
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

import dataclasses
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from commerce.cart import repository
from harness import BenchSettings, Comparison, GranianServer, Target, WrkResult, fmt_ms, fmt_rate
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-carts"
REGION = "North America"
RETRIEVE_CARTS = 200
ADD_CARTS = 500
CHANGE_CARTS = 200  # carts of one line for each of quantity, promotion and address changes
VARIANT_COUNT = 4  # variants the add-to-cart script rotates over (each from another product)
STOCK = 10_000_000  # units of each of them (stock_up)
PROMO_CODE = "BENCH10"
GOAL_CONNECTIONS = 64
COUNT_REQUESTS = 20  # requests of each kind run one at a time through the counting proxy ...
WARM_REQUESTS = 10  # ... after these (statements get prepared, pooled connections used)
ADDRESSES = [
    {"first_name": "Ada", "last_name": "Shopper", "address_1": "1 Main St", "city": "Oakland", "country_code": "us",
     "province": "us-ca", "postal_code": "94607"},
    {"first_name": "Ada", "last_name": "Shopper", "address_1": "2 Side St", "city": "Oakland", "country_code": "us",
     "province": "us-ca", "postal_code": "94612"},
]  # fmt: skip
ONE_SELECT = "one-SELECT app"
# The same app on our server's pool (commerce.db.pool), measured beside it: not a goal's baseline (the goals are the
# stock app's, as the issue set them), but how much of a ratio is the pool and not the cart.
ONE_SELECT_OURS = "one-SELECT app on our pool"
BARE = "bare ASGI app"
ME = "customers/me"
ME_CONNECTIONS = 16
ME_GOAL_P50_MS = 2.0


# What the profile of a change showed and what was done about it (measured by hand on a side server: see the text).
PROFILE = (
    "**Profile and what changed (issue 11, second pass).** py-spy on the one worker under wrk's add-to-cart (load "
    "average 7-11 on the shared machine): each add read the documents of the cart's variants (a statement, and an "
    "Entry built from each document: JSON decoded, the page chunks encoded) and the price rows of their sets (a "
    "statement, and an engine PriceIndex built from them). Those now come from the worker's NOTIFY-coherent caches: "
    "a variant -> product key in the documents' byte-budgeted LRU, and per-Prices LRUs of price rows (4,000 sets) "
    "and of engine indexes by list of sets (1,000), dropped with the Prices object at any price change. Of what was "
    "left, reading the cart (the statement, the row into a dict, its JSON documents decoded, money back to Decimal) "
    "was the largest cost after the write: a worker now keeps its own copy of the carts it changed (see Design), so "
    "a repeat change on the same worker is one statement (PostgreSQL's own count, pg_stat_database, under wrk with 1 "
    "worker: 1.02-1.07 transactions per add or quantity change). Measured by hand on a side server with the same "
    "carts (1 worker, load average 7-11): server CPU 1.6-1.8 ms per add (its PostgreSQL backends 0.8-0.95 ms), "
    "1.3-1.8 ms per quantity change (0.7 ms). What is left per change, as shares of the worker's GIL-held samples "
    "(before the copies): the conditional UPDATE with its JSONB parameters 15 %, Granian's receive and send of the "
    "bodies 20 %, rendering the cart (engine totals, the view, JSON) 8 %, promotions and taxes 5 %, the line itself "
    "4 %. Tried and dropped: lz4 TOAST compression of the cart's documents (no change in PostgreSQL CPU per add that "
    "this noise could show). Not reached: 50 % / 40 % of the one-SELECT app; a change still computes and renders the "
    "whole cart in Python, about 1 ms of CPU against the one-SELECT app's ~0.35 ms per request. `customers/me` is "
    "unchanged (JWT verified once per worker, one primary-key read): its 2 ms p50 goal at 16 connections is below "
    "what the one-SELECT app itself does on this machine (table below), so the ratio to it is the figure to read."
)
# The third pass (helper cart-render): the Python CPU of a change's own computing, measured in process.
RENDER = (
    "**Python CPU per change (issue 11, third pass).** Measured in process on a real cart of 4 lines with a "
    "promotion and a taxed US address (the app on a database of the demo catalog, each piece timed alone in a loop, "
    "process CPU time, the code before and after in the same process): the view and its JSON (`_render`) 110 -> 93 "
    "us, promotions and taxes (`_reckon`) 150 -> 102 us, the worker's copy of the cart (pickled on write, unpickled "
    "on the next change) 102 -> 0 us: about 170 us less per change. What changed: the copy is kept as the dict "
    "itself (a change takes it out before working on it and puts it back once written and answered, so no two "
    "requests share it; counted in the LRU as 2.5 bytes per rendered byte, 23 KB measured for a 4-line cart, so the "
    "budget went from 8 to 32 MB); an adjustment of a line by the promotion that adjusted it before, and a tax line "
    "at the same rate, keep their ids (a ULID costs ~5 us, and a 4-line cart with a promotion and a tax made 8 per "
    "change); the engine totals the lines as they are (they carry their adjustments and tax lines) instead of "
    "copies of them, and the view takes each line's totals row as it comes. The answer is byte-for-byte the same "
    "(checked on that cart; tests/api and the JS SDK scenarios pass). What that leaves is small: under wrk's "
    "add-to-cart, py-spy on the one worker puts all of the cart's own Python (the line, promotions, taxes, totals, "
    "the view, its JSON) at about 10 % of the worker's samples; psycopg's sending of the write (a 4-line cart's "
    "items document, 5.7 KB, and its rendering, 10.4 KB, each change) and its waits take about 40 %, the stock "
    "read of the add 13-15 %, Granian and the ASGI layer most of the rest. So moving the render into the engine "
    "would gain at most that 10 %: the next costs to cut are the bytes and statements of the write and the stock "
    "read, and PostgreSQL's own CPU per change (as much as the worker's, on the same 2 cores)."
)

# What PostgreSQL spent per change and what was done about it (issue 11, third pass: measured per statement on one
# backend, its own CPU from /proc/<pid>/schedstat, and per request under wrk for the backends of the bench database).
PG_COST = (
    "**PostgreSQL CPU per change (issue 11, third pass).** Measured per statement on one backend (its CPU from "
    "/proc/<pid>/schedstat, 600-2,000 runs) and per request under wrk (the bench database's backends only; perf on "
    "a backend for the write). An add cost ~1.9-2.1 ms of PostgreSQL CPU: (1) the stock statement, 0.65-0.75 ms, "
    "of which ~0.55 ms was planning: its `v.id = ANY($1)` let every call's custom plan (costed for the array's 1-4 "
    "ids) beat the generic one (costed for 10), so the prepared statement was planned afresh on every run "
    "(pg_prepared_statements: 0 generic plans of 2,015); the ids now come through a scalar subquery the planner "
    "cannot count, so the generic plan runs (146 µs for one id, 266 µs for four); and an add now checks the "
    "worker's StockCache first (its entries are dropped by the per-variant stock NOTIFY of migrations/0045), "
    "reading on its own connection only the variants it does not hold, and only the variant it adds; (2) the commit's "
    "WAL flush, ~0.2-0.3 ms of the backend's CPU (its write and fdatasync) and 3-4 ms of latency: a cart change "
    "now commits with `synchronous_commit` off for its own transaction, set by its UPDATE (a PostgreSQL crash can "
    "lose the last ~0.6 s of cart changes, each whole; orders, payments, stock and a cart's completion still commit "
    "synchronously, and flush any cart change before them); (3) TOAST: a row over 2 KB had its documents compressed "
    "with pglz and its rendering moved out of line, so every change wrote TOAST chunks and their index entries and "
    "deleted the old ones, and a retrieve read them back: migrations/0052 keeps a cart's values whole in its row "
    "(toast_tuple_target 8160), compressed with lz4 only when the row would not fit a page (UPDATE of a 4-line cart "
    "on one backend: 468 -> 209 µs without the flush); (4) the `SELECT` pipelined with every write from a copy "
    "(to catch a lost write in the same round trip) cost 0.1-0.2 ms per change that won: the cart is now read "
    "only after a loss. What is left of a change (~0.45 ms per UPDATE on one backend, perf): the new row version "
    "(not HOT: a cart row of 3-8 KB leaves no room for its next version in its page; fillfactor 50 with a 4 KB "
    "target made the updates HOT but not cheaper), its index entry and the index scan past dead versions (~20 %), "
    "jsonb input of the documents (~10 %), executor start of the statement with its customer and payment "
    "subqueries (~10 %), the commit (~8 %)."
)


# What a change's write cost the worker and PostgreSQL, and what was done about it (issue 11, fourth pass: branch
# cartw; measured in process with bench/cart_profile.py and per request under wrk with bench/cart_pg_cost.py).
WRITE_COST = (
    "**The write (issue 11, fourth pass).** With the worker's CPU deciding a change's req/s at 1 worker (server CPU "
    "per add ~1.15 ms against the one-SELECT app's ~0.34 ms per request; 50 % of the one-SELECT app needs ~0.6 ms), "
    "the change was measured in process (bench/cart_profile.py: the app driven through ASGI calls, no HTTP server, "
    "its CPU sampled on CPU time; perf put 73 % of the worker in the interpreter, 5 % in the kernel, libpq and the "
    "socket next to nothing, so the bytes written are not what costs). Per add, of the worker's CPU: the write "
    "30 % (psycopg's query conversion of 16 named parameters, a dumper looked up for each, five Jsonb wrappers "
    "and a Python list dumper, its dict row, its wait machinery), the render 12 %, promotions and taxes 10 %, the "
    "route and the pool 13 %. The write alone, timed in a loop on one pooled connection against a one-parameter "
    "SELECT (~95-135 µs there): 385 µs of worker CPU through psycopg's cursor, 240 µs now. What changed: (1) on an "
    "idle autocommit connection (every change but those under the row lock) the cart's UPDATE goes straight "
    "through libpq: its own prepared statement per connection (prepared again when a psycopg DEALLOCATE ALL, after "
    "a rollback, dropped it), the parameters as the bytes PostgreSQL reads (the documents encoded once by msgspec, "
    "the rendering binary, the rest text typed by the statement), a tuple row; the statement PostgreSQL runs is the "
    "same (`cart/repository.py` WRITE; under a transaction or through a pooler, psycopg's cursor as before); "
    "(2) the cart's documents (lines, shipping methods, addresses) are `json`, not `jsonb` (migrations/0053): "
    "only the cart repository reads them, whole, by primary key, so PostgreSQL no longer parses ~4-6 KB into jsonb "
    "on every change nor prints it back on every read (one backend, 2,000 UPDATEs of a 4-line cart's documents, "
    "three noisy rounds: 313 / 273 / 431 µs as jsonb, 193 / 288 / 398 µs as json; its read 98 / 109 / 158 -> 60 / "
    "102 / 134 µs), and the smaller rows of 1-3-line carts leave room for HOT updates (under wrk's quantity "
    "changes 888-2,028 of 2,500-3,000 updates were HOT, none before); (3) a request body is read under one "
    "`asyncio.timeout` (was an `asyncio.wait_for` per receive: a Task each). The retrieve path (READ_RENDERED, "
    "`read_rendered`, the stored rendering) is unchanged. Not reached by this pass: the goals; what is left per "
    "change is spread over the render, promotions and taxes (engine calls from Python dicts), psycopg's and "
    "asyncio's per-statement machinery and the route, none above ~12 % of the worker alone."
)


@dataclass(frozen=True)
class Op:
    name: str
    label: str  # as the table shows it
    goal: float | None  # % of the one-SELECT app's req/s


RETRIEVE = Op("retrieve", "`GET /store/carts/<id>`", 100.0)
ADD = Op("add", "add-to-cart `POST /store/carts/<id>/line-items`", 50.0)
QUANTITY = Op("quantity", "update quantity `POST /store/carts/<id>/line-items/<line_id>`", 40.0)
PROMO = Op("promo", "apply a promo code `POST /store/carts/<id>/promotions`", 40.0)
ADDRESS = Op("address", "set the shipping address `POST /store/carts/<id>`", 40.0)
OPS = (RETRIEVE, ADD, QUANTITY, PROMO, ADDRESS)


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
    return [c for c, _ in make_carts(url, headers, region, variant, count)]


def make_carts(url: str, headers: dict[str, str], region: str, variant: str, count: int) -> list[tuple[str, str]]:
    """`count` carts made through the API, each with one `variant`; their (id, line id)."""
    payload = {"region_id": region, "items": [{"variant_id": variant, "quantity": 1}]}

    def one(_: int) -> tuple[str, str]:
        cart = json_or_fail("POST /store/carts", *harness.post_json(url + "/store/carts", payload, headers))["cart"]
        if len(cart["items"]) != 1:
            raise RuntimeError(f"POST /store/carts made a cart with {len(cart['items'])} items, want 1")
        return str(cart["id"]), str(cart["items"][0]["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def set_up_admin(url: str) -> None:
    """Through the admin API: the promotion PROMO_CODE (10 % off items) and a default rate on the demo's US tax
    region (so a US shipping address taxes the cart)."""
    from commerce.flows import setup

    login = {"email": setup.DEMO_ADMIN_EMAIL, "password": setup.DEMO_ADMIN_PASSWORD}
    token = json_or_fail("login", *harness.post_json(url + "/auth/user/emailpass", login))["token"]
    admin = {"authorization": f"Bearer {token}"}
    promotion = {
        "code": PROMO_CODE,
        "type": "standard",
        "status": "active",
        "application_method": {"type": "percentage", "target_type": "items", "allocation": "across", "value": 10},
    }
    json_or_fail("POST /admin/promotions", *harness.post_json(url + "/admin/promotions", promotion, admin))
    # The demo seed gives the US a tax region without a rate; give it the default rate a US address is taxed at.
    status, body = harness.fetch(url + "/admin/tax-regions?country_code=us", admin)
    regions = json_or_fail("GET /admin/tax-regions", status, body)["tax_regions"]
    if not regions:
        raise RuntimeError("the demo seed made no US tax region")
    rate = {"tax_region_id": regions[0]["id"], "rate": 8, "code": "US", "name": "US default", "is_default": True}
    json_or_fail("POST /admin/tax-rates", *harness.post_json(url + "/admin/tax-rates", rate, admin))


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
    """POST /store/carts/<id>/line-items: cart after cart (64 connections rarely write one cart at once), the
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


def rotate_script(name: str, paths: list[str], bodies: list[str]) -> str:
    """POST paths[i mod n] with bodies[pass mod len(bodies)]: cart after cart, the body changing on each pass."""
    return f"""-- bench/http_carts.py: {name}, rotating over {len(paths)} carts and {len(bodies)} bodies
local paths = {lua_list(paths)}
local bodies = {lua_list(bodies)}
local i = 0
wrk.headers["content-type"] = "application/json"
request = function()
  local path = paths[(i % #paths) + 1]
  local body = bodies[(math.floor(i / #paths) % #bodies) + 1]
  i = i + 1
  return wrk.format("POST", path, nil, body)
end
"""


def scripts(scratch: Path, carts: dict[str, list[tuple[str, str]]], variants: list[str]) -> dict[str, Path]:
    texts = {
        RETRIEVE.name: retrieve_script([c for c, _ in carts[RETRIEVE.name]]),
        ADD.name: add_script([c for c, _ in carts[ADD.name]], variants),
        QUANTITY.name: rotate_script(
            "update quantity",
            [f"/store/carts/{c}/line-items/{line}" for c, line in carts[QUANTITY.name]],
            ['{"quantity":2}', '{"quantity":1}'],
        ),
        PROMO.name: rotate_script(
            "apply a promo code",
            [f"/store/carts/{c}/promotions" for c, _ in carts[PROMO.name]],
            [json.dumps({"promo_codes": [PROMO_CODE]})],
        ),
        ADDRESS.name: rotate_script(
            "set the shipping address",
            [f"/store/carts/{c}" for c, _ in carts[ADDRESS.name]],
            [json.dumps({"shipping_address": a}) for a in ADDRESSES],
        ),
    }
    out = {}
    for name, text in texts.items():
        out[name] = scratch / f"cart_{name}.lua"
        out[name].write_text(text)
    return out


def requests_of(op: Op, carts: list[tuple[str, str]], variants: list[str]) -> list[tuple[str, str, Any]]:
    """(method, path, body) of COUNT_REQUESTS requests of `op`, as its wrk script sends them, over WARM_REQUESTS
    carts: a counted change is the second of its cart on the counting server (as in the wrk runs with 1 worker, where
    each cart comes round again); the first change of a cart on a worker is one round trip more."""
    out: list[tuple[str, str, Any]] = []
    for n in range(COUNT_REQUESTS):
        cart, line = carts[n % min(len(carts), WARM_REQUESTS)]
        if op is RETRIEVE:
            out.append(("GET", f"/store/carts/{cart}", None))
        elif op is ADD:
            out.append(("POST", f"/store/carts/{cart}/line-items", {"variant_id": variants[n % 2], "quantity": 1}))
        elif op is QUANTITY:
            out.append(("POST", f"/store/carts/{cart}/line-items/{line}", {"quantity": 1 + n % 2}))
        elif op is PROMO:
            out.append(("POST", f"/store/carts/{cart}/promotions", {"promo_codes": [PROMO_CODE]}))
        else:
            out.append(("POST", f"/store/carts/{cart}", {"shipping_address": ADDRESSES[n % 2]}))
    return out


@dataclass
class RoundTrips:
    per_request: list[int]
    statements: list[int]
    last: list[Any]  # http_checkout.Turn (imported late: http_checkout imports this module)

    def median(self) -> float:
        return float(statistics.median(self.per_request))

    def describe(self) -> str:
        def spread(values: list[int]) -> str:
            low, high, mid = min(values), max(values), statistics.median(values)
            return f"{mid:g}" + (f" (min {low}, max {high})" if low != high else "")

        return f"{spread(self.per_request)} round trips, {spread(self.statements)} statements"


def count_round_trips(
    db_url: str, headers: dict[str, str], plans: dict[str, list[tuple[str, str, Any]]], workers: int = 1
) -> dict[str, RoundTrips]:
    """Each plan's requests one at a time (the first WARM_REQUESTS of each not counted) on a second server whose
    PostgreSQL traffic goes through the counting proxy; each Turn belongs to the request in whose window it started.
    With more than 1 worker each request goes on a new connection, so that a cart's changes land on the workers as
    the kernel hands out connections (at random), as behind a load balancer."""
    import http.client

    from http_checkout import wire_counter

    windows: dict[str, list[tuple[float, float]]] = {}
    with wire_counter(db_url) as wire, wire.commerce_server(workers) as counted:
        parsed = urllib.parse.urlsplit(counted.url)
        client = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
        try:
            for name, plan in plans.items():
                windows[name] = []
                for n, (method, path, body) in enumerate(plan):
                    if workers > 1:
                        client.close()  # (reconnects on the next request)
                    sent = {**headers, "content-type": "application/json"} if body is not None else headers
                    begin = time.perf_counter()
                    client.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
                    response = client.getresponse()
                    answer = response.read()
                    end = time.perf_counter()
                    if response.status != 200:
                        raise RuntimeError(f"{method} {path} through the proxy answered {response.status}: {answer!r}")
                    if n >= WARM_REQUESTS:
                        windows[name].append((begin, end))
                    time.sleep(0.01)
        finally:
            client.close()
        time.sleep(0.2)
        turns = sorted([t for t in wire.turns if not t.background], key=lambda t: t.start)
    out = {}
    for name, spans in windows.items():
        mine: list[list[Any]] = [[t for t in turns if b <= t.start <= e] for b, e in spans]
        trips = [sum(t.round_trips for t in ts) for ts in mine]
        out[name] = RoundTrips(trips, [sum(len(t.statements) for t in ts) for ts in mine], mine[-1])
    return out


def stock_up(db_url: str, variants: list[str]) -> None:
    """STOCK units of each add-to-cart variant at its locations: pass after pass raises the carts' lines (Medusa's
    merge), and the demo's 100 units would refuse an add (insufficient inventory) once a line passed them in a long
    run. The servers' stock models follow the change by its NOTIFY."""

    async def work(conn: Any) -> None:
        await conn.execute(
            "UPDATE inventory_level SET stocked_quantity = %s WHERE inventory_item_id IN "
            "(SELECT inventory_item_id FROM product_variant_inventory_item WHERE variant_id = ANY(%s))",
            (STOCK, variants),
        )

    harness.run_async(db_url, work)


def cart_stats(db_url: str, carts: list[str]) -> dict[str, int]:
    """Lines and quantities of the add-to-cart carts, read from PostgreSQL after the runs (through the cart
    repository: the lines are stored compressed)."""

    async def work(conn: Any) -> dict[str, int]:
        found = [await repository.read(conn, cart_id) for cart_id in carts]
        lines = [line for cart in found if cart is not None for line in cart["items"]]
        return {
            "lines": len(lines),
            "quantity": sum(int(line["quantity"]) for line in lines),
            "max_quantity": max((int(line["quantity"]) for line in lines), default=0),
            "max_lines": max((len(cart["items"]) for cart in found if cart is not None), default=0),
        }

    return harness.run_async(db_url, work)


def shown(command: str, key: str, scratch: Path) -> str:
    """A wrk command line as RESULTS.md shows it: the key shortened, the scripts' temp dir elided."""
    return harness.redact(command, key).replace(str(scratch) + "/", "")


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def ours_errors(cmp: Comparison) -> dict[str, tuple[int, int]]:
    """(non-2xx responses, socket errors) of our targets, over all measured runs, where there were any."""
    found = {}
    for op in OPS:
        non_2xx = sum(r.non_2xx for r in cmp.runs[op.name])
        sockets = sum(sum(r.socket_errors.values()) for r in cmp.runs[op.name])
        if non_2xx or sockets:
            found[op.name] = (non_2xx, sockets)
    return found


def row(cmp: Comparison, name: str, label: str, trips: RoundTrips | None) -> list[str]:
    best: WrkResult = cmp.best(name)
    one = cmp.best(ONE_SELECT)
    all_runs = ", ".join(
        fmt_rate(r.requests_per_s)
        + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
        + (f" **{r.non_2xx} non-2xx**" if r.non_2xx else "")
        for r in cmp.runs[name]
    )
    return [
        label,
        f"**{fmt_rate(best.requests_per_s)}**",
        f"{100 * best.requests_per_s / one.requests_per_s:.1f} %",
        fmt_ms(best.p50_ms),
        fmt_ms(best.p99_ms),
        f"{best.server_cpu_s / best.requests * 1e6:,.0f} µs" if best.server_cpu_s and best.requests else "—",
        f"{best.db_cpu_s / best.requests * 1e6:,.0f} µs" if best.db_cpu_s is not None and best.requests else "—",
        f"{trips.median():g}" if trips else "1" if name in (ONE_SELECT, ONE_SELECT_OURS) else "0",
        all_runs,
    ]


def goals(cmp: Comparison) -> list[str]:
    one = cmp.best(ONE_SELECT).requests_per_s
    out = []
    for op in OPS:
        ratio = 100 * cmp.best(op.name).requests_per_s / one
        assert op.goal is not None
        out.append(f"{op.name} {ratio:.1f} % (goal >= {op.goal:.0f} %: **{verdict(ratio >= op.goal)}**)")
    if ONE_SELECT_OURS in cmp.runs:
        ours = cmp.best(ONE_SELECT_OURS).requests_per_s
        out.append(
            "against the one-SELECT app on our pool: "
            + ", ".join(f"{op.name} {100 * cmp.best(op.name).requests_per_s / ours:.1f} %" for op in OPS)
        )
    return out


def phase_table(cmp: Comparison, trips: dict[str, RoundTrips], size: int) -> str:
    rows = [row(cmp, op.name, f"commerce-core {op.label}", trips.get(op.name)) for op in OPS]
    rows.append(row(cmp, ONE_SELECT, f"one-SELECT app (`GET`, one PK SELECT, {size}-byte body)", None))
    if ONE_SELECT_OURS in cmp.runs:
        rows.append(row(cmp, ONE_SELECT_OURS, "the same on our server's pool (`commerce.db.pool`)", None))
    rows.append(row(cmp, BARE, f"bare ASGI app (`GET`, no database, {size}-byte body)", None))
    return table(
        [
            "target",
            "req/s (best)",
            "/ one-SELECT",
            "p50",
            "p99",
            "server CPU per req",
            "PostgreSQL CPU per req",
            "round trips per req",
            f"each {cmp.settings.duration} run: req/s (CPUs used by others)",
        ],
        rows,
        "lrrrrrrrr",
    )


def render(
    phases: dict[int, Comparison],
    me_phases: dict[int, Comparison],
    trips: dict[int, dict[str, RoundTrips]],
    servers: dict[int, dict[str, GranianServer]],
    sizes: dict[str, int],
    variants: list[str],
    stats: dict[str, int],
    load_before: str,
    key: str,
    db_pid: int | None,
    scripts_used: dict[str, Path],
    scratch: Path,
) -> tuple[str, str, bool]:
    """(section markdown, one-line summary, whether our server answered every request with a 2xx)."""
    from http_checkout import turn_label

    settings = phases[1].settings
    errors = {w: e for w, cmp in phases.items() if (e := ours_errors(cmp))}
    size = sizes["retrieve"]
    off_goal = (
        f" (the goals are stated at {GOAL_CONNECTIONS} connections; this run used {settings.connections})"
        if settings.connections != GOAL_CONNECTIONS
        else ""
    )
    measured_adds = sum(r.requests for cmp in phases.values() for r in cmp.runs[ADD.name])
    added = stats["quantity"] - ADD_CARTS  # each cart started with one unit of one line
    lines = []
    if errors:
        lines += [
            f"**FAILED: our server answered errors during the runs** (non-2xx responses, socket errors): {errors}. "
            "The figures below count those error responses as requests; they are not valid.",
            "",
        ]
    lines += [
        "**Design (issue 11).** A cart is one row: its lines (each with its adjustments and tax lines), shipping "
        "methods, promotion codes and addresses are JSON documents in the cart row (the lines LZ4-compressed by "
        "the worker, as the stored rendering), with a `version`. A change "
        "takes the aggregate, computes the new state in memory (prices from the engine's PriceIndex, promotions "
        "and totals from the engine, tax rates and stock from per-worker read models kept fresh by NOTIFY) and "
        "writes it back in one `UPDATE cart ... WHERE id = $1 AND version = $2 AND <the cart's customer and groups "
        "as read>` that returns what is read beside the cart (customer, payment collection), outside any "
        "transaction. While other workers of the server share the machine, the writes that a worker's changes reach "
        "in the same pass of its event loop go in one round trip (libpq's pipeline mode, up to 8, each its own "
        "transaction: `db.direct.Batch`), which wakes one PostgreSQL backend for several writes. The aggregate is "
        "the cart as its last change on this server wrote it when the server holds "
        "it, else one read: the worker's own copy (the dict itself, a byte-bounded LRU of 32 MB) when the worker "
        "changed the cart last, else the copy the server's workers share (cart/copies.py: LMDB in /dev/shm, 64 MB, "
        "the cart as msgpack beside its version; a worker takes the shared one when it is newer than its own), so "
        "with 2 workers and wrk's connections spread over them a cart's next change is still one round trip when "
        "it lands on the other worker (which was 2 before the shared store: a version check, then the cart read "
        "half the time). A copy that is behind (another server's change) loses the conditional write, and the "
        "cart as it is is read in the next round trip; a change refused on a copy (a line not found, a code that "
        "does not apply) is decided again on the cart as it is. A copy that is behind costs a computed change "
        "thrown away, so a worker writes from its copies unchecked only while at least 3 in 4 of its last 64 were "
        "current (servers sharing carts at random), and asks PostgreSQL whether the version moved otherwise. "
        "The products of the variants a change meets and their price "
        "rows come from the worker's NOTIFY-coherent caches (the documents cache; per-Prices LRUs of price rows and "
        "engine indexes), not from a read per change. A writer that lost reads again, and after 3 losses reads "
        "under `FOR UPDATE` in a transaction, so a hot cart still makes progress (tests/concurrency/"
        "test_cart_writers.py: 56 writers on one cart over 2 worker processes lose nothing; changes taking turns "
        "between the workers each see the other's). The answer is built from the state written, and the rendered "
        "cart (less region, customer and payment collection, added fresh) is written with it, so a retrieve is one "
        "primary-key read that sends stored bytes. Checkout reads the aggregate from PostgreSQL under `FOR UPDATE` "
        "and bumps `version` when it completes the cart, so a change racing it fails cleanly.",
        "",
        PROFILE,
        "",
        RENDER,
        "",
        PG_COST,
        "",
        WRITE_COST,
        "",
        f"Our server on the demo store and catalog plus, through the admin API, the promotion `{PROMO_CODE}` (10 % "
        f"off items) and a US tax region (8 % default rate); {len(variants)} variants of the {REGION} region (USD); "
        "carts made through the API (`POST /store/carts` with `region_id` and one item); publishable key header. "
        f"Baselines answering a {size}-byte JSON body (the size of our cart retrieve): `bench/one_select_app.py` "
        "(no framework, one primary-key `SELECT id, currency_code, email FROM cart WHERE id = $1` per request on "
        "the same database through a psycopg pool shaped like ours) and `bench/bare_app.py` (no database). All "
        f"served by Granian, {harness.SERVED}, started by the same process as wrk; first with 1 "
        "worker each, then with 2 workers each (the machine's 2 cores), same carts, same run.",
        "",
        f"- **retrieve**: rotating over {RETRIEVE_CARTS} carts of one line ({size} bytes). The baselines get the "
        "same paths.",
        f"- **add**: rotating over {ADD_CARTS} carts and, pass after pass, {len(variants)} variants (a new line, or "
        f"Medusa's merge into the line of that variant; {stats['lines'] - ADD_CARTS:,} new lines in all; each "
        f"variant stocked with {STOCK:,} units, so no add is refused for stock); the answer is the whole cart (up "
        f"to {sizes['add']} bytes).",
        f'- **quantity**: `{{"quantity": 2}}` then `1` on each pass over {CHANGE_CARTS} carts\' one line.',
        f'- **promo**: `{{"promo_codes": ["{PROMO_CODE}"]}}` over {CHANGE_CARTS} carts (evaluated and written '
        "every time; applying a code a cart holds still answers the cart).",
        f"- **address**: one of two US addresses (California) over {CHANGE_CARTS} carts: a new address, the "
        "shipping method cleared, the lines taxed from the worker's tax rates.",
        "",
        f"Round trips per request are counted on the wire (a second server, whose connections go through "
        f"bench/http_checkout.py's protocol-reading proxy; {COUNT_REQUESTS - WARM_REQUESTS} requests of each kind "
        "one at a time after "
        f"{WARM_REQUESTS} warm ones on the same carts, so each counted change is the second of its cart on that "
        "server; a round trip is one wait on PostgreSQL). 1 worker: "
        + "; ".join(f"{name}: {t.describe()}" for name, t in trips[1].items())
        + ". 2 workers, each request on a new connection (so a cart's next change lands on either worker, as the "
        "kernel hands out connections): "
        + "; ".join(f"{name}: {t.describe()}" for name, t in trips[2].items())
        + ". The last counted request's statements (1 worker): "
        + "; ".join(f"{name}: " + ", ".join(turn_label(t) for t in tr.last) for name, tr in trips[1].items() if tr.last)
        + ".",
        "",
    ]
    for workers, cmp in phases.items():
        lines += [
            f"**{workers} worker{'s' if workers > 1 else ''}, {settings.connections} connections:**",
            "",
            phase_table(cmp, trips[workers], size),
            "",
            f"Goals ({workers} worker{'s' if workers > 1 else ''}){off_goal}: " + "; ".join(goals(cmp)) + ".",
            "",
        ]
    me_rows = []
    for workers, cmp in me_phases.items():
        me, one = cmp.best(ME), cmp.best(ONE_SELECT)
        me_rows.append(
            [
                f"{workers}",
                f"**{fmt_ms(me.p50_ms)}**",
                fmt_ms(me.p99_ms),
                fmt_rate(me.requests_per_s),
                f"{fmt_ms(one.p50_ms)} ({fmt_rate(one.requests_per_s)} req/s)",
                f"**{verdict(me.p50_ms <= ME_GOAL_P50_MS)}**",
            ]
        )
    lines += [
        f"**`GET /store/customers/me`** (a logged-in customer, Bearer JWT: verified once per worker, its expiry on "
        f"every use; then one primary-key read of the customer with addresses and groups) at {ME_CONNECTIONS} "
        "connections, by the same servers in the same run, against the one-SELECT app at the same connections:",
        "",
        table(
            ["workers", "p50", "p99", "req/s", "one-SELECT app p50 (req/s)", f"p50 <= {ME_GOAL_P50_MS:g} ms"],
            me_rows,
            "rrrrrl",
        ),
        "",
    ]
    lines += [
        "CPU per request is from the kept run: the Granian server's processes, and the PostgreSQL server's "
        "(postmaster and backends; "
        + (
            "it runs on this machine, so its CPU is not counted as other processes' noise either"
            if db_pid
            else "not found on this machine, so not measured"
        )
        + ").",
        "",
        f"After the runs the {ADD_CARTS} add-to-cart carts held {stats['lines']:,} lines (at most {stats['max_lines']} "
        f"per cart, quantities up to {stats['max_quantity']:,}); their quantities add up to {added:,} units more than "
        f"they were created with, for {measured_adds:,} adds that wrk counted as answered in the measured runs (the "
        "warm-ups' adds and those still in flight when a run stopped count in the carts but not in wrk's figure"
        + ("): no add was lost." if added >= measured_adds else "): **fewer units than answered adds: adds lost**."),
        "",
        f"- Load: `{shown(phases[1].best(ADD.name).command, key, scratch)}` and the same with "
        + ", ".join(f"`{p.name}`" for p in scripts_used.values())
        + " (Lua scripts written by this benchmark into a temp dir; the baselines get the retrieve script without "
        f"the key header); {settings.warmup} warm-up per target, then {settings.rounds} rounds of "
        f"{settings.duration} in turn, each after waiting up to {settings.quiet_wait:.0f} s for other processes to "
        f"use < {harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers (1 worker): `{servers[1]['ours'].command}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE "
        f"unset: the server's default, 10), `{servers[1]['one'].command}` (ONE_SELECT_POOL_SIZE=10) and "
        f"`{servers[1]['bare'].command}`; with 2 workers the same commands with `--workers 2`.",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store and catalog, dropped "
        "afterwards.",
        f"- Rust engine: {harness.engine_build()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    for workers, cmp in phases.items():
        others = cmp.others_cpus()
        if others is not None:
            lines.append(
                f"- Noise ({workers} worker{'s' if workers > 1 else ''}): other processes on the machine used up to "
                f"{others:.2f} CPUs during the kept runs (of {nproc()})"
                + (
                    ": **the figures are noisy** (the machine was shared with other engineers' work; ratios from "
                    "one run)."
                    if others >= harness.QUIET_CPUS
                    else ": quiet."
                )
            )
    summary = "; ".join(f"{w} worker(s): " + ", ".join(goals(cmp)) for w, cmp in phases.items()) + (
        f"; FAILED: errors from ours {errors}" if errors else ""
    )
    return "\n".join(lines) + "\n", summary.replace("**", ""), not errors


def check_baseline(server: GranianServer, path: str, size: int) -> None:
    status, body = harness.fetch(server.url + path)
    if status != 200 or len(body) != size:
        raise RuntimeError(f"{server.name} answered {status} with {len(body)} bytes, want 200 and {size}")


def measure(settings: BenchSettings, scratch: Path) -> tuple[str, str, bool]:
    """Run the benchmark; (section markdown, one-line summary, whether ours answered only 2xx)."""
    load_before = load_average()
    with harness.demo_store() as store:
        db_pid = harness.account_database(store.db_url)
        headers = store.headers
        with harness.commerce_server(store.db_url, pool_size=None) as setup_server:
            url = setup_server.url
            set_up_admin(url)
            region = region_id(url, headers)
            variants = variant_ids(url, headers, region)
            stock_up(store.db_url, variants)
            harness.log("creating the benchmark carts through the API")
            carts = {
                RETRIEVE.name: make_carts(url, headers, region, variants[0], RETRIEVE_CARTS),
                ADD.name: make_carts(url, headers, region, variants[0], ADD_CARTS),
                **{op.name: make_carts(url, headers, region, variants[0], CHANGE_CARTS) for op in OPS[2:]},
            }
            path = f"/store/carts/{carts[RETRIEVE.name][0][0]}"
            cart = json_or_fail(f"GET {path}", *harness.fetch(url + path, headers))["cart"]
            if len(cart["items"]) != 1 or cart.get("total") is None:
                raise RuntimeError(f"GET {path} answered an unexpected cart: {cart!r}")
            sizes = {"retrieve": len(harness.fetch(url + path, headers)[1])}
            probe = make_carts(url, headers, region, variants[0], 1)[0][0]
            for variant in variants:
                status, body = harness.post_json(
                    f"{url}/store/carts/{probe}/line-items", {"variant_id": variant, "quantity": 1}, headers
                )
                added = json_or_fail(f"POST /store/carts/{probe}/line-items", status, body)["cart"]
            if len(added["items"]) != len(variants):
                raise RuntimeError(f"the probe cart has {len(added['items'])} lines, want {len(variants)}")
            sizes["add"] = len(body)
            from http_customers import customer_token

            _, token = customer_token(url, headers)
            me_headers = {**headers, "authorization": f"Bearer {token}"}
        harness.log("counting PostgreSQL round trips of each kind of request, one at a time, 1 and 2 workers")
        plans = {op.name: requests_of(op, carts[op.name], variants) for op in OPS}
        trips = {workers: count_round_trips(store.db_url, headers, plans, workers) for workers in (1, 2)}
        lua = scripts(scratch, carts, variants)
        phases: dict[int, Comparison] = {}
        me_phases: dict[int, Comparison] = {}
        servers: dict[int, dict[str, GranianServer]] = {}
        for workers in (1, 2):
            one_select = harness.one_select_server(store.db_url, sizes["retrieve"], workers=workers)
            one_on_ours = harness.one_select_server(store.db_url, sizes["retrieve"], workers=workers, pool="commerce")
            with (
                harness.commerce_server(store.db_url, workers=workers, pool_size=None) as ours,
                one_select as one,
                one_on_ours as one_ours,
                harness.bare_server(sizes["retrieve"], workers=workers) as bare,
            ):
                check_baseline(one, path, sizes["retrieve"])
                check_baseline(one_ours, path, sizes["retrieve"])
                check_baseline(bare, path, sizes["retrieve"])
                harness.log(f"{workers} worker(s): measuring {settings}")
                targets = [
                    Target(op.name, ours.url + "/", headers, server_pid=ours.pid, script=lua[op.name]) for op in OPS
                ]
                targets += [
                    Target(ONE_SELECT, one.url + "/", server_pid=one.pid, script=lua[RETRIEVE.name]),
                    Target(ONE_SELECT_OURS, one_ours.url + "/", server_pid=one_ours.pid, script=lua[RETRIEVE.name]),
                    Target(BARE, bare.url + "/", server_pid=bare.pid, script=lua[RETRIEVE.name]),
                ]
                phases[workers] = harness.compare(targets, settings)
                servers[workers] = {"ours": ours, "one": one, "bare": bare}
                harness.log(f"{workers} worker(s): GET /store/customers/me at {ME_CONNECTIONS} connections")
                me_phases[workers] = harness.compare(
                    [
                        Target(ME, ours.url + "/store/customers/me", me_headers, server_pid=ours.pid),
                        Target(ONE_SELECT, one.url + "/", server_pid=one.pid, script=lua[RETRIEVE.name]),
                    ],
                    dataclasses.replace(settings, connections=ME_CONNECTIONS),
                )
        stats = cart_stats(store.db_url, [c for c, _ in carts[ADD.name]])
        return render(
            phases,
            me_phases,
            trips,
            servers,
            sizes,
            variants,
            stats,
            load_before,
            store.publishable_key,
            db_pid,
            lua,
            scratch,
        )


def main() -> int:
    settings = BenchSettings.from_env()
    harness.wrk_binary()  # fail before setting anything up
    title = "http-carts: cart retrieve and cart changes vs a one-SELECT app and a bare ASGI app, 1 and 2 workers"
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
