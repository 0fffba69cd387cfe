"""Migration runner: numbered SQL files shipped in the package (commerce/migrations/), each applied once, in order,
under an advisory lock. COMMERCE_MIGRATIONS names another directory instead."""

import asyncio
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import psycopg

# Any constant works; it only has to be the same in every process that migrates this database.
LOCK_KEY = 0x636F6D6D65726365  # "commerce"

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migration (
    name        text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
HAS_TABLE = "SELECT to_regclass('schema_migration') IS NOT NULL"
SELECT_APPLIED = "SELECT name FROM schema_migration"
INSERT_APPLIED = "INSERT INTO schema_migration (name) VALUES (%s)"


class MigrationsMissing(RuntimeError):
    """No migration files where they should be: an incomplete install or a wrong COMMERCE_MIGRATIONS. Migrating
    nothing would leave an empty database behind a success, so this is an error."""


def migrations_dir() -> Traversable:
    override = os.environ.get("COMMERCE_MIGRATIONS")
    if override:
        return Path(override)
    return resources.files("commerce") / "migrations"


def migration_files(directory: Traversable) -> list[Traversable]:
    """The numbered .sql files in order; MigrationsMissing when there are none."""
    files = (
        sorted((p for p in directory.iterdir() if p.name.endswith(".sql") and p.name[:4].isdigit()), key=_name)
        if directory.is_dir()
        else []
    )
    if not files:
        raise MigrationsMissing(
            f"no migrations found in {directory} (numbered .sql files): the commerce package is incomplete, "
            "or COMMERCE_MIGRATIONS names the wrong directory"
        )
    return files


def _name(path: Traversable) -> str:
    return path.name.removesuffix(".sql")


def pending(applied: set[str], files: list[Traversable]) -> list[Traversable]:
    return [p for p in files if _name(p) not in applied]


def migrate(database_url: str, directory: Traversable | None = None) -> list[str]:
    """Apply what is pending; returns the names applied. Safe to run from several processes at once."""
    files = migration_files(directory or migrations_dir())
    done: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        # The usual start: everything already applied, seen with two reads and no lock.
        if conn.execute(HAS_TABLE).fetchone() == (True,):
            if not pending({row[0] for row in conn.execute(SELECT_APPLIED)}, files):
                return done
        # Session lock, not a transaction lock: each migration gets its own transaction below.
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(CREATE_TABLE)
            applied = {row[0] for row in conn.execute(SELECT_APPLIED)}
            for path in pending(applied, files):
                with conn.transaction():
                    conn.execute(path.read_text(encoding="utf-8"))
                    conn.execute(INSERT_APPLIED, (_name(path),))
                done.append(_name(path))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return done


async def apply_pending(database_url: str) -> list[str]:
    """`migrate` at a server worker's start: the usual case, nothing pending, is two reads on an async connection (no
    thread, no lock); only when something is pending does `migrate` run (in a thread: it is synchronous)."""
    files = migration_files(migrations_dir())
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        if (await (await conn.execute(HAS_TABLE)).fetchone()) == (True,):
            applied = {row[0] for row in await (await conn.execute(SELECT_APPLIED)).fetchall()}
            if not pending(applied, files):
                return []
    return await asyncio.to_thread(migrate, database_url)
