"""Simulation: N app nodes x M buyers against one PostgreSQL, to see where the curve bends (docs/SCALING.md).

Real processes on this machine: one fresh database on a PostgreSQL of its own (embedded, in a temp dir, so that the
PostgreSQL CPU it reports is the simulation's alone; BENCH_SCALE_DATABASE_URL names another server), N
Granian servers (1 worker each, DB_POOL_SIZE left at the server's default, 10) on N ports, as N machines behind a
load balancer would be, and M buyers, each a closed loop of checkout journeys (bench/http_checkout.py's six-request
journey on its own keep-alive connection), buyer i talking to node i mod N. The shop is set up as
bench/http_checkout.py sets it up (32 products, a million units each). Each (N, M) runs a lead-in of
BENCH_SCALE_DURATION (the closed loops reach their steady state, even when a journey takes seconds), then a window of
as long in which it counts the journeys that end, their latency, and the CPU the app nodes and PostgreSQL spent.

Then the hot row, where one SKU takes every order (a flash sale): the same journeys all buying product 1, with the
most nodes and buyers; and the ceiling of the reservation statement itself, measured without HTTP: M connections
running the conditional `UPDATE inventory_level ... WHERE stocked_quantity - reserved_quantity >= 1` back to back
on one row, and on 32 rows (one per connection, modulo 32), for BENCH_SCALE_PROBE seconds each.

Writes the "scale-sim" section of bench/RESULTS.md and the plot docs/scaling.png (matplotlib).

    .venv/bin/python bench/scale_sim.py   # BENCH_SCALE_NODES=1,2,3 BENCH_SCALE_BUYERS=4,16,48 BENCH_SCALE_DURATION=8s
"""

import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import harness
from http_checkout import Failure, HttpClient, Journey, Shop, build_shop, percentile, seed_store
from results import default_command, load_average, nproc, table, update_section

SECTION = "scale-sim"
TITLE = "scale-sim: N app nodes x M buyers against one PostgreSQL"
PLOT = harness.ROOT / "docs" / "scaling.png"
ENV_NAMES = (
    "BENCH_SCALE_DATABASE_URL",
    "BENCH_SCALE_NODES",
    "BENCH_SCALE_BUYERS",
    "BENCH_SCALE_DURATION",
    "BENCH_SCALE_PROBE",
)
LEVEL_UPDATE = """
UPDATE inventory_level SET reserved_quantity = reserved_quantity + 1, updated_at = now()
WHERE inventory_item_id = %s AND location_id = %s AND deleted_at IS NULL AND stocked_quantity - reserved_quantity >= 1
"""


def _levels(name: str, default: str) -> tuple[int, ...]:
    text = os.environ.get(name) or default
    values = tuple(int(p) for p in text.replace(" ", "").split(",") if p)
    if not values or min(values) < 1:
        raise ValueError(f"{name} must list numbers >= 1, got {text!r}")
    return values


@dataclass
class Run:
    nodes: int
    buyers: int
    label: str
    seconds: float
    journeys: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    app_cpu_s: float = 0.0
    db_cpu_s: float | None = None
    others_cpus: float | None = None

    @property
    def per_s(self) -> float:
        return len(self.journeys) / self.seconds

    def per_journey_ms(self, cpu_s: float | None) -> str:
        return f"{cpu_s / len(self.journeys) * 1000:.1f} ms" if cpu_s is not None and self.journeys else "—"


def _runner() -> asyncio.Runner:
    import uvloop

    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def run(shops: list[Shop], pids: list[int], buyers: int, seconds: float, label: str) -> Run:
    """`buyers` closed loops of journeys, buyer i on shops[i mod len(shops)] (one per node): a lead-in of `seconds`
    (long enough for the loops to reach their steady state, even when one journey takes seconds), then a window of
    `seconds` in which journeys that end are counted and the CPU of the app nodes and of PostgreSQL is measured."""
    result = Run(len(shops), buyers, label, seconds)
    journey = Journey(shops[0])
    counter = itertools.count()
    marks: list[tuple[float, float, float | None, harness.CpuSnapshot]] = []

    def mark() -> None:
        app = sum(harness.tree_cpu(p) for p in pids)
        marks.append((time.perf_counter(), app, harness._database_cpu(), harness.CpuSnapshot.take()))

    async def main() -> None:
        clients = [await HttpClient(shops[i % len(shops)].url, shops[0].headers).open() for i in range(buyers)]
        opens = time.perf_counter() + seconds
        closes = opens + seconds

        async def buyer(client: HttpClient) -> None:
            while time.perf_counter() < closes:
                done = await journey.run(client, next(counter))
                if isinstance(done, Failure):
                    result.failures.append(done)
                    if done.status == 0:
                        client.close()
                        await client.open()
                elif opens <= done[-1][1] <= closes:
                    result.journeys.append(done[-1][1] - done[0][0])

        async def window() -> None:
            await asyncio.sleep(max(0.0, opens - time.perf_counter()))
            mark()
            await asyncio.sleep(max(0.0, closes - time.perf_counter()))
            mark()

        try:
            await asyncio.gather(window(), *(buyer(c) for c in clients))
        finally:
            for c in clients:
                c.close()

    with _runner() as runner:
        runner.run(main())
    (t0, app0, db0, snap0), (t1, app1, db1, snap1) = marks
    result.seconds = t1 - t0
    result.others_cpus = snap1.others_since(snap0)
    result.app_cpu_s = app1 - app0
    if db0 is not None and db1 is not None:
        result.db_cpu_s = db1 - db0
    return result


def probe_row_updates(db_url: str, rows: list[tuple[str, str]], connections: int, seconds: float) -> float:
    """Conditional level UPDATEs per second: `connections` autocommit connections back to back, connection i on
    rows[i mod len(rows)]."""
    import psycopg

    async def main() -> int:
        conns = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in range(connections)]
        deadline = time.perf_counter() + seconds
        done = 0

        async def loop(i: int, conn: psycopg.AsyncConnection[Any]) -> None:
            nonlocal done
            row = rows[i % len(rows)]
            while time.perf_counter() < deadline:
                await conn.execute(LEVEL_UPDATE, row)
                done += 1

        try:
            await asyncio.gather(*(loop(i, c) for i, c in enumerate(conns)))
        finally:
            for c in conns:
                await c.close()
        return done

    with _runner() as runner:
        return runner.run(main()) / seconds


def plot(runs: list[Run], hot: Run | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for nodes in sorted({r.nodes for r in runs}):
        mine = sorted((r for r in runs if r.nodes == nodes), key=lambda r: r.buyers)
        left.plot([r.buyers for r in mine], [r.per_s for r in mine], marker="o", label=f"{nodes} node(s)")
        right.plot(
            [r.buyers for r in mine],
            [(r.db_cpu_s or 0) / max(1, len(r.journeys)) * 1000 for r in mine],
            marker="o",
            label=f"PostgreSQL, {nodes} node(s)",
        )
    if hot is not None:
        left.scatter([hot.buyers], [hot.per_s], marker="x", color="red", s=80, label=f"one hot SKU, {hot.nodes} nodes")
    left.set_xlabel("concurrent buyers (closed loop)")
    left.set_ylabel("checkout journeys / s (6 requests each)")
    left.set_title("Throughput: N app nodes x M buyers, one PostgreSQL")
    left.grid(alpha=0.3)
    left.legend()
    right.set_xlabel("concurrent buyers")
    right.set_ylabel("PostgreSQL CPU per journey (ms)")
    right.set_title("Database cost per journey")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(f"{nproc()} CPUs shared by app nodes, PostgreSQL and the load generator (machine shared)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(runs: list[Run], hot: Run | None, ceiling: tuple[float, float, int], db_text: str) -> str:
    shown = [*runs, *([hot] if hot else [])]
    rows = [
        [
            f"{r.nodes} ({r.label})" if r.label else str(r.nodes),
            str(r.buyers),
            f"**{r.per_s:.1f}**",
            f"{percentile(r.journeys, 50) * 1000:.0f} ms",
            f"{percentile(r.journeys, 99) * 1000:.0f} ms",
            r.per_journey_ms(r.app_cpu_s),
            r.per_journey_ms(r.db_cpu_s),
            f"{r.others_cpus:.2f}" if r.others_cpus is not None else "—",
            str(len(r.failures)),
        ]
        for r in shown
    ]
    hot_rate, spread_rate, conns = ceiling
    best = max(runs, key=lambda r: r.per_s)
    lines = [
        "N Granian servers (1 worker each, separate processes on separate ports: N app nodes) over one PostgreSQL, "
        "M buyers each running checkout journeys back to back (bench/http_checkout.py's six requests), buyer i on "
        "node i mod N. All on this machine: app nodes, PostgreSQL and the load generator share its "
        f"{nproc()} CPUs, and the machine is shared with other engineers today (other processes' CPU is shown per "
        "run).",
        "",
        table(
            [
                "nodes",
                "buyers",
                "journeys/s",
                "journey p50",
                "journey p99",
                "app CPU per journey",
                "PostgreSQL CPU per journey",
                "CPUs used by others",
                "failed journeys",
            ],
            rows,
            "llrrrrrrr",
        ),
        "",
        f"Best: {best.per_s:.1f} journeys/s ({best.nodes} node(s), {best.buyers} buyers).",
        "",
        f"Reservation statement alone (no HTTP; {conns} connections, conditional `UPDATE inventory_level` back to "
        f"back): **{hot_rate:,.0f}/s on one row** (every connection waits for the row lock), "
        f"**{spread_rate:,.0f}/s over 32 rows**.",
        "",
        f"- Database: {db_text}.",
        f"- Plot: `docs/scaling.png`. Load average before the run (1/5/15 min): {load_average()}.",
    ]
    return "\n".join(lines)


@dataclass
class Outcome:
    runs: list[Run]
    hot: Run
    ceiling: tuple[float, float, int]  # updates/s on one row, on 32 rows, connections

    @property
    def failed(self) -> int:
        return sum(len(r.failures) for r in [*self.runs, self.hot])


def measure(
    server_url: str,
    node_levels: tuple[int, ...],
    buyer_levels: tuple[int, ...],
    seconds: float,
    probe: float,
    *,
    products: int = 32,
    warmup: float = 2.0,
    quiet_wait: float = 10.0,
) -> Outcome:
    """The runs on a fresh database on `server_url` (dropped afterwards)."""
    with harness.fresh_database(server_url, "commerce_scale") as db_url:
        harness.account_database(db_url)
        key = seed_store(db_url, catalog=False)
        nodes = [harness.commerce_server(db_url, pool_size=None) for _ in range(max(node_levels))]
        try:
            for node in nodes:
                node.start()
            shop = build_shop(nodes[0].url, key, products=products)
            shops = [replace(shop, url=n.url) for n in nodes]
            pids = [n.pid or 0 for n in nodes]
            if warmup:
                run(shops, pids, max(buyer_levels), warmup, "warm-up")
            runs: list[Run] = []
            for count in node_levels:
                for buyers in buyer_levels:
                    harness.wait_for_quiet(quiet_wait)
                    r = run(shops[:count], pids[:count], buyers, seconds, "")
                    harness.log(f"{count} node(s), {buyers} buyers: {r.per_s:.1f} journeys/s")
                    runs.append(r)
            hot_shops = [replace(s, variants=s.variants[:1], inventory_items=s.inventory_items[:1]) for s in shops]
            hot = run(hot_shops, pids, max(buyer_levels), seconds, "one hot SKU")
            harness.log(f"hot SKU: {hot.per_s:.1f} journeys/s")
        finally:
            for node in nodes:
                node.stop()
        rows = [(item, shop.location) for item in shop.inventory_items]
        conns = max(buyer_levels)
        ceiling = (
            probe_row_updates(db_url, rows[:1], conns, probe),
            probe_row_updates(db_url, rows, conns, probe),
            conns,
        )
    return Outcome(runs, hot, ceiling)


@contextmanager
def private_postgres() -> Iterator[tuple[str, str]]:
    """BENCH_SCALE_DATABASE_URL's server, else an embedded PostgreSQL of the sim's own in a temp dir: the machine's
    server is shared with other engineers' test runs, whose CPU would count as PostgreSQL CPU per journey."""
    url = os.environ.get("BENCH_SCALE_DATABASE_URL")
    if url:
        yield url, "PostgreSQL at BENCH_SCALE_DATABASE_URL (its whole server's CPU is counted)"
        return
    from commerce.db import embedded

    with tempfile.TemporaryDirectory(prefix="commerce-scale-pg-") as tmp:
        uri, handle = embedded.start(Path(tmp))
        try:
            yield uri, "an embedded PostgreSQL of the simulation's own (pgserver, Unix socket), so its CPU is only ours"
        finally:
            handle.cleanup()


def main() -> int:
    node_levels = _levels("BENCH_SCALE_NODES", "1,2,3")
    buyer_levels = _levels("BENCH_SCALE_BUYERS", "4,16,48")
    seconds = harness.parse_duration(os.environ.get("BENCH_SCALE_DURATION") or "8s")
    probe = harness.parse_duration(os.environ.get("BENCH_SCALE_PROBE") or "3s")
    command = default_command(ENV_NAMES)
    with private_postgres() as (server_url, where):
        outcome = measure(server_url, node_levels, buyer_levels, seconds, probe)
    plot(outcome.runs, outcome.hot, PLOT)
    markdown = render(outcome.runs, outcome.hot, outcome.ceiling, where)
    path = update_section(SECTION, markdown, title=TITLE, command=command)
    print(f"{SECTION}: {len(outcome.runs)} runs, {outcome.failed} failed journeys -> {path}, {PLOT}")
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
