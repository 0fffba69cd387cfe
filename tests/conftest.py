"""Shared fixtures: a real PostgreSQL (DATABASE_URL, else an embedded one), a migrated template database,
a fresh database per test module, and a real Granian server on a free port."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from commerce.db.connect import run_with_conn as run_async
from commerce.db.connect import with_dbname
from commerce.db.migrate import migrate
from commerce.flows import setup
from commerce.settings import Settings

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
JWT_SECRET = "test-secret-for-the-test-run-only-0123456789"
ADMIN_EMAIL = "admin@test.local"
ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server: DATABASE_URL when set (CI), else an embedded one for this run."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from commerce.db import embedded

    # Its own directory (not pytest's numbered tmp dirs, which concurrent runs can share).
    home = Path(tempfile.mkdtemp(prefix="commerce-test-pg-"))
    uri, handle = embedded.start(home)
    yield uri
    handle.cleanup()  # stops the server
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    name = f"commerce_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(with_dbname(server_url, name))
    yield name
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def db_url(server_url: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database for one test module, dropped afterwards."""
    name = f"commerce_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def seeded(db_url: str) -> dict[str, str]:
    """The demo store plus a known admin; returns the publishable key and the admin login."""

    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, str]:
        await setup.seed_demo(conn, catalog=False)
        await setup.create_admin_user(conn, ADMIN_EMAIL, ADMIN_PASSWORD)
        info = await setup.demo_info(conn)
        assert info.publishable_key
        return {"publishable_key": info.publishable_key}

    return run_async(db_url, work)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, db_url: str, workers: int = 1, env: dict[str, str] | None = None, interface: str = "rsgi"
    ) -> None:
        self.interface = interface  # rsgi: commerce.boot, as `commerce serve` runs; asgi: the app itself
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        fd, mailbox = tempfile.mkstemp(prefix="commerce-test-mail-")
        os.close(fd)
        self.mailbox = Path(mailbox)  # events the server raised, as a mail sender would get them (tests/mailbox.py)
        self.env = {
            **os.environ,
            "COMMERCE_DATABASE_URL": db_url,
            "JWT_SECRET": JWT_SECRET,
            "DB_POOL_SIZE": "4",
            "EVENT_SUBSCRIBERS": "tests.mailbox:record",
            "TEST_MAILBOX": mailbox,
            # This checkout's package first (a git worktree's, not the one the venv was installed from), then tests/.
            "PYTHONPATH": os.pathsep.join([str(ROOT / "python"), str(ROOT)]),
            **(env or {}),
        }
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.output: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> "Server":
        cmd = [
            str(BIN / "granian"),
            "--interface",
            self.interface,
            "--no-ws",
            "--factory",
            "--loop",
            "uvloop",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--workers-kill-timeout",
            "30",  # longer than any test holds a request past SIGTERM (tests/faults), short of a hang
            "commerce.boot:create_app" if self.interface == "rsgi" else "commerce.app:create_app",
        ]
        # Its own process group: stop() can reach the workers too, even when the main process is gone.
        self.proc = subprocess.Popen(
            cmd, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        # Drain the server's output so it never blocks on a full pipe; tests can read it (events, logs).
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited: {''.join(self.output)}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:  # the app started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in 30 s")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.output.append(line.decode(errors="replace"))

    def log_text(self) -> str:
        return "".join(self.output)

    def mail(self, name: str) -> list[dict[str, Any]]:
        """The data of every `name` event the server raised so far, oldest first."""
        lines = self.mailbox.read_text().splitlines() if self.mailbox.exists() else []
        return [event["data"] for event in map(json.loads, lines) if event["name"] == name]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            # A worker left behind (its main process killed) would hold the output pipe open: end the whole group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self._reader:
            self._reader.join(timeout=5)
        # Closing the pipe while the reader thread still reads it would block on the reader's lock.
        if self.proc and self.proc.stdout and not (self._reader and self._reader.is_alive()):
            self.proc.stdout.close()
        self.mailbox.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def store(client: httpx.Client, seeded: dict[str, str]) -> Iterator[httpx.Client]:
    """A client that sends the demo publishable key."""
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    with httpx.Client(base_url=client.base_url, timeout=10, headers=headers) as c:
        yield c


def worker_settings(db_url: str, home: Path, **overrides: Any) -> Settings:
    """Settings for an App run inside the test process (a worker without Granian), small pool, test JWT secret."""
    fields: dict[str, Any] = {
        "database_url": db_url,
        "home": home,
        "host": "127.0.0.1",
        "port": 0,
        "workers": 1,
        "access_log": False,
        "jwt_secret": JWT_SECRET,
        "jwt_expires_in": 3600,
        "pool_size": 2,
        "public_url": "http://127.0.0.1",
        "body_timeout": 10,
    }
    return Settings(**{**fields, **overrides})


@contextlib.asynccontextmanager
async def worker_state(settings: Settings, db_url: str) -> AsyncIterator[Any]:
    """A worker's AppState (app.App.startup) in this process, its change feed connected; shut down after."""
    from commerce.app import App

    worker = App(settings, db_url)
    await worker.startup()
    try:
        state = worker.state
        assert state is not None and state.feed.connected
        yield state
    finally:
        await worker.shutdown()


def at_once(n: int, call: Callable[[int], httpx.Response], timeout: float = 60.0) -> list[httpx.Response]:
    """`call(i)` for each i below n, each on its own thread, all released together by one barrier: a race. Every call
    must answer within `timeout` (an exception is reported, not swallowed); the answers, in order."""
    barrier = threading.Barrier(n)
    answers: list[httpx.Response | BaseException | None] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            answers[i] = call(i)
        except BaseException as exc:
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a request did not finish in time"
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failed, failed[:3]
    return [a for a in answers if isinstance(a, httpx.Response)]


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll until `check()` is true: caches follow PostgreSQL NOTIFY, a few milliseconds behind."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture(scope="module")
def admin_token(client: httpx.Client) -> str:
    r = client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


@pytest.fixture(scope="module")
def admin(client: httpx.Client, admin_token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=client.base_url, timeout=10, headers={"authorization": f"Bearer {admin_token}"}) as c:
        yield c


def assert_error(response: httpx.Response, status: int, type_: str, contains: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == type_, body
    assert isinstance(body["message"], str) and body["message"]
    assert contains in body["message"], body
    return body
