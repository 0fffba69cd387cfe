"""Migration runner: numbered SQL files in migrations/, each applied once, in order, under an advisory lock."""

import os
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


def migrations_dir() -> Path:
    override = os.environ.get("COMMERCE_MIGRATIONS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "migrations"


def pending(applied: set[str], directory: Path) -> list[Path]:
    files = sorted(p for p in directory.glob("*.sql") if p.name[:4].isdigit())
    return [p for p in files if p.stem not in applied]


def migrate(database_url: str, directory: Path | None = None) -> list[str]:
    """Apply what is pending; returns the names applied. Safe to run from several processes at once."""
    directory = directory or migrations_dir()
    done: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        # The usual start: everything already applied, seen with two reads and no lock.
        if conn.execute(HAS_TABLE).fetchone() == (True,):
            if not pending({row[0] for row in conn.execute(SELECT_APPLIED)}, directory):
                return done
        # Session lock, not a transaction lock: each migration gets its own transaction below.
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(CREATE_TABLE)
            applied = {row[0] for row in conn.execute(SELECT_APPLIED)}
            for path in pending(applied, directory):
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute(INSERT_APPLIED, (path.stem,))
                done.append(path.stem)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return done
