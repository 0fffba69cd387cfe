"""Granian serving the app through `commerce.boot:create_app`: what `commerce serve` runs.

Granian's main process (`commerce serve`'s own, or `python -m commerce.server`) imports Granian, the settings and
the CLI only: it supervises. Its workers are forked from it; each answers /health at once and imports and starts the
app beside it (commerce.boot). The migration and seed checks run in another process (`commerce serve`'s setup) and
in each worker's startup (migrations), so the main process carries none of what they need (psycopg, the demo seed)."""

import os
import sys

from commerce import settings as settings_module


def run(settings: settings_module.Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        "commerce.boot:create_app",  # up at once; the app is imported and started beside (boot.py)
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.RSGI,  # Granian's own: ~15-25 us of CPU less per POST than ASGI (boot.py)
        websockets=False,
        workers=settings.workers,
        loop=Loops.uvloop,
        log_access=settings.access_log,
        backlog=2048,
        workers_kill_timeout=30,  # a worker that has not stopped 30 s after SIGTERM is killed, not waited for
    ).serve()
    from commerce.cart.copies import remove_server_stores

    remove_server_stores(os.getpid())  # the carts its workers shared (cart.copies)


if __name__ == "__main__":
    run(settings_module.load())
    sys.exit(0)
