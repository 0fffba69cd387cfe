"""The worker's own CPU per cart change, in process: our app (commerce.app:create_app, on uvloop as Granian runs it)
driven through ASGI calls without an HTTP server, on carts made as bench/http_carts.py makes them, so what is
measured is the app's Python (and psycopg's) and not Granian's or wrk's. For each op: a warm pass over its 100 carts
(each cart's first change on this process reads it), then CART_PROFILE_N changes one at a time (each the next of its
cart, as under wrk with 1 worker), timed by this process's CPU time. For an A/B run it per checkout, alternately, each
with PYTHONPATH at its own python/ (and this checkout's root, for bench/):

    DATABASE_URL=... PYTHONPATH=<checkout>/python:$PWD .venv/bin/python bench/cart_profile.py   # CART_OPS=add,promo

Options (env): CART_PROFILE_SAMPLE=1 prints where the CPU went (the Python stack sampled on CPU time: each
function's own samples, with C calls counted to their caller, and those under it); CART_PROFILE_CPROFILE=1 a
cProfile (its overhead is large); CART_PROFILE_PERF=<file> records `perf record -g` of the changes;
CART_PROFILE_NO_COPY=1 runs as a worker that holds no copies and shares none (each change reads its cart: servers
sharing carts), CART_PROFILE_SHARED_ONLY=1 as one whose carts' last changes were another worker's of the same server
(each change takes its cart from the workers' shared store);
CART_PROFILE_CALLGRIND=1 counts instructions per request (CART_PROFILE_CALLGRIND_OUT=<dir> keeps callgrind's
files there, for callgrind_annotate); CART_PROFILE_WRITE=<n> times the cart's write statement alone, n times, against
a one-parameter SELECT (CART_WRITE_VARIANT=<file.py> with a `write(conn, cart, rendered)` to compare;
CART_PROFILE_SAVE=<file> keeps the cart's documents as JSON).
"""

import asyncio
import collections
import cProfile
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import harness
import http_carts as hc


class Asgi:
    """Requests sent straight to an ASGI app."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def call(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = [*self.headers, (b"content-type", b"application/json")] if body is not None else self.headers
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def lifespan(app: Any) -> asyncio.Queue[dict[str, Any]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    asyncio.get_running_loop().create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"startup: {message}")
    return inbox


class Sampler:
    """CPU-time sampling of the Python stack (ITIMER_PROF): what the process's CPU went to, by function, its own
    samples (self) and those under it (total)."""

    def __init__(self, interval: float = 0.0002) -> None:
        self.interval = interval
        self.stacks: collections.Counter[tuple[str, ...]] = collections.Counter()

    def _sample(self, signum: int, frame: Any) -> None:
        stack = []
        while frame is not None:
            code = frame.f_code
            stack.append(f"{code.co_filename.rsplit('/', 2)[-2:][-1]}:{code.co_name}")
            frame = frame.f_back
        self.stacks[tuple(stack)] += 1

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)

    def report(self, top: int = 70) -> None:
        total = sum(self.stacks.values()) or 1
        own: collections.Counter[str] = collections.Counter()
        under: collections.Counter[str] = collections.Counter()
        for stack, n in self.stacks.items():
            own[stack[0]] += n
            for name in set(stack):
                under[name] += n
        print(f"{total} samples")
        for title, counts in (("self", own), ("total", under)):
            print(f"-- {title}")
            for name, n in counts.most_common(top):
                print(f"{100 * n / total:6.1f} %  {name}")


def plan(op: hc.Op, carts: list[tuple[str, str]], variants: list[str], passes: int) -> list[tuple[str, str, Any]]:
    """Each cart of `op` once per pass, the body changing pass after pass (as the wrk scripts)."""
    out: list[tuple[str, str, Any]] = []
    for n in range(passes):
        for cart, line in carts:
            if op is hc.ADD:
                out.append(("POST", f"/store/carts/{cart}/line-items", {"variant_id": variants[n % 4], "quantity": 1}))
            elif op is hc.QUANTITY:
                out.append(("POST", f"/store/carts/{cart}/line-items/{line}", {"quantity": 2 - n % 2}))
            elif op is hc.PROMO:
                out.append(("POST", f"/store/carts/{cart}/promotions", {"promo_codes": [hc.PROMO_CODE]}))
            elif op is hc.ADDRESS:
                out.append(("POST", f"/store/carts/{cart}", {"shipping_address": hc.ADDRESSES[n % 2]}))
            else:
                out.append(("GET", f"/store/carts/{cart}", None))
    return out


async def start(db_url: str, headers: dict[str, str]) -> Asgi:
    """Our app, started (lifespan), as a worker of the asked kind (CART_PROFILE_NO_COPY, _SHARED_ONLY)."""
    os.environ["COMMERCE_DATABASE_URL"] = db_url
    os.environ["JWT_SECRET"] = harness.JWT_SECRET
    os.environ.setdefault("DB_POOL_SIZE", "4")
    from commerce.app import create_app

    app = create_app()
    await lifespan(app)
    if os.environ.get("CART_PROFILE_NO_COPY") or os.environ.get("CART_PROFILE_SHARED_ONLY"):
        # As a worker whose carts' last changes were another worker's: NO_COPY, of another server (read each cart);
        # SHARED_ONLY, of this server (each cart from the store the workers share, cart.copies).
        from commerce.cart import copies
        from commerce.flows import cart as flow

        flow._memory.budget = 0
        if os.environ.get("CART_PROFILE_NO_COPY"):
            copies.configure(0)
        else:
            async with app.state.pool.connection() as conn:
                store = await copies.store_for(conn)
            assert store is not None
            store.register(os.getppid())  # as if another worker of this server used it (a live pid)
    return Asgi(app, headers)


def requests_of(op: hc.Op, carts: dict[str, Any], variants: list[str], n: int) -> tuple[list[Any], list[Any]]:
    """The warm pass over the op's 100 carts, then `n` measured changes."""
    own = carts[op.name][:100]
    requests = plan(op, own, variants, 1 + (n + len(own) - 1) // len(own))
    return requests[: len(own)], requests[len(own) : len(own) + n]


async def warm_up(client: Asgi, op: hc.Op, warm: list[Any]) -> None:
    for method, path, body in warm:
        status, answer = await client.call(method, path, body)
        if status != 200:
            raise RuntimeError(f"{op.name}: {status} {answer[:300]!r}")


async def drive(db_url: str, headers: dict[str, str], carts: dict[str, Any], variants: list[str]) -> None:
    client = await start(db_url, headers)
    n = int(os.environ.get("CART_PROFILE_N") or 400)
    ops = (os.environ.get("CART_OPS") or "add,quantity,promo,address,retrieve").split(",")
    for op in (o for o in hc.OPS if o.name in ops):
        warm, measured = requests_of(op, carts, variants, n)
        await warm_up(client, op, warm)
        profile = cProfile.Profile(time.process_time) if os.environ.get("CART_PROFILE_CPROFILE") else None
        size = 0
        cpu = time.process_time()
        wall = time.perf_counter()
        perf = None
        if os.environ.get("CART_PROFILE_PERF"):
            out = f"{os.environ['CART_PROFILE_PERF']}.{op.name}"
            perf = subprocess.Popen(["perf", "record", "-F", "2000", "-g", "-o", out, "-p", str(os.getpid())])
            time.sleep(1)
        sampler = Sampler() if os.environ.get("CART_PROFILE_SAMPLE") else None
        if sampler:
            sampler.start()
        if profile:
            profile.enable()
        for method, path, body in measured:
            _, answer = await client.call(method, path, body)
            size += len(answer)
        if profile:
            profile.disable()
        if sampler:
            sampler.stop()
            sampler.report()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        print(
            f"{op.name:9} {cpu / len(measured) * 1e6:7.0f} us CPU/req  {wall / len(measured) * 1e6:7.0f} us wall/req  "
            f"answer {size // len(measured)} B  load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        if profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    if os.environ.get("CART_PROFILE_WRITE"):
        await write_loop(client.app, int(os.environ["CART_PROFILE_WRITE"]))


def backend_time(conn: Any) -> float:
    """Seconds the connection's PostgreSQL backend has run on a CPU (a local server: its /proc schedstat)."""
    with open(f"/proc/{conn.info.backend_pid}/schedstat") as stat:
        return int(stat.read().split()[0]) / 1e9


async def write_loop(app: Any, n: int) -> None:
    """CPU per `cart.repository.write` of one remembered cart (its rendering as stored), the statement alone."""
    from commerce.cart import repository
    from commerce.flows import cart as flow

    cart_id, (cart, _) = next(reversed(flow._memory._items.items()))
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT rendered FROM cart WHERE id = %s", (cart_id,))
        rendered = repository.unstored((await cur.fetchone())[0])
        if os.environ.get("CART_PROFILE_SAVE"):  # a real cart's documents, for statement-level measurements
            with open(os.environ["CART_PROFILE_SAVE"], "wb") as out:
                out.write(repository._encoder.encode({"items": cart["items"], "rendered": rendered.decode()}))
        select_one = "SELECT %s::int"
        variant = os.environ.get("CART_WRITE_VARIANT")
        fast = None
        if variant:
            import importlib.util

            spec = importlib.util.spec_from_file_location("variant", variant)
            assert spec and spec.loader
            fast = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(fast)
        for label in ("select", "write", "fast", "select", "write", "fast"):
            if label == "fast" and fast is None:
                continue
            sampler = Sampler() if os.environ.get("CART_PROFILE_SAMPLE") and label != "select" else None
            if sampler:
                sampler.start()
            cpu, backend = time.process_time(), backend_time(conn)
            for _ in range(n):
                if label == "select":
                    await (await conn.execute(select_one, (1,))).fetchone()
                    continue
                written = await (fast.write if label == "fast" else repository.write)(conn, cart, rendered)
                assert written is not None
                cart["version"] = written["version"]
            items = len(repository._encoder.encode(cart["items"]))
            print(
                f"{label:9} {(time.process_time() - cpu) / n * 1e6:7.0f} us CPU/statement  "
                f"backend {(backend_time(conn) - backend) / n * 1e6:5.0f} us  items {items} B  "
                f"rendered {len(rendered)} B  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            if sampler:
                sampler.stop()
                sampler.report(30)


def main() -> int:
    with harness.postgres() as server_url, harness.fresh_database(server_url, prefix="cw_profile") as db_url:
        headers = {"x-publishable-api-key": harness.seed_demo(db_url)}
        with harness.commerce_server(db_url) as ours:
            hc.set_up_admin(ours.url)
            region = hc.region_id(ours.url, headers)
            variants = hc.variant_ids(ours.url, headers, region)
            carts = {op.name: hc.make_carts(ours.url, headers, region, variants[0], 100) for op in hc.OPS}
        if os.environ.get("CART_PROFILE_CALLGRIND"):
            return instructions(db_url, headers, carts, variants)
        import uvloop  # as Granian runs our app (--loop uvloop)

        uvloop.run(drive(db_url, headers, carts, variants))
    return 0


def instructions(db_url: str, headers: dict[str, str], carts: dict[str, Any], variants: list[str]) -> int:
    """Instructions per request, counted by callgrind (load-independent, repeatable): for each op a process under
    valgrind starts the app, warms up, and runs the measured changes one at a time from inside
    `itertools.starmap`, the only C function callgrind counts in (--toggle-collect)."""
    n = int(os.environ.get("CART_PROFILE_N") or 200)
    ops = (os.environ.get("CART_OPS") or "add,quantity,promo,address,retrieve").split(",")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = os.environ.get("CART_PROFILE_CALLGRIND_OUT") or scratch  # kept there for callgrind_annotate
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as out:
            json.dump({"db_url": db_url, "headers": headers, "carts": carts, "variants": variants}, out)
        for name in ops:
            counts = os.path.join(tmp, f"callgrind.{name}")
            subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--toggle-collect=starmap_next",
                    f"--callgrind-out-file={counts}",
                    sys.executable,
                    __file__,
                    "--counted",
                    spec,
                ],
                env={**os.environ, "CART_OPS": name, "CART_PROFILE_N": str(n)},
                check=True,
                stderr=subprocess.DEVNULL,
            )
            with open(counts) as lines:
                total = next(int(line.split()[1]) for line in lines if line.startswith(("summary:", "totals:")))
            print(f"{name:9} {total / n / 1000:8.1f} k instructions/req  (callgrind, {n} requests)", flush=True)
    return 0


def counted(spec_path: str) -> int:
    """The child of `instructions`, under valgrind: one op's warm pass, then its measured changes in starmap."""
    import itertools

    import uvloop

    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    client = loop.run_until_complete(start(spec["db_url"], spec["headers"]))
    (op,) = (o for o in hc.OPS if o.name == os.environ["CART_OPS"])
    warm, measured = requests_of(op, spec["carts"], spec["variants"], int(os.environ["CART_PROFILE_N"]))
    loop.run_until_complete(warm_up(client, op, warm))

    def step(method: str, path: str, body: Any) -> None:
        status, answer = loop.run_until_complete(client.call(method, path, body))
        if status != 200:
            raise RuntimeError(f"{op.name}: {status} {answer[:300]!r}")

    for _ in itertools.starmap(step, measured):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(counted(sys.argv[2]) if sys.argv[1:2] == ["--counted"] else main())
