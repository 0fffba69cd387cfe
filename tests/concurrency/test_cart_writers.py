"""No cart change is ever lost: many shoppers' connections, spread over two Granian worker processes, change one cart
at the same moment. A cart is one row written by a conditional UPDATE on its version (issue 11); a writer that loses
reads again, and after a few losses takes the row lock, so every change lands exactly once."""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Server, at_once
from tests.shop import build, money, ok, product

WORKERS = 2
WRITERS = 56
LINE_ITEMS = "/store/carts/:id/line-items"
RACE_TIMEOUT = 90.0
METRIC = re.compile(
    r'^commerce_http_requests_total\{worker="(\d+)",method="(\w+)",route="([^"]*)",status="(\d+)"\} (\d+)$'
)


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=WORKERS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    return build(admin, suffix=" Writers")


@pytest.fixture(scope="module")
def variants(admin: httpx.Client, shop: dict[str, Any]) -> list[dict[str, Any]]:
    return [product(admin, shop, f"Writers Mug {n}", 10 + n, None) for n in range(4)]


def _served(client: httpx.Client) -> tuple[str, Counter[str]]:
    """The pid of the worker behind this kept-alive connection, and its POST line-item answers by status."""
    assert client.get("/health").status_code == 200
    pid, counts = "", Counter[str]()
    for line in client.get("/metrics").text.splitlines():
        if found := METRIC.match(line):
            pid = found.group(1)
            if found.group(3) == LINE_ITEMS and found.group(2) == "POST":
                counts[found.group(4)] += int(found.group(5))
    assert pid, "the worker's /metrics names no worker"
    return pid, counts


@pytest.fixture
def writers(server: Server, store: httpx.Client) -> Iterator[list[httpx.Client]]:
    """WRITERS clients, each on its own connection, half on each worker process (alternating)."""
    by_worker: dict[str, list[httpx.Client]] = {}
    quota = WRITERS // WORKERS
    made: list[httpx.Client] = []
    try:
        for _ in range(WRITERS * 10):
            if sum(len(c) for c in by_worker.values()) == WRITERS:
                break
            client = httpx.Client(
                base_url=server.url,
                headers=dict(store.headers),
                timeout=RACE_TIMEOUT,
                limits=httpx.Limits(max_connections=1, keepalive_expiry=300),
            )
            made.append(client)
            pid, _ = _served(client)
            if len(by_worker.get(pid, [])) < quota:
                by_worker.setdefault(pid, []).append(client)
        assert len(by_worker) == WORKERS and all(len(c) == quota for c in by_worker.values()), by_worker.keys()
        # Alternating workers, so any slice of the writers spans both.
        yield [c for pair in zip(*by_worker.values(), strict=True) for c in pair]
    finally:
        for client in made:
            client.close()


def race(clients: list[httpx.Client], call: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Every client sends `call(client, i)` at the same moment; every answer must be a 200, from both workers."""
    before = {pid: counts for pid, counts in map(_served, clients[:1] + clients[-1:])}
    answers = at_once(len(clients), lambda i: call(clients[i], i), RACE_TIMEOUT)
    for i, a in enumerate(answers):
        assert a.status_code == 200, f"writer {i}: {a.status_code} {a.text}"
    after = dict(map(_served, clients[:1] + clients[-1:]))
    assert len(after) == WORKERS and all(after[pid] - before[pid] for pid in after), "one worker served them all"
    return answers


def _engine_totals_hold(cart: dict[str, Any]) -> None:
    """The totals shown are those of exactly the lines shown (no tax, no promotion here)."""
    subtotal = sum((money(i["unit_price"]) * i["quantity"] for i in cart["items"]), Decimal(0))
    assert money(cart["item_subtotal"]) == subtotal and money(cart["total"]) == subtotal
    for item in cart["items"]:
        assert money(item["subtotal"]) == money(item["unit_price"]) * item["quantity"]


def test_many_writers_each_add_a_line_and_none_is_lost(
    store: httpx.Client, shop: dict[str, Any], variants: list[dict[str, Any]], writers: list[httpx.Client]
) -> None:
    cart = ok(store.post("/store/carts", json={"region_id": shop["region"]}))["cart"]
    path = f"/store/carts/{cart['id']}/line-items"

    def add(client: httpx.Client, i: int) -> httpx.Response:
        # Distinct metadata: each add is a line of its own (Medusa merges only identical lines).
        body = {"variant_id": variants[i % len(variants)]["id"], "quantity": 1 + i % 3, "metadata": {"writer": i}}
        return client.post(path, json=body)

    answers = race(writers, add)
    final = ok(store.get(f"/store/carts/{cart['id']}"))["cart"]
    assert sorted(i["metadata"]["writer"] for i in final["items"]) == list(range(WRITERS))
    assert {i["metadata"]["writer"]: i["quantity"] for i in final["items"]} == {i: 1 + i % 3 for i in range(WRITERS)}
    _engine_totals_hold(final)
    # Each answer shows the cart as its own change left it: its line is there.
    for i, r in enumerate(answers):
        assert i in {line["metadata"]["writer"] for line in r.json()["cart"]["items"]}


def test_many_writers_raise_one_line_and_every_unit_counts(
    store: httpx.Client, shop: dict[str, Any], variants: list[dict[str, Any]], writers: list[httpx.Client]
) -> None:
    cart = ok(store.post("/store/carts", json={"region_id": shop["region"]}))["cart"]
    path = f"/store/carts/{cart['id']}/line-items"
    race(writers, lambda client, i: client.post(path, json={"variant_id": variants[0]["id"], "quantity": 1}))
    final = ok(store.get(f"/store/carts/{cart['id']}"))["cart"]
    assert [(i["variant_id"], i["quantity"]) for i in final["items"]] == [(variants[0]["id"], WRITERS)]
    _engine_totals_hold(final)


def test_writers_on_different_lines_keep_each_others_changes(
    store: httpx.Client, shop: dict[str, Any], variants: list[dict[str, Any]], writers: list[httpx.Client]
) -> None:
    """Half the writers change the quantity of lines already there while the other half add new ones."""
    half = WRITERS // 2
    items = [{"variant_id": variants[0]["id"], "quantity": 1, "metadata": {"line": n}} for n in range(half)]
    cart = ok(store.post("/store/carts", json={"region_id": shop["region"], "items": items}))["cart"]
    lines = {i["metadata"]["line"]: i["id"] for i in cart["items"]}
    base = f"/store/carts/{cart['id']}/line-items"

    def change(client: httpx.Client, i: int) -> httpx.Response:
        if i < half:
            return client.post(f"{base}/{lines[i]}", json={"quantity": 2 + i})
        return client.post(base, json={"variant_id": variants[1]["id"], "quantity": 1, "metadata": {"new": i}})

    race(writers, change)
    final = ok(store.get(f"/store/carts/{cart['id']}"))["cart"]
    kept = {i["metadata"]["line"]: i["quantity"] for i in final["items"] if "line" in i["metadata"]}
    assert kept == {n: 2 + n for n in range(half)}
    assert sorted(i["metadata"]["new"] for i in final["items"] if "new" in i["metadata"]) == list(range(half, WRITERS))
    _engine_totals_hold(final)


def test_a_worker_whose_copy_is_behind_works_on_the_cart_as_it_is(
    store: httpx.Client, shop: dict[str, Any], variants: list[dict[str, Any]], writers: list[httpx.Client]
) -> None:
    """Changes take turns between the two workers, so each worker's copy of the cart (from its own last change) is
    behind: a change on a line only the other worker added is not refused (404) on the old copy, and no change is
    lost."""
    one, two = writers[0], writers[1]
    assert _served(one)[0] != _served(two)[0]
    cart = ok(store.post("/store/carts", json={"region_id": shop["region"]}))["cart"]
    base = f"/store/carts/{cart['id']}/line-items"
    mine = ok(one.post(base, json={"variant_id": variants[0]["id"], "quantity": 1}))["cart"]["items"][0]["id"]
    theirs = next(
        i["id"]
        for i in ok(two.post(base, json={"variant_id": variants[1]["id"], "quantity": 1}))["cart"]["items"]
        if i["id"] != mine
    )
    # Worker one's copy knows only its own line; the cart now has both.
    changed = ok(one.post(f"{base}/{theirs}", json={"quantity": 3}))["cart"]
    assert {i["id"]: i["quantity"] for i in changed["items"]} == {mine: 1, theirs: 3}
    changed = ok(two.post(f"{base}/{mine}", json={"quantity": 2}))["cart"]
    assert {i["id"]: i["quantity"] for i in changed["items"]} == {mine: 2, theirs: 3}
    ok(one.delete(f"{base}/{theirs}"))
    final = ok(store.get(f"/store/carts/{cart['id']}"))["cart"]
    assert {i["id"]: i["quantity"] for i in final["items"]} == {mine: 2}
    _engine_totals_hold(final)
