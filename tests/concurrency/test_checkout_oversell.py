"""Checkout never oversells, across processes: shoppers on connections spread over two Granian worker processes
complete their carts at the same moment, and stock, kits, several locations and promotion budgets hold. Exactly as
many orders as the goods allow are placed; every other shopper gets a clean 4xx and finds the cart as it was.
Two interleavings the test forces pin bugs found here and fixed: a lost race for one location re-plans from the
others, and a product created is seen by the very next request on every worker (its document is rendered in the
commit that creates it; no worker waits for a whole-catalog reload)."""

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import Server, assert_error, at_once, eventually
from tests.shop import build, cart_ready, level, location, money, ok, product, set_stock

WORKERS = 2
COMPLETE = "/store/carts/:id/complete"
REQUEST_TIMEOUT = 30.0  # one checkout takes milliseconds; queued behind 40 others on one level row, a few seconds
RACE_TIMEOUT = 60.0
METRIC = re.compile(
    r'^commerce_http_requests_total\{worker="(\d+)",method="(\w+)",route="([^"]*)",status="(\d+)"\} (\d+)$'
)
Lines = list[tuple[str, int]]


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    """conftest's server with two worker processes; it replaces conftest's `server` for this module, so the `admin`
    and `store` clients talk to it too."""
    srv = Server(db_url, workers=WORKERS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin)


@pytest.fixture(scope="module")
def annex(admin: httpx.Client, shop: dict[str, Any]) -> str:
    """A second stock location serving the shop's sales channel (stocked only for the products that say so)."""
    return location(admin, "Race Annex", shop["channel"])


# --- shoppers on both worker processes --------------------------------------------------------------------------
def worker_of(client: httpx.Client) -> str:
    """The pid of the worker process serving this client's (kept-alive) connection."""
    assert client.get("/health").status_code == 200  # so the worker's metrics have a line naming it
    for line in client.get("/metrics").text.splitlines():
        if found := METRIC.match(line):
            return found.group(1)
    raise AssertionError("the worker's /metrics names no worker")


class Crowd:
    """`size` shoppers, each on its own kept-alive connection, the connections split evenly over the worker
    processes (a connection stays with the process that accepted it)."""

    def __init__(self, server: Server, headers: dict[str, str], size: int) -> None:
        self.clients: list[httpx.Client] = []
        self.by_worker: dict[str, list[httpx.Client]] = {}
        quota = -(-size // WORKERS)
        try:
            for _ in range(size * 10):
                if len(self.clients) == size:
                    break
                client = httpx.Client(
                    base_url=server.url,
                    headers=headers,
                    timeout=REQUEST_TIMEOUT,
                    limits=httpx.Limits(max_connections=1, keepalive_expiry=300),
                )
                pid = worker_of(client)
                if len(self.by_worker.get(pid, [])) >= quota:
                    client.close()
                    continue
                self.by_worker.setdefault(pid, []).append(client)
                self.clients.append(client)
            spread = {pid: len(clients) for pid, clients in self.by_worker.items()}
            assert len(self.clients) == size and len(spread) == WORKERS, f"connections per worker: {spread}"
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def completes(self) -> dict[str, Counter[int]]:
        """Per worker pid: its answers to POST /store/carts/:id/complete so far, by status."""
        out: dict[str, Counter[int]] = {}
        for pid, clients in self.by_worker.items():
            counts: Counter[int] = Counter()
            for line in clients[0].get("/metrics").text.splitlines():
                found = METRIC.match(line)
                if found and found.group(3) == COMPLETE and found.group(2) == "POST":
                    assert found.group(1) == pid, "a shopper's connection moved to another worker"
                    counts[int(found.group(4))] += int(found.group(5))
            out[pid] = counts
        return out

    def race(self, call: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
        """Every shopper sends `call(client, index)` at the same moment (a barrier); their answers, in order."""
        before = self.completes()
        n = len(self.clients)
        answers = at_once(n, lambda i: call(self.clients[i], i), RACE_TIMEOUT)
        # The race really ran across processes: both workers answered some of these checkouts.
        after = self.completes()
        served = {pid: sum((after[pid] - before[pid]).values()) for pid in after}
        assert sum(served.values()) >= n and all(served.values()), served
        return answers


@pytest.fixture
def crowds(server: Server, store: httpx.Client) -> Iterator[Callable[[int], Crowd]]:
    made: list[Crowd] = []

    def make(size: int) -> Crowd:
        made.append(Crowd(server, dict(store.headers), size))
        return made[-1]

    yield make
    for crowd in made:
        crowd.close()


# --- the shop's side ---------------------------------------------------------------------------------------------
def on_sale(crowd: Crowd, shop: dict[str, Any], variant: dict[str, Any], sellable: int) -> None:
    """Wait until every worker's read models (catalog, prices, stock; kept current by NOTIFY) sell the variant at a
    price with `sellable` units. One request per worker at a time: the request that reloads a read model sees the
    reloaded one."""
    params = {"region_id": shop["region"], "fields": "*variants.calculated_price,+variants.inventory_quantity"}

    def current(client: httpx.Client) -> bool:
        r = client.get(f"/store/products/{variant['product_id']}", params=params)
        if r.status_code != 200:
            return False
        found = [v for v in r.json()["product"]["variants"] if v["id"] == variant["id"]]
        return bool(found) and found[0]["calculated_price"] is not None and found[0]["inventory_quantity"] == sellable

    for clients in crowd.by_worker.values():
        assert eventually(partial(current, clients[0]), timeout=5), "a worker does not sell the variant yet"


def carts(store: httpx.Client, shop: dict[str, Any], tag: str, lines: list[Lines]) -> list[dict[str, Any]]:
    """One ready cart per shopper (email `shopper<i>@<tag>.example`), made a few at a time."""

    def one(i: int) -> dict[str, Any]:
        return cart_ready(store, shop, lines[i], email=f"shopper{i}@{tag}.example")

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(len(lines))))


def complete(cart_ids: list[str]) -> Callable[[httpx.Client, int], httpx.Response]:
    return lambda client, i: client.post(f"/store/carts/{cart_ids[i]}/complete")


def outcome(answers: list[httpx.Response]) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """(orders, refusals) by shopper index. Anything but an order or a 4xx fails here, a 5xx above all."""
    orders: dict[int, dict[str, Any]] = {}
    refusals: dict[int, dict[str, Any]] = {}
    for i, r in enumerate(answers):
        assert r.status_code < 500, f"shopper {i}: {r.status_code} {r.text}"
        body: dict[str, Any] = r.json()
        if r.status_code == 200:
            assert body["type"] == "order", body
            orders[i] = body["order"]
        else:
            assert 400 <= r.status_code < 500, r.text
            refusals[i] = {"status": r.status_code, **body}
    return orders, refusals


def assert_sold_out(refusal: dict[str, Any]) -> None:
    assert refusal["status"] == 400 and refusal["type"] == "not_allowed", refusal
    assert refusal.get("code") == "insufficient_inventory", refusal
    assert refusal["message"].startswith("Some variant does not have the required inventory"), refusal


def state(cart: dict[str, Any]) -> dict[str, Any]:
    """What a failed checkout must leave as it was."""
    return {
        "completed_at": cart["completed_at"],
        "updated_at": cart["updated_at"],
        "items": sorted((i["id"], i["variant_id"], i["quantity"], money(i["unit_price"])) for i in cart["items"]),
        "total": money(cart["total"]),
        "discount_total": money(cart["discount_total"]),
        "promotions": sorted(p["code"] for p in cart.get("promotions") or []),
        "sessions": sorted(
            (s["id"], s["status"], money(s["amount"])) for s in cart["payment_collection"]["payment_sessions"]
        ),
    }


def assert_untouched(
    admin: httpx.Client, store: httpx.Client, prepared: list[dict[str, Any]], losers: set[int]
) -> None:
    """The losers' carts are as they were, and no payment was made for them."""
    for i in losers:
        now = ok(store.get(f"/store/carts/{prepared[i]['id']}"))["cart"]
        assert now["completed_at"] is None
        assert state(now) == state(prepared[i]), i
    paid = Counter(p["payment_collection_id"] for p in payments(admin))
    assert not [i for i in losers if paid[prepared[i]["payment_collection"]["id"]]]


def payments(admin: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(admin.get("/admin/payments", params={"limit": 1000}))["payments"]
    return found


def assert_orders(
    admin: httpx.Client, tag: str, prepared: list[dict[str, Any]], orders: dict[int, dict[str, Any]]
) -> None:
    """Exactly the winners' orders exist for this race's shoppers, one each, paid once."""
    listed = ok(admin.get("/admin/orders", params={"q": f"@{tag}.example", "limit": 200, "fields": "id,email"}))
    assert listed["count"] == len(orders), listed["count"]
    assert sorted(o["id"] for o in listed["orders"]) == sorted(o["id"] for o in orders.values())
    assert sorted(o["email"] for o in listed["orders"]) == sorted(f"shopper{i}@{tag}.example" for i in orders)
    assert len({o["id"] for o in orders.values()}) == len(orders)
    paid = Counter(p["payment_collection_id"] for p in payments(admin))
    assert all(paid[prepared[i]["payment_collection"]["id"]] == 1 for i in orders)


def reservations(admin: httpx.Client, item_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        admin.get("/admin/reservations", params={"inventory_item_id": item_id, "limit": 1000})
    )["reservations"]
    return found


def order_lines(orders: dict[int, dict[str, Any]]) -> set[str]:
    return {str(item["id"]) for o in orders.values() for item in o["items"]}


def reserved(admin: httpx.Client, item_id: str, location_id: str) -> tuple[int, int]:
    found = level(admin, item_id, location_id)
    return int(found["stocked_quantity"]), int(found["reserved_quantity"])


# --- the races -------------------------------------------------------------------------------------------------
def test_forty_shoppers_buy_seven_units(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], crowds: Callable[[int], Crowd]
) -> None:
    stock, shoppers = 7, 40
    lamp = product(admin, shop, "Race Lamp", 20, stock)
    crowd = crowds(shoppers)
    on_sale(crowd, shop, lamp, stock)
    prepared = carts(store, shop, "one", [[(lamp["id"], 1)]] * shoppers)

    orders, refusals = outcome(crowd.race(complete([c["id"] for c in prepared])))

    assert len(orders) == stock and len(refusals) == shoppers - stock
    for refusal in refusals.values():
        assert_sold_out(refusal)
    for i, order in orders.items():
        assert [(item["variant_id"], item["quantity"]) for item in order["items"]] == [(lamp["id"], 1)], i
    assert reserved(admin, lamp["inventory_item_id"], shop["location"]) == (stock, stock)
    held = reservations(admin, lamp["inventory_item_id"])
    assert sum(r["quantity"] for r in held) == stock and {r["line_item_id"] for r in held} == order_lines(orders)
    assert_orders(admin, "one", prepared, orders)
    assert_untouched(admin, store, prepared, set(refusals))
    # Sold out for the next shopper too (the store's view agrees with the level).
    assert_error(
        store.post(
            "/store/carts", json={"region_id": shop["region"], "items": [{"variant_id": lamp["id"], "quantity": 1}]}
        ),
        400,
        "not_allowed",
    )


def test_a_kit_sells_as_many_as_its_scarcest_part_allows(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], crowds: Callable[[int], Crowd]
) -> None:
    # A kit of 2 frames and 1 lens: 9 frames make 4 kits, 10 lenses would make 10.
    shoppers, parts = 20, {"frame": (2, 9), "lens": (1, 10)}
    kit = product(admin, shop, "Race Glasses", 60, None)  # created unmanaged: no item of its own
    items: dict[str, str] = {}
    for name, (required, stocked) in parts.items():
        items[name] = ok(
            admin.post(
                "/admin/inventory-items",
                json={
                    "sku": f"RACE-{name.upper()}",
                    "title": name,
                    "location_levels": [{"location_id": shop["location"], "stocked_quantity": stocked}],
                },
            )
        )["inventory_item"]["id"]
        ok(
            admin.post(
                f"/admin/products/{kit['product_id']}/variants/{kit['id']}/inventory-items",
                json={"inventory_item_id": items[name], "required_quantity": required},
            )
        )
    ok(admin.post(f"/admin/products/{kit['product_id']}/variants/{kit['id']}", json={"manage_inventory": True}))
    # Switching to managed inventory found the links and made no item of its own.
    assert ok(admin.get("/admin/inventory-items", params={"sku": kit["sku"]}))["count"] == 0
    capacity = min(stocked // required for required, stocked in parts.values())
    crowd = crowds(shoppers)
    on_sale(crowd, shop, kit, capacity)
    prepared = carts(store, shop, "kit", [[(kit["id"], 1)]] * shoppers)

    orders, refusals = outcome(crowd.race(complete([c["id"] for c in prepared])))

    assert len(orders) == capacity == 4 and len(refusals) == shoppers - capacity
    for refusal in refusals.values():
        assert_sold_out(refusal)
    for name, (required, stocked) in parts.items():
        assert reserved(admin, items[name], shop["location"]) == (stocked, capacity * required), name
        held = reservations(admin, items[name])
        assert sorted(r["quantity"] for r in held) == [required] * capacity, name
        assert {r["line_item_id"] for r in held} == order_lines(orders), name
    assert_orders(admin, "kit", prepared, orders)
    assert_untouched(admin, store, prepared, set(refusals))


def test_two_locations_sell_their_stock_together(
    admin: httpx.Client,
    store: httpx.Client,
    shop: dict[str, Any],
    annex: str,
    crowds: Callable[[int], Crowd],
) -> None:
    here, there, shoppers = 4, 3, 24
    mat = product(admin, shop, "Race Mat", 15, here)
    item = mat["inventory_item_id"]
    set_stock(admin, item, annex, there)
    crowd = crowds(shoppers)
    on_sale(crowd, shop, mat, here + there)
    prepared = carts(store, shop, "two", [[(mat["id"], 1)]] * shoppers)

    orders, refusals = outcome(crowd.race(complete([c["id"] for c in prepared])))

    for refusal in refusals.values():
        assert_sold_out(refusal)
    levels = {loc: reserved(admin, item, loc) for loc in (shop["location"], annex)}
    assert levels[shop["location"]][1] <= here and levels[annex][1] <= there, levels
    assert levels[shop["location"]][1] + levels[annex][1] == len(orders), levels
    held = reservations(admin, item)
    for loc, (_, taken) in levels.items():
        assert sum(r["quantity"] for r in held if r["location_id"] == loc) == taken, loc
    assert sorted(r["line_item_id"] for r in held) == sorted(order_lines(orders))  # one unit per order
    assert_orders(admin, "two", prepared, orders)
    assert_untouched(admin, store, prepared, set(refusals))
    assert len(orders) == here + there, levels  # every unit found its buyer


def test_one_cart_completed_ten_times_at_once_is_one_order(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], crowds: Callable[[int], Crowd]
) -> None:
    mug = product(admin, shop, "Race Mug", 9, 5)
    crowd = crowds(10)
    on_sale(crowd, shop, mug, 5)
    [cart] = carts(store, shop, "same", [[(mug["id"], 2)]])

    # The cart's row lock queues the nine others; each then finds the order the first placed and answers it.
    orders, refusals = outcome(crowd.race(lambda client, _: client.post(f"/store/carts/{cart['id']}/complete")))

    assert not refusals and len(orders) == 10
    assert len({o["id"] for o in orders.values()}) == 1
    order = orders[0]
    assert all(o == order for o in orders.values())  # the same answer, whoever placed it
    assert [(i["variant_id"], i["quantity"]) for i in order["items"]] == [(mug["id"], 2)]
    assert reserved(admin, mug["inventory_item_id"], shop["location"]) == (5, 2)
    assert [r["quantity"] for r in reservations(admin, mug["inventory_item_id"])] == [2]
    assert_orders(admin, "same", [cart], {0: order})
    assert ok(store.get(f"/store/carts/{cart['id']}"))["cart"]["completed_at"] is not None


def test_a_usage_budget_of_three_gives_three_discounts(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], crowds: Callable[[int], Crowd]
) -> None:
    budget, shoppers, code = 3, 12, "RACE5"
    cap = product(admin, shop, "Race Cap", 20, 50)
    campaign = ok(
        admin.post(
            "/admin/campaigns",
            json={"name": "Race", "campaign_identifier": "RACE", "budget": {"type": "usage", "limit": budget}},
        )
    )["campaign"]
    ok(
        admin.post(
            "/admin/promotions",
            json={
                "code": code,
                "type": "standard",
                "status": "active",
                "campaign_id": campaign["id"],
                "application_method": {
                    "type": "fixed",
                    "target_type": "order",
                    "allocation": "across",
                    "value": 5,
                    "currency_code": "usd",
                },
            },
        )
    )
    crowd = crowds(shoppers)
    on_sale(crowd, shop, cap, 50)
    prepared = [apply_code(store, c["id"], code) for c in carts(store, shop, "promo", [[(cap["id"], 1)]] * shoppers)]
    assert all(money(c["discount_total"]) == 5 and money(c["total"]) == 25 for c in prepared)

    orders, refusals = outcome(crowd.race(complete([c["id"] for c in prepared])))

    assert len(orders) == budget and len(refusals) == shoppers - budget
    for refusal in refusals.values():
        assert refusal["status"] == 400 and refusal["type"] == "not_allowed", refusal
        assert refusal["message"] == f"The promotion code {code} is invalid: its budget is used up", refusal
    for order in orders.values():
        assert money(order["discount_total"]) == 5 and money(order["total"]) == 25, order
    assert money(ok(admin.get(f"/admin/campaigns/{campaign['id']}"))["campaign"]["budget"]["used"]) == budget
    assert reserved(admin, cap["inventory_item_id"], shop["location"]) == (50, budget)
    assert sorted(r["line_item_id"] for r in reservations(admin, cap["inventory_item_id"])) == sorted(
        order_lines(orders)
    )
    assert_orders(admin, "promo", prepared, orders)
    assert_untouched(admin, store, prepared, set(refusals))


def apply_code(store: httpx.Client, cart_id: str, code: str) -> dict[str, Any]:
    """The cart with the code applied, once the worker that answers knows the new promotion (NOTIFY)."""
    answers: list[httpx.Response] = []

    def applied() -> bool:
        answers.append(store.post(f"/store/carts/{cart_id}/promotions", json={"promo_codes": [code]}))
        return answers[-1].status_code == 200

    assert eventually(applied, timeout=5), answers[-1].text
    cart: dict[str, Any] = ok(store.get(f"/store/carts/{cart_id}"))["cart"]
    return cart


# --- interleavings that once lost a sale or served a stale read, forced by a row or table lock held from the test
@pytest.fixture(scope="module")
def held_back(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], annex: str, server: Server, db_url: str
) -> dict[str, Any]:
    """One unit at each of two locations, two shoppers, and the level both plan to take from held for a moment
    (as a checkout at that location holds it while its payment is authorized): both are planned before either
    reserves. Returns what happened."""
    rug = product(admin, shop, "Race Rug", 30, 1)
    item = rug["inventory_item_id"]
    set_stock(admin, item, annex, 1)
    first = min(shop["location"], annex)  # equal stock: the plan takes the location with the smaller id
    crowd = Crowd(server, dict(store.headers), 2)
    try:
        on_sale(crowd, shop, rug, 2)
        prepared = carts(store, shop, "held", [[(rug["id"], 1)]] * 2)
        answers: list[httpx.Response] = []
        failures: list[BaseException] = []

        def run() -> None:
            try:
                answers.extend(crowd.race(complete([c["id"] for c in prepared])))
            except BaseException as exc:
                failures.append(exc)

        racer = threading.Thread(target=run, daemon=True)
        with psycopg.connect(db_url) as holder, psycopg.connect(db_url, autocommit=True) as watcher:
            holder.execute(HOLD_LEVEL, (item, first))
            racer.start()
            both_wait = eventually(lambda: waiting_on(watcher, "UPDATE inventory_level") == 2, timeout=10)
            holder.rollback()
        racer.join(timeout=RACE_TIMEOUT)
        assert not racer.is_alive() and not failures, failures
        assert both_wait, "the two checkouts did not both wait for the held level"
        orders, refusals = outcome(answers)
        return {
            "item": item,
            "locations": (shop["location"], annex),
            "prepared": prepared,
            "orders": orders,
            "refusals": refusals,
        }
    finally:
        crowd.close()


HOLD_LEVEL = "SELECT id FROM inventory_level WHERE inventory_item_id = %s AND location_id = %s FOR UPDATE"


def test_a_held_level_never_oversells(admin: httpx.Client, store: httpx.Client, held_back: dict[str, Any]) -> None:
    orders, refusals = held_back["orders"], held_back["refusals"]
    assert len(orders) + len(refusals) == 2 and len(orders) >= 1
    for refusal in refusals.values():
        assert_sold_out(refusal)
    for loc in held_back["locations"]:
        stocked, taken = reserved(admin, held_back["item"], loc)
        assert taken <= stocked == 1
    held = reservations(admin, held_back["item"])
    assert sorted(r["line_item_id"] for r in held) == sorted(order_lines(orders))
    assert_orders(admin, "held", held_back["prepared"], orders)
    assert_untouched(admin, store, held_back["prepared"], set(refusals))


def test_a_held_level_does_not_lose_the_sale_another_location_could_make(held_back: dict[str, Any]) -> None:
    assert len(held_back["orders"]) == 2, held_back["refusals"]


@pytest.fixture(scope="module")
def just_created(admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], server: Server) -> dict[str, Any]:
    """A product is created (committed; its document rendered in that commit) and asked for at once, with no pause
    for the NOTIFY, on two connections of each worker that had cached a page before. Returns the answers."""
    crowd = Crowd(server, dict(store.headers), 2 * WORKERS)
    try:
        clients = [c for pair in crowd.by_worker.values() for c in pair]
        for c in clients:
            ok(c.get("/store/products", params={"limit": 1}))  # every worker has something cached
        new = product(admin, shop, "Race Stool", 10, None)
        path = f"/store/products/{new['product_id']}"
        answers: dict[str, httpx.Response] = {}
        readers = [
            threading.Thread(target=fetch, args=(c, path, answers, str(n)), daemon=True) for n, c in enumerate(clients)
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=REQUEST_TIMEOUT)
        return {"product_id": new["product_id"], "answers": answers, "asked": len(clients)}
    finally:
        crowd.close()


def fetch(client: httpx.Client, path: str, answers: dict[str, httpx.Response], key: str) -> None:
    answers[key] = client.get(path)


WAITING_ON = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE %s
"""


def waiting_on(conn: psycopg.Connection[Any], query: str) -> int:
    """How many of the database's sessions wait for a lock in a statement containing `query`."""
    row = conn.execute(WAITING_ON, (f"%{query}%",)).fetchone()
    return int(row[0]) if row else 0


def test_a_new_product_is_seen_at_once_by_every_worker(just_created: dict[str, Any]) -> None:
    answers = just_created["answers"]
    assert len(answers) == just_created["asked"] >= 2 * WORKERS
    for response in answers.values():
        assert ok(response)["product"]["id"] == just_created["product_id"]


def test_the_workers_logged_no_error(server: Server) -> None:
    """Through every race above, neither worker process logged an error (an unexpected exception is logged)."""
    log = server.log_text()
    assert "Started worker-2" in log
    assert not [line for line in log.splitlines() if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line]
