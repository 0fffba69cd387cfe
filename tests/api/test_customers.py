"""Customers: register → login → me → addresses over HTTP; isolation between customers; tokens, sessions,
password reset and login throttling; admin customers and groups."""

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import psycopg
import pytest

from tests.conftest import JWT_SECRET, Server, assert_error, eventually

PASSWORD = "a long enough password"


def _email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def register(store: httpx.Client, email: str, password: str = PASSWORD, **profile: Any) -> dict[str, Any]:
    """Register and create a customer; returns the customer and a logged-in client's headers."""
    r = store.post("/auth/customer/emailpass/register", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    reg_token = r.json()["token"]
    created = store.post(
        "/store/customers", json={"email": email, **profile}, headers={"authorization": f"Bearer {reg_token}"}
    )
    assert created.status_code == 200, created.text
    login = store.post("/auth/customer/emailpass", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {
        "customer": created.json()["customer"],
        "headers": {"authorization": f"Bearer {login.json()['token']}"},
        "registration_token": reg_token,
    }


def test_register_login_me_and_update(store: httpx.Client) -> None:
    email = _email()
    account = register(store, email, first_name="Ada", last_name="Lovelace")
    customer = account["customer"]
    assert customer["email"] == email and customer["has_account"] is True
    assert customer["first_name"] == "Ada" and customer["addresses"] == []
    me = store.get("/store/customers/me", headers=account["headers"])
    assert me.status_code == 200, me.text
    assert me.json()["customer"]["id"] == customer["id"]
    updated = store.post(
        "/store/customers/me", json={"phone": "+44 20 7946 0000", "metadata": {"vip": True}}, headers=account["headers"]
    )
    assert updated.json()["customer"]["phone"] == "+44 20 7946 0000"
    assert updated.json()["customer"]["metadata"] == {"vip": True}
    assert updated.json()["customer"]["first_name"] == "Ada"
    only = store.get("/store/customers/me", params={"fields": "id,email"}, headers=account["headers"])
    assert only.json()["customer"] == {"id": customer["id"], "email": email}
    # The email belongs to the login: a store customer cannot change it here.
    assert_error(
        store.post("/store/customers/me", json={"email": "x@y.io"}, headers=account["headers"]),
        400,
        "invalid_data",
        "email",
    )


def test_registration_token_is_single_use(store: httpx.Client) -> None:
    email = _email()
    account = register(store, email)
    again = store.post(
        "/store/customers", json={"email": email}, headers={"authorization": f"Bearer {account['registration_token']}"}
    )
    assert_error(again, 400, "invalid_data", "already authenticated")
    assert_error(
        store.get("/store/customers/me", headers={"authorization": f"Bearer {account['registration_token']}"}),
        401,
        "unauthorized",
    )
    assert_error(
        store.post("/auth/customer/emailpass/register", json={"email": email, "password": PASSWORD}),
        401,
        "unauthorized",
        "already exists",
    )
    assert_error(store.post("/store/customers", json={"email": _email()}), 401, "unauthorized")


def test_addresses_with_one_default_each(store: httpx.Client) -> None:
    account = register(store, _email())
    h = account["headers"]
    home = store.post(
        "/store/customers/me/addresses",
        headers=h,
        json={
            "address_name": "Home",
            "address_1": "1 Main St",
            "city": "Springfield",
            "country_code": "US",
            "postal_code": "12345",
            "is_default_shipping": True,
            "is_default_billing": True,
        },
    )
    assert home.status_code == 200, home.text
    customer = home.json()["customer"]
    assert len(customer["addresses"]) == 1
    home_id = customer["addresses"][0]["id"]
    assert customer["addresses"][0]["country_code"] == "us"
    assert customer["default_shipping_address_id"] == home_id == customer["default_billing_address_id"]

    work = store.post(
        "/store/customers/me/addresses",
        headers=h,
        json={"address_name": "Work", "city": "Shelbyville", "is_default_shipping": True},
    )
    customer = work.json()["customer"]
    work_id = next(a["id"] for a in customer["addresses"] if a["address_name"] == "Work")
    assert customer["default_shipping_address_id"] == work_id
    assert customer["default_billing_address_id"] == home_id

    listed = store.get("/store/customers/me/addresses", headers=h, params={"q": "shelby"}).json()
    assert [a["id"] for a in listed["addresses"]] == [work_id] and listed["count"] == 1
    one = store.get(f"/store/customers/me/addresses/{home_id}", headers=h)
    assert one.json()["address"]["address_1"] == "1 Main St"
    slim = store.get(f"/store/customers/me/addresses/{home_id}", headers=h, params={"fields": "id,city"})
    assert slim.json()["address"] == {"id": home_id, "city": "Springfield"}
    slim_list = store.get("/store/customers/me/addresses", headers=h, params={"fields": "city"}).json()["addresses"]
    assert sorted(a["city"] for a in slim_list) == ["Shelbyville", "Springfield"] and all(
        len(a) == 2 for a in slim_list
    )
    changed = store.post(f"/store/customers/me/addresses/{home_id}", headers=h, json={"is_default_shipping": True})
    assert changed.json()["customer"]["default_shipping_address_id"] == home_id
    gone = store.delete(f"/store/customers/me/addresses/{work_id}", headers=h)
    assert gone.status_code == 200
    assert gone.json()["id"] == work_id and gone.json()["deleted"] is True
    assert [a["id"] for a in gone.json()["parent"]["addresses"]] == [home_id]
    assert_error(store.get(f"/store/customers/me/addresses/{work_id}", headers=h), 404, "not_found")
    assert_error(
        store.post("/store/customers/me/addresses", headers=h, json={"country_code": "USA"}),
        400,
        "invalid_data",
        "country_code",
    )
    assert_error(
        store.post("/store/customers/me/addresses", headers=h, json={"planet": "Mars"}), 400, "invalid_data", "planet"
    )


def test_a_customer_cannot_touch_another_customers_data(store: httpx.Client) -> None:
    alice, bob = register(store, _email()), register(store, _email())
    bob_addr = store.post("/store/customers/me/addresses", headers=bob["headers"], json={"city": "Bobville"})
    bob_addr_id = bob_addr.json()["customer"]["addresses"][0]["id"]
    a = alice["headers"]
    assert_error(store.get(f"/store/customers/me/addresses/{bob_addr_id}", headers=a), 404, "not_found")
    assert_error(
        store.post(f"/store/customers/me/addresses/{bob_addr_id}", headers=a, json={"city": "Mine"}), 404, "not_found"
    )
    assert_error(store.delete(f"/store/customers/me/addresses/{bob_addr_id}", headers=a), 404, "not_found")
    assert store.get("/store/customers/me/addresses", headers=a).json()["count"] == 0
    bob_view = store.get(f"/store/customers/me/addresses/{bob_addr_id}", headers=bob["headers"]).json()
    assert bob_view["address"]["city"] == "Bobville", "untouched"
    # A token forged with another customer's id is rejected.
    claims = jwt.decode(a["authorization"].split()[1], JWT_SECRET, algorithms=["HS256"])
    forged = jwt.encode({**claims, "actor_id": bob["customer"]["id"]}, "not-our-secret-" * 3)
    assert_error(store.get("/store/customers/me", headers={"authorization": f"Bearer {forged}"}), 401, "unauthorized")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, JWT_SECRET)
    assert_error(store.get("/store/customers/me", headers={"authorization": f"Bearer {expired}"}), 401, "unauthorized")
    # An admin token is not a customer token.
    user_token = jwt.encode({**claims, "actor_type": "user"}, JWT_SECRET)
    assert_error(
        store.get("/store/customers/me", headers={"authorization": f"Bearer {user_token}"}), 401, "unauthorized"
    )
    assert_error(store.get("/store/customers/me"), 401, "unauthorized")


def test_customer_routes_still_need_the_publishable_key(client: httpx.Client, store: httpx.Client) -> None:
    account = register(store, _email())
    assert_error(client.get("/store/customers/me", headers=account["headers"]), 400, "not_allowed")


def test_cookie_session(store: httpx.Client) -> None:
    account = register(store, _email())
    r = store.post("/auth/session", headers=account["headers"])
    assert r.status_code == 200, r.text
    assert r.json()["user"]["actor_type"] == "customer"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    session_id = re.search(r"connect\.sid=([^;]+)", cookie)
    assert session_id
    with_cookie = {"cookie": f"connect.sid={session_id.group(1)}"}
    assert store.get("/store/customers/me", headers=with_cookie).status_code == 200
    assert store.delete("/auth/session", headers=with_cookie).json() == {"success": True}
    assert_error(store.get("/store/customers/me", headers=with_cookie), 401, "unauthorized")
    assert_error(store.get("/store/customers/me", headers={"cookie": "connect.sid=made-up"}), 401, "unauthorized")


def test_token_refresh_carries_the_new_customer(store: httpx.Client) -> None:
    email = _email()
    reg = store.post("/auth/customer/emailpass/register", json={"email": email, "password": PASSWORD}).json()["token"]
    customer = store.post("/store/customers", json={"email": email}, headers={"authorization": f"Bearer {reg}"})
    refreshed = store.post("/auth/token/refresh", headers={"authorization": f"Bearer {reg}"})
    assert refreshed.status_code == 200, refreshed.text
    claims = jwt.decode(refreshed.json()["token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["actor_id"] == customer.json()["customer"]["id"]
    assert_error(store.post("/auth/token/refresh"), 401, "unauthorized")


def test_login_is_throttled_per_email(store: httpx.Client) -> None:
    email = _email()
    register(store, email)
    for _ in range(5):
        assert_error(
            store.post("/auth/customer/emailpass", json={"email": email, "password": "wrong"}), 401, "unauthorized"
        )
    blocked = store.post("/auth/customer/emailpass", json={"email": email, "password": PASSWORD})
    assert_error(blocked, 429, "too_many_requests")
    # Another account from the same client is not locked out by this one.
    other = _email()
    register(store, other)


def test_parallel_guesses_get_five_password_checks_and_the_owner_elsewhere_still_logs_in(
    store: httpx.Client, server: Server
) -> None:
    """Attempts are counted atomically before the password is checked, per (email, client address): 50 guesses at
    once get exactly 5 checks (401) and 45 refusals (429); the owner, from another address, still logs in."""
    email = _email()
    register(store, email)
    key = {"x-publishable-api-key": store.headers["x-publishable-api-key"]}

    guesser = {"base_url": server.url, "headers": key, "timeout": 30}

    def guess(_: int) -> int:
        # The guesser's own loopback address, so this module's other logins (127.0.0.1) are not its neighbours.
        with httpx.Client(**guesser, transport=httpx.HTTPTransport(local_address="127.0.0.3")) as c:
            return c.post("/auth/customer/emailpass", json={"email": email, "password": "wrong"}).status_code

    with ThreadPoolExecutor(25) as pool:
        answers = sorted(pool.map(guess, range(50)))
    assert answers.count(401) == 5 and answers.count(429) == 45, answers
    with httpx.Client(**guesser, transport=httpx.HTTPTransport(local_address="127.0.0.3")) as c:
        right = c.post("/auth/customer/emailpass", json={"email": email, "password": PASSWORD})
        assert_error(right, 429, "too_many_requests")
    # The owner, from their own address, is not locked out by the guesser.
    r = store.post("/auth/customer/emailpass", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text


def test_password_reset_is_single_use(store: httpx.Client, server: Server) -> None:
    email = _email()
    register(store, email)
    assert store.post("/auth/customer/emailpass/reset-password", json={"identifier": email}).status_code == 201
    unknown = store.post("/auth/customer/emailpass/reset-password", json={"identifier": "nobody@example.com"})
    assert unknown.status_code == 201, "the same answer for an unknown email"

    def tokens() -> list[str]:  # the reset mails sent to this email (tests/mailbox.py)
        return [m["token"] for m in server.mail("auth.password_reset") if m["entity_id"] == email]

    assert eventually(lambda: len(tokens()) == 1)
    token = tokens()[0]
    assert token not in server.log_text()
    new_password = "an even longer new password"
    wrong_email = store.post(
        "/auth/customer/emailpass/update",
        json={"email": "x@example.com", "password": new_password},
        headers={"authorization": f"Bearer {token}"},
    )
    assert_error(wrong_email, 401, "unauthorized")
    # A failed attempt consumed the token: ask again.
    store.post("/auth/customer/emailpass/reset-password", json={"identifier": email})
    assert eventually(lambda: len(tokens()) == 2)
    token = tokens()[-1]
    ok = store.post(
        "/auth/customer/emailpass/update",
        json={"email": email, "password": new_password},
        headers={"authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"success": True}
    assert_error(
        store.post(
            "/auth/customer/emailpass/update",
            json={"password": "again and again"},
            headers={"authorization": f"Bearer {token}"},
        ),
        401,
        "unauthorized",
    )
    assert store.post("/auth/customer/emailpass", json={"email": email, "password": new_password}).status_code == 200
    assert_error(
        store.post("/auth/customer/emailpass", json={"email": email, "password": PASSWORD}), 401, "unauthorized"
    )


def test_no_password_or_hash_in_responses_or_logs(store: httpx.Client, server: Server) -> None:
    secret = "a-password-nobody-should-ever-see"
    email = _email()
    r = store.post("/auth/customer/emailpass/register", json={"email": email, "password": secret})
    store.post("/store/customers", json={"email": email}, headers={"authorization": f"Bearer {r.json()['token']}"})
    token = store.post("/auth/customer/emailpass", json={"email": email, "password": secret}).json()["token"]
    me = store.get("/store/customers/me", headers={"authorization": f"Bearer {token}"})
    for text in (r.text, me.text, server.log_text()):
        assert secret not in text
        assert "$argon2" not in text


def test_a_guest_can_later_register_under_the_same_email(admin: httpx.Client, store: httpx.Client) -> None:
    email = _email()
    guest = admin.post("/admin/customers", json={"email": email, "first_name": "Guest"})
    assert guest.status_code == 200, guest.text
    assert guest.json()["customer"]["has_account"] is False
    assert_error(admin.post("/admin/customers", json={"email": email.upper()}), 422, "duplicate_error")
    account = register(store, email)
    assert account["customer"]["has_account"] is True
    assert account["customer"]["id"] != guest.json()["customer"]["id"]


def test_admin_customers_and_groups(admin: httpx.Client, store: httpx.Client) -> None:
    account = register(store, _email(), company_name="Acme Findable Ltd")
    customer_id = account["customer"]["id"]
    found = admin.get("/admin/customers", params={"q": "findable"}).json()
    assert [c["id"] for c in found["customers"]] == [customer_id]
    group = admin.post("/admin/customer-groups", json={"name": f"VIP {uuid.uuid4().hex[:6]}"})
    assert group.status_code == 200, group.text
    group_id = group.json()["customer_group"]["id"]
    assert_error(
        admin.post("/admin/customer-groups", json={"name": group.json()["customer_group"]["name"]}),
        422,
        "duplicate_error",
    )
    added = admin.post(f"/admin/customer-groups/{group_id}/customers", json={"add": [customer_id]})
    assert added.status_code == 200, added.text
    in_group = admin.get("/admin/customers", params={"groups": group_id}).json()
    assert [c["id"] for c in in_group["customers"]] == [customer_id]
    assert in_group["customers"][0]["groups"] == [{"id": group_id, "name": group.json()["customer_group"]["name"]}]
    assert_error(
        admin.post(f"/admin/customer-groups/{group_id}/customers", json={"add": ["cus_nope"]}),
        400,
        "invalid_data",
        "cus_nope",
    )
    removed = admin.post(f"/admin/customers/{customer_id}/customer-groups", json={"remove": [group_id]})
    assert removed.json()["customer"]["groups"] == []
    renamed = admin.post(f"/admin/customer-groups/{group_id}", json={"name": "Renamed group"})
    assert renamed.json()["customer_group"]["name"] == "Renamed group"
    assert admin.delete(f"/admin/customer-groups/{group_id}").json()["deleted"] is True
    assert (
        admin.post(f"/admin/customers/{customer_id}", json={"last_name": "Admin-set"}).json()["customer"]["last_name"]
        == "Admin-set"
    )
    assert admin.delete(f"/admin/customers/{customer_id}").json() == {
        "id": customer_id,
        "object": "customer",
        "deleted": True,
    }
    assert_error(admin.get(f"/admin/customers/{customer_id}"), 404, "not_found")
    # A deleted customer's token no longer reaches a profile.
    assert_error(store.get("/store/customers/me", headers=account["headers"]), 404, "not_found")


@pytest.mark.parametrize("body", [{"email": "not-an-email"}, {"email": "a@b.co", "first_name": 7}, {}])
def test_bad_customer_bodies(admin: httpx.Client, body: dict[str, Any]) -> None:
    assert_error(admin.post("/admin/customers", json=body), 400, "invalid_data")


def test_me_follows_changes_made_elsewhere(admin: httpx.Client, store: httpx.Client) -> None:
    account = register(store, _email(), first_name="Before")
    h = account["headers"]
    assert store.get("/store/customers/me", headers=h).json()["customer"]["first_name"] == "Before"
    admin.post(f"/admin/customers/{account['customer']['id']}", json={"first_name": "After"})
    assert eventually(lambda: store.get("/store/customers/me", headers=h).json()["customer"]["first_name"] == "After")


def test_me_has_addresses_and_groups_as_their_own_routes_show_them(admin: httpx.Client, store: httpx.Client) -> None:
    """The profile is read in one statement (addresses and groups aggregated in SQL): every field of every address,
    timestamps and JSON metadata included, must be what the address routes answer, and the groups those the admin
    set, ordered by name."""
    account = register(store, _email(), first_name="Grace", metadata={"tier": {"level": 2, "tags": ["a", "b"]}})
    h, customer_id = account["headers"], account["customer"]["id"]
    bodies = [
        {"address_name": "Home", "address_1": "1 Main St", "city": "Springfield", "country_code": "US",
         "is_default_billing": True, "metadata": {"door": "blue", "floor": 3, "note": None}},
        {"address_name": "Work", "company": "Acme", "city": "Shelbyville", "is_default_shipping": True},
        {"address_name": "Cabin", "postal_code": "99999"},
    ]  # fmt: skip
    for body in bodies:
        r = store.post("/store/customers/me/addresses", headers=h, json=body)
        assert r.status_code == 200, r.text
    suffix = uuid.uuid4().hex[:6]
    groups = []
    for name in (f"Zeta {suffix}", f"Alpha {suffix}"):
        group = admin.post("/admin/customer-groups", json={"name": name}).json()["customer_group"]
        assert admin.post(f"/admin/customer-groups/{group['id']}/customers", json={"add": [customer_id]}).is_success
        groups.append({"id": group["id"], "name": group["name"]})

    me = store.get("/store/customers/me", headers=h)
    assert me.status_code == 200, me.text
    customer = me.json()["customer"]
    listed = store.get("/store/customers/me/addresses", headers=h, params={"order": "created_at", "limit": 10}).json()
    assert listed["count"] == 3
    assert customer["addresses"] == listed["addresses"]  # same keys, values, timestamp text, order
    assert [a["address_name"] for a in customer["addresses"]] == ["Home", "Work", "Cabin"]
    home, work = customer["addresses"][0], customer["addresses"][1]
    assert home["metadata"] == {"door": "blue", "floor": 3, "note": None} and home["country_code"] == "us"
    assert customer["default_billing_address_id"] == home["id"]
    assert customer["default_shipping_address_id"] == work["id"]
    assert customer["metadata"] == {"tier": {"level": 2, "tags": ["a", "b"]}} and customer["first_name"] == "Grace"
    assert set(customer) == {
        "id", "email", "company_name", "first_name", "last_name", "phone", "metadata", "has_account", "deleted_at",
        "created_at", "updated_at", "default_billing_address_id", "default_shipping_address_id", "addresses",
    }  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", home["created_at"]), home["created_at"]

    with_groups = store.get("/store/customers/me", headers=h, params={"fields": "id,*groups"}).json()["customer"]
    assert with_groups == {"id": customer_id, "groups": sorted(groups, key=lambda g: g["name"])}
    # The admin's view (retrieve and a page of the list) carries the same addresses and groups.
    one = admin.get(f"/admin/customers/{customer_id}").json()["customer"]
    page = admin.get("/admin/customers", params={"id": customer_id}).json()["customers"]
    assert page == [one]
    assert one["addresses"] == customer["addresses"] and one["groups"] == with_groups["groups"]
    assert {k: v for k, v in one.items() if k not in ("created_by", "groups")} == customer
    # A deleted address and a deleted group drop out.
    assert store.delete(f"/store/customers/me/addresses/{work['id']}", headers=h).is_success
    assert admin.delete(f"/admin/customer-groups/{groups[0]['id']}").is_success
    fields = {"fields": "default_shipping_address_id,*addresses,*groups"}
    after = store.get("/store/customers/me", headers=h, params=fields).json()["customer"]
    assert [a["name"] for a in after["groups"]] == [f"Alpha {suffix}"]
    assert [a["address_name"] for a in after["addresses"]] == ["Home", "Cabin"]
    assert after["default_shipping_address_id"] is None


def test_me_with_default_fields_reads_as_the_general_path(store: httpx.Client, db_url: str) -> None:
    """Without `fields`, the answer is JSON PostgreSQL renders (customer.repository.STORE_JSON); `fields=` (empty,
    the same defaults) goes through the general path. Same keys in the same order, same values and timestamp text,
    with timestamps on a whole second (no fraction) and a microsecond as well."""
    account = register(store, _email(), first_name="Zoë", phone='+1 "555"\n', metadata={"a": [1, 2.5, None]})
    h, customer_id = account["headers"], account["customer"]["id"]
    for body in ({"address_name": "B", "is_default_shipping": True, "metadata": {"x": {"y": True}}},
                 {"address_name": "A", "city": "Zürich", "is_default_billing": True}):  # fmt: skip
        assert store.post("/store/customers/me/addresses", headers=h, json=body).is_success
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE customer SET created_at = '2026-01-02 03:04:05+00', updated_at = '2026-01-02 03:04:05.000001+00' "
            "WHERE id = %s",
            (customer_id,),
        )
    fast = store.get("/store/customers/me", headers=h)
    general = store.get("/store/customers/me", headers=h, params={"fields": ""})
    assert fast.status_code == general.status_code == 200, fast.text
    assert json.dumps(fast.json()) == json.dumps(general.json())  # key order kept by both
    customer = fast.json()["customer"]
    assert customer["created_at"] == "2026-01-02T03:04:05Z" and customer["updated_at"] == "2026-01-02T03:04:05.000001Z"
    assert [a["address_name"] for a in customer["addresses"]] == ["B", "A"]
    assert customer["default_billing_address_id"] == customer["addresses"][1]["id"]
    assert fast.headers["content-type"] == general.headers["content-type"]
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("UPDATE customer SET deleted_at = now() WHERE id = %s", (customer_id,))
    assert_error(store.get("/store/customers/me", headers=h), 404, "not_found", customer_id)
