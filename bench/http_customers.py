"""HTTP benchmark: a logged-in customer's `GET /store/customers/me` vs a one-SELECT app and a bare ASGI app.

One run, one process, as bench/http_bench.py: a fresh database (DATABASE_URL's server, else an embedded
PostgreSQL in a temp dir) is migrated and seeded with the demo store; our server (DB_POOL_SIZE left at the
server's default) is started by this process with Granian (1 worker, --interface rsgi --loop uvloop); a customer
registers (POST /auth/customer/emailpass/register), is created (POST /store/customers with the registration token)
and logs in (POST /auth/customer/emailpass); then wrk (also run from here, 16 connections) sends
`GET /store/customers/me` with that customer's bearer token and the publishable key, against our server and, for
reference, bench/one_select_app.py (one primary-key SELECT per request through a pool shaped like ours: the floor
for a request that reads PostgreSQL once) and the bare app, both answering the same number of bytes, in turn; the
best run of each is kept.

Round trips: after the timed runs a second server on the same database connects to PostgreSQL through
bench/http_checkout.py's protocol-reading proxy (`wire_counter`), and COUNT_REQUESTS requests run one at a time (the
first WARM_REQUESTS not counted: psycopg prepares a statement on its 5th run on a connection and the pool rotates its
connections). A round trip is one wait on PostgreSQL (a Sync or simple Query answered by ReadyForQuery).
Writes the "http-customers-me" section of bench/RESULTS.md.

    .venv/bin/python bench/http_customers.py    # BENCH_DURATION=10s BENCH_ROUNDS=2 ... (connections: 16, fixed)
"""

import dataclasses
import http.client
import json
import secrets
import statistics
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass

import harness
from harness import BenchSettings, Comparison, Target, fmt_ms, fmt_rate
from http_carts import check_baseline, region_id
from http_checkout import Turn, turn_label, wire_counter
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-customers-me"
ROUTE = "/store/customers/me"
CONNECTIONS = 16
GOAL_P50_MS = 2.0
PASSWORD = secrets.token_urlsafe(18)  # per run: the customer lives as long as the database
OURS = "commerce-core"
ONE_SELECT = "one-SELECT app"
BARE = "bare ASGI app"
COUNT_REQUESTS = 60  # requests run one at a time through the counting proxy ...
WARM_REQUESTS = 30  # ... of which the first are not counted (statements get prepared, every pooled conn is used)


@dataclass
class RoundTrips:
    per_request: list[int]  # round trips of each counted request
    statements: list[int]  # statements (Bind/Execute or simple Query) of each counted request
    last: list[Turn]  # the last counted request's turns, in order
    outside: int  # turns of ours (not the outbox's) outside any request

    def describe(self) -> str:
        def spread(values: list[int]) -> str:
            low, high, mid = min(values), max(values), statistics.median(values)
            return f"{mid:g}" + (f" (min {low}, max {high})" if low != high else "")

        return f"{spread(self.per_request)} round trips, {spread(self.statements)} statements per request"


def count_round_trips(db_url: str, headers: dict[str, str]) -> RoundTrips:
    """GET ROUTE one request at a time on a second server whose PostgreSQL traffic goes through the counting proxy;
    each Turn belongs to the request in whose window it started."""
    with wire_counter(db_url) as wire, wire.commerce_server() as counted:
        parsed = urllib.parse.urlsplit(counted.url)
        client = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
        windows: list[tuple[float, float]] = []
        try:
            for n in range(COUNT_REQUESTS):
                begin = time.perf_counter()
                client.request("GET", ROUTE, headers=headers)
                response = client.getresponse()
                body = response.read()
                end = time.perf_counter()
                if response.status != 200:
                    raise RuntimeError(f"GET {ROUTE} through the proxy answered {response.status}: {body[:300]!r}")
                if n >= WARM_REQUESTS:
                    windows.append((begin, end))
                time.sleep(0.01)
        finally:
            client.close()
        time.sleep(0.2)
        turns = sorted(list(wire.turns), key=lambda t: t.start)
    mine: list[list[Turn]] = [[] for _ in windows]
    outside = 0
    for turn in turns:
        if turn.background:
            continue
        hit = next((i for i, (b, e) in enumerate(windows) if b <= turn.start <= e), None)
        if hit is not None:
            mine[hit].append(turn)
        elif windows[0][0] <= turn.start <= windows[-1][1]:
            outside += 1
    return RoundTrips(
        [sum(t.round_trips for t in ts) for ts in mine],
        [sum(len(t.statements) for t in ts) for ts in mine],
        mine[-1],
        outside,
    )


def json_or_fail(what: str, status: int, body: bytes) -> dict[str, object]:
    if status != 200:
        raise RuntimeError(f"{what} answered {status}: {body[:500]!r}")
    return dict(json.loads(body))


def customer_token(url: str, headers: dict[str, str]) -> tuple[str, str]:
    """Register, create and log in a new customer: (customer id, bearer token)."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    credentials = {"email": email, "password": PASSWORD}
    registered = json_or_fail(
        "POST /auth/customer/emailpass/register",
        *harness.post_json(url + "/auth/customer/emailpass/register", credentials, headers),
    )
    created = json_or_fail(
        "POST /store/customers",
        *harness.post_json(
            url + "/store/customers",
            {"email": email, "first_name": "Bench", "last_name": "Mark"},
            {**headers, "authorization": f"Bearer {registered['token']}"},
        ),
    )
    login = json_or_fail(
        "POST /auth/customer/emailpass", *harness.post_json(url + "/auth/customer/emailpass", credentials, headers)
    )
    customer = created["customer"]
    assert isinstance(customer, dict)
    return str(customer["id"]), str(login["token"])


def render(
    cmp: Comparison,
    commands: dict[str, str],
    body_size: int,
    load_before: str,
    hidden: tuple[str, ...],
    trips: RoundTrips,
) -> tuple[str, str]:
    settings = cmp.settings
    ours, one, bare = cmp.best(OURS), cmp.best(ONE_SELECT), cmp.best(BARE)
    met = ours.p50_ms <= GOAL_P50_MS
    labels = {
        OURS: f"{OURS} `GET {ROUTE}`",
        ONE_SELECT: f"{ONE_SELECT} (one PK SELECT, same body size, for reference)",
        BARE: f"{BARE} (no database, same body size, for reference)",
    }
    rows = []
    for name, best in ((OURS, ours), (ONE_SELECT, one), (BARE, bare)):
        all_runs = ", ".join(
            fmt_rate(r.requests_per_s) + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
            for r in cmp.runs[name]
        )
        rows.append(
            [
                labels[name],
                f"**{fmt_rate(best.requests_per_s)}**",
                f"**{fmt_ms(best.p50_ms)}**" if name == OURS else fmt_ms(best.p50_ms),
                fmt_ms(best.p99_ms),
                fmt_rate(per_cpu) if (per_cpu := cmp.best_per_cpu(name)) else "—",
                all_runs,
            ]
        )
    load = ours.command
    for secret in hidden:
        load = harness.redact(load, secret)
    lines = [
        f"`GET {ROUTE}` as a logged-in customer (`Authorization: Bearer <JWT from POST /auth/customer/emailpass>` "
        f"and the publishable key header; {body_size} bytes of JSON), {settings.connections} connections; and, for "
        f"reference, `bench/one_select_app.py` (no framework, one primary-key `SELECT id, currency_code, email FROM "
        f"cart WHERE id = $1` per request on the same database through a psycopg pool shaped like ours) and "
        f"`bench/bare_app.py` (no database), both answering a {body_size}-byte JSON body. All served by Granian, "
        f"1 worker, {harness.SERVED}, started by the same process as wrk. Each request of ours checks "
        "the JWT (signature once per worker, expiry every time) and reads the customer from PostgreSQL in one "
        "statement (no cache): with the default `fields`, as here, a statement prepared per connection (db.direct) "
        "returns the answer rendered as JSON by PostgreSQL (the customer row and its addresses), sent as it comes "
        "(issue 11; with other `fields`, the row with its addresses and groups aggregated in SQL, decoded by msgspec "
        "and projected on the `fields` plan kept per worker).",
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
        f"ours = {100 * ours.requests_per_s / one.requests_per_s:.1f} % of the one-SELECT app's and "
        f"{100 * ours.requests_per_s / bare.requests_per_s:.1f} % of the bare app's requests per second (reference "
        "only; no goal).",
        "",
        f"Goal: p50 <= {GOAL_P50_MS:.0f} ms at {CONNECTIONS} connections, 1 worker: **{'met' if met else 'NOT met'}** "
        f"({fmt_ms(ours.p50_ms)}; the one-SELECT app's p50 in the same run: {fmt_ms(one.p50_ms)}).",
        "",
        f"PostgreSQL round trips per `GET {ROUTE}` (Bearer JWT), counted on the wire: **{trips.describe()}** over "
        f"{len(trips.per_request)} requests run one at a time (after {WARM_REQUESTS} warm ones) by a second server "
        "whose connections go through bench/http_checkout.py's protocol-reading proxy; a round trip is one wait on "
        "PostgreSQL (a Sync or simple Query answered by ReadyForQuery). Turns of ours outside any request while they "
        "ran: "
        f"{trips.outside}. The last request's: "
        + ("; ".join(f"{t.round_trips} x `{turn_label(t)}`" for t in trips.last) or "none")
        + ".",
        "",
        f"- Load: `{load}` (and the same on the baselines' URLs, without the headers); "
        f"{settings.warmup} warm-up per target, then {settings.rounds} rounds of {settings.duration} in turn "
        f"(ours, one-SELECT, bare), each after waiting up to {settings.quiet_wait:.0f} s for other processes to use < "
        f"{harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers: `{commands[OURS]}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE unset: the server's "
        f"default, 10), `{commands[ONE_SELECT]}` (env ONE_SELECT_DATABASE_URL = the same database, "
        f"ONE_SELECT_BODY_BYTES={body_size}, ONE_SELECT_POOL_SIZE=10) and `{commands[BARE]}` "
        f"(env BARE_BODY_BYTES={body_size}).",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store (and catalog) plus the "
        "one benchmark customer and one empty cart (the one-SELECT app's row), dropped afterwards.",
        f"- Rust engine: {harness.engine_build()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    others = cmp.others_cpus()
    if others is not None:
        lines.append(
            f"- Noise: other processes on the machine used up to {others:.2f} CPUs during the kept (best) runs"
            + (
                f" (of {nproc()}): **the figures are noisy**; re-run on a quiet machine."
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
        f"ours {fmt_rate(ours.requests_per_s)} req/s, p50 {fmt_ms(ours.p50_ms)}, p99 {fmt_ms(ours.p99_ms)}; "
        f"one-SELECT {fmt_rate(one.requests_per_s)} req/s, p50 {fmt_ms(one.p50_ms)}; "
        f"bare {fmt_rate(bare.requests_per_s)} req/s; {trips.describe()}"
    )
    return "\n".join(lines) + "\n", summary


def measure(settings: BenchSettings) -> tuple[str, str]:
    """Run the benchmark; (section markdown, one-line summary)."""
    load_before = load_average()
    with harness.demo_store() as store, harness.commerce_server(store.db_url, pool_size=None) as ours:
        customer_id, token = customer_token(ours.url, store.headers)
        headers = {**store.headers, "authorization": f"Bearer {token}"}
        me = json_or_fail(f"GET {ROUTE}", *harness.fetch(ours.url + ROUTE, headers))
        customer = me.get("customer")
        if not isinstance(customer, dict) or customer.get("id") != customer_id:
            raise RuntimeError(f"GET {ROUTE} answered another customer: {me!r}")
        body_size = len(harness.fetch(ours.url + ROUTE, headers)[1])
        region = region_id(ours.url, store.headers)
        cart = json_or_fail(
            "POST /store/carts", *harness.post_json(ours.url + "/store/carts", {"region_id": region}, store.headers)
        )["cart"]
        assert isinstance(cart, dict)
        cart_path = f"/store/carts/{cart['id']}"
        one_select = harness.one_select_server(store.db_url, body_size)
        with one_select as one, harness.bare_server(body_size) as bare:
            check_baseline(one, cart_path, body_size)
            check_baseline(bare, ROUTE, body_size)
            harness.log(f"{ROUTE}: {body_size} bytes; measuring {settings}")
            cmp = harness.compare(
                [
                    Target(OURS, ours.url + ROUTE, headers, server_pid=ours.pid),
                    Target(ONE_SELECT, one.url + cart_path, server_pid=one.pid),
                    Target(BARE, bare.url + ROUTE, server_pid=bare.pid),
                ],
                settings,
            )
            commands = {OURS: ours.command, ONE_SELECT: one.command, BARE: bare.command}
        harness.log(f"{ROUTE}: counting PostgreSQL round trips over {COUNT_REQUESTS} requests, one at a time")
        trips = count_round_trips(store.db_url, headers)
        return render(cmp, commands, body_size, load_before, (store.publishable_key, token), trips)


def main() -> int:
    settings = dataclasses.replace(BenchSettings.from_env(), connections=CONNECTIONS)
    harness.wrk_binary()  # fail before setting anything up
    title = f"http-customers-me: GET {ROUTE} as a logged-in customer"
    command = default_command(tuple(name for name in harness.ENV_NAMES if name != "BENCH_CONNECTIONS"))
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
