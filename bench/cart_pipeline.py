"""PostgreSQL's CPU per cart write, one at a time against pipelined (db.direct.run_pipelined, as db.direct.Batch sends
the writes of concurrent changes): the cart's own guest UPDATE (cart.repository.WRITE_GUEST_DIRECT) on 64 carts
whose rows are the size of a 4-line cart's (~2.3 KB of rendering and ~1.3 KB of lines as stored), on one connection,
its backend's CPU read from /proc/<pid>/schedstat (a local server). Prints only; an A/B tool for the write path:

    DATABASE_URL=... .venv/bin/python bench/cart_pipeline.py      # CART_PIPELINE_N=8000 CART_PIPELINE_BATCHES=4,8
"""

import asyncio
import base64
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

import harness
from cart_profile import backend_time
from commerce.cart import repository as carts
from commerce.db import direct


def cart(n: int) -> dict[str, Any]:
    lines = [{"id": f"cali_{n}_{k}", "blob": base64.b64encode(os.urandom(240)).decode()} for k in range(4)]
    return {
        "id": f"cart_pipeline_{n:02d}",
        **dict.fromkeys(("region_id", "customer_id", "sales_channel_id", "email", "metadata"), None),
        **dict.fromkeys(("shipping_address", "billing_address", "customer_seen"), None),
        "currency_code": "usd",
        "items": lines,
        "shipping_methods": [],
        "promo_codes": [],
        "updated_at": datetime.now(UTC),
    }


async def measure(db_url: str, n: int, batches: list[int]) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        rows = [cart(k) for k in range(64)]
        rendered = os.urandom(2300)  # (incompressible: stored at its size)
        for row in rows:
            row["version"] = (await carts.insert(conn, row, rendered))["version"]
        statement = carts.WRITE_GUEST_DIRECT

        def params(k: int) -> list[bytes | None]:
            return carts._write_params(statement, rows[k % 64], rendered)

        def written(k: int, result: Any) -> None:
            assert not isinstance(result, Exception) and result.ntuples == 1, result  # (each write wins: measured)
            rows[k % 64]["version"] = int(result.get_value(0, 0))

        for _ in range(2):
            for batch in [1, *batches]:
                cpu, backend, wall = time.process_time(), backend_time(conn), time.perf_counter()
                for k in range(0, n, batch):
                    if batch == 1:
                        written(k, await statement.run(conn, params(k)))
                    else:
                        results = await direct.run_pipelined(conn, [(statement, params(k + j)) for j in range(batch)])
                        for j, result in enumerate(results):
                            written(k + j, result)
                label = "one at a time" if batch == 1 else f"pipelined by {batch}"
                print(
                    f"{label:15} backend {(backend_time(conn) - backend) / n * 1e6:5.1f} us/write  "
                    f"client {(time.process_time() - cpu) / n * 1e6:5.1f} us/write  "
                    f"wall {(time.perf_counter() - wall) / n * 1e6:6.1f} us/write",
                    flush=True,
                )


def main() -> int:
    n = int(os.environ.get("CART_PIPELINE_N") or 8000)
    batches = [int(b) for b in (os.environ.get("CART_PIPELINE_BATCHES") or "2,4,8").split(",")]
    with harness.postgres() as server_url, harness.fresh_database(server_url, prefix="cart_pipeline") as db_url:
        asyncio.run(measure(db_url, n, batches))
    return 0


if __name__ == "__main__":
    sys.exit(main())
