"""The database baseline: a bare ASGI app, no framework, running one primary-key SELECT per request.

`GET /store/carts/<id>` runs `SELECT id, currency_code, email FROM cart WHERE id = %s` through a psycopg
AsyncConnectionPool shaped like our server's (commerce.db.pool: min 2, max ONE_SELECT_POOL_SIZE connections,
default 10 as DB_POOL_SIZE's; autocommit; psycopg's default server-side prepared statements, prepared after a
query's 5th run on a connection) and answers the row as JSON padded to exactly ONE_SELECT_BODY_BYTES bytes, so it
moves the same payload as the route it is compared with. An unknown id is a 404; `/health` answers without the
database. ONE_SELECT_POOL=commerce runs it on our server's pool instead (commerce.db.pool: psycopg_pool's with its
short ways in and out and its own queue), to see how much of a ratio is the pool. Serve it like the real app:

    ONE_SELECT_DATABASE_URL=postgresql://... ONE_SELECT_BODY_BYTES=1234 \\
        granian --interface asgi --loop uvloop --workers 1 bench.one_select_app:app
"""

import json
import os
from typing import Any

from psycopg_pool import AsyncConnectionPool

QUERY = "SELECT id, currency_code, email FROM cart WHERE id = %s"
PREFIX = "/store/carts/"
DATABASE_URL = os.environ.get("ONE_SELECT_DATABASE_URL", "")
BODY_BYTES = int(os.environ.get("ONE_SELECT_BODY_BYTES", "512"))
POOL_SIZE = int(os.environ.get("ONE_SELECT_POOL_SIZE", "10"))
JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]

pool: AsyncConnectionPool[Any] | None = None


def padded(document: dict[str, Any], size: int) -> bytes:
    """`document` as JSON with a "pad" member making it exactly `size` bytes (unpadded when it is already longer)."""
    bare = json.dumps({**document, "pad": ""}, separators=(",", ":")).encode()
    if len(bare) >= size:
        return bare
    return json.dumps({**document, "pad": "x" * (size - len(bare))}, separators=(",", ":")).encode()


async def respond(send: Any, status: int, body: bytes) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def handle(scope: dict[str, Any], send: Any) -> None:
    path: str = scope["path"]
    if path == "/health":
        await respond(send, 200, b'{"status":"ok"}')
        return
    if scope["method"] != "GET" or not path.startswith(PREFIX) or "/" in path[len(PREFIX) :]:
        await respond(send, 404, b'{"type":"not_found","message":"no such route"}')
        return
    assert pool is not None
    async with pool.connection() as conn:
        cursor = await conn.execute(QUERY, (path[len(PREFIX) :],))
        row = await cursor.fetchone()
    if row is None:
        await respond(send, 404, b'{"type":"not_found","message":"no such cart"}')
        return
    cart = {"id": row[0], "currency_code": row[1], "email": row[2]}
    await respond(send, 200, padded({"cart": cart}, BODY_BYTES))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    kind = scope["type"]
    if kind == "http":
        await handle(scope, send)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                kind_of_pool = AsyncConnectionPool
                if os.environ.get("ONE_SELECT_POOL") == "commerce":
                    from commerce.db.pool import Pool

                    kind_of_pool = Pool
                pool = kind_of_pool(
                    DATABASE_URL,
                    min_size=min(2, POOL_SIZE),
                    max_size=POOL_SIZE,
                    open=False,
                    kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
                    name="one-select",
                )
                await pool.open(wait=True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if pool is not None:
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
