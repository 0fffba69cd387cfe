"""Startup benchmark: from `commerce serve` to the first 200 on /health, and to the first priced page.

    commerce serve --no-seed     (WORKERS=1 unless set; PORT free)
    GET /health                  polled every 5 ms from the moment the process is started
    GET /store/products?limit=20&region_id=<North America>&fields=*variants.calculated_price   right after

against an existing database: DATABASE_URL when it is seeded with the demo store (`commerce seed --demo`), else a
fresh database on DATABASE_URL's server (or an embedded PostgreSQL) migrated and seeded with the demo store and
catalog, dropped afterwards. BENCH_STARTUP_RUNS runs (default 7), medians. Each server process's memory
(/proc/<pid>/smaps_rollup) is read right after /health answered, before any other request (the Granian main process,
the CLI's own, and each worker: which may still be importing the app, see commerce.boot), and each worker's again
right after the first priced page (the app imported and started: what the goal is judged on). The stdout line
`commerce-core listening on ...`, printed just before Granian starts (the migrate and seed checks run beside it; in
older versions, before it), splits the time into the CLI's part and the workers' part.
The CPU time (user + system) each process had used when the page was answered is read too: on a busy machine the
wall times stretch with everyone else's work, the CPU a start needs much less. Also timed, in fresh interpreters:
`import commerce.cli` and `import commerce.app` (what a worker imports).
Writes the "startup" section of bench/RESULTS.md.

    .venv/bin/python bench/startup.py     # BENCH_STARTUP_RUNS=7 WORKERS=1
"""

import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import harness
from harness import Memory, fmt_mb
from results import default_command, load_average, table, update_section

SECTION = "startup"
REGION = "North America"
GOAL_HEALTH_MS = 200.0
GOAL_PAGE_MS = 300.0
GOAL_RSS_MB = 50.0
LISTENING = "commerce-core listening on"
REGION_SQL = "SELECT id FROM region WHERE name = %s AND deleted_at IS NULL"


@dataclass(frozen=True)
class Run:
    listening_ms: float  # the CLI printed its "listening" line (migrate and seed checks done, Granian next)
    health_ms: float  # first 200 on /health
    page_ms: float  # first priced page answered, from the start
    page_latency_ms: float  # that request alone
    main: Memory  # the Granian main process (the CLI's process)
    workers: list[Memory]  # right after /health
    served: list[Memory]  # right after the first priced page
    main_cpu_ms: float  # CPU time (user + system, every thread) the main process had used when the page was answered
    worker_cpu_ms: float  # the same for the worker(s), summed: the work on the page's path, whatever the load


@dataclass(frozen=True)
class Target:
    db_url: str
    key: str
    region_id: str
    fresh: bool  # a database made (and dropped) by this benchmark


def demo_target(db_url: str) -> tuple[str, str] | None:
    """(publishable key, region id) of the demo store in this database, or None when it is not seeded."""
    from commerce.flows import setup

    async def work(conn: Any) -> tuple[str, str] | None:
        if not await setup.is_seeded(conn):
            return None
        info = await setup.demo_info(conn)
        row = await (await conn.execute(REGION_SQL, (REGION,))).fetchone()
        if not info.publishable_key or row is None:
            return None
        return info.publishable_key, str(row[0])

    try:
        return harness.run_async(db_url, work)
    except Exception as exc:  # e.g. not migrated: no tables yet
        harness.log(f"{db_url.rsplit('/', 1)[-1]}: not a demo store ({type(exc).__name__})")
        return None


@contextmanager
def target() -> Iterator[Target]:
    url = os.environ.get("DATABASE_URL")
    found = demo_target(url) if url else None
    if url and found:
        yield Target(url, found[0], found[1], fresh=False)
        return
    with harness.demo_store() as store:
        found = demo_target(store.db_url)
        if found is None:
            raise RuntimeError("the demo seed made no publishable key or no North America region")
        yield Target(store.db_url, found[0], found[1], fresh=True)


def page_path(region_id: str) -> str:
    query = urllib.parse.urlencode(
        {"limit": 20, "region_id": region_id, "fields": "*variants.calculated_price"}, safe="*"
    )
    return f"/store/products?{query}"


def same_program_children(pid: int) -> list[int]:
    """The Granian workers: children of the main process running the same command line (not, say, a postgres)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    found = []
    for child in harness.child_pids(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == cmdline:
                found.append(child)
        except OSError:
            continue
    return found


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (/proc/<pid>/stat, clock ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def watch_output(stream: IO[bytes], started: float, marks: dict[str, float]) -> None:
    for raw in stream:
        line = raw.decode(errors="replace")
        if LISTENING in line and "listening" not in marks:
            marks["listening"] = (time.perf_counter() - started) * 1000


def one_run(t: Target, workers: int) -> Run:
    port = harness.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": t.db_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WORKERS": str(workers),
        "JWT_SECRET": harness.JWT_SECRET,
    }
    env.pop("COMMERCE_DATABASE_URL", None)
    marks: dict[str, float] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(harness.BIN / "commerce"), "serve", "--no-seed"],
        env=env,
        cwd=harness.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    reader = threading.Thread(target=watch_output, args=(proc.stdout, started, marks), daemon=True)
    reader.start()
    try:
        deadline = started + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"commerce serve exited with {proc.returncode} before /health answered")
            if time.perf_counter() > deadline:
                raise RuntimeError("commerce serve did not answer /health in 60 s")
            try:
                if harness.fetch(url + "/health", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.005)
        health_ms = (time.perf_counter() - started) * 1000
        pids = same_program_children(proc.pid)
        main, fresh = Memory.of(proc.pid), [Memory.of(pid) for pid in pids]
        sent = time.perf_counter()
        status, body = harness.fetch(url + page_path(t.region_id), {"x-publishable-api-key": t.key}, timeout=60)
        done = time.perf_counter()
        served = [Memory.of(pid) for pid in pids]
        main_cpu, worker_cpu = cpu_ms(proc.pid), sum(cpu_ms(pid) for pid in pids)
        if status != 200 or b'"calculated_amount"' not in body:
            raise RuntimeError(f"the priced page answered {status}: {body[:300]!r}")
        if len(pids) != workers:
            raise RuntimeError(f"expected {workers} worker(s) under pid {proc.pid}, found {pids}")
        return Run(
            listening_ms=marks.get("listening", float("nan")),
            health_ms=health_ms,
            page_ms=(done - started) * 1000,
            page_latency_ms=(done - sent) * 1000,
            main=main,
            workers=fresh,
            served=served,
            main_cpu_ms=main_cpu,
            worker_cpu_ms=worker_cpu,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)


def import_ms(module: str, runs: int) -> float:
    """Median wall time of `import <module>` in a fresh interpreter (this environment, bytecode settings included)."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=harness.ROOT)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def ms(value: float) -> str:
    return f"{value:.0f} ms"


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def render(runs: list[Run], t: Target, workers: int, imports: dict[str, float], load_before: str) -> tuple[str, str]:
    med = statistics.median
    listening = [r.listening_ms for r in runs]
    health = [r.health_ms for r in runs]
    after = [r.health_ms - r.listening_ms for r in runs]
    page = [r.page_ms for r in runs]
    latency = [r.page_latency_ms for r in runs]
    main_cpu = [r.main_cpu_ms for r in runs]
    worker_cpu = [r.worker_cpu_ms for r in runs]
    main_rss = [r.main.rss_kb for r in runs]
    worker_rss = [w.rss_kb for r in runs for w in r.workers]
    worker_uss = [w.uss_kb for r in runs for w in r.workers]
    worker_pss = [w.pss_kb for r in runs for w in r.workers]
    served_rss = [w.rss_kb for r in runs for w in r.served]
    served_uss = [w.uss_kb for r in runs for w in r.served]
    served_pss = [w.pss_kb for r in runs for w in r.served]
    compiled = any((harness.ROOT / "python" / "commerce" / "__pycache__").glob("app.*.pyc"))
    bytecode = (
        "on (the package's .pyc files, compiled by `make install`, are read)"
        if compiled
        else "off (PYTHONDONTWRITEBYTECODE is set and no .pyc: every start compiles the package)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "on (cached .pyc files are used)"
    )
    rows = [
        [
            "CLI: Python start, CLI imports (older versions: and the migrate and seed checks), until the "
            "`listening` line",
            ms(med(listening)),
            spread(listening),
        ],
        [
            "Granian start, the worker up (until /health answers; older versions: after importing and starting the "
            "app, now beside it: commerce.boot)",
            ms(med(after)),
            spread(after),
        ],
        [
            f"**`commerce serve` → first 200 on /health** (goal <= {GOAL_HEALTH_MS:.0f} ms)",
            f"**{ms(med(health))}**",
            spread(health),
        ],
        [
            f"**`commerce serve` → first priced page answered** (goal <= {GOAL_PAGE_MS:.0f} ms)",
            f"**{ms(med(page))}**",
            spread(page),
        ],
        [
            "the first priced page alone (sent right after /health; it waits for the app's import and start)",
            ms(med(latency)),
            spread(latency),
        ],
        [
            "CPU time used by then (user + system, /proc/<pid>/stat): the main process (CLI, Granian)",
            ms(med(main_cpu)),
            spread(main_cpu),
        ],
        [
            "CPU time used by then: the worker(s) (Granian's worker, the app's import and start, the page); "
            "what the page waits for when the machine is busy",
            ms(med(worker_cpu)),
            spread(worker_cpu),
        ],
    ]
    memory_rows = [
        ["Granian main process (the CLI's process)", f"**{fmt_mb(med(main_rss))}**", "—", "—"],
        [
            f"each worker right after /health ({len(worker_rss)} readings; the app may still be importing)",
            fmt_mb(med(worker_rss)),
            fmt_mb(med(worker_pss)),
            fmt_mb(med(worker_uss)),
        ],
        [
            "each worker right after the first priced page (the app imported and started)",
            f"**{fmt_mb(med(served_rss))}**",
            fmt_mb(med(served_pss)),
            fmt_mb(med(served_uss)),
        ],
    ]
    health_met, page_met = med(health) <= GOAL_HEALTH_MS, med(page) <= GOAL_PAGE_MS
    rss_met = max(med(main_rss), med(worker_rss), med(served_rss)) * 1024 / 1e6 <= GOAL_RSS_MB
    lines = [
        f"`commerce serve --no-seed` ({workers} worker(s)) started {len(runs)} times against "
        + (
            "a fresh database migrated and seeded with the demo store and catalog by this benchmark"
            if t.fresh
            else "the demo store in DATABASE_URL's database"
        )
        + "; /health polled every 5 ms from the start, then `GET "
        + f"/store/products?limit=20&region_id=<{REGION}>&fields=*variants.calculated_price` with the demo "
        "publishable key. Medians (and min-max) of the runs.",
        "",
        table(["from the start of `commerce serve`", "median", "min-max (ms)"], rows, "lrr"),
        "",
        "Import time in a fresh interpreter (median of 5): "
        + ", ".join(f"`import {name}` {ms(value)}" for name, value in imports.items())
        + f". Bytecode cache: {bytecode}.",
        "",
        "Memory right after /health answered, and after the first priced page (`/proc/<pid>/smaps_rollup`, MB = "
        "10^6 bytes; RSS counts shared library pages and pages shared with the main process in full, PSS divides "
        "them, USS is the worker's own):",
        "",
        table(["process", "RSS (median)", "PSS", "USS"], memory_rows, "lrrr"),
        "",
        "Goals:",
        f"- /health <= {GOAL_HEALTH_MS:.0f} ms from `commerce serve`: **{verdict(health_met)}** ({ms(med(health))}).",
        f"- first priced page <= {GOAL_PAGE_MS:.0f} ms: **{verdict(page_met)}** ({ms(med(page))}).",
        f"- every server process <= {GOAL_RSS_MB:.0f} MB RSS fresh: **{verdict(rss_met)}** (main "
        f"{fmt_mb(med(main_rss))}, worker {fmt_mb(med(served_rss))} after the first page).",
        "",
        f"- Database: {harness.database_kind()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    summary = (
        f"/health {ms(med(health))} (CLI {ms(med(listening))}), first priced page {ms(med(page))}; "
        f"RSS main {fmt_mb(med(main_rss))}, worker {fmt_mb(med(worker_rss))} at /health, "
        f"{fmt_mb(med(served_rss))} after the page; CPU main {ms(med(main_cpu))}, worker {ms(med(worker_cpu))}"
    )
    return "\n".join(lines) + "\n", summary


def measure() -> tuple[str, str]:
    runs_wanted = int(os.environ.get("BENCH_STARTUP_RUNS") or 7)
    workers = int(os.environ.get("WORKERS") or 1)
    load_before = load_average()
    with target() as t:
        one_run(t, workers)  # warm-up (page cache, PostgreSQL's buffers): not counted
        runs = []
        for i in range(runs_wanted):
            run = one_run(t, workers)
            harness.log(
                f"run {i + 1}: listening {run.listening_ms:.0f} ms, /health {run.health_ms:.0f} ms, page "
                f"{run.page_ms:.0f} ms; CPU main {run.main_cpu_ms:.0f} ms, workers {run.worker_cpu_ms:.0f} ms; "
                f"RSS main {fmt_mb(run.main.rss_kb)}, workers "
                + ", ".join(fmt_mb(w.rss_kb) for w in run.workers)
                + " at /health, "
                + ", ".join(fmt_mb(w.rss_kb) for w in run.served)
                + " after the page"
            )
            runs.append(run)
    imports = {name: import_ms(name, 5) for name in ("commerce.cli", "commerce.app")}
    return render(runs, t, workers, imports, load_before)


def main() -> int:
    title = "startup: `commerce serve` to /health and to the first priced page, memory fresh"
    command = default_command(("BENCH_STARTUP_RUNS", "WORKERS"))
    try:
        markdown, summary = measure()
    except Exception as exc:
        path = update_section(SECTION, harness.failure_markdown(exc), title=title, command=command)
        print(f"{SECTION}: FAILED ({type(exc).__name__}), see {path}", file=sys.stderr)
        raise
    path = update_section(SECTION, markdown, title=title, command=command)
    print(f"{SECTION}: {summary} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
