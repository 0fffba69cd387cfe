"""The admin API calls the admin dashboard makes before any screen: auth providers, the logged-in user (`/me`),
users list/detail/update, MFA factors (none), and the demo seed's key recorded as created by a real user."""

import httpx

from tests.conftest import ADMIN_EMAIL, assert_error

USER_KEYS = {
    *("id", "email", "first_name", "last_name", "avatar_url", "metadata"),
    *("created_at", "updated_at", "deleted_at"),
}


def test_user_auth_providers_name_emailpass(client: httpx.Client) -> None:
    for actor in ("user", "customer"):
        r = client.get(f"/auth/{actor}/providers")
        assert r.status_code == 200, r.text
        assert r.json() == {
            "providers": [
                {
                    "id": "emailpass",
                    "identifier": "emailpass",
                    "display_name": "Email/Password Authentication",
                    "flow": "credentials",
                }
            ]
        }


def test_me_is_the_logged_in_user_by_bearer_and_by_session(client: httpx.Client, admin: httpx.Client) -> None:
    r = admin.get("/admin/users/me")
    assert r.status_code == 200, r.text
    me = r.json()["user"]
    assert set(me) == USER_KEYS and me["email"] == ADMIN_EMAIL and me["id"].startswith("user_")
    # The dashboard's flow: a bearer token becomes a cookie session, and the session asks /me.
    token = admin.headers["authorization"].split(" ", 1)[1]
    session = httpx.post(f"{client.base_url}/auth/session", headers={"authorization": f"Bearer {token}"})
    assert session.status_code == 200, session.text
    with httpx.Client(base_url=client.base_url, cookies=session.cookies, timeout=10) as browser:
        r = browser.get("/admin/users/me")
        assert r.status_code == 200 and r.json()["user"]["id"] == me["id"], r.text
    assert_error(httpx.get(f"{client.base_url}/admin/users/me"), 401, "unauthorized")


def test_me_for_a_secret_key_is_not_found(admin: httpx.Client, client: httpx.Client) -> None:
    r = admin.post("/admin/api-keys", json={"title": "ci", "type": "secret"})
    assert r.status_code == 200, r.text
    key = r.json()["api_key"]
    assert key["created_by"] == admin.get("/admin/users/me").json()["user"]["id"]
    assert_error(client.get("/admin/users/me", auth=(key["token"], "")), 404, "not_found")


def test_users_list_detail_and_update(admin: httpx.Client) -> None:
    me = admin.get("/admin/users/me").json()["user"]
    listed = admin.get("/admin/users", params={"q": ADMIN_EMAIL.split("@")[0], "limit": 5})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] >= 1 and body["limit"] == 5 and body["offset"] == 0
    assert me["id"] in {u["id"] for u in body["users"]}
    assert admin.get("/admin/users", params={"q": "nobody-matches-this"}).json()["users"] == []
    assert admin.get(f"/admin/users/{me['id']}").json()["user"] == me
    updated = admin.post(f"/admin/users/{me['id']}", json={"first_name": "Ada", "metadata": {"k": 1}})
    assert updated.status_code == 200, updated.text
    user = updated.json()["user"]
    assert user["first_name"] == "Ada" and user["last_name"] == me["last_name"] and user["metadata"] == {"k": 1}
    assert admin.get("/admin/users/me").json()["user"]["first_name"] == "Ada"
    assert_error(admin.get("/admin/users/user_nothing"), 404, "not_found")
    assert_error(admin.post("/admin/users/user_nothing", json={"first_name": "x"}), 404, "not_found")
    assert_error(admin.post(f"/admin/users/{me['id']}", json={"email": "x@y.z"}), 400, "invalid_data")


def test_mfa_factors_are_none(admin: httpx.Client, client: httpx.Client) -> None:
    r = admin.get("/auth/mfa/factors")
    assert r.status_code == 200 and r.json() == {"mfa_factors": []}, r.text
    assert_error(httpx.get(f"{client.base_url}/auth/mfa/factors"), 401, "unauthorized")


def test_demo_publishable_key_was_created_by_a_user(admin: httpx.Client) -> None:
    keys = admin.get("/admin/api-keys", params={"type": "publishable"}).json()["api_keys"]
    assert keys
    for key in keys:
        r = admin.get(f"/admin/users/{key['created_by']}")
        assert r.status_code == 200, (key, r.text)


def test_a_users_auth_providers(admin: httpx.Client) -> None:
    me = admin.get("/admin/users/me").json()["user"]
    assert admin.get(f"/admin/users/{me['id']}/auth-providers").json() == {"providers": ["emailpass"]}
    assert_error(admin.get("/admin/users/user_nothing/auth-providers"), 404, "not_found")
