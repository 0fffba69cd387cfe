"""PostgreSQL stopped while the server serves, then started again: during the outage every request answers at once,
either from what the worker holds in memory or with a 503 `{type, message}` and Retry-After (never a 500, never a
hang); afterwards the same server processes serve again without a restart: the pool reconnects and so does the change
feed's LISTEN. The database is a cluster of the test's own (tests/faults/cluster.py)."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest

from commerce.db.migrate import migrate
from tests.conftest import Server, eventually
from tests.faults.cluster import Cluster
from tests.shop import ok

WORKERS = 2
POOL_TIMEOUT = 2  # DB_POOL_TIMEOUT: the longest a request may wait for a connection while the database is away
CLIENT_TIMEOUT = 20.0  # ten times POOL_TIMEOUT: no answer by then is a hang


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    own = Cluster().init()
    own.start()
    yield own
    own.destroy()


@pytest.fixture(scope="module")
def db_url(cluster: Cluster) -> str:
    """conftest's fresh database, here the test's own cluster (so `seeded`, `admin` and `store` use it)."""
    migrate(cluster.url)
    return cluster.url


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=WORKERS, env={"DB_POOL_TIMEOUT": str(POOL_TIMEOUT)}).start()
    yield srv
    srv.stop()


@dataclass
class Answer:
    phase: str  # when the answer came: a request sent before the stop and answered after it is of the outage
    request: str
    status: int  # 0: no answer (a timeout or a dropped connection)
    body: str
    retry_after: str | None


class Traffic:
    """Shoppers and an operator sending requests in a loop from threads, every answer kept with the phase it
    belongs to."""

    def __init__(self, calls: dict[str, Callable[[], httpx.Response]], threads: int = 4) -> None:
        self.calls = calls
        self.phase = "before"
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self) -> "Traffic":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=CLIENT_TIMEOUT * 2)

    def _run(self, offset: int) -> None:
        names = sorted(self.calls)
        i = offset
        while not self._stop.is_set():
            name = names[i % len(names)]
            i += 1
            sent = self.phase
            try:
                r = self.calls[name]()
                status, body, retry = r.status_code, r.text, r.headers.get("retry-after")
            except httpx.HTTPError as exc:
                status, body, retry = 0, repr(exc), None
            # A request in flight while the phase changed belongs to neither (e.g. sent before the stop, answered 503).
            phase = sent if sent == self.phase else f"{sent}->{self.phase}"
            answer = Answer(phase, name, status, body, retry)
            self.answers.append(answer)
            time.sleep(0.02)

    def of(self, phase: str) -> list[Answer]:
        return [a for a in self.answers if a.phase == phase]


def listeners(cluster: Cluster) -> int:
    """Sessions LISTENing on the change feed's channel (one per worker when connected)."""
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %%' AND state = 'idle'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_database_restart_gives_clear_503s_then_recovers_without_a_server_restart(
    cluster: Cluster, server: Server, store: httpx.Client, admin: httpx.Client
) -> None:
    region = ok(store.get("/store/regions"))["regions"][0]["id"]
    assert eventually(lambda: listeners(cluster) == WORKERS, timeout=10)
    pids = server.proc.pid if server.proc else None
    timeout = httpx.Timeout(CLIENT_TIMEOUT)
    calls: dict[str, Callable[[], httpx.Response]] = {
        "GET /store/regions": lambda: store.get("/store/regions", timeout=timeout),
        "GET /store/products": lambda: store.get("/store/products", params={"limit": 5}, timeout=timeout),
        "POST /store/carts": lambda: store.post("/store/carts", json={"region_id": region}, timeout=timeout),
        "GET /admin/orders": lambda: admin.get("/admin/orders", timeout=timeout),
        "POST /admin/regions/:id": lambda: admin.post(
            f"/admin/regions/{region}", json={"metadata": {"touched": "yes"}}, timeout=timeout
        ),
    }
    with Traffic(calls) as traffic:
        time.sleep(1.5)
        traffic.phase = "outage"
        cluster.stop("fast")
        time.sleep(POOL_TIMEOUT * 3)
        traffic.phase = "restarting"
        cluster.start()

        def all_served() -> bool:
            recent = traffic.answers[-3 * len(calls) :]
            return len({a.request for a in recent if a.status in (200, 201)}) == len(calls) and all(
                a.status in (200, 201) for a in recent
            )

        assert eventually(all_served, timeout=60), Counter((a.request, a.status) for a in traffic.answers[-20:])
        traffic.phase = "after"
        time.sleep(1.5)

    summary = Counter((a.phase, a.status) for a in traffic.answers)
    assert all(a.status in (200, 201) for a in traffic.of("before")), summary
    outage = traffic.of("outage")
    refused = [a for a in outage if a.status == 503]
    assert refused, f"no request failed while the database was down: {summary}"
    for a in traffic.answers:
        # Status 0 is no answer within CLIENT_TIMEOUT (ten times the pool's timeout): a hang.
        assert a.status in (200, 201, 503), f"{a.request} in phase {a.phase}: {a.status} {a.body[:300]}"
        if a.status == 503:
            assert a.retry_after is not None and int(a.retry_after) > 0, a
            body = httpx.Response(503, content=a.body.encode()).json()
            assert body["type"] == "database_error" and "Retry shortly" in body["message"], body
    after = traffic.of("after")
    assert after and all(a.status in (200, 201) for a in after), summary
    # The same server: no worker died and none was restarted; the change feed listens again on every worker.
    assert server.proc is not None and server.proc.poll() is None and server.proc.pid == pids
    assert eventually(lambda: listeners(cluster) == WORKERS, timeout=10), listeners(cluster)
    log = server.log_text()
    assert "unhandled error" not in log and "Traceback" not in log, log[-3000:]
    # A change made now reaches the storefront's cached read model through the reconnected feed.
    ok(admin.post(f"/admin/regions/{region}", json={"name": "Renamed After Restart"}))
    assert eventually(lambda: ok(store.get(f"/store/regions/{region}"))["region"]["name"] == "Renamed After Restart")
