"""HTTP benchmark: `GET /store/regions` on our server vs a bare ASGI app sending the same number of bytes.

One run, one process: a fresh database (DATABASE_URL's server, else an embedded PostgreSQL in a temp
dir) is migrated and seeded with the demo store; our server and the bare app are both started by this
process with Granian (1 worker, --loop uvloop; ours through RSGI, the bare app ASGI); wrk (also run from
here) warms each up, then measures them in turn, ours/bare/ours/bare, and the best run of each is kept. Writes the
"http-regions" section of bench/RESULTS.md.

    .venv/bin/python bench/http_bench.py        # BENCH_DURATION=10s BENCH_ROUNDS=2 BENCH_CONNECTIONS=64 ...
"""

import json
import sys

import harness
from harness import BenchSettings, Comparison, Target, fmt_ms, fmt_rate
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-regions"
ROUTE = "/store/regions"
GOAL_PERCENT = 60.0
OURS = "commerce-core"
BARE = "bare ASGI app"


def render(
    cmp: Comparison, ours_cmd: str, bare_cmd: str, body_size: int, region_count: int, load_before: str, key: str
) -> tuple[str, float]:
    settings = cmp.settings
    ours, bare = cmp.best(OURS), cmp.best(BARE)
    ratio = 100 * ours.requests_per_s / bare.requests_per_s
    met = ratio >= GOAL_PERCENT
    rows = []
    for name, best in ((OURS, ours), (BARE, bare)):
        all_runs = ", ".join(
            fmt_rate(r.requests_per_s) + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
            for r in cmp.runs[name]
        )
        rows.append(
            [
                f"{name} `GET {ROUTE}`" if name == OURS else f"{name} (same body size)",
                f"**{fmt_rate(best.requests_per_s)}**",
                fmt_ms(best.p50_ms),
                fmt_ms(best.p99_ms),
                fmt_rate(per_cpu) if (per_cpu := cmp.best_per_cpu(name)) else "—",
                all_runs,
            ]
        )
    errors = cmp.errors()
    lines = [
        f"`GET {ROUTE}` (demo store: {region_count} regions, {body_size} bytes of JSON, publishable key header) "
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
        f"Goal: >= {GOAL_PERCENT:.0f} % of bare with 1 worker: **{'met' if met else 'NOT met'}** ({ratio:.1f} %).",
        "",
        f"- Load: `{harness.redact(ours.command, key)}` (and the same on the bare app's URL); "
        f"{settings.warmup} warm-up per target, then {settings.rounds} rounds of {settings.duration} alternating "
        f"ours/bare, each after waiting up to {settings.quiet_wait:.0f} s for other processes to use < "
        f"{harness.QUIET_CPUS} CPUs; best run of each kept (p50/p99 are from that run).",
        f"- Servers: `{ours_cmd}` (env COMMERCE_DATABASE_URL, JWT_SECRET, DB_POOL_SIZE=4) and `{bare_cmd}` "
        f"(env BARE_BODY_BYTES={body_size}).",
        f"- Database: {harness.database_kind()}, migrated and seeded with the demo store, dropped afterwards.",
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
    if any(errors.values()):
        lines.append(
            "- **Errors during the runs** (non-2xx responses or socket errors; figures are suspect): "
            + ", ".join(f"{name}: {count}" for name, count in errors.items())
        )
    return "\n".join(lines) + "\n", ratio


def measure(settings: BenchSettings) -> tuple[str, str]:
    """Run the benchmark; (section markdown, one-line summary)."""
    load_before = load_average()
    with harness.demo_store() as store, harness.commerce_server(store.db_url) as ours:
        status, body = harness.fetch(ours.url + ROUTE, store.headers)
        if status != 200:
            raise RuntimeError(f"GET {ROUTE} answered {status}: {body[:500]!r}")
        region_count = len(json.loads(body).get("regions", []))
        with harness.bare_server(len(body)) as bare:
            bare_status, bare_body = harness.fetch(bare.url + ROUTE)
            if bare_status != 200 or len(bare_body) != len(body):
                raise RuntimeError(f"bare app answered {bare_status} with {len(bare_body)} bytes, want {len(body)}")
            harness.log(f"{ROUTE}: {len(body)} bytes; measuring {settings}")
            cmp = harness.compare(
                [
                    Target(OURS, ours.url + ROUTE, store.headers, server_pid=ours.pid),
                    Target(BARE, bare.url + ROUTE, server_pid=bare.pid),
                ],
                settings,
            )
            markdown, ratio = render(
                cmp, ours.command, bare.command, len(body), region_count, load_before, store.publishable_key
            )
    summary = (
        f"ours {fmt_rate(cmp.best(OURS).requests_per_s)} req/s, "
        f"bare {fmt_rate(cmp.best(BARE).requests_per_s)} req/s, ours/bare {ratio:.1f} %"
    )
    return markdown, summary


def main() -> int:
    settings = BenchSettings.from_env()
    harness.wrk_binary()  # fail before setting anything up
    title = f"http-regions: GET {ROUTE} vs a bare ASGI app"
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
