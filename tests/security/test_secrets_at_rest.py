"""No secret at rest in clear, and none in the logs.

The module exercises every way a secret enters the server: admin and customer logins (with and without an
Idempotency-Key, and a wrong password), customer and user registration, password reset requests and a reset, secret
API key creation (with and without an Idempotency-Key, and a replay), cookie sessions, token refresh. Then it dumps
every row of every table of the test database (each row cast to text, so text, bytea, json(b) and array columns are
all read) and asserts that none holds a password used (in clear, base64, hex, or as an unsalted SHA-256/MD5), an
`sk_` token, a reset token, a cookie session id or a JWT issued (in clear, base64 or hex). The server's log must hold
no password, `sk_` token, session id or JWT either.

Password reset tokens reach their owner through the events' subscribers (a mail sender; here tests/mailbox.py, the
test server's stand-in for one); the default subscriber logs that a reset was requested with the token redacted, so
the log holds no reset token either (it once did: anyone reading the log could reset any password for 15 minutes).
"""

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server, eventually
from tests.shop import ok

RESET_LOG = re.compile(r"event auth\.password_reset \{[^}]*'entity_id': '([^']+)'[^}]*'token': '([^']+)'")
REDACTED = "[redacted]"


@dataclass
class Secrets:
    passwords: set[str] = field(default_factory=set)
    api_tokens: set[str] = field(default_factory=set)  # sk_ tokens
    reset_tokens: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)  # cookie session ids
    jwts: set[str] = field(default_factory=set)
    login_bodies: list[tuple[str, bytes]] = field(default_factory=list)  # (path, body) sent with an Idempotency-Key

    def tokens(self) -> dict[str, set[str]]:
        return {
            "sk_ token": self.api_tokens,
            "reset token": self.reset_tokens,
            "session id": self.sessions,
            "JWT": self.jwts,
        }


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _idem() -> dict[str, str]:
    return {"idempotency-key": str(uuid.uuid4())}


def _token(r: httpx.Response) -> str:
    return str(ok(r)["token"])


def _forms(secret: str, *, password: bool) -> dict[str, str]:
    """The ways a secret could lie in a column: in clear, base64, hex; a password also as a fast unsalted hash."""
    raw = secret.encode()
    forms = {"clear": secret, "base64": base64.b64encode(raw).decode().rstrip("="), "hex": raw.hex()}
    if password:
        forms |= {"sha256": hashlib.sha256(raw).hexdigest(), "md5": hashlib.md5(raw, usedforsecurity=False).hexdigest()}
    return forms


def _reset_tokens(server: Server, email: str) -> list[str]:
    """The reset tokens mailed to `email` (the test server's mailbox)."""
    return [m["token"] for m in server.mail("auth.password_reset") if m["entity_id"] == email]


def _request_reset(client: httpx.Client, server: Server, actor: str, email: str) -> str:
    before = len(_reset_tokens(server, email))
    r = client.post(f"/auth/{actor}/emailpass/reset-password", json={"identifier": email})
    assert r.status_code == 201, r.text
    assert eventually(lambda: len(_reset_tokens(server, email)) > before)
    return _reset_tokens(server, email)[-1]


@pytest.fixture(scope="module")
def secrets(
    server: Server, client: httpx.Client, store: httpx.Client, admin: httpx.Client, admin_token: str
) -> Secrets:
    found = Secrets()
    tag = uuid.uuid4().hex[:8]
    found.passwords.add(ADMIN_PASSWORD)
    found.jwts.add(admin_token)

    # Admin logins: plain, with an Idempotency-Key (the answer holds a JWT), and a wrong password.
    found.jwts.add(_token(client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})))
    body = f'{{"email":"{ADMIN_EMAIL}","password":"{ADMIN_PASSWORD}"}}'.encode()
    headers = {"content-type": "application/json", **_idem()}
    found.jwts.add(_token(client.post("/auth/user/emailpass", content=body, headers=headers)))
    found.login_bodies.append(("/auth/user/emailpass", body))
    wrong = f"wrong-guess-{tag}-Zq9"
    found.passwords.add(wrong)
    assert client.post("/auth/user/emailpass", json={"email": ADMIN_EMAIL, "password": wrong}).status_code == 401

    # A customer registers, logs in (also with an Idempotency-Key), resets the password and logs in with the new one.
    email, first = f"shopper-{tag}@secrets.test", f"first-pass-{tag}-Kx1"
    found.passwords.add(first)
    registration = _token(store.post("/auth/customer/emailpass/register", json={"email": email, "password": first}))
    found.jwts.add(registration)
    ok(store.post("/store/customers", json={"email": email, "first_name": "Sec"}, headers=_bearer(registration)))
    found.jwts.add(_token(store.post("/auth/customer/emailpass", json={"email": email, "password": first})))
    body = f'{{"email":"{email}","password":"{first}"}}'.encode()
    customer_jwt = _token(
        store.post("/auth/customer/emailpass", content=body, headers={"content-type": "application/json", **_idem()})
    )
    found.jwts.add(customer_jwt)
    found.login_bodies.append(("/auth/customer/emailpass", body))
    reset = _request_reset(client, server, "customer", email)
    found.reset_tokens.add(reset)
    second = f"second-pass-{tag}-Wy2"
    found.passwords.add(second)
    ok(client.post("/auth/customer/emailpass/update", json={"password": second}, headers=_bearer(reset)))
    assert client.post("/auth/customer/emailpass", json={"email": email, "password": first}).status_code == 401
    customer_jwt = _token(store.post("/auth/customer/emailpass", json={"email": email, "password": second}))
    found.jwts.add(customer_jwt)
    # A reset requested and never used, for the admin; a user identity registered (an invitation's first step).
    found.reset_tokens.add(_request_reset(client, server, "user", ADMIN_EMAIL))
    user_password = f"user-pass-{tag}-Vb3"
    found.passwords.add(user_password)
    found.jwts.add(
        _token(
            client.post(
                "/auth/user/emailpass/register", json={"email": f"new-{tag}@secrets.test", "password": user_password}
            )
        )
    )

    # Secret API keys: one without an Idempotency-Key (then revoked), one with one, and its replay.
    for live in admin.get("/admin/api-keys", params={"type": "secret", "revoked": "false"}).json()["api_keys"]:
        ok(admin.post(f"/admin/api-keys/{live['id']}/revoke", json={}))
    plain = ok(admin.post("/admin/api-keys", json={"title": "Plain", "type": "secret"}))["api_key"]
    found.api_tokens.add(plain["token"])
    ok(admin.post(f"/admin/api-keys/{plain['id']}/revoke", json={}))
    key = _idem()
    first_answer = admin.post("/admin/api-keys", json={"title": "Idempotent", "type": "secret"}, headers=key)
    replay = admin.post("/admin/api-keys", json={"title": "Idempotent", "type": "secret"}, headers=key)
    sealed = ok(first_answer)["api_key"]
    # A replay to the same caller gives the same answer, the token included (a client that lost it needs it).
    assert replay.headers.get("idempotent-replayed") == "true" and ok(replay)["api_key"]["token"] == sealed["token"]
    found.api_tokens.add(sealed["token"])
    assert sealed["token"].startswith("sk_")
    basic = base64.b64encode(f"{sealed['token']}:".encode()).decode()
    ok(client.get("/admin/regions", headers={"authorization": f"Basic {basic}"}))

    # Cookie sessions for the admin and the customer, used once each; a token refresh.
    for token in (admin_token, customer_jwt):
        r = httpx.post(f"{server.url}/auth/session", headers=_bearer(token), timeout=10)
        assert ok(r)["user"]["actor_id"]
        found.sessions.add(r.cookies["connect.sid"])
    for session in found.sessions:
        refreshed = httpx.post(
            f"{server.url}/auth/token/refresh", headers={"cookie": f"connect.sid={session}"}, timeout=10
        )
        found.jwts.add(_token(refreshed))
    return found


def _dump(db_url: str) -> dict[str, list[str]]:
    """Every row of every base table, as text, by table."""
    tables: dict[str, list[str]] = {}
    with psycopg.connect(db_url) as conn:
        names = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        for schema, table in names:
            query = sql.SQL("SELECT t::text FROM {}.{} AS t").format(sql.Identifier(schema), sql.Identifier(table))
            tables[f"{schema}.{table}"] = [row[0] for row in conn.execute(query).fetchall()]
    return tables


def _found(tables: dict[str, list[str]], text: str) -> list[str]:
    return [table for table, rows in tables.items() if any(text in row for row in rows)]


def test_the_scan_reads_the_tables_secrets_go_through(db_url: str, secrets: Secrets, seeded: dict[str, str]) -> None:
    """The dump is not vacuous: the tables that hold the hashed forms have rows, and it does find a token that is
    stored in clear by design (a publishable key is public)."""
    tables = _dump(db_url)
    assert "public.api_key" in _found(tables, seeded["publishable_key"])
    for name in (
        "public.provider_identity",
        "public.api_key",
        "public.idempotency_key",
        "public.auth_reset_token",
        "public.auth_session",
    ):
        assert tables.get(name), f"{name} is empty or missing: {sorted(tables)}"
    assert len(secrets.passwords) >= 4 and len(secrets.api_tokens) == 2 and len(secrets.reset_tokens) == 2
    assert len(secrets.sessions) == 2 and len(secrets.jwts) >= 5  # identical claims in one second make one token


def test_no_secret_in_any_table(db_url: str, secrets: Secrets) -> None:
    leaks = []
    tables = _dump(db_url)
    checks = [("password", p, _forms(p, password=True)) for p in secrets.passwords]
    for kind, values in secrets.tokens().items():
        checks += [(kind, v, _forms(v, password=False)) for v in values]
    for kind, value, forms in checks:
        for form, text in forms.items():
            leaks += [f"{table}: a {kind} ({value[:12]}...) as {form}" for table in _found(tables, text)]
    assert not leaks, "secrets at rest:\n" + "\n".join(leaks)


def test_no_password_token_or_jwt_in_the_log(server: Server, secrets: Secrets) -> None:
    log = server.log_text()
    leaks = [f"a password ({p[:6]}...)" for p in secrets.passwords if p in log]
    for kind, values in secrets.tokens().items():
        leaks += [f"a {kind} ({v[:12]}...)" for v in values if v in log]
    assert not leaks, "in the server log: " + ", ".join(leaks)


def test_the_log_tells_a_reset_was_requested_without_its_token(server: Server, secrets: Secrets) -> None:
    """The default subscriber still logs the event (who asked, when), with the token redacted."""
    logged = RESET_LOG.findall(server.log_text())
    assert len(logged) >= len(secrets.reset_tokens), server.log_text()[-2000:]
    assert {token for _, token in logged} == {REDACTED}
    assert ADMIN_EMAIL in {who for who, _ in logged}


def test_a_login_with_an_idempotency_key_leaves_no_fast_hash_of_its_password(db_url: str, secrets: Secrets) -> None:
    with psycopg.connect(db_url) as conn:
        stored = {row[0] for row in conn.execute("SELECT request_hash FROM idempotency_key").fetchall()}
    guessable = []
    for path, body in secrets.login_bodies:
        digest = hashlib.sha256(f"POST {path}?".encode() + b"\n" + body).hexdigest()
        if digest in stored:
            guessable.append(path)
    assert not guessable, f"fast unsalted hashes of login bodies (with the password) at rest: {guessable}"


def test_stored_hashes_are_not_the_secrets_themselves(db_url: str, secrets: Secrets) -> None:
    """Positive control: passwords are argon2id hashes; a secret key is kept as its SHA-256 only."""
    with psycopg.connect(db_url) as conn:
        hashes: list[Any] = [
            row[0] for row in conn.execute("SELECT provider_metadata->>'password' FROM provider_identity").fetchall()
        ]
        keys = {row[0] for row in conn.execute("SELECT token FROM api_key WHERE type = 'secret'").fetchall()}
    assert hashes and all(str(h).startswith("$argon2id$") for h in hashes)
    for token in secrets.api_tokens:
        assert token not in keys
