"""A PostgreSQL cluster of the test's own, from the binaries the pgserver package ships, that a test may stop and
start while a server uses it (never the machine's PostgreSQL: others use that). It listens on 127.0.0.1 at a free
port; as root the server runs as pgserver's system user, since PostgreSQL refuses to run as root."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pgserver

from tests.conftest import free_port

BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
SYSTEM_USER = "pgserver"  # the user pgserver itself runs PostgreSQL as when started by root


class Cluster:
    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="commerce-fault-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = SYSTEM_USER
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                subprocess.run(["useradd", "-s", "/bin/sh", SYSTEM_USER], check=True, capture_output=True)
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.home, entry.pw_uid, entry.pw_gid)
            self.home.chmod(0o755)

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(BIN / args[0]), *args[1:]], check=True, capture_output=True, user=self._user, timeout=timeout
        )

    def init(self) -> "Cluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.home} -c fsync=off -c max_connections=100"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is cut at once (what a restart or failover does to the server's connections)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.home, ignore_errors=True)
