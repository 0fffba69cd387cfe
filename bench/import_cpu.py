"""CPU of one `commerce import` in-process: wall seconds, this process's CPU (Python) and its PostgreSQL backend's
CPU (from /proc: the server must run on this machine). On a shared machine wall time follows the load; the two CPU
figures much less, so an A/B of code trees reads them (bench/import_ab.py gives the CLI's wall time).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/imp_x PYTHONPATH=<tree>/python \\
        .venv/bin/python bench/import_cpu.py import.csv

The CSV is imported into DATABASE_URL (committed): run it on a throwaway copy (CREATE DATABASE ... TEMPLATE).
"""

import os
import sys
import time
from typing import Any

from commerce.db.connect import run_with_conn
from commerce.flows import product_import
from commerce.product.csv_format import read_rows

TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> int:
    path = sys.argv[1]

    async def work(conn: Any) -> str:
        cur = await conn.execute("SELECT pg_backend_pid()")
        row = await cur.fetchone()
        pid = int(row[0])
        wall, cpu, backend = time.perf_counter(), time.process_time(), _backend_cpu(pid)
        with open(path, encoding="utf-8-sig", newline="") as f:
            records = list(read_rows(f))
        result = await product_import.import_products(conn, records)
        wall, cpu, backend = time.perf_counter() - wall, time.process_time() - cpu, _backend_cpu(pid) - backend
        return (
            f"{result.products} products: wall {wall:.2f} s, Python CPU {cpu:.2f} s, backend CPU {backend:.2f} s, "
            f"load {' / '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )

    print(run_with_conn(os.environ["DATABASE_URL"], work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
