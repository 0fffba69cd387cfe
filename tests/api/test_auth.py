"""Admin authentication: JWT from /auth/user/emailpass, secret keys by Basic auth; every /admin route is closed."""

import base64
import time

import httpx
import jwt
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, assert_error

ADMIN_ROUTES = [
    ("GET", "/admin/regions"),
    ("POST", "/admin/regions"),
    ("GET", "/admin/regions/reg_x"),
    ("DELETE", "/admin/regions/reg_x"),
    ("GET", "/admin/sales-channels"),
    ("GET", "/admin/api-keys"),
    ("POST", "/admin/api-keys"),
    ("POST", "/admin/api-keys/apk_x/revoke"),
    ("GET", "/admin/stores"),
    ("GET", "/admin/currencies"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_reject_anonymous_calls(client: httpx.Client, method: str, path: str) -> None:
    assert_error(client.request(method, path, json={}), 401, "unauthorized")


def test_login_returns_a_medusa_shaped_jwt(client: httpx.Client) -> None:
    r = client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL.upper(), "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["actor_type"] == "user"
    assert claims["actor_id"].startswith("user_")
    assert claims["app_metadata"]["user_id"] == claims["actor_id"]
    assert claims["exp"] > time.time()


def test_wrong_password_and_unknown_email_fail_the_same_way(client: httpx.Client) -> None:
    wrong = client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": "nope"})
    unknown = client.post("/auth/user/emailpass", json={"email": "who@x.io", "password": "nope"})
    assert_error(wrong, 401, "unauthorized")
    assert_error(unknown, 401, "unauthorized")
    assert wrong.json() == unknown.json()
    assert "password" not in wrong.text.replace("Invalid email or password", "")


def test_login_with_bad_body_is_400(client: httpx.Client) -> None:
    assert_error(client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL}), 400, "invalid_data", "password")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer " + jwt.encode({"actor_id": "u", "actor_type": "user", "iat": 1, "exp": 2}, JWT_SECRET),  # expired
        "Bearer " + jwt.encode({"actor_id": "u", "actor_type": "user", "iat": 1, "exp": 2**40}, "other-secret-" * 4),
        "Bearer " + jwt.encode({"actor_id": "cus_1", "actor_type": "customer", "iat": 1, "exp": 2**40}, JWT_SECRET),
        "Bearer " + jwt.encode({"actor_id": "user_gone", "actor_type": "user", "iat": 1, "exp": 2**40}, JWT_SECRET),
        "Basic !!!",
        "Basic " + base64.b64encode(b"sk_wrong:").decode(),
        "Token abc",
    ],
)
def test_bad_credentials_are_401(client: httpx.Client, header: str) -> None:
    assert_error(client.get("/admin/regions", headers={"authorization": header}), 401, "unauthorized")


def test_tampered_token_is_rejected(client: httpx.Client, admin_token: str) -> None:
    head, _payload, sig = admin_token.split(".")
    claims = jwt.decode(admin_token, JWT_SECRET, algorithms=["HS256"])
    claims["actor_id"] = "user_someone_else"
    forged_payload = jwt.encode(claims, "x" * 32).split(".")[1]
    forged = f"{head}.{forged_payload}.{sig}"
    assert_error(client.get("/admin/regions", headers={"authorization": f"Bearer {forged}"}), 401, "unauthorized")


def test_secret_key_authenticates_by_basic_and_stops_when_revoked(admin: httpx.Client, client: httpx.Client) -> None:
    created = admin.post("/admin/api-keys", json={"title": "CI", "type": "secret"})
    assert created.status_code == 200, created.text
    key = created.json()["api_key"]
    token = key["token"]
    assert token.startswith("sk_")
    basic = {"authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    assert client.get("/admin/regions", headers=basic).status_code == 200
    assert client.get("/admin/regions", headers={"authorization": f"Bearer {token}"}).status_code == 200
    # Only one live secret key at a time, as Medusa.
    assert_error(
        admin.post("/admin/api-keys", json={"title": "2nd", "type": "secret"}),
        400,
        "invalid_data",
        "one active secret key",
    )
    assert admin.post(f"/admin/api-keys/{key['id']}/revoke", json={}).status_code == 200
    assert_error(client.get("/admin/regions", headers=basic), 401, "unauthorized")
