"""The HTTP baseline: a bare ASGI app, no framework, answering GET on any path with one fixed JSON body.

The body is a JSON document padded to exactly BARE_BODY_BYTES bytes (default 512), so the baseline
moves the same payload as the route it is compared with. Serve it like the real app:

    BARE_BODY_BYTES=1234 granian --interface asgi --loop uvloop --workers 1 bench.bare_app:app
"""

import json
import os
from typing import Any

MIN_BODY = len(b'{"pad":""}')


def padded_body(size: int) -> bytes:
    """A valid JSON document of exactly `size` bytes (or the smallest one possible when `size` is less)."""
    size = max(size, MIN_BODY)
    body = json.dumps({"pad": "x" * (size - MIN_BODY)}, separators=(",", ":")).encode()
    assert len(body) == size
    return body


BODY = padded_body(int(os.environ.get("BARE_BODY_BYTES", "512")))
HEADERS = [
    (b"content-type", b"application/json; charset=utf-8"),
    (b"content-length", str(len(BODY)).encode()),
]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
BODY_MESSAGE = {"type": "http.response.body", "body": BODY}
NOT_ALLOWED = {"type": "http.response.start", "status": 405, "headers": [(b"content-length", b"0")]}
EMPTY = {"type": "http.response.body", "body": b""}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind == "http":
        if scope["method"] in ("GET", "HEAD"):
            await send(START)
            await send(BODY_MESSAGE)
        else:
            await send(NOT_ALLOWED)
            await send(EMPTY)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
