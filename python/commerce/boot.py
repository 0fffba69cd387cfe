"""What Granian's workers load (`commerce.boot:create_app`): alive at once, the app imported and started beside.

A worker's `import commerce.app` (psycopg, msgspec, the caches' modules) and App.startup (migrations check, pool,
LISTEN) take a few hundred milliseconds. This front answers the lifespan's startup at once, imports and starts the
app in the background (the import in a thread, so the event loop keeps answering), and meanwhile:
- `GET /health` answers 200 `OK`: it is liveness, as Medusa's `/health` is (the process is up and serving HTTP),
  not a promise that the database is reachable;
- `GET /health/ready` answers 503 until the app has started (then the app answers it: 200), for load balancers and
  readiness probes that must not send traffic before;
- any other request waits for the app and is then served by it, so nothing is answered before the migrations are
  applied and the pool has a working connection.
Once started, every request goes straight to the app. A start that fails ends the worker (exit status 1), as a
failed lifespan startup does, and requests waiting for it get a 503."""

import asyncio
import contextlib
import gc
import importlib
import logging
import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing of the app is imported before the worker is up: not even commerce.http (msgspec)
    from commerce.app import App
    from commerce.db.startup import Database
    from commerce.http.asgi import Receive, Scope, Send

log = logging.getLogger("commerce")
TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
UNAVAILABLE = (
    b'{"type":"service_unavailable","message":"The server is starting. Retry shortly."}',
    [(b"content-type", b"application/json"), (b"retry-after", b"1")],
)


class Boot:
    def __init__(self) -> None:
        self.app: App | None = None
        self._started: asyncio.Task[App] | None = None

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        app = self.app
        if app is not None:
            await app(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._early(scope, receive, send)

    async def _early(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        """A request before the app has started."""
        path = scope["path"]
        if path == "/health" and scope["method"] == "GET":
            await _respond(send, 200, b"OK", TEXT)
            return
        if path == "/health/ready":
            await _respond(send, 503, *UNAVAILABLE)
            return
        try:
            app = await asyncio.shield(self._start())
        except Exception:
            await _respond(send, 503, *UNAVAILABLE)
            return
        await app(scope, receive, send)

    def _start(self, loop: asyncio.AbstractEventLoop | None = None) -> "asyncio.Task[App]":
        if self._started is None:  # at lifespan startup, or on the first request of a server without lifespan
            loop = loop or asyncio.get_running_loop()
            self._started = loop.create_task(self._import_and_start(), name="commerce-start")
        return self._started

    # RSGI (Granian's own interface, what `commerce serve` runs): the same front without ASGI's message dicts.

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._start(loop)  # (the loop is not running yet: the start begins with it)

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        app = self.app
        if app is not None:
            await app.rsgi(scope, proto)
            return
        if scope.proto != "http":
            proto.close(404)
            return
        if scope.path == "/health" and scope.method == "GET":
            proto.response_bytes(200, _text(TEXT), b"OK")
            return
        if scope.path != "/health/ready":
            with contextlib.suppress(Exception):
                app = await asyncio.shield(self._start())
        if app is None:
            proto.response_bytes(503, _text(UNAVAILABLE[1]), UNAVAILABLE[0])
            return
        await app.rsgi(scope, proto)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._stop())

    async def _stop(self) -> None:
        started = self._started
        if started is not None and not started.done():
            started.cancel()
            await asyncio.gather(started, return_exceptions=True)
        if self.app is not None:
            await self.app.shutdown()

    async def _import_and_start(self) -> "App":
        # The import makes ~50,000 objects that live as long as the worker (modules, classes, functions) and almost
        # no garbage (~100 objects): the cyclic GC, which would run a few hundred times over them meanwhile, is off
        # until the app has started, and what exists then is frozen (gc.freeze: left out of every later collection,
        # so a full collection at the first price index costs ~0 ms instead of ~20 ms).
        gc.disable()
        database: asyncio.Task[Database] | None = None
        try:
            # psycopg and the database's start first (~half of the import): the database's start (migrations
            # checked, pooler detected, pool opened) then waits on its round trips while the rest is imported.
            db = await asyncio.to_thread(_import_database)
            from commerce import settings as settings_module

            settings = settings_module.load()
            if url := db.database_url(settings):  # (none: create_app says so)
                database = asyncio.create_task(db.start(settings, url), name="commerce-database")
            module = await asyncio.to_thread(importlib.import_module, "commerce.app")
            app: App = module.create_app()
            await app.startup(database)
        except BaseException:
            if database is not None:
                await _abandon(database)
            log.exception("startup failed: this worker stops")
            asyncio.get_running_loop().call_later(0.1, os._exit, 1)  # Granian's main process then stops too
            raise
        finally:
            gc.freeze()
            gc.enable()
        self.app = app
        return app

    async def _lifespan(self, receive: "Receive", send: "Send") -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _import_database() -> ModuleType:
    from commerce.db import psycopg_versions  # psycopg's three version strings without importlib.metadata

    with psycopg_versions.provided():
        return importlib.import_module("commerce.db.startup")


async def _abandon(database: "asyncio.Task[Database]") -> None:
    """A start that failed after the database's began: stop that, or close the pool it opened."""
    if not database.done():
        database.cancel()
    await asyncio.gather(database, return_exceptions=True)
    if not database.cancelled() and database.exception() is None:
        await database.result().pool.close()


def _text(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode(), value.decode()) for name, value in headers]


async def _respond(send: "Send", status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app() -> Boot:
    """The factory Granian calls in each worker (`commerce.app:create_app` is the app itself, started by lifespan)."""
    return Boot()
