"""A stand-in for a mail sender, as a test server's event subscriber (EVENT_SUBSCRIBERS=tests.mailbox:record): every
event a server process raises is appended as one JSON line to the file TEST_MAILBOX names, secrets included, as a
mail would carry them to their owner. Tests read password reset tokens from it; the server log never holds them."""

import json
import os
from typing import Any


def record(name: str, data: dict[str, Any]) -> None:
    path = os.environ.get("TEST_MAILBOX")
    if not path:
        return
    line = json.dumps({"name": name, "data": data}, default=str) + "\n"
    # One write of one line in append mode: the workers of one server share the file without interleaving.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
