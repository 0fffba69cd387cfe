"""The embedded PostgreSQL used when DATABASE_URL is unset: a real server under COMMERCE_HOME (pgserver)."""

import warnings
from pathlib import Path
from typing import Any


def start(home: Path) -> tuple[str, Any]:
    """Start (or join) the embedded server in `home/pgdata`; returns its URI and a handle.

    pgserver stops the server when the last process holding a handle exits, so the handle
    must live as long as the app does.
    """
    with warnings.catch_warnings():
        # platformdirs warns when a root session has no XDG_RUNTIME_DIR; pgserver copes without it.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: costs startup time only when the embedded server is used

        home.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")  # type: ignore[attr-defined]
    uri: str = server.get_uri()
    return uri, server
