"""A/B of the bulk import paths (issue 10: >= 2,000 products/s): `commerce seed --demo --products N` into a fresh
migrated database and `commerce import` of the N-product demo catalog as `commerce export` wrote it (ids dropped,
handles and SKUs renamed, as catalog_scale.py makes it; exported from the seed just made) into a copy of that
N-product demo database. Two code trees,
this checkout and BENCH_AB_BASE (a detached worktree of main), each with its own databases (its own migrations),
run alternately, BENCH_ROUNDS times; wall seconds of the whole command (process start, migrate check, CSV read
included) and the load average at each start. Prints a markdown table; writes nothing else.

    BENCH_AB_BASE=../main-base BENCH_IMPORT_PRODUCTS=10000 BENCH_ROUNDS=2 \\
        DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_ab.py

Databases: BENCH_IMPORT_PREFIX (default `imp_`) + `ab_{tree}_{seed|import}`, dropped at the end unless
BENCH_KEEP=1.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from catalog_scale import renamed_copy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = Path(os.environ.get("BENCH_VENV", ROOT / ".venv"))
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PREFIX = os.environ.get("BENCH_IMPORT_PREFIX", "imp_")
PRODUCTS = int(os.environ.get("BENCH_IMPORT_PRODUCTS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
BASE = os.environ.get("BENCH_AB_BASE", "")
ONLY = os.environ.get("BENCH_ONLY", "seed,import").split(",")


def _url(db: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + db


def _admin(statement: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(statement)


def _recreate(db: str, template: str | None = None) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else ""))


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


CPU: dict[str, float] = {}  # the last command's Python CPU seconds (user + system)


def _cli(tree: Path, db: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": _url(db), "PYTHONPATH": str(tree / "python")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV / "bin" / "commerce"), *args], env=env, cwd=tree, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"commerce {args[0]} ({tree}) failed: {done.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds


def _import_file(tree: Path, db: str, work: Path) -> Path:
    exported, renamed = work / "export.csv", work / "import.csv"
    _cli(tree, db, "export", "-q", str(exported))
    renamed_copy(exported, renamed)
    return renamed


def main() -> int:
    trees = [("branch", ROOT)] + ([("main", Path(BASE).resolve())] if BASE else [])
    rows: list[tuple[str, str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv_files: dict[str, Path] = {}  # each tree's own: it names the taxonomy ids of that tree's seed
        for round_ in range(ROUNDS):
            order = trees if round_ % 2 == 0 else trees[::-1]
            for name, tree in order:
                seed_db, import_db = f"{PREFIX}ab_{name}_seed", f"{PREFIX}ab_{name}_import"
                _recreate(seed_db)
                _cli(tree, seed_db, "migrate")
                load = _load()
                seconds = _cli(tree, seed_db, "seed", "--demo", "--products", str(PRODUCTS), "-q")
                seed_cell = (
                    (f"{PRODUCTS / seconds:,.0f}/s ({seconds:.1f} s; {CPU['last']:.1f} s Python)", load)
                    if "seed" in ONLY
                    else ("-", "-")
                )
                import_cell = ("-", "-")
                if "import" in ONLY:
                    (work / name).mkdir(exist_ok=True)  # exported at each round: the seed's ids change
                    csv_files[name] = _import_file(tree, seed_db, work / name)
                    _recreate(import_db, seed_db)
                    load = _load()
                    seconds = _cli(tree, import_db, "import", "-q", str(csv_files[name]))
                    import_cell = (f"{PRODUCTS / seconds:,.0f}/s ({seconds:.1f} s; {CPU['last']:.1f} s Python)", load)
                rows.append((str(round_ + 1), name, *seed_cell, *import_cell))
                print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    if os.environ.get("BENCH_KEEP") != "1":
        for name, _ in trees:
            for kind in ("seed", "import"):
                _admin(f'DROP DATABASE IF EXISTS "{PREFIX}ab_{name}_{kind}" WITH (FORCE)')
    seed, into = f"seed {PRODUCTS:,} (products/s, s)", f"import {PRODUCTS:,} into {PRODUCTS:,}"
    print(f"| round | code | {seed} | load at start | {into} | load at start |")
    print("| ---: | --- | ---: | --- | ---: | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
