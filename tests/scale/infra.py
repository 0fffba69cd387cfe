"""The real parts a store outgrows one machine with, started by the tests themselves: Debian's PgBouncer in
transaction pooling mode on a free port, and a private PostgreSQL primary with a streaming replica made by
pg_basebackup (Debian's server binaries, temp directories, free ports; the machine's own cluster allows no
replication connections)."""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import free_port

PRICED = "*variants.calculated_price"  # the `fields` that ask the store for calculated prices


def reprice(admin: httpx.Client, variant: dict[str, Any], amount: int) -> None:
    """Set a tests/shop.py `product` variant's usd price through the admin API."""
    path = f"/admin/products/{variant['product_id']}/variants/{variant['id']}"
    r = admin.post(path, json={"prices": [{"currency_code": "usd", "amount": amount}]})
    assert r.status_code == 200, r.text


RUN_AS = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # PostgreSQL and PgBouncer refuse root


def _private_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o755)
    return path


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


class PgBouncer:
    """PgBouncer in transaction mode in front of `server_url`'s PostgreSQL: every database of that server, by name,
    over at most `pool_size` server connections per database (fewer than the app's pool, so transactions really
    move between server connections)."""

    def __init__(self, server_url: str, pool_size: int = 2) -> None:
        binary = shutil.which("pgbouncer") or next(iter(glob.glob("/usr/sbin/pgbouncer")), None)
        if binary is None:
            pytest.skip("pgbouncer is not installed (make test installs Debian's package)")
        self.binary = binary
        self.target = conninfo_to_dict(server_url)
        self.port = free_port()
        self.pool_size = pool_size
        self.dir = _private_dir("commerce-pgbouncer-")
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, dbname: str) -> str:
        params = {k: v for k, v in self.target.items() if k in ("user", "password")}
        return make_conninfo("", host="127.0.0.1", port=str(self.port), dbname=dbname, **params)

    def start(self) -> "PgBouncer":
        target = " ".join(f"{k}={self.target[k]}" for k in ("host", "port", "user", "password") if self.target.get(k))
        (self.dir / "users.txt").write_text(f'"{self.target.get("user", "postgres")}" ""\n')
        ini = self.dir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = {target}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 1000\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        self.log = open(self.dir / "pgbouncer.log", "wb")  # closed in stop()
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen([self.binary, *user, str(ini)], stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for(self.url(self.target.get("dbname", "postgres")), timeout=15)
        except Exception:
            self.stop()
            raise
        return self

    def log_text(self) -> str:
        return (self.dir / "pgbouncer.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def server_binaries() -> Path:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        path = Path(found)
        if all((path / b).exists() for b in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return path
    pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) under /usr/lib/postgresql")


class Cluster:
    """One PostgreSQL server of ours: a data directory under `root`, on a free port, every statement logged (so a
    test can see which server ran what)."""

    def __init__(self, bin_dir: Path, root: Path, name: str) -> None:
        self.bin = bin_dir
        self.data = root / name
        self.root = root
        self.port = free_port()
        self.logfile = root / f"{name}.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def run(self, *args: str) -> None:
        subprocess.run([*RUN_AS, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1",
            "-w",
            "-t",
            "60",
            "start",
        )
        wait_for(self.url())

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*RUN_AS, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                cwd=self.root,
            )

    def log_text(self) -> str:
        return self.logfile.read_text(errors="replace")


class ReplicatedPair:
    """A primary and its streaming replica (pg_basebackup -R), logging every statement."""

    def __init__(self) -> None:
        bin_dir = server_binaries()
        self.root = _private_dir("commerce-replica-")
        self.primary = Cluster(bin_dir, self.root, "primary")
        self.replica = Cluster(bin_dir, self.root, "replica")

    def start(self) -> "ReplicatedPair":
        p = self.primary
        p.run(str(p.bin / "initdb"), "-D", str(p.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with open(p.data / "postgresql.conf", "a") as conf:
            # log_statement: proof of which server ran a read. fsync off: a test's throwaway cluster.
            conf.write(
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                "log_statement = 'all'\nlog_line_prefix = '%m [%p] %d '\nlog_min_messages = warning\n"
            )
        if os.geteuid() == 0:
            shutil.chown(p.data / "postgresql.conf", "postgres", "postgres")
        p.start()
        p.run(
            str(p.bin / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(p.port),
            "-U",
            "postgres",
            "-D",
            str(self.replica.data),
            "-R",
            "-X",
            "stream",
            "--no-sync",
        )
        self.replica.start()
        return self

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)
