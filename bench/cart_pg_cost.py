"""PostgreSQL CPU per cart request, counted on the bench database's own backends only (their /proc schedstat run time),
so that the other databases of a shared PostgreSQL server do not count: an A/B tool for the cart's SQL.

Sets up what bench/http_carts.py does (a fresh database with the demo store, the promotion and tax rate, the same
carts and wrk scripts), starts our server and the one-SELECT app (BENCH_WORKERS workers each, else 1), and for each
op runs wrk (2 s warm-up, then BENCH_DURATION at 64 connections), printing req/s, our server's CPU and the backends'
CPU per request, with the cart table's update counts (HOT or not) and TOAST rows written. Prints only; writes no
RESULTS.md section. For an A/B run it once per checkout, alternately, each with PYTHONPATH at its own python/:

    PYTHONPATH=$PWD/python .venv/bin/python bench/cart_pg_cost.py     # BENCH_DURATION=5s CART_OPS=add,promo

CART_BASELINE=0 skips the one-SELECT app (when only our server's figures are wanted, as while profiling it).
"""

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg

import harness
import http_carts as hc

STATS = """
SELECT s.n_tup_upd, s.n_tup_hot_upd, t.n_tup_ins,
       (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())
FROM pg_stat_user_tables s, pg_stat_all_tables t
WHERE s.relname = 'cart' AND t.relid = (SELECT reltoastrelid FROM pg_class WHERE relname = 'cart')
"""
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


def run_time(pid: int) -> float:
    """Seconds a process has run on a CPU (0 when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def stats(db_url: str) -> tuple[int, ...]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(STATS).fetchone()
    return tuple(int(v or 0) for v in row) if row else (0, 0, 0, 0)


def measure(db_url: str, url: str, script: Path, duration: str, headers: dict[str, str], pid: int | None) -> str:
    harness.run_wrk(url, duration="2s", connections=64, headers=headers, script=script)
    with psycopg.connect(db_url, autocommit=True) as monitor:
        before_stats = stats(db_url)
        before = {p: run_time(p) for (p,) in monitor.execute(BACKENDS).fetchall()}
        result = harness.run_wrk(url, duration=duration, connections=64, headers=headers, script=script, server_pid=pid)
        after = {p: run_time(p) for (p,) in monitor.execute(BACKENDS).fetchall()}
    updates, hot, toasted, transactions = (b - a for a, b in zip(before_stats, stats(db_url), strict=True))
    n = max(result.requests, 1)
    backends = sum(t - before.get(p, 0.0) for p, t in after.items())
    return (
        f"req/s {result.requests_per_s:7,.0f}  non-2xx {result.non_2xx}  "
        f"server CPU {result.server_cpu_s / n * 1e6:6,.0f} µs/req  "
        f"PostgreSQL backends {backends / n * 1e6:6,.0f} µs/req  cart updates {updates} (HOT {hot}), "
        f"TOAST rows written {toasted}  transactions per req {transactions / n:.2f}  load {os.getloadavg()[0]:.2f}"
    )


def main() -> int:
    duration = os.environ.get("BENCH_DURATION") or "5s"
    workers = int(os.environ.get("BENCH_WORKERS") or 1)
    ops = (os.environ.get("CART_OPS") or ",".join(op.name for op in hc.OPS)).split(",")
    with (
        harness.postgres() as server_url,
        harness.fresh_database(server_url, prefix="cart_pg_cost") as db_url,
        tempfile.TemporaryDirectory() as scratch,
    ):
        headers = {"x-publishable-api-key": harness.seed_demo(db_url)}
        with harness.commerce_server(db_url, pool_size=None) as ours:
            hc.set_up_admin(ours.url)
            region = hc.region_id(ours.url, headers)
            variants = hc.variant_ids(ours.url, headers, region)
            counts = {hc.RETRIEVE.name: hc.RETRIEVE_CARTS, hc.ADD.name: hc.ADD_CARTS}
            carts: dict[str, Any] = {
                op.name: hc.make_carts(ours.url, headers, region, variants[0], counts.get(op.name, hc.CHANGE_CARTS))
                for op in hc.OPS
            }
            lua = hc.scripts(Path(scratch), carts, variants)
            size = len(harness.fetch(f"{ours.url}/store/carts/{carts[hc.RETRIEVE.name][0][0]}", headers)[1])
            if os.environ.get("CART_BASELINE", "1") != "0":
                with harness.one_select_server(db_url, size, workers=workers) as one:
                    line = measure(db_url, one.url + "/", lua[hc.RETRIEVE.name], duration, {}, one.pid)
                    print(f"{'one-SELECT':10} {line}", flush=True)
        with harness.commerce_server(db_url, workers=workers, pool_size=None) as ours:
            for name in ops:
                line = measure(db_url, ours.url + "/", lua[name], duration, headers, ours.pid)
                print(f"{name:10} {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
