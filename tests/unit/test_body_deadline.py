"""Request.body's deadline (http.deadlines: one timer per loop for all reads): a body that stops coming is a 408 soon
after its deadline, a request cancelled otherwise stays cancelled, and reads that end leave nothing behind."""

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
import uvloop

from commerce.errors import RequestTimeout
from commerce.http import deadlines
from commerce.http.request import Request

LOOPS = {"asyncio": asyncio.run, "uvloop": uvloop.run}


@pytest.fixture(params=sorted(LOOPS))
def run(request: pytest.FixtureRequest) -> Any:
    return LOOPS[request.param]


def _request(messages: list[dict[str, Any]], seconds: float = 0.2) -> Request:
    async def receive() -> dict[str, Any]:
        if not messages:
            await asyncio.sleep(3600)  # a client that stopped sending
        return messages.pop(0)

    state: Any = SimpleNamespace(settings=SimpleNamespace(body_timeout=seconds))
    return Request({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, state, b"rid")


def test_a_body_in_parts_is_read_whole_and_leaves_no_deadline(run: Any) -> None:
    async def work() -> None:
        parts = [{"body": b'{"a":', "more_body": True}, {"body": b"1}", "more_body": False}]
        assert await _request(parts).body() == b'{"a":1}'
        for _ in range(100):
            assert await _request([{"body": b"x"}]).body() == b"x"
        reads = deadlines.of(asyncio.get_running_loop())
        assert reads.reading == {} and reads.expired == set()
        await asyncio.sleep(deadlines.GRAIN * 1.5)
        assert reads.timer is None  # no reads: no timer

    run(work())


def test_a_body_that_stops_coming_times_out_after_its_deadline(run: Any) -> None:
    async def work() -> None:
        started = time.monotonic()
        with pytest.raises(RequestTimeout, match=r"within 0\.2 seconds"):
            await _request([{"body": b"{", "more_body": True}]).body()
        assert 0.2 <= time.monotonic() - started < 0.2 + deadlines.GRAIN + 0.3
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # the deadline's cancel is taken back
        assert await _request([{"body": b"x"}]).body() == b"x"  # and the next read has its own

    run(work())


def test_a_request_cancelled_while_reading_stays_cancelled(run: Any) -> None:
    async def work() -> None:
        reading = asyncio.create_task(_request([], seconds=10).body())
        await asyncio.sleep(0.05)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        assert deadlines.of(asyncio.get_running_loop()).reading == {}

    run(work())
