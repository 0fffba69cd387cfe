"""The two ways Granian serves the app answer alike: RSGI through commerce.boot (what `commerce serve` runs, and every
other test's server) and ASGI with the app itself (for ASGI hosts). Bodies whole, chunked, too large and with a
stated length past the limit; the request id; headers; a raw UTF-8 query under an Idempotency-Key."""

import socket
from collections.abc import Iterator

import httpx
import pytest

from commerce.http.request import MAX_BODY
from tests.conftest import Server, assert_error


@pytest.fixture(scope="module", params=["rsgi", "asgi"])
def served(request: pytest.FixtureRequest, db_url: str, seeded: dict[str, str]) -> Iterator[httpx.Client]:
    srv = Server(db_url, interface=request.param).start()
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    try:
        with httpx.Client(base_url=srv.url, timeout=20, headers=headers) as c:
            yield c
    finally:
        srv.stop()


def _region(client: httpx.Client) -> str:
    return str(client.get("/store/regions").json()["regions"][0]["id"])


def test_a_json_body_whole_or_chunked_makes_the_same_cart(served: httpx.Client) -> None:
    region = _region(served)
    whole = served.post("/store/carts", json={"region_id": region, "email": "whole@example.com"})
    assert whole.status_code == 200, whole.text
    assert whole.headers["content-type"] == "application/json; charset=utf-8"
    assert whole.headers["x-request-id"]

    def chunks() -> Iterator[bytes]:  # no content-length: Transfer-Encoding chunked
        yield b'{"region_id": "' + region.encode()
        yield b'", "email": "chunked@example.com"}'

    chunked = served.post("/store/carts", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 200, chunked.text
    assert "content-length" not in chunked.request.headers
    assert chunked.json()["cart"]["email"] == "chunked@example.com"
    assert chunked.json()["cart"]["region_id"] == whole.json()["cart"]["region_id"] == region


def test_bodies_past_the_limit_are_400_whether_stated_or_streamed(served: httpx.Client) -> None:
    big = b'{"email": "' + b"a" * MAX_BODY + b'"}'
    assert_error(
        served.post("/store/carts", content=big, headers={"content-type": "application/json"}),
        400,
        "invalid_data",
        "larger than",
    )

    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    r = served.post("/store/carts", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_data", "larger than")
    assert served.get("/health").status_code == 200  # the server goes on


def test_the_callers_request_id_and_repeated_headers(served: httpx.Client) -> None:
    r = served.get("/store/regions", headers={"x-request-id": "abc-123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc-123"
    # Of a repeated header the first counts: the first publishable key here is not a key.
    raw = [("x-publishable-api-key", "pk_nope"), ("x-publishable-api-key", served.headers["x-publishable-api-key"])]
    with httpx.Client(base_url=served.base_url, timeout=10) as bare:
        assert_error(bare.get("/store/regions", headers=raw), 400, "not_allowed")


def test_a_raw_utf8_query_under_an_idempotency_key_is_answered(served: httpx.Client) -> None:
    url = httpx.URL(str(served.base_url))
    key = served.headers["x-publishable-api-key"]
    request = (
        "POST /store/carts?note=\u20ac\u00e9 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"x-publishable-api-key: {key}\r\nidempotency-key: raw-utf8-query\r\ncontent-length: 2\r\n"
        "connection: close\r\n\r\n{}"
    ).encode()
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer[:500]
