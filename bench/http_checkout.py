"""HTTP benchmark: full checkout journeys per second, against a one-SELECT app measured in the same run.

A journey is what a storefront does to sell one item, six requests on one keep-alive connection:

    POST /store/carts                                   {region_id, items: [{variant_id, quantity: 1}]}
    POST /store/carts/<id>                              {email, shipping_address}
    POST /store/carts/<id>/shipping-methods             {option_id}
    POST /store/payment-collections                     {cart_id}
    POST /store/payment-collections/<id>/payment-sessions  {provider_id: "pp_system_default"}
    POST /store/carts/<id>/complete                     -> {type: "order", order}

One run, one process, as bench/http_carts.py: a fresh database (DATABASE_URL's server, else an embedded PostgreSQL in
a temp dir) is migrated and seeded with the demo store and catalog; our server (Granian, 1 worker, DB_POOL_SIZE left
at the server's default, 10) is started by this process; the shop is set up through the admin API as an operator
would (tests/shop.py's steps: a stock location serving the demo channel, a US service zone, a flat shipping option,
and PRODUCTS products of one variant each with STOCK units, so no journey can run out). Journey n buys product
n mod PRODUCTS.

The load generator is in this process: an asyncio (uvloop) HTTP/1.1 client, one keep-alive connection per concurrent
journey, each running journeys back to back (a closed loop). wrk cannot run a journey (each step needs the ids the
previous one answered). For each concurrency (BENCH_CHECKOUT_CONCURRENCY, default "16,64") it warms up, then rounds
alternate ours and bench/one_select_app.py (one primary-key SELECT per request through a pool shaped like ours,
driven by wrk with as many connections as concurrent journeys); the best run of each is kept. A journey counts when
it finished inside the measured window; any non-2xx answer, or a complete that does not answer an order, fails the
section (failed journeys are counted, warm-ups included).

Round trips: after the timed runs a second server on the same database connects to PostgreSQL through a small TCP
proxy in this process that reads the wire protocol, and COUNT_JOURNEYS journeys run one request at a time. A round
trip is one wait on PostgreSQL: a Sync or a simple Query answered by ReadyForQuery (a pipelined batch of statements
is one). Statements are the Bind/Execute and simple Query messages. The outbox's delivery loop (claims and marks on
event_outbox, off the request path) is counted apart. Writes the "http-checkout" section of bench/RESULTS.md.

    .venv/bin/python bench/http_checkout.py   # BENCH_DURATION=10s BENCH_ROUNDS=2 BENCH_CHECKOUT_CONCURRENCY=16,64
"""

import asyncio
import bisect
import itertools
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

import harness
from harness import BenchSettings, GranianServer, WrkResult, fmt_ms, fmt_rate
from http_carts import check_baseline, create_carts, json_or_fail, region_id, retrieve_script, verdict
from results import default_command, load_average, nproc, table, update_section

SECTION = "http-checkout"
TITLE = "http-checkout: full checkout journeys per second vs a one-SELECT app"
CONCURRENCY = (16, 64)
PRODUCTS = 32
STOCK = 1_000_000  # units per product: far more than any run sells
PRICE = 25
RETRIEVE_CARTS = 200  # carts the one-SELECT app's wrk script rotates over
COUNT_JOURNEYS = 30  # journeys run through the counting proxy; the first WARM_COUNTED are not used: psycopg
WARM_COUNTED = 20  # prepares a statement on its 5th run on a connection, and the pool rotates its connections
GOAL_JOURNEYS = 300.0
MEDUSA_JOURNEYS = 5.1  # Medusa 2.21, full checkouts per second on this kind of machine
PROVIDER = "pp_system_default"
EMAIL = "shopper@example.com"
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "1 Main St",
    "city": "Springfield",
    "country_code": "us",
    "postal_code": "12345",
}
ENABLED = [
    {"attribute": "enabled_in_store", "operator": "eq", "value": "true"},
    {"attribute": "is_return", "operator": "eq", "value": "false"},
]
STEPS = (
    "create cart (1 item)",
    "address + email",
    "shipping method",
    "payment collection",
    "payment session",
    "complete",
)
STEP_ROUTES = (
    "`POST /store/carts`",
    "`POST /store/carts/<id>`",
    "`POST /store/carts/<id>/shipping-methods`",
    "`POST /store/payment-collections`",
    "`POST /store/payment-collections/<id>/payment-sessions`",
    "`POST /store/carts/<id>/complete`",
)
COMPLETE = len(STEPS) - 1
ENV_NAMES = (*harness.ENV_NAMES, "BENCH_CHECKOUT_CONCURRENCY")


def concurrency_from_env() -> tuple[int, ...]:
    text = os.environ.get("BENCH_CHECKOUT_CONCURRENCY") or ",".join(map(str, CONCURRENCY))
    levels = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    if not levels or min(levels) < 1:
        raise ValueError(f"BENCH_CHECKOUT_CONCURRENCY must list numbers >= 1, got {text!r}")
    return levels


# --------------------------------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class Shop:
    url: str
    key: str
    region: str
    option: str
    location: str
    variants: list[str]
    inventory_items: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"x-publishable-api-key": self.key}


def seed_store(db_url: str, *, catalog: bool) -> str:
    """The demo store (with the demo catalog unless `catalog=False`) and its admin; the publishable key."""
    from commerce.flows import setup

    async def work(conn: Any) -> str:
        await setup.seed_demo(conn, catalog=catalog)
        info = await setup.demo_info(conn)
        if not info.publishable_key:
            raise RuntimeError("the demo seed made no publishable key")
        return info.publishable_key

    return harness.run_async(db_url, work)


def _post(url: str, path: str, payload: Any, headers: dict[str, str]) -> dict[str, Any]:
    return json_or_fail(f"POST {path}", *harness.post_json(url + path, payload, headers, timeout=60))


def _get(url: str, path: str, headers: dict[str, str], **params: str) -> dict[str, Any]:
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    return json_or_fail(f"GET {path}", *harness.fetch(url + path + query, headers, timeout=60))


def build_shop(url: str, key: str, products: int = PRODUCTS, stock: int = STOCK) -> Shop:
    """A shop that can sell, set up through the admin API (tests/shop.py's `build` and `product`)."""
    from commerce.flows import setup

    login = {"email": setup.DEMO_ADMIN_EMAIL, "password": setup.DEMO_ADMIN_PASSWORD}
    admin = {"authorization": f"Bearer {_post(url, '/auth/user/emailpass', login, {})['token']}"}
    channel = _get(url, "/admin/stores", admin)["stores"][0]["default_sales_channel_id"]
    region = next(r["id"] for r in _get(url, "/admin/regions", admin)["regions"] if r["name"] == "North America")
    loc = _post(
        url,
        "/admin/stock-locations",
        {"name": "Bench warehouse", "address": {"address_1": "1 Dock St", "country_code": "us"}},
        admin,
    )["stock_location"]["id"]
    _post(url, f"/admin/stock-locations/{loc}/sales-channels", {"add": [channel]}, admin)
    _post(url, f"/admin/stock-locations/{loc}/fulfillment-providers", {"add": ["manual_manual"]}, admin)
    sets = _post(
        url,
        f"/admin/stock-locations/{loc}/fulfillment-sets?fields=*fulfillment_sets",
        {"name": "Bench shipping", "type": "shipping"},
        admin,
    )["stock_location"]["fulfillment_sets"]
    zone = _post(
        url,
        f"/admin/fulfillment-sets/{sets[0]['id']}/service-zones",
        {"name": "Bench US", "geo_zones": [{"type": "country", "country_code": "us"}]},
        admin,
    )["fulfillment_set"]["service_zones"][0]["id"]
    profile = _post(url, "/admin/shipping-profiles", {"name": "Bench default", "type": "default"}, admin)[
        "shipping_profile"
    ]["id"]
    option = _post(
        url,
        "/admin/shipping-options",
        {
            "name": "Standard",
            "service_zone_id": zone,
            "shipping_profile_id": profile,
            "provider_id": "manual_manual",
            "price_type": "flat",
            "type": {"label": "Standard", "description": "3-5 days", "code": "standard"},
            "prices": [{"currency_code": "usd", "amount": 10}],
            "rules": ENABLED,
        },
        admin,
    )["shipping_option"]["id"]

    def product(n: int) -> tuple[str, str]:
        sku = f"BENCH-CHECKOUT-{n:03d}"
        variant = _post(
            url,
            "/admin/products",
            {
                "title": f"Checkout bench item {n}",
                "status": "published",
                "shipping_profile_id": profile,
                "sales_channels": [{"id": channel}],
                "options": [{"title": "Size", "values": ["One"]}],
                "variants": [
                    {
                        "title": "One",
                        "sku": sku,
                        "options": {"Size": "One"},
                        "manage_inventory": True,
                        "allow_backorder": False,
                        "prices": [{"currency_code": "usd", "amount": PRICE}],
                    }
                ],
            },
            admin,
        )["product"]["variants"][0]
        item = _get(url, "/admin/inventory-items", admin, sku=sku)["inventory_items"][0]["id"]
        _post(
            url,
            f"/admin/inventory-items/{item}/location-levels",
            {"location_id": loc, "stocked_quantity": stock},
            admin,
        )
        return str(variant["id"]), str(item)

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(product, range(1, products + 1)))
    return Shop(url, key, region, option, loc, [v for v, _ in made], [i for _, i in made])


# --------------------------------------------------------------------------------------------- an HTTP/1.1 client


def _parse_response(buf: bytearray) -> tuple[int, bytes, int] | None:
    """(status, body, bytes used) of the first whole response in `buf`, or None while it is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    pos = end + 4
    if chunked:
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2
            if size == 0:
                return (status, bytes(body), pos + 2) if len(buf) >= pos + 2 else None
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            pos += size + 2
    if length is None:
        if status in (204, 304) or 100 <= status < 200:
            length = 0
        else:
            raise ValueError(f"a {status} response with neither content-length nor chunked encoding")
    if len(buf) < pos + length:
        return None
    return status, bytes(buf[pos : pos + length]), pos + length


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = _parse_response(self.buffer)
        except ValueError as exc:
            waiter.set_exception(exc)
            return
        if parsed is not None:
            status, body, used = parsed
            del self.buffer[:used]
            waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"the server closed the connection ({exc})"))


class HttpClient:
    """One keep-alive HTTP/1.1 connection, one request at a time: what a browser tab does during checkout."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        fixed = f"host: {self.host}:{self.port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._fixed = fixed + "content-type: application/json\r\n"
        self._protocol: _Connection | None = None

    async def open(self) -> "HttpClient":
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_Connection, self.host, self.port)
        self._protocol = protocol
        return self

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    async def post(self, path: str, body: bytes = b"") -> tuple[int, bytes]:
        protocol = self._protocol
        if protocol is None or protocol.transport is None or protocol.transport.is_closing():
            raise ConnectionError("not connected")
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        protocol.waiter = waiter
        head = f"POST {path} HTTP/1.1\r\n{self._fixed}content-length: {len(body)}\r\n\r\n".encode()
        protocol.transport.write(head + body)
        return await waiter


# --------------------------------------------------------------------------------------------- journeys


class _Id(msgspec.Struct):
    id: str


class _CartAnswer(msgspec.Struct):
    cart: _Id


class _CollectionAnswer(msgspec.Struct):
    payment_collection: _Id


class _CompleteAnswer(msgspec.Struct):
    type: str
    order: _Id | None = None


_cart = msgspec.json.Decoder(_CartAnswer)
_collection = msgspec.json.Decoder(_CollectionAnswer)
_complete = msgspec.json.Decoder(_CompleteAnswer)


@dataclass(frozen=True)
class Failure:
    step: str
    status: int  # 0: no HTTP answer (connection error)
    detail: str


class Journey:
    """The six requests of one checkout, their bodies encoded once."""

    def __init__(self, shop: Shop) -> None:
        enc = msgspec.json.encode
        self.creates = [
            enc({"region_id": shop.region, "items": [{"variant_id": v, "quantity": 1}]}) for v in shop.variants
        ]
        self.address = enc({"email": EMAIL, "shipping_address": ADDRESS})
        self.method = enc({"option_id": shop.option})
        self.session = enc({"provider_id": PROVIDER})

    async def run(
        self,
        client: HttpClient,
        n: int,
        clock: Callable[[], float] = time.perf_counter,
        probe: Callable[[], tuple[int, int]] | None = None,
        cpu: list[tuple[int, int]] | None = None,
    ) -> list[tuple[float, float]] | Failure:
        """Journey n (buying product n mod PRODUCTS): each step's (start, end) times, or the step that failed. With
        `probe` (CPU counters, sampled around each step), each step's difference is appended to `cpu`."""
        times: list[tuple[float, float]] = []

        async def step(index: int, path: str, body: bytes = b"") -> bytes | Failure:
            before = probe() if probe else (0, 0)
            start = clock()
            try:
                status, answer = await client.post(path, body)
            except (ConnectionError, OSError, ValueError) as exc:
                return Failure(STEPS[index], 0, f"{type(exc).__name__}: {exc}")
            times.append((start, clock()))
            if probe and cpu is not None:
                after = probe()
                cpu.append((after[0] - before[0], after[1] - before[1]))
            if not 200 <= status < 300:
                return Failure(STEPS[index], status, answer[:300].decode(errors="replace"))
            return answer

        def bad(index: int, answer: bytes, exc: Exception) -> Failure:
            return Failure(STEPS[index], 200, f"unexpected answer ({exc}): {answer[:300].decode(errors='replace')}")

        answer = await step(0, "/store/carts", self.creates[n % len(self.creates)])
        if isinstance(answer, Failure):
            return answer
        try:
            cart = _cart.decode(answer).cart.id
        except msgspec.DecodeError as exc:
            return bad(0, answer, exc)
        for index, path, body in (
            (1, f"/store/carts/{cart}", self.address),
            (2, f"/store/carts/{cart}/shipping-methods", self.method),
        ):
            answer = await step(index, path, body)
            if isinstance(answer, Failure):
                return answer
        answer = await step(3, "/store/payment-collections", b'{"cart_id":"' + cart.encode() + b'"}')
        if isinstance(answer, Failure):
            return answer
        try:
            collection = _collection.decode(answer).payment_collection.id
        except msgspec.DecodeError as exc:
            return bad(3, answer, exc)
        answer = await step(4, f"/store/payment-collections/{collection}/payment-sessions", self.session)
        if isinstance(answer, Failure):
            return answer
        answer = await step(5, f"/store/carts/{cart}/complete")
        if isinstance(answer, Failure):
            return answer
        try:
            done = _complete.decode(answer)
        except msgspec.DecodeError as exc:
            return bad(5, answer, exc)
        if done.type != "order" or done.order is None:
            return bad(5, answer, ValueError(f"type {done.type!r}, not an order"))
        return times


@dataclass
class JourneyRun:
    """One closed-loop run of `concurrency` journeys for `duration_s` seconds."""

    concurrency: int
    duration_s: float
    journeys: list[float] = field(default_factory=list)  # seconds per journey that finished in the window
    steps: list[list[float]] = field(default_factory=lambda: [[] for _ in STEPS])  # seconds, per step
    orders: int = 0  # journeys that placed an order, finished in the window or not
    failures: list[Failure] = field(default_factory=list)
    others_cpus: float | None = None
    server_cpu_s: float | None = None
    db_cpu_s: float | None = None
    client_cpu_s: float | None = None

    @property
    def per_s(self) -> float:
        return len(self.journeys) / self.duration_s if self.duration_s > 0 else 0.0

    def journey_ms(self, pct: float) -> float:
        return percentile(self.journeys, pct) * 1000

    def step_ms(self, step: int, pct: float) -> float:
        return percentile(self.steps[step], pct) * 1000

    def per_journey_us(self, cpu_s: float | None) -> str:
        return f"{cpu_s / len(self.journeys) * 1e6:,.0f} µs" if cpu_s is not None and self.journeys else "—"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 when there are no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _loop_runner() -> asyncio.Runner:
    import uvloop

    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def run_journeys(shop: Shop, concurrency: int, duration_s: float, server_pid: int | None = None) -> JourneyRun:
    """`concurrency` clients, each running journeys back to back on its own connection until the window closes;
    journeys still running then are finished (their orders counted) but not timed."""
    run = JourneyRun(concurrency, duration_s)
    journey = Journey(shop)
    counter = itertools.count()

    async def main() -> None:
        clients = [await HttpClient(shop.url, shop.headers).open() for _ in range(concurrency)]
        start = time.perf_counter()
        deadline = start + duration_s

        async def worker(client: HttpClient) -> None:
            while time.perf_counter() < deadline:
                result = await journey.run(client, next(counter))
                if isinstance(result, Failure):
                    run.failures.append(result)
                    if result.status == 0:  # the connection is gone: a new one, as a browser would
                        client.close()
                        await client.open()
                    continue
                run.orders += 1
                if result[-1][1] <= deadline:
                    run.journeys.append(result[-1][1] - result[0][0])
                    for index, (begin, end) in enumerate(result):
                        run.steps[index].append(end - begin)

        try:
            await asyncio.gather(*(worker(c) for c in clients))
        finally:
            for client in clients:
                client.close()

    server_before = harness.tree_cpu(server_pid) if server_pid else 0.0
    db_before = harness._database_cpu()
    before = harness.CpuSnapshot.take()
    client_before = time.process_time()
    with _loop_runner() as runner:
        runner.run(main())
    run.client_cpu_s = time.process_time() - client_before
    after = harness.CpuSnapshot.take()
    db_after = harness._database_cpu()
    run.others_cpus = after.others_since(before)
    if server_pid:
        run.server_cpu_s = harness.tree_cpu(server_pid) - server_before
    if db_before is not None and db_after is not None:
        run.db_cpu_s = db_after - db_before
    return run


# --------------------------------------------------------------------------------------------- counting round trips


@dataclass
class Turn:
    """From the first message the server's client sent on an idle connection to the ReadyForQuery that answered its
    last Sync/Query: `round_trips` waits on PostgreSQL, running `statements`."""

    conn: int
    start: float
    end: float = 0.0
    round_trips: int = 0
    statements: list[str] = field(default_factory=list)
    prepared: list[str] = field(default_factory=list)  # named Parse messages: psycopg preparing a statement

    @property
    def background(self) -> bool:
        """The outbox's delivery loop (claims and marks on event_outbox), not a request's work."""
        return any(
            "event_outbox" in s and not s.lstrip().upper().startswith("INSERT") for s in self.statements
        ) and all("event_outbox" in s for s in self.statements)


_SSL_REQUESTS = (80877103, 80877104)  # SSLRequest, GSSENCRequest: the server answers each with one byte


class _Wire:
    """One proxied connection's PostgreSQL protocol, read in both directions (messages: type byte, int32 length)."""

    def __init__(self, conn: int, record: Callable[[Turn], None]) -> None:
        self.conn = conn
        self.record = record
        self.client = bytearray()
        self.server = bytearray()
        self.untyped = True  # the startup packet (and SSL/GSS requests) carry no type byte
        self.single_bytes = 0  # answers to SSL/GSS requests still to come
        self.ready = False  # after the first ReadyForQuery: startup and authentication are done
        self.names: dict[str, str] = {}  # prepared statement name -> SQL
        self.outstanding = 0  # Syncs and Queries sent, not yet answered by ReadyForQuery
        self.turn: Turn | None = None

    def from_client(self, data: bytes, now: float) -> None:
        buf = self.client
        buf += data
        while True:
            if self.untyped:
                if len(buf) < 8:
                    return
                size = int.from_bytes(buf[0:4], "big")
                if len(buf) < size:
                    return
                code = int.from_bytes(buf[4:8], "big")
                del buf[:size]
                if code in _SSL_REQUESTS:
                    self.single_bytes += 1
                else:
                    self.untyped = False
                continue
            if len(buf) < 5:
                return
            size = int.from_bytes(buf[1:5], "big")
            if len(buf) < 1 + size:
                return
            kind, payload = chr(buf[0]), bytes(buf[5 : 1 + size])
            del buf[: 1 + size]
            self._client_message(kind, payload, now)

    def _client_message(self, kind: str, payload: bytes, now: float) -> None:
        if not self.ready or kind in "Xp":  # before ReadyForQuery (authentication), or Terminate
            return
        if self.turn is None:
            self.turn = Turn(self.conn, now)
        if kind == "P":
            name, query = payload.split(b"\0", 2)[:2]
            self.names[name.decode()] = query.decode(errors="replace")
            if name:
                self.turn.prepared.append(query.decode(errors="replace"))
        elif kind == "B":
            statement = payload.split(b"\0", 2)[1].decode()
            self.turn.statements.append(self.names.get(statement, f"<prepared {statement}>"))
        elif kind == "Q":
            self.turn.statements.append(payload.rstrip(b"\0").decode(errors="replace"))
            self.outstanding += 1
        elif kind == "S":
            self.outstanding += 1

    def from_server(self, data: bytes, now: float) -> None:
        buf = self.server
        buf += data
        while True:
            if self.single_bytes:
                if not buf:
                    return
                del buf[:1]
                self.single_bytes -= 1
                continue
            if len(buf) < 5:
                return
            size = int.from_bytes(buf[1:5], "big")
            if len(buf) < 1 + size:
                return
            kind = chr(buf[0])
            del buf[: 1 + size]
            if kind != "Z":
                continue
            if not self.ready:
                self.ready = True
                continue
            self.outstanding = max(0, self.outstanding - 1)
            if self.turn is not None:
                self.turn.round_trips += 1
                if self.outstanding == 0:
                    self.turn.end = now
                    self.record(self.turn)
                    self.turn = None


class WireCounter:
    """A TCP proxy (in a thread of this process) in front of `db_url`'s PostgreSQL that records every Turn."""

    def __init__(self, db_url: str) -> None:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = {k: str(v) for k, v in conninfo_to_dict(db_url).items()}
        host, port = params.get("host", "/var/run/postgresql"), int(params.get("port") or 5432)
        self._upstream: tuple[str, int] = (host, port)
        self.turns: list[Turn] = []
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wire-counter", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        proxied = {k: v for k, v in params.items() if k not in ("host", "hostaddr", "port")}
        self.url = make_conninfo(
            "", **proxied, host="127.0.0.1", port=str(self.port), sslmode="disable", gssencmode="disable"
        )
        # For the server counted: the proxy listens on another port than PostgreSQL's, which DATABASE_POOLING=auto
        # takes for a pooler (no LISTEN: every cached read model would reload on every request). Say it is direct,
        # and let the change feed LISTEN past the proxy, as it would on a direct connection.
        self._server_env = {"DATABASE_POOLING": "none", "DATABASE_LISTEN_URL": db_url}

    def commerce_server(self, workers: int = 1) -> harness.GranianServer:
        """Our server (its default pool size) on the proxy."""
        return harness.commerce_server(self.url, workers=workers, pool_size=None, env=self._server_env)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = self._upstream
        if host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        wire = _Wire(next(self._ids), self.turns.append)
        try:
            up_reader, up_writer = await self._open_upstream()
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, wire.from_client)),
            asyncio.create_task(self._pump(up_reader, writer, wire.from_server)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parse: Callable[[bytes, float], None]
    ) -> None:
        while data := await reader.read(65536):
            now = time.perf_counter()
            writer.write(data)
            parse(data, now)
            await writer.drain()

    def close(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextmanager
def wire_counter(db_url: str) -> Iterator[WireCounter]:
    counter = WireCounter(db_url)
    try:
        yield counter
    finally:
        counter.close()


@dataclass
class StepCount:
    round_trips: int = 0
    statements: int = 0
    db_wait_s: float = 0.0
    latency_s: float = 0.0
    server_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    turns: list[Turn] = field(default_factory=list)


@dataclass
class Counts:
    """Per counted journey (after the warm ones), per step."""

    journeys: list[list[StepCount]]
    background: list[Turn]
    outside: list[Turn]  # neither in a request's window nor the outbox's
    warm: int  # journeys run before the counted ones

    def median(self, step: int, what: str) -> float:
        return float(statistics.median(getattr(j[step], what) for j in self.journeys))

    def spread(self, step: int, what: str) -> tuple[int, int]:
        values = [getattr(j[step], what) for j in self.journeys]
        return min(values), max(values)

    def journey_total(self, what: str) -> float:
        return float(statistics.median(sum(getattr(s, what) for s in j) for j in self.journeys))


def tree_cpu_ns(root: int | None) -> int:
    """CPU nanoseconds of `root`, its descendants and all their threads (/proc/<pid>/task/<tid>/schedstat, which is
    exact where /proc/<pid>/stat counts 10 ms ticks); 0 for None."""
    if root is None:
        return 0
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for pid in parent:
        p, depth = pid, 0
        while p and p != root and depth < 64:
            p, depth = parent.get(p, 0), depth + 1
        if p != root:
            continue
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue
    return total


def warm_count(journeys: int) -> int:
    """How many of `journeys` counted journeys are warm-up (at least one is always counted)."""
    return min(WARM_COUNTED, journeys - 1)


def count_round_trips(
    shop: Shop, turns: list[Turn], journeys: int, server_pid: int | None = None, db_pid: int | None = None
) -> tuple[Counts, int]:
    """Run `journeys` journeys one request at a time (on a server whose PostgreSQL traffic lands in `turns`) and
    attribute each Turn to the request during which it started; with the server's and PostgreSQL's pids, also the
    CPU each step took in them. Returns the counts and the orders placed."""
    journey = Journey(shop)
    windows: list[tuple[float, float, int, int]] = []  # (start, end, journey, step)
    cpu: list[list[tuple[int, int]]] = []

    def probe() -> tuple[int, int]:
        return tree_cpu_ns(server_pid), tree_cpu_ns(db_pid)

    async def main() -> int:
        client = await HttpClient(shop.url, shop.headers).open()
        placed = 0
        try:
            for n in range(journeys):
                cpu.append([])
                result = await journey.run(client, n, probe=probe, cpu=cpu[-1])
                if isinstance(result, Failure):
                    raise RuntimeError(f"a counted journey failed at {result.step}: {result.status} {result.detail}")
                placed += 1
                windows.extend((begin, end, n, step) for step, (begin, end) in enumerate(result))
                await asyncio.sleep(0.05)  # let the outbox and the change feed settle between journeys
        finally:
            client.close()
        return placed

    with _loop_runner() as runner:
        placed = runner.run(main())
    time.sleep(0.3)  # the last turns (e.g. the outbox's delivery) land
    steps = [[StepCount() for _ in STEPS] for _ in range(journeys)]
    for start, end, n, step in windows:
        steps[n][step].latency_s = end - start
    for n, per_step in enumerate(cpu):
        for step, (server_ns, db_ns) in enumerate(per_step):
            steps[n][step].server_cpu_s = server_ns / 1e9
            steps[n][step].db_cpu_s = db_ns / 1e9
    starts = [w[0] for w in windows]
    background, outside = [], []
    for turn in sorted(list(turns), key=lambda t: t.start):
        if turn.background:
            background.append(turn)
            continue
        i = bisect.bisect_right(starts, turn.start) - 1
        if i < 0 or turn.start > windows[i][1]:
            if windows and windows[0][0] <= turn.start <= windows[-1][1]:
                outside.append(turn)
            continue
        cell = steps[windows[i][2]][windows[i][3]]
        cell.round_trips += turn.round_trips
        cell.statements += len(turn.statements)
        cell.db_wait_s += turn.end - turn.start
        cell.turns.append(turn)
    counted = steps[warm_count(journeys) :]
    in_window = [t for t in background if windows and windows[0][0] <= t.start <= windows[-1][1] + 0.3]
    return Counts(counted, in_window, outside, warm_count(journeys)), placed


def sql_label(sql: str, width: int = 96) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def turn_label(turn: Turn) -> str:
    if not turn.statements:
        if turn.prepared:
            return "PREPARE " + "; ".join(sql_label(s, 80) for s in turn.prepared)
        return "(a Sync alone)"
    if len(turn.statements) == 1:
        return sql_label(turn.statements[0])
    distinct = list(dict.fromkeys(sql_label(s, 60) for s in turn.statements))
    return f"pipeline of {len(turn.statements)}: " + "; ".join(distinct)


# --------------------------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    markdown: str
    summary: str
    ok: bool
    best: dict[int, JourneyRun]
    counts: Counts | None
    failures: list[Failure]
    orders_expected: int
    orders_found: int
    server_errors: str  # the first traceback in our server's output, when a journey failed


def first_traceback(output: str, lines: int = 40) -> str:
    """The first Python traceback in a server's output (its last `lines` lines), or ''."""
    start = output.find("Traceback (most recent call last)")
    if start < 0:
        return ""
    block = output[start:].splitlines()
    end = next((i for i, line in enumerate(block[1:], 1) if line and not line.startswith((" ", "Traceback"))), 0)
    return "\n".join(block[: end + 1][-lines:])


def database_text(server_url: str | None) -> str:
    if server_url is None:
        return harness.database_kind()
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(server_url)
    return f"PostgreSQL at host {params.get('host', 'local socket')}, port {params.get('port', 5432)}"


def db_state(db_url: str, items: list[str], location: str) -> tuple[int, int]:
    """(orders placed, units reserved of the bench products at the bench location), read from PostgreSQL."""

    async def work(conn: Any) -> tuple[int, int]:
        orders = await (await conn.execute('SELECT count(*) FROM "order"')).fetchone()
        reserved = await (
            await conn.execute(
                "SELECT coalesce(sum(reserved_quantity), 0) FROM inventory_level "
                "WHERE inventory_item_id = ANY(%s) AND location_id = %s AND deleted_at IS NULL",
                (items, location),
            )
        ).fetchone()
        return int(orders[0]), int(reserved[0])

    return harness.run_async(db_url, work)


def measure(
    settings: BenchSettings,
    concurrencies: tuple[int, ...],
    scratch: Path,
    *,
    server_url: str | None = None,
    catalog: bool = True,
    products: int = PRODUCTS,
    baseline: bool = True,
    count_journeys: int = COUNT_JOURNEYS,
) -> Outcome:
    """Run the benchmark (without writing RESULTS.md)."""
    load_before = load_average()
    duration = harness.parse_duration(settings.duration)
    warmup = harness.parse_duration(settings.warmup)
    runs: dict[int, list[JourneyRun]] = {c: [] for c in concurrencies}
    one_runs: dict[int, list[WrkResult]] = {c: [] for c in concurrencies}
    failures: list[Failure] = []
    orders = 0
    with ExitStack() as stack:
        server = server_url or stack.enter_context(harness.postgres())
        db_url = stack.enter_context(harness.fresh_database(server, prefix="commerce_bench_checkout"))
        key = seed_store(db_url, catalog=catalog)
        db_pid = harness.account_database(db_url)
        with harness.commerce_server(db_url, pool_size=None) as ours:
            harness.log(f"setting up the shop: {products} products of {STOCK:,} units each, through the admin API")
            shop = build_shop(ours.url, key, products)
            one_command = ""
            one_size = 0
            with ExitStack() as baselines:
                one: GranianServer | None = None
                lua = scratch / "cart_retrieve.lua"
                if baseline:
                    region = region_id(ours.url, shop.headers)
                    carts = create_carts(ours.url, shop.headers, region, shop.variants[0], RETRIEVE_CARTS)
                    lua.write_text(retrieve_script(carts))
                    path = f"/store/carts/{carts[0]}"
                    one_size = len(harness.fetch(ours.url + path, shop.headers)[1])
                    one = baselines.enter_context(harness.one_select_server(db_url, one_size))
                    check_baseline(one, path, one_size)
                    one_command = one.command
                for c in concurrencies:
                    if warmup > 0:
                        harness.log(f"warm-up {settings.warmup}: {c} concurrent journeys")
                        warm = run_journeys(shop, c, warmup)
                        failures += warm.failures
                        orders += warm.orders
                        if one is not None:
                            harness.run_wrk(one.url + "/", duration=settings.warmup, connections=c, script=lua)
                for round_ in range(1, settings.rounds + 1):
                    for c in concurrencies:
                        if settings.quiet_wait > 0:
                            harness.wait_for_quiet(settings.quiet_wait)
                        run = run_journeys(shop, c, duration, server_pid=ours.pid)
                        runs[c].append(run)
                        failures += run.failures
                        orders += run.orders
                        harness.log(
                            f"round {round_}/{settings.rounds}, {c} concurrent: {run.per_s:,.1f} journeys/s, journey "
                            f"p50 {fmt_ms(run.journey_ms(50))} p99 {fmt_ms(run.journey_ms(99))}, complete p50 "
                            f"{fmt_ms(run.step_ms(COMPLETE, 50))} p99 {fmt_ms(run.step_ms(COMPLETE, 99))}"
                            + (f", {len(run.failures)} FAILED" if run.failures else "")
                            + (f", others used {run.others_cpus:.2f} CPUs" if run.others_cpus is not None else "")
                        )
                        if one is not None:
                            if settings.quiet_wait > 0:
                                harness.wait_for_quiet(settings.quiet_wait)
                            result = harness.run_wrk(
                                one.url + "/", duration=settings.duration, connections=c, script=lua, server_pid=one.pid
                            )
                            one_runs[c].append(result)
                            harness.log(
                                f"round {round_}/{settings.rounds}, one-SELECT at {c} connections: "
                                f"{result.requests_per_s:,.0f} req/s"
                            )
            ours_command = ours.command
            server_errors = first_traceback(ours.output()) if failures else ""
            if server_errors:
                harness.log(f"our server's first traceback:\n{server_errors}")
        counts: Counts | None = None
        if count_journeys > 0:
            harness.log(f"counting PostgreSQL round trips over {count_journeys} journeys, one request at a time")
            with wire_counter(db_url) as wire, wire.commerce_server() as counted:
                counts, placed = count_round_trips(
                    Shop(
                        counted.url, key, shop.region, shop.option, shop.location, shop.variants, shop.inventory_items
                    ),
                    wire.turns,
                    count_journeys,
                    server_pid=counted.pid,
                    db_pid=db_pid,
                )
                orders += placed
        found, reserved = db_state(db_url, shop.inventory_items, shop.location)
    best = {c: max(rs, key=lambda r: r.per_s) for c, rs in runs.items() if rs}
    best_one = {c: max(rs, key=lambda r: r.requests_per_s) for c, rs in one_runs.items() if rs}
    markdown, summary, ok = render(
        settings,
        runs,
        best,
        best_one,
        counts,
        failures,
        orders,
        (found, reserved),
        products,
        {"ours": ours_command, "one": one_command, "one_size": str(one_size)},
        load_before,
        db_pid,
        catalog,
        database_text(server_url),
        server_errors,
    )
    return Outcome(markdown, summary, ok, best, counts, failures, orders, found, server_errors)


# --------------------------------------------------------------------------------------------- the section


def _cpu(seconds: float | None, per: int) -> str:
    return f"{seconds / per * 1e6:,.0f} µs" if seconds is not None and per else "—"


def render(
    settings: BenchSettings,
    runs: dict[int, list[JourneyRun]],
    best: dict[int, JourneyRun],
    best_one: dict[int, WrkResult],
    counts: Counts | None,
    failures: list[Failure],
    orders: int,
    db: tuple[int, int],
    products: int,
    info: dict[str, str],
    load_before: str,
    db_pid: int | None,
    catalog: bool,
    database: str,
    server_errors: str,
) -> tuple[str, str, bool]:
    """(section markdown, one-line summary, whether every journey went through)."""
    found, reserved = db
    consistent = found == orders and reserved == orders
    top_c, top = max(best.items(), key=lambda kv: kv[1].per_s)
    lines: list[str] = []
    if failures:
        by_kind: dict[tuple[str, int], int] = {}
        for f in failures:
            by_kind[(f.step, f.status)] = by_kind.get((f.step, f.status), 0) + 1
        lines += [
            f"**FAILED: {len(failures)} journeys failed** ("
            + ", ".join(f"{step}: {n} x {status or 'no answer'}" for (step, status), n in by_kind.items())
            + f"). First: `{failures[0].step}` answered {failures[0].status}: `{sql_label(failures[0].detail, 200)}`",
            "",
        ]
        if server_errors:
            block = server_errors.replace("```", "'''")
            lines += ["Our server's first traceback:", "", "```text", block, "```", ""]
    if not consistent:
        lines += [
            f"**FAILED: the database does not match the journeys**: {orders:,} journeys placed an order, the database "
            f"holds {found:,} orders and {reserved:,} reserved units.",
            "",
        ]
    lines += [
        "A journey is a storefront selling one item, six requests on one keep-alive connection: "
        + " → ".join(f"{name} ({route})" for name, route in zip(STEPS, STEP_ROUTES, strict=True))
        + f', which must answer `{{"type": "order"}}`. Payment: `{PROVIDER}`. Guest checkout, {REGION_TEXT}, '
        f"shipping {ADDRESS['country_code'].upper()} address and a flat 10 USD option; journey n buys product n mod "
        f"{products} ({products} products of one variant, {STOCK:,} units each at one location: no journey can run "
        "out). Every complete reserves stock (one conditional `UPDATE inventory_level`), creates the order and "
        "authorizes the payment in one transaction.",
        "",
        "Our server: Granian, 1 worker, `--interface rsgi --loop uvloop` (commerce.boot, as `commerce serve`), "
        "DB_POOL_SIZE unset (the server's default, "
        "10), on the demo store"
        + (" and catalog (1,000 products)" if catalog else "")
        + ". Load: N concurrent journeys, each a closed loop (next journey as soon as the last one ends) on its own "
        "HTTP/1.1 keep-alive connection from an asyncio (uvloop) client in the benchmark process (wrk cannot carry "
        "ids from one step to the next); a journey counts when it ended inside the measured window. Baseline: "
        "`bench/one_select_app.py` (one primary-key `SELECT` per `GET /store/carts/<id>` through a psycopg pool shaped "
        f"like ours, a {info['one_size']}-byte body: the size of our cart retrieve), driven by wrk with as many "
        "connections as concurrent journeys, measured in the same rounds.",
        "",
    ]
    rows = []
    for c, run in sorted(best.items()):
        rows.append(
            [
                f"{c} concurrent journeys",
                f"**{run.per_s:,.1f}**",
                fmt_ms(run.journey_ms(50)),
                fmt_ms(run.journey_ms(99)),
                fmt_ms(run.step_ms(COMPLETE, 50)),
                fmt_ms(run.step_ms(COMPLETE, 99)),
                run.per_journey_us(run.server_cpu_s),
                run.per_journey_us(run.db_cpu_s),
                run.per_journey_us(run.client_cpu_s),
                ", ".join(
                    f"{r.per_s:,.1f}" + (f" ({r.others_cpus:.2f})" if r.others_cpus is not None else "")
                    for r in runs[c]
                ),
            ]
        )
    lines += [
        table(
            [
                "load",
                "journeys/s (best)",
                "journey p50",
                "journey p99",
                "complete p50",
                "complete p99",
                "server CPU per journey",
                "PostgreSQL CPU per journey",
                "load generator CPU per journey",
                f"each {settings.duration} run: journeys/s (CPUs used by others)",
            ],
            rows,
            "lrrrrrrrrr",
        ),
        "",
        "CPU per journey is from the kept run: the Granian server's processes, the PostgreSQL server's (postmaster and "
        "backends; "
        + ("it runs on this machine" if db_pid else "not found on this machine, so not measured")
        + ") and the load generator (this process). Percentiles are nearest-rank over the kept run's journeys.",
        "",
    ]
    step_rows = []
    for index, name in enumerate(STEPS):
        step_rows.append(
            [f"{name} ({STEP_ROUTES[index]})"]
            + [
                f"{fmt_ms(run.step_ms(index, 50))} / {fmt_ms(run.step_ms(index, 99))}"
                for _, run in sorted(best.items())
            ]
        )
    lines += [
        "Each step's latency in the kept runs (p50 / p99):",
        "",
        table(["step", *(f"{c} concurrent" for c in sorted(best))], step_rows, "l" + "r" * len(best)),
        "",
    ]
    if best_one:
        one_rows = []
        for c, one in sorted(best_one.items()):
            ours_requests = best[c].per_s * len(STEPS)
            one_rows.append(
                [
                    f"{c} connections",
                    f"**{fmt_rate(one.requests_per_s)}**",
                    fmt_ms(one.p50_ms),
                    fmt_ms(one.p99_ms),
                    _cpu(one.server_cpu_s, one.requests),
                    _cpu(one.db_cpu_s, one.requests),
                    f"{fmt_rate(ours_requests)} ({100 * ours_requests / one.requests_per_s:.1f} %)",
                ]
                + ([f"**{one.errors} errors**"] if one.errors else [])
            )
        lines += [
            table(
                [
                    "one-SELECT app",
                    "req/s (best)",
                    "p50",
                    "p99",
                    "server CPU per req",
                    "PostgreSQL CPU per req",
                    f"ours: journeys/s x {len(STEPS)} requests (% of the one-SELECT app's req/s)",
                ],
                one_rows,
                "lrrrrrr",
            ),
            "",
        ]
    if counts is not None:
        lines += counts_markdown(counts, db_pid is not None)
    medusa = top.per_s / MEDUSA_JOURNEYS
    lines += [
        "Goals (1 worker):",
        f"- >= {GOAL_JOURNEYS:.0f} full checkouts per second: **{verdict(top.per_s >= GOAL_JOURNEYS)}** "
        f"({top.per_s:,.1f} journeys/s at {top_c} concurrent journeys, the best level measured"
        + (f"; {GOAL_JOURNEYS / top.per_s:.1f}x short" if top.per_s < GOAL_JOURNEYS and top.per_s else "")
        + f"). For scale: Medusa 2.21 measured {MEDUSA_JOURNEYS} full checkouts/s on this kind of machine; this is "
        f"{medusa:,.1f}x that.",
        f"- every journey answered 2xx and placed an order: **{verdict(not failures)}**"
        + (
            f" ({len(failures)} failed)"
            if failures
            else f" (no failed journey, warm-ups and counting included; {orders:,} orders placed in all)"
        )
        + ".",
        f"- the database agrees: **{verdict(consistent)}** ({found:,} orders and {reserved:,} units reserved of the "
        f"bench products, for {orders:,} journeys that placed an order).",
        "",
        f"- Load: {', '.join(map(str, sorted(best)))} concurrent journeys; {settings.warmup} warm-up per level, then "
        f"{settings.rounds} rounds of {settings.duration} in turn (ours, one-SELECT; per level), each after waiting up "
        f"to {settings.quiet_wait:.0f} s for other processes to use < {harness.QUIET_CPUS} CPUs; best run of each "
        "kept. "
        "Baseline load: `wrk -t1 -c<N> -d"
        + f"{settings.duration} --latency -s cart_retrieve.lua <one-SELECT url>/` (rotating over {RETRIEVE_CARTS} "
        "carts made through our API).",
        f"- Servers: `{info['ours']}` (env COMMERCE_DATABASE_URL, JWT_SECRET; DB_POOL_SIZE unset)"
        + (
            f" and `{info['one']}` (env ONE_SELECT_DATABASE_URL = the same database, ONE_SELECT_BODY_BYTES="
            f"{info['one_size']}, ONE_SELECT_POOL_SIZE=10)"
            if info["one"]
            else ""
        )
        + ".",
        f"- Database: {database}, migrated and seeded with the demo store"
        + (" and catalog" if catalog else "")
        + ", the shop set up through the admin API; dropped afterwards.",
        f"- Rust engine: {harness.engine_build()}. Load average before the run (1/5/15 min): {load_before}.",
    ]
    others = [r.others_cpus for r in best.values() if r.others_cpus is not None]
    if others:
        worst = max(others)
        lines.append(
            f"- Noise: other processes on the machine used up to {worst:.2f} CPUs during the kept (best) runs (of "
            f"{nproc()})"
            + (": **the figures are noisy**; re-run on a quiet machine." if worst >= harness.QUIET_CPUS else ": quiet.")
        )
    ok = not failures and consistent
    summary = (
        ", ".join(
            f"{c} concurrent: {r.per_s:,.1f} journeys/s (journey p50 {fmt_ms(r.journey_ms(50))} p99 "
            f"{fmt_ms(r.journey_ms(99))}, complete p50 {fmt_ms(r.step_ms(COMPLETE, 50))} p99 "
            f"{fmt_ms(r.step_ms(COMPLETE, 99))})"
            for c, r in sorted(best.items())
        )
        + (f"; {counts.median(COMPLETE, 'round_trips'):.0f} round trips per complete" if counts else "")
        + f"; goal >= {GOAL_JOURNEYS:.0f}/s {verdict(top.per_s >= GOAL_JOURNEYS)}"
        + (f"; FAILED: {len(failures)} failed journeys" if failures else "")
        + ("" if consistent else "; FAILED: database mismatch")
    )
    return "\n".join(lines) + "\n", summary, ok


REGION_TEXT = "North America region (USD)"


def counts_markdown(counts: Counts, db_measured: bool) -> list[str]:
    rows = []
    for index, name in enumerate(STEPS):
        lo, hi = counts.spread(index, "round_trips")
        rows.append(
            [
                f"{name}",
                f"**{counts.median(index, 'round_trips'):.0f}**" + (f" ({lo}-{hi})" if lo != hi else ""),
                f"{counts.median(index, 'statements'):.0f}",
                fmt_ms(counts.median(index, "db_wait_s") * 1000),
                fmt_ms(counts.median(index, "latency_s") * 1000),
                fmt_ms(counts.median(index, "server_cpu_s") * 1000),
                fmt_ms(counts.median(index, "db_cpu_s") * 1000) if db_measured else "—",
            ]
        )
    rows.append(
        [
            "whole journey",
            f"**{counts.journey_total('round_trips'):.0f}**",
            f"{counts.journey_total('statements'):.0f}",
            fmt_ms(counts.journey_total("db_wait_s") * 1000),
            fmt_ms(counts.journey_total("latency_s") * 1000),
            fmt_ms(counts.journey_total("server_cpu_s") * 1000),
            fmt_ms(counts.journey_total("db_cpu_s") * 1000) if db_measured else "—",
        ]
    )
    n = len(counts.journeys)
    warm = counts.warm
    prepares = sum(len(t.prepared) for j in counts.journeys for s in j for t in s.turns)
    claims = sum(1 for t in counts.background if any("SKIP LOCKED" in s for s in t.statements))
    marks = sum(1 for t in counts.background if any("delivered_at = now()" in s for s in t.statements))
    out = [
        f"PostgreSQL round trips, counted on the wire over {n} journeys run one request at a time (after "
        f"{warm} warm ones) by a second server whose connections go through a protocol-reading proxy (median "
        "per journey, min-max when they differ). A round trip is a wait on PostgreSQL (a Sync or simple Query "
        "answered by ReadyForQuery; a pipelined batch is one); statements are the Bind/Execute and Query messages. "
        "Wait on PostgreSQL is the sum over the step's round trips of first message sent → ReadyForQuery, as the "
        "proxy sees it; latency is the step's, one request at a time through the proxy (so slower than unproxied). "
        "CPU is what the step took in the server's processes and in PostgreSQL's (all their threads' schedstat run "
        "time; the proxy's CPU is this process's, in neither).",
        "",
        table(
            [
                "step",
                "round trips",
                "statements",
                "wait on PostgreSQL",
                "latency (sequential, proxied)",
                "server CPU",
                "PostgreSQL CPU",
            ],
            rows,
            "lrrrrrr",
        ),
        "",
        f"Off the request path: the worker's outbox loop made {claims} claims (polls every 0.2 s and wake-ups) and "
        f"{marks} delivery marks while these {n + warm} journeys ran; round trips of ours outside any request: "
        f"{len(counts.outside)}; statements psycopg prepared during the counted journeys (a round trip each, once per "
        f"statement and connection): {prepares}.",
        "",
    ]
    sample = counts.journeys[-1]
    detail = []
    for index, name in enumerate(STEPS):
        for turn in sample[index].turns:
            detail.append(
                [
                    name,
                    str(turn.round_trips),
                    fmt_ms((turn.end - turn.start) * 1000),
                    "`" + turn_label(turn).replace("|", "\\|").replace("`", "'") + "`",
                ]
            )
    out += [
        "<details><summary>Every round trip of one journey (the last counted one), in order</summary>",
        "",
        table(["step", "round trips", "wait", "statement(s)"], detail, "lrrl"),
        "",
        "</details>",
        "",
    ]
    return out


def main() -> int:
    settings = BenchSettings.from_env()
    concurrencies = concurrency_from_env()
    harness.wrk_binary()  # fail before setting anything up
    command = default_command(ENV_NAMES)
    try:
        with tempfile.TemporaryDirectory(prefix="commerce-bench-checkout-") as scratch:
            outcome = measure(settings, concurrencies, Path(scratch))
    except Exception as exc:
        # Say so in RESULTS.md rather than leave an older section standing as if it were current.
        path = update_section(SECTION, harness.failure_markdown(exc), title=TITLE, command=command)
        print(f"{SECTION}: FAILED ({type(exc).__name__}), see {path}", file=sys.stderr)
        raise
    markdown = outcome.markdown
    path = update_section(SECTION, markdown, title=TITLE, command=command)
    if not outcome.ok:
        print(f"{SECTION}: FAILED: {outcome.summary} -> {path}", file=sys.stderr)
        return 1
    print(f"{SECTION}: {outcome.summary} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
