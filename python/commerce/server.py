"""Granian serving `commerce.app:create_app`: what `commerce serve` runs.

Granian's main process (`commerce serve`'s own, or `python -m commerce.server`) imports Granian, the settings and
the CLI only: it supervises. Its workers are forked from it and import the app themselves; the migration and seed
checks run in another process (`commerce serve`) or in each worker's startup (migrations), so neither carries what
migrating and seeding need (psycopg, the demo seed's modules)."""

import sys

from commerce import settings as settings_module


def run(settings: settings_module.Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        "commerce.app:create_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.uvloop,
        log_access=settings.access_log,
        backlog=2048,
        workers_kill_timeout=30,  # a worker that has not stopped 30 s after SIGTERM is killed, not waited for
    ).serve()


if __name__ == "__main__":
    run(settings_module.load())
    sys.exit(0)
