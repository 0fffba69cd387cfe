"""Idempotency-Key: a retried POST gets the first answer, once; a reused key with another body is refused."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from tests.conftest import assert_error


def test_a_retry_replays_the_first_answer(admin: httpx.Client) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    before = admin.get("/admin/sales-channels").json()["count"]
    first = admin.post("/admin/sales-channels", json={"name": "Kiosk"}, headers=key)
    again = admin.post("/admin/sales-channels", json={"name": "Kiosk"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert admin.get("/admin/sales-channels").json()["count"] == before + 1
    assert_error(
        admin.post("/admin/sales-channels", json={"name": "Other"}, headers=key),
        400,
        "invalid_data",
        "different request",
    )


def test_an_error_answer_is_replayed_too(admin: httpx.Client) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    first = admin.post("/admin/regions", json={"name": "X", "currency_code": "zzz"}, headers=key)
    again = admin.post("/admin/regions", json={"name": "X", "currency_code": "zzz"}, headers=key)
    assert first.status_code == again.status_code == 400
    assert first.json() == again.json()


def test_concurrent_retries_create_once(admin: httpx.Client) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    name = f"Burst {uuid.uuid4().hex[:6]}"

    def post(_: int) -> httpx.Response:
        return admin.post("/admin/sales-channels", json={"name": name}, headers=key)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert {a.status_code for a in answers} <= {200, 409}
    ids = {a.json()["sales_channel"]["id"] for a in answers if a.status_code == 200}
    assert len(ids) == 1
    found = admin.get("/admin/sales-channels", params={"name": name}).json()
    assert found["count"] == 1


def test_keys_are_per_caller(admin: httpx.Client, store: httpx.Client) -> None:
    key = {"idempotency-key": str(uuid.uuid4())}
    assert admin.post("/admin/sales-channels", json={"name": "Mine"}, headers=key).status_code == 200
    # The same key from another caller is a different key.
    r = store.post(
        "/auth/customer/emailpass/register",
        json={"email": f"{uuid.uuid4().hex[:8]}@x.io", "password": "long enough"},
        headers=key,
    )
    assert r.status_code == 200, r.text
    assert_error(
        admin.post("/admin/sales-channels", json={"name": "Mine"}, headers={"idempotency-key": ""}),
        400,
        "invalid_data",
        "Idempotency-Key",
    )


def test_no_answer_is_kept_in_clear(admin: httpx.Client, db_url: str) -> None:
    """A secret API key created with an Idempotency-Key: the stored answer holds neither the token nor the key in
    clear, and a retry still gets the token (the client that lost the first answer needs it)."""
    raw_key = f"secret-{uuid.uuid4()}"
    body = {"title": "CI deploy", "type": "secret"}
    first = admin.post("/admin/api-keys", json=body, headers={"idempotency-key": raw_key})
    assert first.status_code == 200, first.text
    token = first.json()["api_key"]["token"]
    assert token.startswith("sk_")
    again = admin.post("/admin/api-keys", json=body, headers={"idempotency-key": raw_key})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["api_key"]["token"] == token
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT key, body FROM idempotency_key").fetchall()
    assert rows, "answers are stored"
    for key, stored in rows:
        assert raw_key not in key
        assert token.encode() not in bytes(stored) and b"sk_" not in bytes(stored)
