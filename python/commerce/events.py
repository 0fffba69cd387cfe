"""In-process domain events. There is no mail sender: the default subscriber logs each event, which is how a
developer sees, say, a password reset token. Register more subscribers with `subscribe`."""

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("commerce.events")
Subscriber = Callable[[str, dict[str, Any]], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    _subscribers.append(subscriber)


def emit(name: str, data: dict[str, Any]) -> None:
    log.info("event %s %s", name, data)
    for subscriber in _subscribers:
        try:
            subscriber(name, data)
        except Exception:  # a subscriber's failure must not fail the request that emitted
            log.exception("subscriber failed on %s", name)
