"""HTTP benchmark: a logged-in customer's `GET /store/customers/me` vs a bare ASGI app of the same body size.

One run, one process, as bench/http_bench.py: a fresh database (DATABASE_URL's server, else an embedded
PostgreSQL in a temp dir) is migrated and seeded with the demo store; our server (DB_POOL_SIZE left at the
server's default) is started by this process with Granian (1 worker, --interface asgi --loop uvloop); a customer
registers (POST /auth/customer/emailpass/register), is created (POST /store/customers with the registration token)
and logs in (POST /auth/customer/emailpass); then wrk (also run from here, 16 connections) sends
`GET /store/customers/me` with that customer's bearer token and the publishable key, against our server and, for
reference, the bare app answering the same number of bytes, ours/bare/ours/bare; the best run of each is kept.
Writes the "http-customers-me" section of bench/RESULTS.md.

    .venv/bin/python bench/http_customers.py    # BENCH_DURATION=10s BENCH_ROUNDS=2 ... (connections: 16, fixed)
"""

import dataclasses
import json
import secrets
import sys
import uuid

import harness
from harness import BenchSettings, Comparison, Target, fmt_ms, fmt_rate
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-customers-me"
ROUTE = "/store/customers/me"
CONNECTIONS = 16
GOAL_P50_MS = 2.0
PASSWORD = secrets.token_urlsafe(18)  # per run: the customer lives as long as the database
OURS = "commerce-core"
BARE = "bare ASGI app"


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
    cmp: Comparison, ours_cmd: str, bare_cmd: str, body_size: int, load_before: str, hidden: tuple[str, ...]
) -> tuple[str, str]:
    settings = cmp.settings
    ours, bare = cmp.best(OURS), cmp.best(BARE)
    ratio = 100 * ours.requests_per_s / bare.requests_per_s
    met = ours.p50_ms < GOAL_P50_MS
    rows = []
    for name, best in ((OURS, ours), (BARE, bare)):
        all_runs = ", ".join(
            fmt_rate(r.requests_per_s) + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
            for r in cmp.runs[name]
        )
        rows.append(
            [
                f"{name} `GET {ROUTE}`" if name == OURS else f"{name} (same body size, for reference)",
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
        f"reference, a bare ASGI app (`bench/bare_app.py`, no framework) answering a {body_size}-byte JSON body. "
        "Both served by Granian, 1 worker, `--interface asgi --loop uvloop`, started by the same process as wrk. "
        "Each request verifies the JWT and reads the customer from PostgreSQL (no cache).",
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
        f"ours / bare = {ratio:.1f} % of the bare app's requests per second (reference only; no goal).",
        "",
        f"Goal: p50 < {GOAL_P50_MS:.0f} ms at {CONNECTIONS} connections, 1 worker: **{'met' if met else 'NOT met'}** "
        f"({fmt_ms(ours.p50_ms)}).",
        "",
        f"- Load: `{load}` (and the same on the bare app's URL, without the headers); "
        f"{settings.warmup} warm-up per target, then {settings.rounds} rounds of {settings.duration} alternating "
        f"ours/bare, each after waiting up to {settings.quiet_wait:.0f} s for other processes to use < "
        f"{harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers: `{ours_cmd}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE unset: the server's default, "
        f"10) and `{bare_cmd}` (env BARE_BODY_BYTES={body_size}).",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store (and catalog) plus the "
        "one benchmark customer, dropped afterwards.",
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
        f"bare {fmt_rate(bare.requests_per_s)} req/s"
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
        with harness.bare_server(body_size) as bare:
            bare_status, bare_body = harness.fetch(bare.url + ROUTE)
            if bare_status != 200 or len(bare_body) != body_size:
                raise RuntimeError(f"bare app answered {bare_status} with {len(bare_body)} bytes, want {body_size}")
            harness.log(f"{ROUTE}: {body_size} bytes; measuring {settings}")
            cmp = harness.compare(
                [
                    Target(OURS, ours.url + ROUTE, headers, server_pid=ours.pid),
                    Target(BARE, bare.url + ROUTE, server_pid=bare.pid),
                ],
                settings,
            )
            return render(cmp, ours.command, bare.command, body_size, load_before, (store.publishable_key, token))


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
