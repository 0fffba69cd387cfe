"""What the HTTP benchmarks share: a seeded database, Granian servers, wrk runs and their parsing.

Every server is started by this process with subprocess.Popen and no new session, and wrk is run
the same way, so the server under test, its baseline and the load generator all sit in one
scheduler autogroup (see DESIGN.md, "Benchmarking here"): a ratio measured here compares like
with like. A benchmark for another route only needs a `Target` list and `compare`:

    with demo_store() as store, commerce_server(store.db_url) as ours:
        body = fetch(ours.url + "/store/products", store.headers)
        with bare_server(len(body)) as bare:
            best = compare([Target("ours", ...), Target("bare", ...)], BenchSettings.from_env())
"""

import os
import re
import resource
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from commerce.db.connect import run_with_conn as run_async
from commerce.db.connect import with_dbname

T = TypeVar("T")
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
JWT_SECRET = secrets.token_urlsafe(32)  # per run: the benchmarks sign nothing that must outlive it

# --------------------------------------------------------------------------------------------- settings


def parse_duration(text: str) -> float:
    """Seconds in a wrk-style duration: `10`, `10s`, `1.5m`, `1h`."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 10s, 1m)")
    return float(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2] or "s"]


@dataclass(frozen=True)
class BenchSettings:
    duration: str = "10s"
    warmup: str = "2s"
    rounds: int = 2
    connections: int = 64
    threads: int = 1
    quiet_wait: float = 30.0  # seconds to wait, before each measured run, for other processes to go quiet

    @classmethod
    def from_env(cls) -> "BenchSettings":
        """BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_QUIET_WAIT."""
        env = os.environ
        settings = cls(
            duration=env.get("BENCH_DURATION") or cls.duration,
            warmup=env.get("BENCH_WARMUP") or cls.warmup,
            rounds=int(env.get("BENCH_ROUNDS") or cls.rounds),
            connections=int(env.get("BENCH_CONNECTIONS") or cls.connections),
            threads=int(env.get("BENCH_THREADS") or cls.threads),
            quiet_wait=float(env.get("BENCH_QUIET_WAIT") or cls.quiet_wait),
        )
        parse_duration(settings.duration)
        parse_duration(settings.warmup)
        if settings.rounds < 1 or settings.connections < 1 or settings.threads < 1:
            raise ValueError("BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_THREADS must be >= 1")
        return settings


ENV_NAMES = ("BENCH_DURATION", "BENCH_WARMUP", "BENCH_ROUNDS", "BENCH_CONNECTIONS", "BENCH_THREADS", "BENCH_QUIET_WAIT")
QUIET_CPUS = 0.25  # other processes' CPU use (in CPUs) under which the machine counts as quiet


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- database


def database_kind() -> str:
    """Where the benchmark's database lives, without credentials."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "embedded PostgreSQL (pgserver, Unix socket) in a temp dir"
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return f"PostgreSQL at DATABASE_URL (host {params.get('host', 'local socket')}, port {params.get('port', 5432)})"


@contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server URL: DATABASE_URL when set, else an embedded server in a temp dir, stopped after."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from commerce.db import embedded

    with tempfile.TemporaryDirectory(prefix="commerce-bench-pg-") as tmp:
        log(f"starting an embedded PostgreSQL in {tmp}")
        uri, handle = embedded.start(Path(tmp))
        try:
            yield uri
        finally:
            handle.cleanup()


@contextmanager
def fresh_database(server_url: str, prefix: str = "commerce_bench") -> Iterator[str]:
    """A new, migrated database on `server_url`, dropped afterwards."""
    import psycopg

    from commerce.db.migrate import migrate

    # BENCH_DB_PREFIX: put before every name (a shared server where each user's databases carry their prefix).
    name = f"{os.environ.get('BENCH_DB_PREFIX', '')}{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_dbname(server_url, name)
        migrate(url)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")


def seed_demo(db_url: str) -> str:
    """The demo store (`commerce seed --demo`); returns its publishable key."""
    from commerce.flows import setup

    async def work(conn: Any) -> str:
        await setup.seed_demo(conn)
        info = await setup.demo_info(conn)
        if not info.publishable_key:
            raise RuntimeError("the demo seed made no publishable key")
        return info.publishable_key

    return run_async(db_url, work)


@dataclass(frozen=True)
class Store:
    db_url: str
    publishable_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-publishable-api-key": self.publishable_key}


@contextmanager
def demo_store() -> Iterator[Store]:
    """PostgreSQL + a fresh migrated database + the demo seed; everything removed afterwards."""
    with postgres() as server_url, fresh_database(server_url) as db_url:
        yield Store(db_url, seed_demo(db_url))


# --------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    """GET `url`: (status, body); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def post_json(url: str, payload: Any, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    """POST `payload` as JSON to `url`: (status, body); HTTP errors are returned, not raised."""
    import json

    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url,
        data=json.dumps(payload).encode(),
        headers={"content-type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


class GranianServer:
    """A Granian server run by this process (same session, so the same scheduler autogroup as wrk)."""

    def __init__(
        self,
        target: str,
        *,
        env: dict[str, str] | None = None,
        factory: bool = False,
        workers: int = 1,
        interface: str = "asgi",
        loop: str = "uvloop",
        extra_args: tuple[str, ...] = (),
        health_path: str = "/health",
        name: str = "",
    ) -> None:
        self.name = name or target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.health_path = health_path
        self.cmd = [
            str(BIN / "granian"),
            "--interface",
            interface,
            *(["--no-ws"] if interface == "rsgi" else []),
            *(["--factory"] if factory else []),
            "--loop",
            loop,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--no-access-log",
            *extra_args,
            target,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def command(self) -> str:
        return shlex.join([os.path.relpath(self.cmd[0], ROOT), *self.cmd[1:]])

    def output(self) -> str:
        if not self._log:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def start(self, timeout: float = 30) -> "GranianServer":
        # Output to a file, not a pipe: nobody reads a pipe during a run, and a full one would stall the server.
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.output()
                self.stop()
                raise RuntimeError(f"{self.name}: server exited with {self.proc.returncode}:\n{out}")
            try:
                if fetch(self.url + self.health_path, timeout=1)[0] == 200:
                    log(f"{self.name} up on {self.url} (pid {self.proc.pid})")
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        out = self.output()
        self.stop()
        raise RuntimeError(f"{self.name}: server did not answer {self.health_path} in {timeout:.0f} s:\n{out}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "GranianServer":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# How the benchmarks' servers are run, as their sections say.
SERVED = (
    "`--loop uvloop`; ours through Granian's RSGI (`--interface rsgi`, commerce.boot: as `commerce serve` runs it), "
    "the baselines through ASGI (`--interface asgi`)"
)


def commerce_server(
    db_url: str,
    workers: int = 1,
    env: dict[str, str] | None = None,
    pool_size: int | None = 4,
    served: bool = False,
) -> GranianServer:
    """Our server, started as tests/conftest.py's `Server` starts it (DB_POOL_SIZE=4); `pool_size=None`
    leaves DB_POOL_SIZE unset, so the server uses its own default (10), whatever this process's environment says.
    `served`: started as `commerce serve` starts it (`python -m commerce.server`: Granian run from a small Python
    process, its workers forked from it, serving commerce.boot), not by the `granian` command, whose main process
    also imports Granian's CLI: each worker inherits those pages, ~2.5 MB more RSS."""
    base = {"COMMERCE_DATABASE_URL": db_url, "JWT_SECRET": JWT_SECRET}
    if pool_size is not None:
        base["DB_POOL_SIZE"] = str(pool_size)
    interface = os.environ.get("BENCH_COMMERCE_INTERFACE", "rsgi")  # (asgi: to compare, bench/RESULTS.md)
    target = "commerce.boot:create_app" if interface == "rsgi" else "commerce.app:create_app"
    server = GranianServer(
        target,
        factory=True,
        workers=workers,
        interface=interface,
        env={**base, **(env or {})},
        health_path="/health/ready",  # (the app started: /health is answered before, commerce.boot)
        name="commerce-core",
    )
    if pool_size is None and "DB_POOL_SIZE" not in (env or {}):
        server.env.pop("DB_POOL_SIZE", None)
    if served:
        server.env.update(HOST="127.0.0.1", PORT=str(server.port), WORKERS=str(workers))
        server.cmd = [str(BIN / "python"), "-m", "commerce.server"]
    return server


def bare_server(body_bytes: int, workers: int = 1) -> GranianServer:
    """The baseline: bench/bare_app.py answering every GET with a JSON body of `body_bytes` bytes."""
    return GranianServer(
        "bench.bare_app:app", workers=workers, env={"BARE_BODY_BYTES": str(body_bytes)}, name="bare ASGI"
    )


def one_select_server(db_url: str, body_bytes: int, workers: int = 1, *, pool: str = "psycopg") -> GranianServer:
    """The baseline: bench/one_select_app.py, one primary-key SELECT on `db_url` per GET (a pool of 10, as ours) and
    a JSON body of `body_bytes` bytes; `pool="commerce"`: on our server's pool (ONE_SELECT_POOL)."""
    env = {
        "ONE_SELECT_DATABASE_URL": db_url,
        "ONE_SELECT_BODY_BYTES": str(body_bytes),
        "ONE_SELECT_POOL_SIZE": "10",
        "ONE_SELECT_POOL": pool,
    }
    name = "one-SELECT app" + (" on our pool" if pool != "psycopg" else "")
    return GranianServer("bench.one_select_app:app", workers=workers, env=env, name=name)


# --------------------------------------------------------------------------------------------- wrk

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def latency_ms(text: str) -> float:
    """wrk's time format (`850.00us`, `1.20ms`, `1.05s`, `2.00m`) in milliseconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)(us|ms|s|m|h)\s*", text)
    if not match:
        raise ValueError(f"not a wrk latency: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


@dataclass
class WrkResult:
    requests_per_s: float
    latency_ms: dict[int, float]  # percentile -> ms (50, 75, 90, 99)
    latency_avg_ms: float | None
    latency_max_ms: float | None
    requests: int
    duration_s: float
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    command: str = ""
    raw: str = ""
    others_cpus: float | None = None  # CPUs used by processes outside this benchmark during the run
    server_cpu_s: float | None = None  # CPU seconds the server under load used (all its processes)
    db_cpu_s: float | None = None  # CPU seconds the benchmark's PostgreSQL used (when `account_database` found it)

    @property
    def p50_ms(self) -> float:
        return self.latency_ms[50]

    @property
    def p99_ms(self) -> float:
        return self.latency_ms[99]

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())

    @property
    def requests_per_cpu_s(self) -> float | None:
        """Requests per CPU second of the server: what it costs, nearly independent of other load."""
        if not self.server_cpu_s:
            return None
        return self.requests / self.server_cpu_s


def parse_wrk(output: str) -> WrkResult:
    """Parse `wrk --latency` output. Raises ValueError when a figure is missing."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if not rps:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    percentiles = {
        int(m[1]): latency_ms(m[2])
        for m in re.finditer(r"^\s*(\d+)%\s+(\d+(?:\.\d+)?(?:us|ms|s|m|h))\s*$", output, re.MULTILINE)
    }
    if 50 not in percentiles or 99 not in percentiles:
        raise ValueError(f"no latency distribution in wrk output (was --latency given?):\n{output}")
    stats = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+%", output, re.MULTILINE)
    avg = latency_ms(stats[1]) if stats else None
    max_ = latency_ms(stats[3]) if stats else None
    total = re.search(r"^\s*(\d+) requests in (\d+(?:\.\d+)?(?:us|ms|s|m|h))", output, re.MULTILINE)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(
        requests_per_s=float(rps[1]),
        latency_ms=percentiles,
        latency_avg_ms=avg,
        latency_max_ms=max_,
        requests=int(total[1]) if total else 0,
        duration_s=latency_ms(total[2]) / 1000 if total else 0.0,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=(
            dict(zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True)) if socket else {}
        ),
        raw=output,
    )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (bench/run.sh does it when run as root)")
    return found


def wrk_command(
    url: str,
    *,
    duration: str = "10s",
    threads: int = 1,
    connections: int = 64,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> list[str]:
    cmd = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    return [*cmd, url]


def run_wrk(
    url: str,
    *,
    duration: str = "10s",
    threads: int = 1,
    connections: int = 64,
    headers: dict[str, str] | None = None,
    server_pid: int | None = None,
    script: Path | None = None,
) -> WrkResult:
    """One wrk run (in this process's session, like the servers); parsed. With `server_pid`, the CPU
    time of that server (and its workers) during the run is recorded too; with `script`, wrk runs that
    Lua script (`wrk -s`), e.g. to rotate paths or send POST bodies."""
    cmd = wrk_command(url, duration=duration, threads=threads, connections=connections, headers=headers, script=script)
    server_before = tree_cpu(server_pid) if server_pid else 0.0
    db_before = _database_cpu()
    before = CpuSnapshot.take()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=parse_duration(duration) + 60, check=False)
    after = CpuSnapshot.take()
    server_after = tree_cpu(server_pid) if server_pid else 0.0
    db_after = _database_cpu()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = parse_wrk(done.stdout)
    result.command = shlex.join(["wrk", *cmd[1:]])
    result.others_cpus = after.others_since(before)
    if server_pid:
        result.server_cpu_s = server_after - server_before
    if db_before is not None and db_after is not None:
        result.db_cpu_s = db_after - db_before
    return result


# --------------------------------------------------------------------------------------------- noise

_TICK = os.sysconf("SC_CLK_TCK")
_DATABASE_PIDS: set[int] = set()  # PostgreSQL postmasters whose CPU is the benchmark's, not noise


def account_database(db_url: str) -> int | None:
    """When `db_url`'s PostgreSQL runs on this machine, count its CPU (postmaster and backends) as the benchmark's
    own rather than other processes' noise, and record it per wrk run (`WrkResult.db_cpu_s`). pg_ctl daemonizes
    the postmaster (the embedded server too), so it is not a descendant of this process. The postmaster is the
    parent of our backend, checked by its working directory being the server's data directory. Returns its pid,
    or None when it cannot be found or checked (a remote server, or not allowed to read data_directory)."""
    import psycopg

    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_backend_pid(), current_setting('data_directory')").fetchone()
        if row is None:
            return None
        backend, data_dir = int(row[0]), str(row[1])
        postmaster = int((Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split())[1])
        if Path(os.readlink(f"/proc/{postmaster}/cwd")).resolve() != Path(data_dir).resolve():
            return None
    except (psycopg.Error, OSError, ValueError, IndexError):
        return None
    _DATABASE_PIDS.add(postmaster)
    log(f"PostgreSQL postmaster is pid {postmaster} on this machine: its CPU is counted as the benchmark's")
    return postmaster


def _database_cpu() -> float | None:
    return sum(tree_cpu(pid) for pid in _DATABASE_PIDS) if _DATABASE_PIDS else None


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds: busy on the whole machine, and used by this process, its live descendants
    (the servers and their workers) and its reaped children (wrk). The difference between two
    snapshots says how much CPU *other* processes took during a run: the noise in its figures."""

    at: float
    machine_busy: float
    ours: float

    @classmethod
    def take(cls) -> "CpuSnapshot":
        at = time.monotonic()
        try:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
            busy = (user + nice + system + irq + softirq + steal) / _TICK
        except (OSError, ValueError, IndexError):
            return cls(at, float("nan"), float("nan"))
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(at, busy, tree_cpu(os.getpid()) + reaped.ru_utime + reaped.ru_stime + (_database_cpu() or 0.0))

    def others_since(self, before: "CpuSnapshot") -> float | None:
        """Average CPUs used by other processes between `before` and this snapshot."""
        elapsed = self.at - before.at
        others = (self.machine_busy - before.machine_busy) - (self.ours - before.ours)
        if elapsed <= 0 or others != others:  # NaN: no /proc
            return None
        return max(others, 0.0) / elapsed


def wait_for_quiet(max_wait: float, threshold: float = QUIET_CPUS, window: float = 1.0) -> float | None:
    """Wait (up to `max_wait` s) until other processes use less than `threshold` CPUs over `window` s;
    returns what they used in the last window (None without /proc)."""
    deadline = time.monotonic() + max_wait
    waited = False
    while True:
        before = CpuSnapshot.take()
        time.sleep(window)
        others = CpuSnapshot.take().others_since(before)
        if others is None or others < threshold or time.monotonic() >= deadline:
            if waited:
                log(f"other processes use {others:.2f} CPUs" + (" (gave up waiting)" if others >= threshold else ""))
            return others
        if not waited:
            log(f"other processes use {others:.2f} CPUs; waiting up to {max_wait:.0f} s for a quieter machine")
            waited = True


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and its live descendants, from /proc/<pid>/stat."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        pid = int(entry.name)
        parent[pid] = int(rest[1])
        cpu[pid] = (int(rest[11]) + int(rest[12])) / _TICK
    total = 0.0
    for pid, seconds in cpu.items():
        p, depth = pid, 0
        while p and p != root and depth < 64:
            p, depth = parent.get(p, 0), depth + 1
        if p == root:
            total += seconds
    return total


# --------------------------------------------------------------------------------------------- memory


def child_pids(pid: int) -> list[int]:
    """The live direct children of `pid` (from /proc/<pid>/stat), in pid order."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(entry.name))
    return sorted(children)


def worker_pid(server: GranianServer) -> int:
    """The one worker process of a 1-worker Granian server: the granian process's child."""
    if server.pid is None:
        raise RuntimeError(f"{server.name}: not started")
    children = child_pids(server.pid)
    if len(children) != 1:
        raise RuntimeError(f"{server.name}: expected one worker under pid {server.pid}, found {children}")
    return children[0]


@dataclass(frozen=True)
class Memory:
    """A process's memory in kB, from /proc/<pid>/smaps_rollup. RSS counts every resident page the process
    maps, shared library pages in full; PSS divides each shared page among the processes mapping it; USS
    (Private_Clean + Private_Dirty) is what the process alone holds: what ending it would give back."""

    pid: int
    rss_kb: int
    pss_kb: int
    uss_kb: int
    anon_kb: int
    swap_kb: int

    @classmethod
    def of(cls, pid: int) -> "Memory":
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, _, value = line.partition(":")
            parts = value.split()
            if parts and parts[0].isdigit():
                fields[key.strip()] = int(parts[0])
        return cls(
            pid=pid,
            rss_kb=fields["Rss"],
            pss_kb=fields["Pss"],
            uss_kb=fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
            anon_kb=fields.get("Anonymous", 0),
            swap_kb=fields.get("Swap", 0),
        )


def fmt_mb(kb: float) -> str:
    """kB as MB (10^6 bytes, as the goals are stated), one decimal."""
    return f"{kb * 1024 / 1e6:.1f} MB"


# --------------------------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    server_pid: int | None = None  # to record the server's CPU time per run
    script: Path | None = None  # a wrk Lua script (`wrk -s`) for this target, e.g. rotating paths or POSTs


@dataclass
class Comparison:
    settings: BenchSettings
    runs: dict[str, list[WrkResult]]  # target name -> measured runs, in order

    def best(self, name: str) -> WrkResult:
        """The run with the most requests per second (noise only ever slows a run down)."""
        return max(self.runs[name], key=lambda r: r.requests_per_s)

    def errors(self) -> dict[str, int]:
        return {name: sum(r.errors for r in runs) for name, runs in self.runs.items()}

    def best_per_cpu(self, name: str) -> float | None:
        """The best requests per server CPU second over the runs (None when not recorded)."""
        seen = [r.requests_per_cpu_s for r in self.runs[name] if r.requests_per_cpu_s]
        return max(seen) if seen else None

    def others_cpus(self) -> float | None:
        """The most CPU other processes took during a kept (best) run (average over that run)."""
        seen = [r.others_cpus for r in (self.best(name) for name in self.runs) if r.others_cpus is not None]
        return max(seen) if seen else None


def compare(targets: list[Target], settings: BenchSettings) -> Comparison:
    """Warm each target up, then measure them in turn (A, B, A, B, ...) `settings.rounds` times."""
    opts = {"threads": settings.threads, "connections": settings.connections}
    for target in targets:
        log(f"warm-up {settings.warmup}: {target.name}")
        run_wrk(target.url, duration=settings.warmup, headers=target.headers, script=target.script, **opts)
    runs: dict[str, list[WrkResult]] = {t.name: [] for t in targets}
    for round_ in range(1, settings.rounds + 1):
        for target in targets:
            if settings.quiet_wait > 0:
                wait_for_quiet(settings.quiet_wait)
            result = run_wrk(
                target.url,
                duration=settings.duration,
                headers=target.headers,
                server_pid=target.server_pid,
                script=target.script,
                **opts,
            )
            runs[target.name].append(result)
            log(
                f"round {round_}/{settings.rounds} {target.name}: {result.requests_per_s:,.0f} req/s, "
                f"p50 {fmt_ms(result.p50_ms)}, p99 {fmt_ms(result.p99_ms)}"
                + (f", {result.errors} errors" if result.errors else "")
                + (f", {result.requests_per_cpu_s:,.0f} req per server CPU-s" if result.requests_per_cpu_s else "")
                + (f", other processes used {result.others_cpus:.2f} CPUs" if result.others_cpus is not None else "")
            )
    return Comparison(settings, runs)


# --------------------------------------------------------------------------------------------- formatting


def fmt_ms(ms: float) -> str:
    if ms < 1:
        return f"{ms * 1000:.0f} µs"
    if ms < 1000:
        return f"{ms:.2f} ms"
    return f"{ms / 1000:.2f} s"


def fmt_rate(per_s: float) -> str:
    return f"{per_s:,.0f}"


def redact(command: str, secret: str) -> str:
    return command.replace(secret, secret[:8] + "…") if secret else command


def failure_markdown(exc: BaseException, lines: int = 30) -> str:
    """A section body for a run that failed: what went wrong, with the end of the message."""
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()[-lines:]
    block = "\n".join(line[:200] for line in text).replace("```", "'''")
    return f"**The run failed; no figures.**\n\n```text\n{block}\n```\n"


def engine_build() -> str:
    """Whether the installed Rust extension carries debug info (a `maturin develop` debug build) or not."""
    try:
        import commerce

        so = next(Path(commerce.__file__).parent.glob("_native*.so"))
    except (ImportError, StopIteration):
        return "not found"
    sections = elf_sections(so)
    kind = "debug build (has .debug_info)" if ".debug_info" in sections else "release build (no debug info)"
    return (
        f"{kind}, {so.stat().st_size / 1e6:.1f} MB, built {time.strftime('%H:%M UTC', time.gmtime(so.stat().st_mtime))}"
    )


def elf_sections(path: Path) -> set[str]:
    """Section names of a 64-bit little-endian ELF file (empty when it is not one)."""
    import struct

    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return set()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    strtab_off = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    names = set()
    for i in range(shnum):
        name_off = struct.unpack_from("<I", data, shoff + i * shentsize)[0]
        end = data.index(b"\0", strtab_off + name_off)
        names.add(data[strtab_off + name_off : end].decode(errors="replace"))
    return names
