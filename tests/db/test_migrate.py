"""Migrations: applied once, in order, recorded; several processes at once do not race."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from commerce.db.migrate import MigrationsMissing, apply_pending, migrate, migration_files, migrations_dir
from tests.conftest import BIN, ROOT, with_dbname


@pytest.fixture
def empty_db(server_url: str) -> Iterator[str]:
    name = f"commerce_m_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_applies_every_file_once_in_order(empty_db: str) -> None:
    names = [p.name.removesuffix(".sql") for p in migration_files(migrations_dir())]
    assert len(names) >= 20 and names == sorted(names)
    assert migrate(empty_db) == names
    assert migrate(empty_db) == []
    with psycopg.connect(empty_db) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM schema_migration ORDER BY applied_at, name")]
        assert applied == names
        assert conn.execute("SELECT count(*) FROM region_country").fetchone() == (250,)


def test_a_worker_start_applies_what_is_pending_and_then_only_reads(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply_pending (App.startup): migrates an empty database, then finds nothing pending, until a new file ships."""
    monkeypatch.setenv("COMMERCE_MIGRATIONS", str(tmp_path))
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x int);")
    assert asyncio.run(apply_pending(empty_db)) == ["0001_a"]
    assert asyncio.run(apply_pending(empty_db)) == []
    (tmp_path / "0002_b.sql").write_text("CREATE TABLE b (x int);")
    assert asyncio.run(apply_pending(empty_db)) == ["0002_b"]


def test_a_failing_migration_leaves_nothing_behind(empty_db: str, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT * FROM missing_table;")
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrate(empty_db, tmp_path)
    with psycopg.connect(empty_db) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_migration")] == ["0001_ok"]
        assert conn.execute("SELECT to_regclass('b')").fetchone() == (None,)
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int);")
    assert migrate(empty_db, tmp_path) == ["0002_bad"]


def test_concurrent_processes_migrate_once(empty_db: str) -> None:
    code = "import sys; from commerce.db.migrate import migrate; print(len(migrate(sys.argv[1])))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, empty_db], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
        results.append(int(out))
    total = len(migration_files(migrations_dir()))
    assert sorted(results) == [0, 0, 0, total]


def test_the_migrations_ship_in_the_package() -> None:
    from importlib import resources

    assert str(migrations_dir()) == str(resources.files("commerce") / "migrations")


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_no_migrations_is_an_error_not_an_empty_database(empty_db: str, tmp_path: Path, state: str) -> None:
    directory = tmp_path / "migrations"
    if state == "empty":
        directory.mkdir()
        (directory / "README").write_text("no SQL here")
    with pytest.raises(MigrationsMissing, match="no migrations found in"):
        migrate(empty_db, directory)
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('schema_migration')").fetchone() == (None,), "nothing was touched"


def test_the_cli_says_so_and_fails(empty_db: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db, "COMMERCE_MIGRATIONS": str(tmp_path / "nowhere")}
    done = subprocess.run([str(BIN / "commerce"), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "error: no migrations found in" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_no_migration_is_left_in_the_old_place() -> None:
    """A file under the old top-level migrations/ would never be applied: it is not in the package."""
    old = ROOT / "migrations"
    assert not old.exists(), f"move {sorted(p.name for p in old.iterdir())} to python/commerce/migrations/"
