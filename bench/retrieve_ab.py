"""A/B of the read side: `GET /store/carts/<id>` (64 connections) and `GET /store/customers/me` (16 connections),
two checkouts of commerce-core and the one-SELECT app, all up at once on one database, measured in turn.

Sets up what bench/http_carts.py does for its retrieve (a fresh database with the demo store, RETRIEVE_CARTS carts
of one line made through the API, the same wrk script) and what bench/http_customers.py does for customers/me (a
registered, logged-in customer). Then, for each worker count in AB_WORKERS (default "1,2"), starts our server from
each checkout (A: AB_A, default this checkout's python/; B: AB_B, e.g. a base worktree's python/; each with its own
PYTHONPATH) and the one-SELECT app (body of the size of A's retrieve), warms each up, and measures AB_ROUNDS rounds
of BENCH_DURATION per target, the order rotating each round. Prints req/s, p50, server CPU per request and the
ratio to the one-SELECT app of the same round; writes no RESULTS.md section.

    PYTHONPATH=$PWD/python AB_B=../main-base/python .venv/bin/python bench/retrieve_ab.py
"""

import os
import statistics
import sys
import tempfile
from pathlib import Path

import harness
import http_carts as hc
from http_customers import customer_token

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    a = os.environ.get("AB_A") or str(ROOT / "python")
    b = os.environ.get("AB_B") or ""
    rounds = int(os.environ.get("AB_ROUNDS") or 3)
    duration = os.environ.get("BENCH_DURATION") or "5s"
    workers_list = [int(w) for w in (os.environ.get("AB_WORKERS") or "1,2").split(",")]
    ops = (os.environ.get("AB_OPS") or "retrieve,me").split(",")
    checkouts = {"A": a, **({"B": b} if b else {})}
    with (
        tempfile.TemporaryDirectory(prefix="rt-ab-") as scratch,
        harness.postgres() as server_url,
        harness.fresh_database(server_url, prefix="rt_ab") as db_url,
    ):
        key = harness.seed_demo(db_url)
        headers = {"x-publishable-api-key": key}
        with harness.commerce_server(db_url, pool_size=None, env={"PYTHONPATH": a}) as setup:
            region = hc.region_id(setup.url, headers)
            variants = hc.variant_ids(setup.url, headers, region)
            carts = hc.create_carts(setup.url, headers, region, variants[0], hc.RETRIEVE_CARTS)
            path = f"/store/carts/{carts[0]}"
            size = len(harness.fetch(setup.url + path, headers)[1])
            _, token = customer_token(setup.url, headers)
        me_headers = {**headers, "authorization": f"Bearer {token}"}
        script = Path(scratch) / "cart_retrieve.lua"
        script.write_text(hc.retrieve_script(carts))
        print(f"cart body {size} bytes; load {os.getloadavg()}", flush=True)
        for workers in workers_list:
            servers = {
                name: harness.commerce_server(db_url, workers=workers, pool_size=None, env={"PYTHONPATH": p}).start()
                for name, p in checkouts.items()
            }
            one = harness.one_select_server(db_url, size, workers=workers).start()
            try:
                for op in ops:
                    if op == "retrieve":
                        conns = 64
                        targets = [(n, s.url + "/", headers, s.pid, script) for n, s in servers.items()]
                        targets.append(("one-SELECT", one.url + "/", {}, one.pid, script))
                    else:
                        conns = 16
                        me = "/store/customers/me"
                        targets = [(n, s.url + me, me_headers, s.pid, None) for n, s in servers.items()]
                        targets.append(("one-SELECT", one.url + path, {}, one.pid, None))
                    for _name, url, hdrs, _pid, scr in targets:
                        harness.run_wrk(url, duration="2s", connections=conns, headers=hdrs, script=scr)
                    results: dict[str, list[harness.WrkResult]] = {t[0]: [] for t in targets}
                    ratios: dict[str, list[float]] = {t[0]: [] for t in targets}
                    for r in range(rounds):
                        order = targets[r % len(targets) :] + targets[: r % len(targets)]
                        got = {}
                        for name, url, hdrs, pid, scr in order:
                            res = harness.run_wrk(
                                url, duration=duration, connections=conns, headers=hdrs, script=scr, server_pid=pid
                            )
                            if res.errors:
                                print(f"  !! {name}: {res.non_2xx} non-2xx, {res.socket_errors}", flush=True)
                            got[name] = res
                            results[name].append(res)
                        for name, res in got.items():
                            ratios[name].append(100 * res.requests_per_s / got["one-SELECT"].requests_per_s)
                        print(
                            f"{workers}w {op} round {r + 1} load {os.getloadavg()[0]:.2f}: "
                            + "  ".join(
                                f"{n} {res.requests_per_s:,.0f} req/s p50 {res.p50_ms:.2f} ms "
                                f"cpu {(res.server_cpu_s or 0) / max(res.requests, 1) * 1e6:.0f} us "
                                f"({ratios[n][-1]:.1f} %) others {res.others_cpus or 0:.2f}"
                                for n, res in got.items()
                            ),
                            flush=True,
                        )
                    print(
                        f"== {workers}w {op} medians: "
                        + "  ".join(
                            f"{n} {statistics.median(x.requests_per_s for x in rs):,.0f} req/s "
                            f"p50 {statistics.median(x.p50_ms for x in rs):.2f} ms "
                            f"{statistics.median(ratios[n]):.1f} %"
                            for n, rs in results.items()
                        ),
                        flush=True,
                    )
            finally:
                for s in servers.values():
                    s.stop()
                one.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
