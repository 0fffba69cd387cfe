"""`make load`: bench/locustfile.py run headless against a local server, for a bounded time; its figures go to the
"load" section of bench/RESULTS.md and its plot to bench/load.png.

One run, one process: a fresh database (DATABASE_URL's server, else an embedded PostgreSQL) seeded with the demo
store and a catalog of LOAD_PRODUCTS products (the demo's warehouse, shipping options and stock); our server (Granian,
LOAD_WORKERS workers) started by this process; then locust (a subprocess, same session) runs StorefrontUser at each
concurrency of LOAD_USERS for LOAD_DURATION, with a short think time (LOAD_WAIT_MAX seconds at most) so the server,
not the think time, sets the pace; then the flash sale: a product with LOAD_FLASH_UNITS units and LOAD_FLASH_BUYERS
FlashSaleBuyer users spawned at once. Figures: requests/s per endpoint, p50/p95/p99, failures (locust's CSV), orders
placed vs units (from the database), 5xx answers.

    .venv/bin/python bench/load.py   # LOAD_USERS=8,32,96 LOAD_DURATION=20s LOAD_WORKERS=1
"""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from results import default_command, load_average, table, update_section

SECTION = "load"
TITLE = "load: locust storefront journeys and a flash sale (bench/locustfile.py)"
LOCUSTFILE = harness.BENCH_DIR / "locustfile.py"
PLOT = harness.BENCH_DIR / "load.png"
ENV_NAMES = (
    "LOAD_USERS",
    "LOAD_DURATION",
    "LOAD_WORKERS",
    "LOAD_PRODUCTS",
    "LOAD_WAIT_MAX",
    "LOAD_FLASH_BUYERS",
    "LOAD_FLASH_UNITS",
    "LOAD_FLASH_DURATION",
)
PERCENTILES = ("50%", "95%", "99%")


@dataclass(frozen=True)
class LoadSettings:
    users: tuple[int, ...] = (8, 32, 96)
    duration: str = "20s"
    workers: int = 1
    products: int = 200
    wait_max: float = 0.2
    flash_buyers: int = 300
    flash_units: int = 30
    flash_duration: str = "60s"

    @classmethod
    def from_env(cls) -> "LoadSettings":
        env = os.environ
        users = tuple(int(u) for u in (env.get("LOAD_USERS") or "8,32,96").split(",") if u.strip())
        harness.parse_duration(env.get("LOAD_DURATION") or cls.duration)
        return cls(
            users=users,
            duration=env.get("LOAD_DURATION") or cls.duration,
            workers=int(env.get("LOAD_WORKERS") or cls.workers),
            products=int(env.get("LOAD_PRODUCTS") or cls.products),
            wait_max=float(env.get("LOAD_WAIT_MAX") or cls.wait_max),
            flash_buyers=int(env.get("LOAD_FLASH_BUYERS") or cls.flash_buyers),
            flash_units=int(env.get("LOAD_FLASH_UNITS") or cls.flash_units),
            flash_duration=env.get("LOAD_FLASH_DURATION") or cls.flash_duration,
        )


@dataclass
class Row:
    """One line of locust's `_stats.csv`: an endpoint (or `Aggregated`)."""

    method: str
    name: str
    requests: int
    failures: int
    per_s: float
    percentiles: dict[str, float]


@dataclass
class LocustRun:
    users: int
    rows: list[Row]
    returncode: int
    output: str
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> Row:
        return next(r for r in self.rows if r.name == "Aggregated")


def run_locust(
    host: str,
    key: str,
    user_class: str,
    users: int,
    duration: str,
    scratch: Path,
    env: dict[str, str] | None = None,
) -> LocustRun:
    """locust headless for `duration` (the users all spawned in the first second); its CSV figures."""
    prefix = scratch / f"{user_class}-{users}"
    cmd = [
        str(harness.BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(max(users, 1)),
        "-t",
        duration,
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    harness.log(f"locust: {users} {user_class} for {duration}")
    done = subprocess.run(
        cmd,
        env={**os.environ, "COMMERCE_PUBLISHABLE_KEY": key, **(env or {})},
        capture_output=True,
        text=True,
        timeout=harness.parse_duration(duration) + 120,
        check=False,
    )
    return LocustRun(
        users,
        read_stats(Path(f"{prefix}_stats.csv")),
        done.returncode,
        done.stdout + done.stderr,
        read_failures(prefix),
    )


def read_stats(path: Path) -> list[Row]:
    rows = []
    with path.open(newline="") as f:
        for line in csv.DictReader(f):
            rows.append(
                Row(
                    method=line["Type"],
                    name=line["Name"],
                    requests=int(line["Request Count"]),
                    failures=int(line["Failure Count"]),
                    per_s=float(line["Requests/s"]),
                    percentiles={p: float(line[p]) if line[p] not in ("", "N/A") else 0.0 for p in PERCENTILES},
                )
            )
    return rows


def read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def five_xx(run: LocustRun) -> int:
    """5xx answers counted by locust's failures (a 503 with Retry-After is shed, counted apart by the locustfile)."""
    return sum(int(f["Occurrences"]) for f in run.failures if re.match(r"5\d\d", f.get("Error", "")))


# --------------------------------------------------------------------------------------------- the store


def seed(db_url: str, products: int) -> str:
    from commerce.flows import setup

    async def work(conn: Any) -> str:
        await setup.seed_demo(conn, products=products)
        info = await setup.demo_info(conn)
        if not info.publishable_key:
            raise RuntimeError("the demo seed made no publishable key")
        return info.publishable_key

    return harness.run_async(db_url, work)


def flash_product(url: str, units: int) -> tuple[str, str]:
    """A product for the flash sale with `units` units at the demo warehouse: (variant id, inventory item id)."""
    from commerce.flows import setup

    def post(path: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        status, answer = harness.post_json(url + path, body, headers, timeout=60)
        if status != 200:
            raise RuntimeError(f"POST {path}: {status} {answer[:300]!r}")
        return dict(json.loads(answer))

    def get(path: str, headers: dict[str, str]) -> dict[str, Any]:
        status, answer = harness.fetch(url + path, headers, timeout=60)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {answer[:300]!r}")
        return dict(json.loads(answer))

    token = post("/auth/user/emailpass", {"email": setup.DEMO_ADMIN_EMAIL, "password": setup.DEMO_ADMIN_PASSWORD}, {})
    admin = {"authorization": f"Bearer {token['token']}"}
    channel = get("/admin/stores", admin)["stores"][0]["default_sales_channel_id"]
    location = get("/admin/stock-locations", admin)["stock_locations"][0]["id"]
    profile = get("/admin/shipping-profiles", admin)["shipping_profiles"][0]["id"]
    sku = f"FLASH-{int(time.time())}"
    variant = post(
        "/admin/products",
        {
            "title": f"Flash sale {sku}",
            "status": "published",
            "shipping_profile_id": profile,
            "sales_channels": [{"id": channel}],
            "options": [{"title": "Size", "values": ["One"]}],
            "variants": [
                {
                    "title": "One",
                    "sku": sku,
                    "options": {"Size": "One"},
                    "manage_inventory": True,
                    "prices": [{"currency_code": "usd", "amount": 99}],
                }
            ],
        },
        admin,
    )["product"]["variants"][0]
    item = get(f"/admin/inventory-items?sku={sku}", admin)["inventory_items"][0]["id"]
    post(f"/admin/inventory-items/{item}/location-levels", {"location_id": location, "stocked_quantity": units}, admin)
    return str(variant["id"]), str(item)


def sold(db_url: str, item: str) -> tuple[int, int, float | None]:
    """(orders with the item, units reserved, seconds from the first order to the last) for the flash sale's item."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            """
            SELECT count(DISTINCT r.external_id), coalesce(sum(r.quantity), 0),
                   extract(epoch FROM max(r.created_at) - min(r.created_at))
            FROM reservation_item r WHERE r.inventory_item_id = %s AND r.deleted_at IS NULL
            """,
            (item,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), float(row[2]) if row[2] is not None else None


# --------------------------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    runs: list[LocustRun]
    flash: LocustRun | None
    flash_sold: tuple[int, int, float | None]
    settings: LoadSettings
    server_command: str
    load_before: str


@contextmanager
def local_store(settings: LoadSettings, server_url: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(server url, publishable key, db url) of a seeded local store, removed afterwards."""
    with ExitStack() as stack:
        pg = server_url or stack.enter_context(harness.postgres())
        db_url = stack.enter_context(harness.fresh_database(pg, prefix="commerce_load"))
        harness.log(f"seeding the demo store with {settings.products} products")
        key = seed(db_url, settings.products)
        server = stack.enter_context(harness.commerce_server(db_url, workers=settings.workers, pool_size=None))
        yield server.url, key, db_url


def measure(settings: LoadSettings, scratch: Path, server_url: str | None = None) -> Outcome:
    load_before = load_average()
    wait = {"WAIT_MIN": "0", "WAIT_MAX": str(settings.wait_max)}
    runs: list[LocustRun] = []
    with local_store(settings, server_url) as (url, key, db_url):
        for users in settings.users:
            run = run_locust(url, key, "StorefrontUser", users, settings.duration, scratch, wait)
            harness.log(
                f"{users} users: {run.total.per_s:,.1f} req/s, p50 {run.total.percentiles['50%']:.0f} ms, "
                f"p99 {run.total.percentiles['99%']:.0f} ms, {run.total.failures} failures"
            )
            runs.append(run)
        flash: LocustRun | None = None
        flash_sold: tuple[int, int, float | None] = (0, 0, None)
        if settings.flash_buyers > 0:
            variant, item = flash_product(url, settings.flash_units)
            time.sleep(0.5)  # every worker's read models have the new product (NOTIFY)
            flash = run_locust(
                url,
                key,
                "FlashSaleBuyer",
                settings.flash_buyers,
                settings.flash_duration,
                scratch,
                {"FLASH_VARIANT_ID": variant},
            )
            flash_sold = sold(db_url, item)
            harness.log(f"flash sale: {flash_sold[0]} orders for {settings.flash_units} units")
        command = f"granian --workers {settings.workers} commerce.app:create_app"
    return Outcome(runs, flash, flash_sold, settings, command, load_before)


def plot(outcome: Outcome, path: Path = PLOT) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [r.users for r in outcome.runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(users, [r.total.per_s for r in outcome.runs], marker="o")
    left.set_xlabel("concurrent users")
    left.set_ylabel("requests/s")
    left.set_title("throughput")
    left.set_ylim(bottom=0)
    for p in PERCENTILES:
        right.plot(users, [r.total.percentiles[p] for r in outcome.runs], marker="o", label=f"p{p[:-1]}")
    right.set_xlabel("concurrent users")
    right.set_ylabel("latency (ms)")
    right.set_title("latency, all requests")
    right.set_ylim(bottom=0)
    right.legend()
    fig.suptitle(f"StorefrontUser (bench/locustfile.py), {outcome.settings.workers} worker(s), shared machine")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render(outcome: Outcome) -> str:
    s = outcome.settings
    lines = [
        f"- Server: `{outcome.server_command}` (DB_POOL_SIZE 10), {harness.database_kind()}; the demo store with "
        f"{s.products} products. locust {locust_version()} in one process on the same machine, StorefrontUser with a "
        f"think time of 0 to {s.wait_max:g} s, each concurrency for {s.duration}.",
        f"- **The machine was shared with other engineers' builds and tests during this run** (load average before: "
        f"{outcome.load_before}); the load generator runs on the same 2 CPUs as the server and the database. Read "
        "the figures as a shape, not as capacity.",
        "",
        "### Throughput and latency against concurrency",
        "",
        "![throughput and latency against concurrency](load.png)",
        "",
        table(
            ["users", "req/s", "p50", "p95", "p99", "requests", "failures", "5xx"],
            [
                [
                    str(r.users),
                    f"{r.total.per_s:,.1f}",
                    *(f"{r.total.percentiles[p]:,.0f} ms" for p in PERCENTILES),
                    f"{r.total.requests:,}",
                    str(r.total.failures),
                    str(five_xx(r)),
                ]
                for r in outcome.runs
            ],
            "rrrrrrrr",
        ),
    ]
    if outcome.runs:
        top = outcome.runs[-1]
        lines += [
            "",
            f"### Per endpoint at {top.users} users",
            "",
            table(
                ["endpoint", "req/s", "p50", "p95", "p99", "requests", "failures"],
                [
                    [
                        f"`{r.method} {r.name}`",
                        f"{r.per_s:,.1f}",
                        *(f"{r.percentiles[p]:,.0f} ms" for p in PERCENTILES),
                        f"{r.requests:,}",
                        str(r.failures),
                    ]
                    for r in sorted(top.rows, key=lambda r: -r.requests)
                    if r.name != "Aggregated"
                ],
                "lrrrrrr",
            ),
        ]
        failed = [f for r in outcome.runs for f in r.failures]
        if failed:
            lines += ["", "Failures:", ""] + [
                f"- `{f['Method']} {f['Name']}`: {f['Error'][:160]} ({f['Occurrences']} times)" for f in failed[:10]
            ]
    if outcome.flash is not None:
        f = outcome.flash
        orders, units, spread = outcome.flash_sold
        lines += [
            "",
            f"### Flash sale: {s.flash_buyers} buyers (FlashSaleBuyer, spawned at once) for {s.flash_units} units, "
            f"{s.flash_duration} at most",
            "",
            table(
                [
                    "orders",
                    "units reserved",
                    "first → last order",
                    "requests",
                    "req/s",
                    "p50",
                    "p99",
                    "failures",
                    "5xx",
                ],
                [
                    [
                        str(orders),
                        str(units),
                        f"{spread:.2f} s" if spread is not None else "—",
                        f"{f.total.requests:,}",
                        f"{f.total.per_s:,.1f}",
                        f"{f.total.percentiles['50%']:,.0f} ms",
                        f"{f.total.percentiles['99%']:,.0f} ms",
                        str(f.total.failures),
                        str(five_xx(f)),
                    ]
                ],
                "rrrrrrrrr",
            ),
            "",
            f"Orders = units: **{'yes' if orders == s.flash_units else 'NO'}**. "
            + (m[0] if (m := re.findall(r"flash-sale outcomes: .*", f.output)) else ""),
        ]
    return "\n".join(lines)


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def main() -> int:
    settings = LoadSettings.from_env()
    with tempfile.TemporaryDirectory(prefix="commerce-load-") as tmp:
        outcome = measure(settings, Path(tmp))
    plot(outcome)
    update_section(SECTION, render(outcome), title=TITLE, command=default_command(ENV_NAMES))
    harness.log(f"written: {harness.BENCH_DIR / 'RESULTS.md'} and {PLOT}")
    bad = any(r.total.failures for r in outcome.runs) or (
        outcome.flash is not None and outcome.flash_sold[0] != settings.flash_units
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
