"""Migrations: applied once, in order, recorded; several processes at once do not race."""

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from commerce.db.migrate import migrate, migrations_dir
from tests.conftest import with_dbname


@pytest.fixture
def empty_db(server_url: str) -> Iterator[str]:
    name = f"commerce_m_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield with_dbname(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_applies_every_file_once_in_order(empty_db: str) -> None:
    names = sorted(p.stem for p in migrations_dir().glob("*.sql"))
    assert migrate(empty_db) == names
    assert migrate(empty_db) == []
    with psycopg.connect(empty_db) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM schema_migration ORDER BY applied_at, name")]
        assert applied == names
        assert conn.execute("SELECT count(*) FROM region_country").fetchone() == (250,)


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
    total = len(list(migrations_dir().glob("*.sql")))
    assert sorted(results) == [0, 0, 0, total]
