"""Deadlines for request body reads, kept by one timer per event loop rather than one per read: asyncio.timeout
around each read (its object, three running-loop look-ups, a uvloop timer handle made and cancelled) made a body read
cost 5.3-6.4 us of CPU, 1.5 us now (a small body read in a loop). A read may run up to GRAIN seconds past its deadline
before it is cancelled."""

import asyncio
import weakref
from itertools import takewhile

GRAIN = 0.5  # seconds between two checks, while reads are under way


class Deadlines:
    """The reads under way on one loop, by task, in the order they started: with one length of time for all, that is
    the order of their deadlines, so a check looks only at the oldest."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reading: dict[asyncio.Task[object], float] = {}
        self.expired: set[asyncio.Task[object]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[object], seconds: float) -> None:
        self.reading[task] = self.loop.time() + seconds
        if self.timer is None:
            self.timer = self.loop.call_later(GRAIN, self._check)

    def finish(self, task: asyncio.Task[object]) -> bool:
        """Whether the read was cancelled for its deadline."""
        self.reading.pop(task, None)
        if task in self.expired:
            self.expired.discard(task)
            return True
        return False

    def _check(self) -> None:
        now = self.loop.time()
        for task, _ in list(takewhile(lambda read: read[1] <= now, self.reading.items())):
            del self.reading[task]
            self.expired.add(task)
            task.cancel()
        self.timer = self.loop.call_later(GRAIN, self._check) if self.reading else None


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = weakref.WeakKeyDictionary()


def of(loop: asyncio.AbstractEventLoop) -> Deadlines:
    deadlines = _by_loop.get(loop)
    if deadlines is None:
        deadlines = _by_loop[loop] = Deadlines(loop)
    return deadlines
