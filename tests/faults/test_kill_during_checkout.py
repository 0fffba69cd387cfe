"""kill -9 of the whole server (its main process and both workers at once) while shoppers complete carts, then a
restart on the same database: every order is whole or absent. Orders, carts, reservations (and the levels' reserved
counts), payments and the campaign's usage agree with each other; the shoppers' retries after the restart find their
orders or get a clean 4xx, and the goods and the promotion budget are sold exactly once."""

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server, eventually
from tests.shop import build, cart_ready, ok, product

WORKERS = 2
STOCK, BUDGET, SHOPPERS, THREADS = 30, 25, 40, 8
KILL_AFTER = 8  # orders placed before the kill: the rest are in flight or still to come
CODE = "CRASH5"


def tree(pid: int) -> list[int]:
    """The process and its descendants (Granian's workers are its children)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return pids
    for child in children:
        pids += tree(int(child))
    return pids


def kill_9(server: Server) -> None:
    assert server.proc is not None
    for pid in tree(server.proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.proc.wait(timeout=10)
    server.stop()


@pytest.fixture(scope="module")
def first(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=WORKERS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prepared(first: Server, seeded: dict[str, str]) -> dict[str, Any]:
    """The shop, a product with STOCK units, a promotion with a usage budget of BUDGET, and SHOPPERS carts of one unit
    each with the code applied, ready to complete."""
    with httpx.Client(base_url=first.url, timeout=30) as client:
        token = ok(client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        admin_headers = {"authorization": f"Bearer {token['token']}"}
    admin = httpx.Client(base_url=first.url, timeout=30, headers=admin_headers)
    store = httpx.Client(base_url=first.url, timeout=30, headers={"x-publishable-api-key": seeded["publishable_key"]})
    with admin, store:
        shop = build(admin)
        variant = product(admin, shop, "Crash Tee", 20, STOCK)
        campaign = ok(
            admin.post(
                "/admin/campaigns",
                json={"name": "Crash", "campaign_identifier": "CRASH", "budget": {"type": "usage", "limit": BUDGET}},
            )
        )["campaign"]
        promotion = ok(
            admin.post(
                "/admin/promotions",
                json={
                    "code": CODE,
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
        )["promotion"]

        def one(i: int) -> str:
            def made() -> bool:  # each worker learns of the new product and promotion by NOTIFY, a moment later
                try:
                    cart = cart_ready(store, shop, [(variant["id"], 1)], email=f"shopper{i}@crash.example")
                    ok(store.post(f"/store/carts/{cart['id']}/promotions", json={"promo_codes": [CODE]}))
                except AssertionError:
                    return False
                carts.append(cart["id"])
                return True

            carts: list[str] = []
            assert eventually(made, timeout=10)
            return carts[0]

        with ThreadPoolExecutor(4) as pool:
            cart_ids = list(pool.map(one, range(SHOPPERS)))
    return {
        "shop": shop,
        "variant": variant,
        "campaign": campaign["id"],
        "promotion": promotion["id"],
        "carts": cart_ids,
    }


def complete_all(url: str, headers: dict[str, str], cart_ids: list[str], placed: threading.Event | None) -> dict:
    """THREADS shoppers complete the carts; their answers by cart (an exception when the server vanished). With
    `placed`, it is set once KILL_AFTER orders are placed."""
    answers: dict[str, httpx.Response | Exception] = {}
    lock = threading.Lock()
    orders = 0

    def shopper(k: int) -> None:
        nonlocal orders
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for cart_id in cart_ids[k::THREADS]:
                try:
                    r = client.post(f"/store/carts/{cart_id}/complete")
                except httpx.HTTPError as exc:
                    answers[cart_id] = exc
                    continue
                answers[cart_id] = r
                with lock:
                    orders += r.status_code == 200
                    if placed is not None and orders >= KILL_AFTER:
                        placed.set()

    threads = [threading.Thread(target=shopper, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_kill_9_during_checkouts_leaves_no_half_written_order(
    db_url: str, first: Server, seeded: dict[str, str], prepared: dict[str, Any]
) -> None:
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    placed = threading.Event()
    killer = threading.Thread(target=lambda: (placed.wait(60), kill_9(first)))
    killer.start()
    before = complete_all(first.url, headers, prepared["carts"], placed)
    killer.join(timeout=60)
    assert placed.is_set(), "fewer than KILL_AFTER orders before the kill"
    seen_before = {
        cart: r.json()["order"]["id"]
        for cart, r in before.items()
        if isinstance(r, httpx.Response) and r.status_code == 200
    }
    # Checkouts sent and never answered: the kill cut them mid-way (the others found no server to connect to).
    cut = [
        cart for cart, r in before.items() if isinstance(r, httpx.HTTPError) and not isinstance(r, httpx.ConnectError)
    ]
    assert len(seen_before) >= KILL_AFTER and cut, "the kill landed between checkouts, not during them"
    for cart, r in before.items():
        assert isinstance(r, Exception) or r.status_code < 500, (cart, r.status_code, r.text)

    # What the crash left, before anyone retries: consistent already.
    check_consistency(db_url, prepared)

    second = Server(db_url, workers=WORKERS).start()
    try:
        after = complete_all(second.url, headers, prepared["carts"], None)
    finally:
        second.stop()
    orders: dict[str, str] = {}
    for cart, r in after.items():
        assert isinstance(r, httpx.Response), (cart, r)
        body = r.json()
        if r.status_code == 200:
            orders[cart] = body["order"]["id"]
        else:
            assert r.status_code == 400 and body["type"] == "not_allowed", (cart, r.status_code, body)
            assert CODE in body["message"] and "budget" in body["message"], body
    # A shopper who saw an order before the crash gets that same order on retry.
    assert all(orders[cart] == order for cart, order in seen_before.items())
    assert len(orders) == BUDGET  # the budget (below the stock) sold out exactly
    found = check_consistency(db_url, prepared)
    assert found == orders


def check_consistency(db_url: str, prepared: dict[str, Any]) -> dict[str, str]:
    """The invariants a crash must not break; returns the orders of the test's carts, by cart."""
    carts = prepared["carts"]
    item = prepared["variant"]["inventory_item_id"]
    location = prepared["shop"]["location"]
    with psycopg.connect(db_url) as conn:
        q = conn.execute
        by_cart = dict(q("SELECT cart_id, order_id FROM order_cart WHERE cart_id = ANY(%s)", (carts,)).fetchall())
        order_ids = list(by_cart.values())
        completed = {r[0] for r in q("SELECT id FROM cart WHERE id = ANY(%s) AND completed_at IS NOT NULL", (carts,))}
        # A cart is completed exactly when it has its order.
        assert completed == set(by_cart), completed ^ set(by_cart)
        assert len(set(order_ids)) == len(order_ids)
        # Each order is whole: its line, its payment collection with one authorized payment, its promotion.
        lines = q(
            "SELECT order_id, id, quantity FROM order_line_item WHERE order_id = ANY(%s) AND deleted_at IS NULL",
            (order_ids,),
        ).fetchall()
        assert sorted(r[0] for r in lines) == sorted(order_ids) and all(r[2] == 1 for r in lines)
        paid = q(
            "SELECT opc.order_id, pc.status, pc.amount, pc.authorized_amount, count(p.id), coalesce(sum(p.amount), 0) "
            "FROM order_payment_collection opc JOIN payment_collection pc ON pc.id = opc.payment_collection_id "
            "LEFT JOIN payment p ON p.payment_collection_id = pc.id "
            "WHERE opc.order_id = ANY(%s) GROUP BY 1, 2, 3, 4",
            (order_ids,),
        ).fetchall()
        assert sorted(r[0] for r in paid) == sorted(order_ids), paid
        for order_id, status, amount, authorized, payments, total in paid:
            assert status == "authorized" and authorized == amount == total and payments == 1, (order_id, status)
        # No payment for a cart without an order.
        unpaid_carts = [c for c in carts if c not in by_cart]
        stray = q(
            "SELECT count(*) FROM cart_payment_collection cpc JOIN payment p "
            "ON p.payment_collection_id = cpc.payment_collection_id WHERE cpc.cart_id = ANY(%s)",
            (unpaid_carts,),
        ).fetchone()
        assert stray == (0,), stray
        promoted = [
            r[0] for r in q("SELECT order_id FROM order_promotion WHERE promotion_id = %s", (prepared["promotion"],))
        ]
        assert sorted(promoted) == sorted(order_ids)
        (used,) = q("SELECT budget_used FROM promotion_campaign WHERE id = %s", (prepared["campaign"],)).fetchone()
        assert used == len(order_ids)
        # Stock: the level's reserved count is the sum of its reservations, one per order line.
        (stocked, reserved) = q(
            "SELECT stocked_quantity, reserved_quantity FROM inventory_level "
            "WHERE inventory_item_id = %s AND location_id = %s AND deleted_at IS NULL",
            (item, location),
        ).fetchone()
        reservations = q(
            "SELECT line_item_id, quantity FROM reservation_item "
            "WHERE inventory_item_id = %s AND location_id = %s AND deleted_at IS NULL",
            (item, location),
        ).fetchall()
        assert stocked == STOCK and reserved == sum(r[1] for r in reservations) == len(order_ids)
        assert sorted(r[0] for r in reservations) == sorted(r[1] for r in lines)
    return by_cart
