"""Carts as their last change on this machine wrote them, shared by the workers of one server: a memory-mapped
key-value store (LMDB) under /dev/shm, so that a cart's next change is one round trip (its conditional write)
whichever worker it lands on. A copy is only ever a guess: the write is conditional on the version the change
started from, so a copy that is behind (another server's write, a change racing this one) loses the write and the
cart is read; nothing correct depends on this store, and any failure of it only turns it off.

One store per server (the workers' parent process) and database (its name, oid and the PostgreSQL server's start
time): a cart id of another database never meets it. A full store is emptied and filled again. A store whose server
is gone is removed by the next one to open (and `commerce serve` removes its own on exit)."""

import hashlib
import logging
import math
import os
import shutil
import stat
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce.cart.repository import exact

log = logging.getLogger("commerce.cart")

PREFIX = "commerce-carts-"
_pack = msgspec.msgpack.Encoder().encode  # Decimal as its string (read back by `exact`), datetime as a timestamp
_unpack = msgspec.msgpack.Decoder().decode


SIZE = 64 * 1024 * 1024  # bytes (settings.cart_copies_mb; 0: each worker keeps its own copies only)
_stores: dict[tuple[str, str, str], "Shared | None"] = {}  # by database, as a connection names it
_opening: set[tuple[str, str, str]] = set()
_by_connection: "weakref.WeakKeyDictionary[AsyncConnection[Any], Shared | None]" = weakref.WeakKeyDictionary()
IDENTITY = """
SELECT current_database(), d.oid, pg_postmaster_start_time() FROM pg_database d WHERE d.datname = current_database()
"""


def configure(megabytes: int) -> None:
    global SIZE
    SIZE = megabytes * 1024 * 1024


async def store_for(conn: AsyncConnection[Any]) -> "Shared | None":
    """The store of this server for the connection's database, opened on its first cart change (one statement
    then: the database's oid and its server's start time name it, so a database made again never meets old carts).
    Changes that come while it is being opened go without."""
    try:
        return _by_connection[conn]
    except KeyError:
        pass
    info = conn.info
    key = (info.host, str(info.port), info.dbname)
    if key not in _stores:
        if key in _opening:
            return None
        _opening.add(key)
        try:
            identity = None
            if SIZE > 0:
                cur = await conn.execute(IDENTITY)
                identity = await cur.fetchone()
        finally:
            _opening.discard(key)  # (a failed read: the next change tries again)
        _stores[key] = Shared.open(f"{info.host}:{info.port}/{identity}", SIZE) if identity else None
    found = _by_connection[conn] = _stores[key]
    return found


def base_dir() -> Path:
    """tmpfs when there is one (no disk writes for a cache), else the temp directory."""
    shm = Path("/dev/shm")  # noqa: S108 - the store checks that its directory is its own (`_own_dir`)
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def remove_server_stores(pid: int) -> None:
    """Remove the stores of the server whose workers' parent is `pid` (it is stopping)."""
    for path in base_dir().glob(f"{PREFIX}{pid}-*"):
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _sweep(base: Path) -> None:
    """Remove the stores of servers that are gone (a server killed before it could)."""
    for path in base.glob(f"{PREFIX}*-*"):
        pid = path.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _own_dir(path: Path) -> None:
    """Make the store's directory, or find it made by a worker of this server: a directory this user does not own
    alone (another user's, a symlink) is refused, since what it holds would be written back to carts."""
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{path} is not this user's own directory")


WORKER = b"\x00worker:"  # + a pid: a worker that uses the store (no cart id starts with a NUL)
LOOK_AGAIN = 0.1  # seconds: how often a worker looks whether other workers use the store


class Shared:
    """The store: cart id -> the cart's version (8 bytes) and the cart (msgpack). Calls are short and do not block
    on anything but the store's writer lock (held for microseconds by another worker's put).

    A worker alone on its store (one worker, or the others have not changed a cart yet) neither puts nor gets: its
    own copies are all there is to share, and a put costs about what the cart's own totals do. Each worker that
    opens the store registers in it, and a worker looks again every LOOK_AGAIN seconds."""

    def __init__(self, path: Path, size: int) -> None:
        import lmdb  # only where a store is used

        self._lmdb = lmdb
        self.path = path
        # Written through the map, not by a pwrite per page: a put held the writer lock ~2x as long, and the other
        # worker waited for it (two processes putting: 16 -> 9 us of CPU per put and 26 -> 10 us wall).
        self.env = lmdb.open(
            str(path), map_size=size, subdir=True, sync=False, metasync=False, readahead=False, max_dbs=0, writemap=True
        )
        try:
            _reserve(path / "data.mdb", size)
        except OSError:
            self.env.close()
            raise
        self.env.reader_check()  # free the reader slots of workers that were killed while holding one
        self.broken = False
        self.pid = os.getpid()
        self._me = WORKER + str(self.pid).encode()
        self._shared = False
        self._looked = -math.inf  # (never: look at the next call)
        self.register(self.pid)

    def register(self, pid: int) -> None:
        """The worker `pid` uses the store."""
        with self.env.begin(write=True) as txn:
            txn.put(WORKER + str(pid).encode(), b"")
        self._looked = -math.inf  # (never: look at the next call)

    def shared(self) -> bool:
        """Whether other live workers use the store (looked at every LOOK_AGAIN seconds)."""
        now = time.monotonic()
        if now - self._looked >= LOOK_AGAIN:
            self._looked = now
            try:
                self._shared = self._others()
            except self._lmdb.Error as exc:
                self._break(exc)
        return self._shared and not self.broken

    def _others(self) -> bool:
        found = False
        me = self._me
        with self.env.begin(write=True) as txn:
            if txn.get(me) is None:
                txn.put(me, b"")  # (an emptied store lost the registrations: each worker makes its own again)
            cursor = txn.cursor()
            live = cursor.set_range(WORKER)
            while live and cursor.key().startswith(WORKER):
                key = cursor.key()
                if key != me and _alive(int(key[len(WORKER) :])):
                    found = True
                    live = cursor.next()
                elif key != me:
                    live = cursor.delete()  # (a worker that is gone; delete moves to the next key)
                else:
                    live = cursor.next()
        return found

    @classmethod
    def open(cls, database: str, size: int) -> "Shared | None":
        """The store of this server for `database` (its identity), or None when one cannot be opened here."""
        base = base_dir()
        name = hashlib.sha256(f"{os.getuid()}:{database}".encode()).hexdigest()[:16]
        path = base / f"{PREFIX}{os.getppid()}-{name}"
        try:
            _sweep(base)
            _own_dir(path)
            return cls(path, size)
        except Exception as exc:  # (no tmpfs, no space, no lmdb: the workers keep their own copies only)
            log.warning("carts are not shared between workers: %s", exc)
            return None

    def get(self, cart_id: str) -> tuple[int, bytes] | None:
        if not self.shared():
            return None
        try:
            with self.env.begin() as txn:
                value = txn.get(cart_id.encode())
        except self._lmdb.Error as exc:
            self._break(exc)
            return None
        return None if value is None else (int.from_bytes(value[:8], "big"), value[8:])

    def put(self, cart: dict[str, Any]) -> None:
        """Keep the cart unless the store holds a later version of it (a slower worker's put)."""
        if not self.shared():
            return
        version: int = cart["version"]
        key = cart["id"].encode()
        value = version.to_bytes(8, "big") + _pack(cart)
        try:
            for attempt in range(2):
                try:
                    with self.env.begin(write=True) as txn:
                        held = txn.get(key)
                        if held is None or int.from_bytes(held[:8], "big") < version:
                            txn.put(key, value)
                    return
                except self._lmdb.MapFullError:
                    if attempt:
                        return  # (a cart larger than the whole store)
                    with self.env.begin(write=True) as txn:
                        txn.drop(self.env.open_db(), delete=False)
                    # (a commit of its own: LMDB reuses the pages a transaction freed only after the next one
                    # commits, so a put straight after the drop could find the store as full as before)
                    with self.env.begin(write=True) as txn:
                        txn.put(self._me, b"")
        except self._lmdb.Error as exc:
            self._break(exc)

    def _break(self, exc: Exception) -> None:
        """A store that fails (its file gone, no space left) is not used again by this worker."""
        self.broken = True
        log.warning("carts are no longer shared between workers: %s", exc)

    def close(self) -> None:
        self.env.close()


def _reserve(path: Path, size: int) -> None:
    """All the space of the store's file taken on its filesystem up front: a full tmpfs then refuses the store here,
    instead of killing a worker with SIGBUS when a put touches a page of the map it cannot have."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)


def unpack(payload: bytes) -> dict[str, Any]:
    """A cart as `Shared.put` kept it, as `cart.repository.read` gives it."""
    return exact(_unpack(payload))
