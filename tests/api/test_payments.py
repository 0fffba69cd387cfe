"""Payments: providers per region, a cart's payment collection and sessions over HTTP; authorization through the
service (the checkout's step) with each test-provider outcome; captures and refunds that never pass what was
authorized or captured, even concurrently; refund reasons; signed, idempotent provider webhooks."""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from commerce.db.connect import run_with_conn
from commerce.errors import PaymentAuthorizationError
from commerce.payment import service
from commerce.payment.providers import SIGNATURE_HEADER, WEBHOOK_SECRET_ENV, sign
from tests.conftest import Server, assert_error, eventually

SECRET = "whsec-for-this-test-module-only"
TEST = "pp_test_test"
SYSTEM = "pp_system_default"


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    """The shared server, with the test provider's webhook secret set."""
    srv = Server(db_url, env={WEBHOOK_SECRET_ENV: SECRET}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def shop(admin: httpx.Client, store: httpx.Client) -> dict[str, Any]:
    channel = admin.get("/admin/stores").json()["stores"][0]["default_sales_channel_id"]
    regions = {r["name"]: r["id"] for r in admin.get("/admin/regions").json()["regions"]}
    r = admin.post(f"/admin/regions/{regions['North America']}", json={"payment_providers": [SYSTEM, TEST]})
    assert r.status_code == 200, r.text
    r = admin.post(
        "/admin/products",
        json={
            "title": "Mug",
            "status": "published",
            "sales_channels": [{"id": channel}],
            "options": [{"title": "Size", "values": ["One"]}],
            "variants": [
                {
                    "title": "One",
                    "options": {"Size": "One"},
                    "manage_inventory": False,
                    "prices": [{"currency_code": "usd", "amount": 25}, {"currency_code": "eur", "amount": 23}],
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    variant = r.json()["product"]["variants"][0]["id"]
    assert eventually(lambda: store.get("/store/products").json()["count"] == 1)
    na = regions["North America"]
    assert eventually(
        lambda: len(store.get("/store/payment-providers", params={"region_id": na}).json()["payment_providers"]) == 2
    )
    return {"regions": regions, "variant": variant}


def _cart(
    store: httpx.Client, shop: dict[str, Any], region: str = "North America", quantity: int = 2
) -> dict[str, Any]:
    r = store.post(
        "/store/carts",
        json={"region_id": shop["regions"][region], "items": [{"variant_id": shop["variant"], "quantity": quantity}]},
    )
    assert r.status_code == 200, r.text
    cart: dict[str, Any] = r.json()["cart"]
    return cart


def _collection(store: httpx.Client, cart_id: str, **params: str) -> dict[str, Any]:
    r = store.post("/store/payment-collections", json={"cart_id": cart_id}, params=params)
    assert r.status_code == 200, r.text
    collection: dict[str, Any] = r.json()["payment_collection"]
    return collection


def _session(store: httpx.Client, collection_id: str, provider: str = TEST, **data: Any) -> httpx.Response:
    body: dict[str, Any] = {"provider_id": provider}
    if data:
        body["data"] = data
    return store.post(f"/store/payment-collections/{collection_id}/payment-sessions", json=body)


def _db(db_url: str, work: Any) -> Any:
    return run_with_conn(db_url, work)


def _authorize(db_url: str, collection_id: str, amount: Decimal) -> dict[str, Any]:
    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, Any]:
        return await service.authorize_collection(conn, collection_id, amount, {})

    result: dict[str, Any] = _db(db_url, work)
    return result


def _paid(store: httpx.Client, shop: dict[str, Any], db_url: str, outcome: str = "authorize") -> dict[str, Any]:
    """An authorized payment (at the test provider with this outcome) of a fresh cart of 2 x 25 = 50 usd."""
    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    assert _session(store, collection["id"], outcome=outcome).status_code == 200
    return _authorize(db_url, collection["id"], Decimal(cart["total"]))


def test_providers_per_region(store: httpx.Client, shop: dict[str, Any]) -> None:
    na, eu = shop["regions"]["North America"], shop["regions"]["Europe"]
    body = store.get("/store/payment-providers", params={"region_id": na}).json()
    assert body == {
        "payment_providers": [{"id": SYSTEM, "is_enabled": True}, {"id": TEST, "is_enabled": True}],
        "count": 2,
        "offset": 0,
        "limit": 20,
    }
    body = store.get("/store/payment-providers", params={"region_id": eu, "limit": 1}).json()
    assert (body["payment_providers"], body["count"], body["limit"]) == ([{"id": SYSTEM, "is_enabled": True}], 1, 1)
    assert store.get("/store/payment-providers", params={"region_id": "reg_nope"}).json()["count"] == 0
    assert_error(store.get("/store/payment-providers"), 400, "not_allowed", "region_id")
    assert_error(httpx.get(f"{store.base_url}/store/payment-providers?region_id={na}"), 400, "not_allowed")


def test_admin_lists_payment_providers(admin: httpx.Client) -> None:
    body = admin.get("/admin/payments/payment-providers").json()
    assert [p["id"] for p in body["payment_providers"]] == [SYSTEM, TEST] and body["count"] == 2
    only = admin.get("/admin/payments/payment-providers", params={"id": TEST}).json()
    assert only["payment_providers"] == [{"id": TEST, "is_enabled": True}]


def test_a_cart_has_one_collection_that_follows_its_total(store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    assert collection["id"].startswith("pay_col_")
    assert (collection["amount"], collection["currency_code"], collection["status"]) == (50, "usd", "not_paid")
    assert collection["payment_sessions"] == []
    again = _collection(store, cart["id"], fields="+region_id,+authorized_amount")
    assert again["id"] == collection["id"] and again["region_id"] == shop["regions"]["North America"]
    assert again["authorized_amount"] == 0
    line = cart["items"][0]["id"]
    assert store.post(f"/store/carts/{cart['id']}/line-items/{line}", json={"quantity": 3}).status_code == 200
    assert _collection(store, cart["id"])["amount"] == 75
    assert_error(store.post("/store/payment-collections", json={"cart_id": "cart_nope"}), 404, "not_found")
    assert_error(store.post("/store/payment-collections", json={}), 400, "invalid_data", "cart_id")
    bad = store.post("/store/payment-collections", json={"cart_id": cart["id"], "amount": 1})
    assert_error(bad, 400, "invalid_data", "amount")


def test_sessions_replace_each_other_and_need_a_provider_of_the_region(
    store: httpx.Client, shop: dict[str, Any]
) -> None:
    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    assert_error(_session(store, collection["id"], "pp_nope"), 400, "invalid_data", "pp_nope")
    r = _session(store, collection["id"], outcome="authorize")
    assert r.status_code == 200, r.text
    body = r.json()["payment_collection"]
    assert body["status"] == "awaiting"
    [session] = body["payment_sessions"]
    assert session["id"].startswith("payses_")
    assert (session["provider_id"], session["amount"], session["currency_code"]) == (TEST, 50, "usd")
    assert session["status"] == "pending" and session["data"]["outcome"] == "authorize"
    assert session["data"]["reference"].startswith("testpay_")
    r = _session(store, collection["id"], SYSTEM)
    [replaced] = r.json()["payment_collection"]["payment_sessions"]
    assert replaced["provider_id"] == SYSTEM and replaced["id"] != session["id"]

    eu_cart = _cart(store, shop, "Europe")
    eu = _collection(store, eu_cart["id"])
    assert eu["currency_code"] == "eur" and eu["amount"] == 46
    assert_error(_session(store, eu["id"], TEST), 400, "invalid_data", "not enabled")
    assert _session(store, eu["id"], SYSTEM).status_code == 200
    assert_error(_session(store, "pay_col_nope", SYSTEM), 404, "not_found")
    assert_error(_session(store, collection["id"], TEST, outcome="initiate_fails"), 400, "invalid_data", "initiate")
    assert_error(_session(store, collection["id"], TEST, outcome="bogus"), 400, "invalid_data", "bogus")


def test_authorization_and_its_refusals(store: httpx.Client, shop: dict[str, Any], db_url: str) -> None:
    for outcome, code in (("decline", "payment_declined"), ("requires_more", "payment_requires_more")):
        cart = _cart(store, shop)
        collection = _collection(store, cart["id"])
        _session(store, collection["id"], outcome=outcome)
        with pytest.raises(PaymentAuthorizationError) as refused:
            _authorize(db_url, collection["id"], Decimal(50))
        assert refused.value.status == 422 and refused.value.code == code
        after = _collection(store, cart["id"], fields="+status,*payment_sessions")
        want = "error" if outcome == "decline" else "requires_more"
        assert [s["status"] for s in after["payment_sessions"]] == [want]
        assert after["status"] == "awaiting"

    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    with pytest.raises(Exception, match="no payment session"):
        _authorize(db_url, collection["id"], Decimal(50))
    _session(store, collection["id"], outcome="authorize")
    payment = _authorize(db_url, collection["id"], Decimal(50))
    assert payment["id"].startswith("pay_") and payment["amount"] == 50
    assert (payment["captured_amount"], payment["captures"], payment["captured_at"]) == (0, [], None)
    assert _authorize(db_url, collection["id"], Decimal(50))["id"] == payment["id"], "authorizing again is a no-op"
    paid = _collection(store, cart["id"], fields="+status,+authorized_amount,*payment_sessions")
    assert (paid["status"], paid["authorized_amount"]) == ("authorized", 50)
    assert paid["payment_sessions"][0]["status"] == "authorized"
    assert_error(_session(store, collection["id"], SYSTEM), 400, "not_allowed", "authorized")

    async def status(conn: psycopg.AsyncConnection[Any]) -> str:
        return await service.collection_status(conn, [collection["id"]])

    assert _db(db_url, status) == "authorized"


def test_auto_capture_at_authorization(store: httpx.Client, shop: dict[str, Any], db_url: str) -> None:
    payment = _paid(store, shop, db_url, "auto_capture")
    assert payment["captured_amount"] == 50 and payment["captured_at"] is not None
    assert [c["amount"] for c in payment["captures"]] == [50]


def test_capture_in_parts_never_past_the_authorization(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    payment = _paid(store, shop, db_url)
    url = f"/admin/payments/{payment['id']}"
    r = admin.post(f"{url}/capture", json={"amount": 20})
    assert r.status_code == 200, r.text
    body = r.json()["payment"]
    assert (body["captured_amount"], body["captured_at"]) == (20, None)
    assert [c["amount"] for c in body["captures"]] == [20] and body["captures"][0]["id"].startswith("capt_")
    assert_error(admin.post(f"{url}/capture", json={"amount": 31}), 400, "invalid_data", "capture more")
    assert_error(admin.post(f"{url}/capture", json={"amount": 0}), 400, "invalid_data")
    assert_error(admin.post(f"{url}/capture", json={"amount": -5}), 400, "invalid_data")
    assert_error(admin.post(f"{url}/capture", json={"amount": "lots"}), 400, "invalid_data")
    body = admin.post(f"{url}/capture").json()["payment"]
    assert body["captured_amount"] == 50 and body["captured_at"] is not None
    assert sorted(c["amount"] for c in body["captures"]) == [20, 30]
    assert admin.post(f"{url}/capture").json()["payment"]["captured_amount"] == 50, "capturing nothing left: no-op"
    assert_error(admin.post(f"{url}/capture", json={"amount": 1}), 400, "invalid_data")
    assert_error(admin.post("/admin/payments/pay_nope/capture", json={}), 404, "not_found")

    collection = admin.get(url).json()["payment"]["payment_collection_id"]

    async def read(conn: psycopg.AsyncConnection[Any]) -> tuple[dict[str, Any], str, int]:
        [c] = await service.collections(conn, [collection])
        cur = await conn.execute(
            "SELECT count(*) FROM event_outbox WHERE name = 'payment.captured' AND data->>'id' = %s", (payment["id"],)
        )
        row = await cur.fetchone()
        assert row is not None
        return c, await service.collection_status(conn, [collection]), int(row[0])

    c, status, events = _db(db_url, read)
    assert (c["status"], c["captured_amount"], c["completed_at"] is not None) == ("completed", 50, True)
    assert status == "captured" and events == 2


def test_concurrent_captures_never_exceed_the_authorization(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    payment = _paid(store, shop, db_url)

    def take(_: int) -> int:
        return admin.post(f"/admin/payments/{payment['id']}/capture", json={"amount": 15}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(take, range(8)))
    assert statuses == [200, 200, 200] + [400] * 5
    assert admin.get(f"/admin/payments/{payment['id']}").json()["payment"]["captured_amount"] == 45


def test_refunds_never_pass_what_was_captured(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    payment = _paid(store, shop, db_url)
    url = f"/admin/payments/{payment['id']}"
    assert_error(admin.post(f"{url}/refund", json={"amount": 1}), 400, "invalid_data", "refund more")
    admin.post(f"{url}/capture", json={"amount": 40})
    reason = admin.post("/admin/refund-reasons", json={"label": "Damaged goods"}).json()["refund_reason"]
    r = admin.post(f"{url}/refund", json={"amount": 15, "refund_reason_id": reason["id"], "note": "dented"})
    assert r.status_code == 200, r.text
    body = r.json()["payment"]
    assert body["refunded_amount"] == 15
    [refund] = body["refunds"]
    assert refund["id"].startswith("ref_") and refund["amount"] == 15 and refund["note"] == "dented"
    assert refund["refund_reason"]["label"] == "Damaged goods" and refund["refund_reason"]["code"] == "damaged_goods"
    assert refund["created_by"].startswith("user_")
    assert_error(admin.post(f"{url}/refund", json={"amount": 26}), 400, "invalid_data", "refund more")
    assert_error(admin.post(f"{url}/refund", json={"refund_reason_id": "refr_nope"}), 404, "not_found")
    assert admin.post(f"{url}/refund").json()["payment"]["refunded_amount"] == 40, "the rest of what was captured"
    assert_error(admin.post(f"{url}/refund"), 400, "invalid_data")

    async def refunded_events(conn: psycopg.AsyncConnection[Any]) -> int:
        cur = await conn.execute(
            "SELECT count(*) FROM event_outbox WHERE name = 'payment.refunded' AND data->>'id' = %s", (payment["id"],)
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    assert _db(db_url, refunded_events) == 2

    async def status(conn: psycopg.AsyncConnection[Any]) -> str:
        return await service.collection_status(conn, [payment["payment_collection_id"]])

    assert _db(db_url, status) == "partially_refunded"


def test_provider_failures_leave_nothing_behind(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    failing = _paid(store, shop, db_url, "capture_fails")
    url = f"/admin/payments/{failing['id']}"
    body = assert_error(admin.post(f"{url}/capture", json={"amount": 10}), 400, "invalid_data", "capture")
    assert body["code"] == "payment_provider_error"
    after = admin.get(url).json()["payment"]
    assert (after["captured_amount"], after["captures"]) == (0, [])

    no_refunds = _paid(store, shop, db_url, "refund_fails")
    url = f"/admin/payments/{no_refunds['id']}"
    assert admin.post(f"{url}/capture").status_code == 200
    assert_error(admin.post(f"{url}/refund", json={"amount": 10}), 400, "invalid_data", "refund")
    after = admin.get(url).json()["payment"]
    assert (after["captured_amount"], after["refunded_amount"], after["refunds"]) == (50, 0, [])


def test_cancel_a_collection_refunds_captures_and_voids_the_rest(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    payment = _paid(store, shop, db_url)
    admin.post(f"/admin/payments/{payment['id']}/capture", json={"amount": 30})

    async def cancel(conn: psycopg.AsyncConnection[Any]) -> tuple[dict[str, Any], str]:
        collection = await service.cancel_collection(conn, payment["payment_collection_id"])
        return collection, await service.collection_status(conn, [collection["id"]])

    collection, status = _db(db_url, cancel)
    # Medusa's payment_status counts the refund before the cancellation: 30 of 50 refunded.
    assert collection["status"] == "canceled" and status == "partially_refunded"
    [done] = collection["payments"]
    assert (done["captured_amount"], done["refunded_amount"]) == (30, 30) and done["canceled_at"] is not None
    assert_error(admin.post(f"/admin/payments/{payment['id']}/capture"), 400, "invalid_data", "canceled")


def test_cancel_an_uncaptured_collection(store: httpx.Client, shop: dict[str, Any], db_url: str) -> None:
    payment = _paid(store, shop, db_url)

    async def cancel(conn: psycopg.AsyncConnection[Any]) -> tuple[dict[str, Any], str, int]:
        collection = await service.cancel_collection(conn, payment["payment_collection_id"])
        cur = await conn.execute(
            "SELECT count(*) FROM event_outbox WHERE name = 'payment.refunded' AND data->>'id' = %s", (payment["id"],)
        )
        row = await cur.fetchone()
        assert row is not None
        return collection, await service.collection_status(conn, [collection["id"]]), int(row[0])

    collection, status, refunds = _db(db_url, cancel)
    [done] = collection["payments"]
    assert (collection["status"], status, refunds) == ("canceled", "canceled", 0)
    assert done["canceled_at"] is not None and done["refunds"] == [] and done["data"]["canceled"] is True


def test_concurrent_collection_requests_share_one_collection(store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = _cart(store, shop)
    with ThreadPoolExecutor(6) as pool:
        ids = set(pool.map(lambda _: _collection(store, cart["id"])["id"], range(6)))
    assert len(ids) == 1


def test_admin_lists_payments_with_filters(
    admin: httpx.Client, store: httpx.Client, shop: dict[str, Any], db_url: str
) -> None:
    payment = _paid(store, shop, db_url)
    body = admin.get("/admin/payments", params={"id": payment["id"]}).json()
    assert body["count"] == 1 and body["payments"][0]["id"] == payment["id"]
    by_session = admin.get("/admin/payments", params={"payment_session_id": payment["payment_session_id"]}).json()
    assert [p["id"] for p in by_session["payments"]] == [payment["id"]]
    assert admin.get("/admin/payments", params={"created_at[$gte]": "2999-01-01T00:00:00Z"}).json()["count"] == 0
    assert admin.get("/admin/payments", params={"created_at[$lt]": "2999-01-01T00:00:00Z"}).json()["count"] >= 1
    assert admin.get("/admin/payments").json()["count"] >= 1
    one = admin.get(f"/admin/payments/{payment['id']}", params={"fields": "id,amount"}).json()["payment"]
    assert one == {"id": payment["id"], "amount": 50}
    assert_error(admin.get("/admin/payments/pay_nope"), 404, "not_found")
    assert_error(admin.get("/admin/payments", params={"order": "data"}), 400, "invalid_data")
    assert_error(store.get("/admin/payments"), 401, "unauthorized")


def test_refund_reasons_crud(admin: httpx.Client) -> None:
    r = admin.post(
        "/admin/refund-reasons", json={"label": "Customer request", "code": "customer", "description": "Asked"}
    )
    assert r.status_code == 200, r.text
    reason = r.json()["refund_reason"]
    assert reason["id"].startswith("refr_")
    assert (reason["label"], reason["code"], reason["description"]) == ("Customer request", "customer", "Asked")
    rid = reason["id"]
    assert admin.get(f"/admin/refund-reasons/{rid}").json()["refund_reason"]["label"] == "Customer request"
    updated = admin.post(f"/admin/refund-reasons/{rid}", json={"label": "Changed mind", "description": None})
    assert updated.json()["refund_reason"]["label"] == "Changed mind"
    assert updated.json()["refund_reason"]["description"] is None
    listed = admin.get("/admin/refund-reasons", params={"q": "changed"}).json()
    assert [x["id"] for x in listed["refund_reasons"]] == [rid] and listed["count"] == 1
    assert_error(admin.post("/admin/refund-reasons", json={"label": ""}), 400, "invalid_data")
    assert_error(admin.post("/admin/refund-reasons", json={"label": "x", "extra": 1}), 400, "invalid_data")
    assert_error(admin.post(f"/admin/refund-reasons/{rid}", json={"label": "  "}), 400, "invalid_data")
    assert admin.delete(f"/admin/refund-reasons/{rid}").json() == {
        "id": rid,
        "object": "refund_reason",
        "deleted": True,
    }
    assert_error(admin.get(f"/admin/refund-reasons/{rid}"), 404, "not_found")
    assert_error(admin.delete(f"/admin/refund-reasons/{rid}"), 404, "not_found")
    assert_error(admin.post("/admin/refund-reasons/refr_nope", json={"label": "y"}), 404, "not_found")


def _hook(client: httpx.Client, event: dict[str, Any], secret: str = SECRET, **headers: str) -> httpx.Response:
    payload = json.dumps(event).encode()
    signed = {SIGNATURE_HEADER: sign(payload, secret), "content-type": "application/json", **headers}
    return client.post("/hooks/payment/test_test", content=payload, headers=signed)


def test_webhooks_are_verified_and_applied_once(
    client: httpx.Client, admin: httpx.Client, store: httpx.Client, shop: dict[str, Any]
) -> None:
    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    session = _session(store, collection["id"]).json()["payment_collection"]["payment_sessions"][0]
    authorized = {"id": "evt_1", "type": "payment.authorized", "data": {"session_id": session["id"]}}

    assert_error(_hook(client, authorized, secret="wrong"), 400, "invalid_data", "signature")
    unsigned = client.post("/hooks/payment/test_test", content=json.dumps(authorized).encode())
    assert_error(unsigned, 400, "invalid_data", "signature")
    assert_error(client.post("/hooks/payment/nope_nope", content=b"{}"), 404, "not_found")
    assert admin.get("/admin/payments", params={"payment_session_id": session["id"]}).json()["count"] == 0

    for _ in range(2):
        r = _hook(client, authorized)
        assert (r.status_code, r.text) == (200, "OK")
    [payment] = admin.get("/admin/payments", params={"payment_session_id": session["id"]}).json()["payments"]
    assert payment["amount"] == 50 and payment["captured_amount"] == 0

    captured = {"id": "evt_2", "type": "payment.captured", "data": {"session_id": session["id"], "amount": 10}}
    for _ in range(3):
        assert _hook(client, captured).status_code == 200
    assert admin.get(f"/admin/payments/{payment['id']}").json()["payment"]["captured_amount"] == 10
    assert _hook(client, {**captured, "id": "evt_3"}).status_code == 200
    assert admin.get(f"/admin/payments/{payment['id']}").json()["payment"]["captured_amount"] == 20
    rest = {"id": "evt_4", "type": "payment.captured", "data": {"session_id": session["id"]}}
    assert _hook(client, rest).status_code == 200
    assert admin.get(f"/admin/payments/{payment['id']}").json()["payment"]["captured_amount"] == 50
    assert _hook(client, {"id": "evt_5", "type": "charge.dispute", "data": {}}).status_code == 200
    assert (
        _hook(client, {"id": "evt_6", "type": "payment.captured", "data": {"session_id": "payses_x"}}).status_code
        == 200
    )
    assert_error(_hook(client, {"type": "payment.captured"}), 400, "invalid_data")


def test_a_failed_webhook_marks_the_session(client: httpx.Client, store: httpx.Client, shop: dict[str, Any]) -> None:
    cart = _cart(store, shop)
    collection = _collection(store, cart["id"])
    session = _session(store, collection["id"]).json()["payment_collection"]["payment_sessions"][0]
    assert (
        _hook(client, {"id": "evt_f1", "type": "payment.failed", "data": {"session_id": session["id"]}}).status_code
        == 200
    )
    after = _collection(store, cart["id"])
    assert [s["status"] for s in after["payment_sessions"]] == ["error"]


def test_payment_status_follows_medusa() -> None:
    def c(status: str, amount: int, captured: int = 0, refunded: int = 0) -> dict[str, Any]:
        return {"status": status, "amount": amount, "captured_amount": captured, "refunded_amount": refunded}

    assert service.payment_status([]) == "not_paid"
    assert service.payment_status([c("not_paid", 10)]) == "not_paid"
    assert service.payment_status([c("awaiting", 10)]) == "awaiting"
    assert service.payment_status([c("authorized", 10)]) == "authorized"
    assert service.payment_status([c("authorized", 10), c("awaiting", 5)]) == "partially_authorized"
    assert service.payment_status([c("authorized", 10, 4)]) == "partially_captured"
    assert service.payment_status([c("completed", 10, 10)]) == "captured"
    assert service.payment_status([c("completed", 10, 10, 3)]) == "partially_refunded"
    assert service.payment_status([c("completed", 10, 10, 10)]) == "refunded"
    assert service.payment_status([c("canceled", 10)]) == "canceled"
