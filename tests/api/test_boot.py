"""commerce.boot, what `commerce serve`'s workers load: /health answers before the app has started, readiness says
503 until it has, and every other request waits for the app and is answered by it."""

import asyncio
from typing import Any

import pytest

from commerce.boot import Boot
from tests.conftest import JWT_SECRET


async def call(app: Boot, method: str, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": b"", "headers": []}
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_health_before_the_app_and_every_other_request_after_it(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMERCE_DATABASE_URL", db_url)
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)

    async def scenario() -> None:
        boot = Boot()
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            outbox.append(message)

        lifespan = asyncio.create_task(boot({"type": "lifespan"}, inbox.get, send))
        await inbox.put({"type": "lifespan.startup"})
        while not outbox:
            await asyncio.sleep(0)
        assert outbox == [{"type": "lifespan.startup.complete"}], "startup is answered at once"
        assert boot.app is None, "the app is still being imported and started"

        assert await call(boot, "GET", "/health") == (200, b"OK")  # liveness, answered by boot itself
        status, body = await call(boot, "GET", "/health/ready")
        assert status == 503 and b"service_unavailable" in body
        assert boot.app is None

        # Anything else waits for the app (migrations checked, pool connected) and is the app's answer.
        status, body = await call(boot, "GET", "/no/such/route")
        assert boot.app is not None
        assert status == 404 and b'"type":"not_found"' in body
        assert await call(boot, "GET", "/health/ready") == (200, b"OK")

        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan
        assert outbox[-1] == {"type": "lifespan.shutdown.complete"}

    asyncio.run(scenario())
