"""Flash sale: FLASH_BUYERS buyers (10,000) for FLASH_UNITS units (100) of one SKU, with 1 and 2 workers, one run.

A fresh database (DATABASE_URL's server, else an embedded PostgreSQL) per server, seeded with the demo store without
its catalog; our server (Granian, DB_POOL_SIZE 10) started by this process; the shop set up through the admin API
(bench/http_checkout.py's build_shop: one product with FLASH_UNITS units, its level split into FLASH_BUCKETS buckets
when asked). Then the sale opens: FLASH_CONCURRENCY connections (an asyncio HTTP/1.1 client in this process, one
keep-alive connection each) run buyers back to back until every buyer has had a go. A buyer is what a storefront
does to buy one unit: POST /store/carts (the item, email, shipping address), the shipping method, the payment
collection and session, POST /store/carts/<id>/complete; a refusal (sold out at add to cart or at complete, or a 503
shed) ends the buyer's attempt. Figures: attempts per second (buyers / wall time), orders (read from PostgreSQL:
must equal the units), answers by status class (no 5xx other than 503 allowed), and the time from the opening to the
last unit sold.

    .venv/bin/python bench/flash_sale.py   # FLASH_BUYERS=10000 FLASH_UNITS=100 FLASH_WORKERS=1,2 FLASH_BUCKETS=0
"""

import asyncio
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgspec

import harness
from http_checkout import ADDRESS, HttpClient, Shop, build_shop, seed_store
from results import default_command, load_average, table, update_section

SECTION = "flash-sale"
TITLE = "flash-sale: 10,000 buyers for 100 units of one SKU"
ENV_NAMES = ("FLASH_BUYERS", "FLASH_UNITS", "FLASH_WORKERS", "FLASH_BUCKETS", "FLASH_CONCURRENCY")
GOAL = 300.0  # checkout attempts per second
MEDUSA = 5.1  # Medusa 2.21 on 200 buyers, this kind of machine


@dataclass
class Sale:
    workers: int
    buckets: int
    buyers: int
    units: int
    seconds: float = 0.0
    last_sale_s: float | None = None
    statuses: Counter[int] = field(default_factory=Counter)
    orders_answered: int = 0
    orders_found: int = 0
    reserved: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.buyers / self.seconds if self.seconds else 0.0

    @property
    def five_xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)


class _Answer(msgspec.Struct):
    type: str | None = None
    cart: dict[str, Any] | None = None
    payment_collection: dict[str, Any] | None = None


_decode = msgspec.json.Decoder(_Answer)


async def _buyer(client: HttpClient, shop: Shop, sale: Sale, started: float, n: int) -> None:
    enc = msgspec.json.encode
    body = {
        "region_id": shop.region,
        "items": [{"variant_id": shop.variants[0], "quantity": 1}],
        "email": f"buyer{n}@flash.example",
        "shipping_address": ADDRESS,
    }
    status, answer = await client.post("/store/carts", enc(body))
    sale.statuses[status] += 1
    if status != 200:
        return
    cart = (_decode.decode(answer).cart or {})["id"]
    for path, payload in (
        (f"/store/carts/{cart}/shipping-methods", {"option_id": shop.option}),
        ("/store/payment-collections", {"cart_id": cart}),
    ):
        status, answer = await client.post(path, enc(payload))
        sale.statuses[status] += 1
        if status != 200:
            return
    collection = (_decode.decode(answer).payment_collection or {})["id"]
    path = f"/store/payment-collections/{collection}/payment-sessions"
    status, answer = await client.post(path, enc({"provider_id": "pp_system_default"}))
    sale.statuses[status] += 1
    if status != 200:
        return
    status, answer = await client.post(f"/store/carts/{cart}/complete")
    sale.statuses[status] += 1
    if status == 200 and _decode.decode(answer).type == "order":
        sale.orders_answered += 1
        sale.last_sale_s = time.perf_counter() - started
    elif status >= 500 and len(sale.errors) < 5:
        sale.errors.append(answer[:300].decode(errors="replace"))


async def _open(shop: Shop, sale: Sale, concurrency: int) -> None:
    import itertools

    numbers = itertools.count()
    clients = [await HttpClient(shop.url, shop.headers).open() for _ in range(concurrency)]
    started = time.perf_counter()

    async def lane(client: HttpClient) -> None:
        while (n := next(numbers)) < sale.buyers:
            try:
                await _buyer(client, shop, sale, started, n)
            except (ConnectionError, OSError, ValueError, KeyError, TypeError) as exc:
                sale.statuses[0] += 1
                if len(sale.errors) < 5:
                    sale.errors.append(f"{type(exc).__name__}: {exc}")
                client.close()
                await client.open()

    try:
        await asyncio.gather(*(lane(c) for c in clients))
    finally:
        sale.seconds = time.perf_counter() - started
        for c in clients:
            c.close()


def _split(url: str, shop: Shop, buckets: int) -> None:
    from commerce.flows import setup

    login = {"email": setup.DEMO_ADMIN_EMAIL, "password": setup.DEMO_ADMIN_PASSWORD}
    status, body = harness.post_json(url + "/auth/user/emailpass", login)
    token = msgspec.json.decode(body)["token"]
    path = f"/admin/inventory-items/{shop.inventory_items[0]}/location-levels/{shop.location}/buckets"
    status, body = harness.post_json(url + path, {"buckets": buckets}, {"authorization": f"Bearer {token}"})
    if status != 200:
        raise RuntimeError(f"splitting the level: {status} {body[:300]!r}")


def _sold(db_url: str, shop: Shop) -> tuple[int, int]:
    async def work(conn: Any) -> tuple[int, int]:
        orders = await (await conn.execute('SELECT count(*) FROM "order"')).fetchone()
        reserved = await (
            await conn.execute(
                "SELECT reserved_quantity FROM inventory_level_total WHERE inventory_item_id = %s AND location_id = %s",
                (shop.inventory_items[0], shop.location),
            )
        ).fetchone()
        return int(orders[0]), int(reserved[0])

    return harness.run_async(db_url, work)


def run_sale(
    server_url: str, workers: int, buckets: int, buyers: int, units: int, concurrency: int
) -> tuple[Sale, str]:
    import uvloop

    sale = Sale(workers, buckets, buyers, units)
    with harness.fresh_database(server_url, prefix="commerce_flash") as db_url:
        key = seed_store(db_url, catalog=False)
        with harness.commerce_server(db_url, workers=workers, pool_size=None) as server:
            shop = build_shop(server.url, key, products=1, stock=units)
            if buckets:
                _split(server.url, shop, buckets)
            time.sleep(1)  # every worker's read models sell the product (NOTIFY)
            harness.log(f"{workers} worker(s), {buckets} buckets: {buyers} buyers for {units} units")
            uvloop.run(_open(shop, sale, concurrency))
            command = server.command
            if sale.five_xx:
                harness.log(f"server output:\n{server.output()[-3000:]}")
        sale.orders_found, sale.reserved = _sold(db_url, shop)
    harness.log(
        f"{sale.per_s:,.0f} attempts/s, {sale.orders_found} orders, last unit at "
        f"{sale.last_sale_s or 0:.2f} s, statuses {dict(sale.statuses)}"
    )
    return sale, command


def render(sales: list[Sale], concurrency: int, command: str, load_before: str) -> str:
    rows = [
        [
            str(s.workers),
            "one row" if not s.buckets else f"split in {s.buckets}",
            f"{s.buyers:,}",
            f"{s.orders_found} / {s.units}" + ("" if s.orders_found == s.units == s.reserved else " **≠**"),
            str(s.reserved),
            f"**{s.per_s:,.0f}**",
            f"{s.last_sale_s:.2f} s" if s.last_sale_s is not None else "—",
            f"{s.seconds:.1f} s",
            ", ".join(f"{k}: {v:,}" for k, v in sorted(s.statuses.items())),
            str(s.five_xx),
        ]
        for s in sales
    ]
    return "\n".join(
        [
            f"- Server: `{command}` with `--workers` as in the table, DB_POOL_SIZE 10; {harness.database_kind()}; "
            f"{concurrency} buyers at a time (one keep-alive connection each), each buyer cart → shipping → payment "
            "session → complete, refused ones stopping at the refusal.",
            f"- Load average before the run (1/5/15 min): {load_before}; the load generator runs on the same 2 CPUs.",
            f"- Goal: ≥ {GOAL:g} checkout attempts/s; Medusa 2.21 measured {MEDUSA} checkouts/s on 200 buyers.",
            "",
            table(
                [
                    "workers",
                    "level",
                    "buyers",
                    "orders / units",
                    "reserved",
                    "attempts/s",
                    "last unit sold at",
                    "all buyers done",
                    "answers by status",
                    "5xx (not 503)",
                ],
                rows,
                "rlrrrrrrlr",
            ),
            *([""] + [f"- error: `{e[:200]}`" for s in sales for e in s.errors]),
        ]
    )


def main() -> int:
    env = os.environ
    buyers = int(env.get("FLASH_BUYERS") or 10_000)
    units = int(env.get("FLASH_UNITS") or 100)
    workers = [int(w) for w in (env.get("FLASH_WORKERS") or "1,2").split(",") if w.strip()]
    buckets = [int(b) for b in (env.get("FLASH_BUCKETS") or "0").split(",") if b.strip()]
    concurrency = int(env.get("FLASH_CONCURRENCY") or 64)
    load_before = load_average()
    sales: list[Sale] = []
    command = ""
    with harness.postgres() as server_url:
        for w in workers:
            for b in buckets:
                sale, command = run_sale(server_url, w, b, buyers, units, concurrency)
                sales.append(sale)
    update_section(
        SECTION, render(sales, concurrency, command, load_before), title=TITLE, command=default_command(ENV_NAMES)
    )
    bad = any(s.orders_found != s.units or s.five_xx for s in sales)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
