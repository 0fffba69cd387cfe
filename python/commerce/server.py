"""Granian serving `commerce.app:create_app`: what `commerce serve` runs once the database is migrated and seeded.

Run as `python -m commerce.server` (`commerce serve` execs it when DATABASE_URL is set), Granian's main process
imports Granian and the settings only: it supervises. Its workers are forked from it and import the app
themselves, so neither carries what the CLI needed to migrate and seed (psycopg, the demo seed's modules)."""

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
