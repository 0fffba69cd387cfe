"""Input PostgreSQL would reject never reaches a handler: a NUL character in a body, path or query, a body that is
not UTF-8, JSON nested a thousand deep, an offset past bigint — each a 400 invalid_data naming the problem (issue 13's
first class of 500s), also on unauthenticated /auth routes."""

from typing import Any

import httpx
import pytest

from tests.conftest import assert_error

DEEP = b'{"a":' * 3000 + b"1" + b"}" * 3000


@pytest.mark.parametrize(
    ("path", "body", "contains"),
    [
        ("/auth/user/emailpass", b'{"email": "a\\u0000@b.co", "password": "x"}', "NUL"),
        ("/auth/user/emailpass", b'{"email": "a\x00@b.co", "password": "x"}', "NUL"),
        ("/auth/user/emailpass", b'{"email": "\\\\\\u0000", "password": "x"}', "NUL"),
        ("/auth/user/emailpass", b'{"email": "\xff\xfe", "password": "x"}', "UTF-8"),
        ("/auth/user/emailpass", DEEP, ""),  # refused for its shape or its depth: never a RecursionError
        ("/admin/regions", DEEP, ""),
    ],
)
def test_bad_bodies_are_400(client: httpx.Client, path: str, body: bytes, contains: str) -> None:
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    if path.startswith("/admin"):  # no credentials: the guard answers before the body is read
        assert_error(r, 401, "unauthorized")
    else:
        assert_error(r, 400, "invalid_data", contains)


def test_bad_bodies_are_400_for_an_admin_too(admin: httpx.Client) -> None:
    deep_metadata = b'{"name": "Deep", "currency_code": "eur", "metadata": ' + DEEP + b"}"
    for body, contains in ((deep_metadata, "nested"), (b'{"name": "EU\\u0000", "currency_code": "eur"}', "NUL")):
        assert_error(
            admin.post("/admin/regions", content=body, headers={"content-type": "application/json"}),
            400,
            "invalid_data",
            contains,
        )
    # An escaped backslash followed by the text u0000 is not a NUL: it is accepted as text.
    r = admin.post("/admin/sales-channels", json={"name": "back\\u0000slash"})
    assert r.status_code == 200, r.text
    assert r.json()["sales_channel"]["name"] == "back\\u0000slash"


def test_nul_in_path_and_query_and_huge_offsets(admin: httpx.Client, store: httpx.Client) -> None:
    assert_error(admin.get("/admin/regions/reg_%00x"), 400, "invalid_data", "NUL")
    assert_error(store.get("/store/products", params={"q": "shirt\x00"}), 400, "invalid_data", "NUL")
    assert_error(admin.get("/admin/products", params={"offset": 2**63}), 400, "invalid_data", "offset")
    assert_error(admin.get("/admin/orders", params={"offset": 2**64}), 400, "invalid_data", "offset")
    assert_error(admin.get("/admin/regions?q=%FF%FE"), 400, "invalid_data", "UTF-8")
    assert admin.get("/admin/products", params={"offset": 2**63 - 1}).json()["products"] == []


def test_json_routes_take_json_only_and_unknown_methods_are_405(client: httpx.Client, admin: httpx.Client) -> None:
    # A cross-site form can post text/plain or a form encoding with the browser's cookie: such bodies are refused.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        r = admin.post("/admin/sales-channels", content=b'{"name": "Forged"}', headers=headers)
        assert_error(r, 415, "invalid_data", "application/json")
    assert admin.post("/admin/sales-channels", json={"name": "Real"}).status_code == 200
    r = client.request("TRACE", "/store/regions")
    assert_error(r, 405, "not_allowed")
    assert r.headers["allow"] == "GET"
    r = client.delete("/auth/user/emailpass")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_a_body_that_never_arrives_is_408_not_a_held_connection(db_url: str, seeded: dict[str, str]) -> None:
    import socket

    from tests.conftest import Server

    srv = Server(db_url, env={"BODY_TIMEOUT": "1"}).start()
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(
                b"POST /auth/user/emailpass HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b'content-length: 100\r\n\r\n{"email": '
            )
            answer = sock.recv(4096)  # the server answers: the client never finishes its body
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"not received within 1 seconds" in answer
    finally:
        srv.stop()


def test_a_refused_request_whose_body_comes_late_leaves_the_connection_usable(server: Any) -> None:
    """A guard answers before the body is read; a body that arrives after that answer is still taken off the
    connection, so the client's next request on it works (it broke the connection before)."""
    import socket
    import time

    body = b'{"name": "x"}'
    head = b"POST /admin/campaigns HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(3):
            sock.sendall(head % len(body))
            time.sleep(0.05)  # the body in its own segment, after the server could answer
            sock.sendall(body)
            assert sock.recv(65536).startswith(b"HTTP/1.1 401"), "each request on the connection is answered"
