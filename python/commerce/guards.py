"""Route guards, who is calling: a publishable key for /store (sales channel scope); a customer by JWT or session
cookie; an admin user by JWT or session cookie, or a secret API key. app.py hands them to the router by name, so the
HTTP layer imports no domain module."""

import base64
import binascii
from typing import Any

from commerce import api_key, auth, user
from commerce.errors import InvalidData, NotFound, Unauthorized
from commerce.http.request import Actor, Request

SESSION_COOKIE = "connect.sid"


async def store(req: Request) -> None:
    """Scope a store request to its publishable key's sales channels (Medusa's not_allowed errors otherwise)."""
    keys = await req.state.publishable_keys.get(req.state.pool)
    key = api_key.service.check_publishable(keys, req.header("x-publishable-api-key"))
    req.sales_channel_ids = key.sales_channel_ids


def bearer(req: Request) -> str | None:
    header = req.header("authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def context(req: Request) -> dict[str, Any] | None:
    """The auth context (JWT claims) from `Authorization: Bearer` or the session cookie; None when neither is sent.
    A token that is sent but invalid is a 401."""
    token = bearer(req)
    if token:
        return auth.service.verify_token(req.state.settings.jwt_secret, token)
    session_id = req.cookie(SESSION_COOKIE)
    if session_id:
        async with req.state.pool.connection() as conn:
            found = await auth.service.session_context(conn, session_id)
        if found is None:
            raise Unauthorized("Unauthorized")
        return found
    return None


async def customer(req: Request) -> None:
    """A store request by a logged-in customer."""
    await store(req)
    claims = await context(req)
    if claims is None or claims.get("actor_type") != "customer" or not claims.get("actor_id"):
        raise Unauthorized("Unauthorized")
    req.actor = Actor("customer", str(claims["actor_id"]), claims.get("auth_identity_id"))


async def optional_customer(req: Request) -> None:
    """A store request that may carry a logged-in customer (prices by customer group)."""
    await store(req)
    if req.header("authorization") or req.cookie(SESSION_COOKIE):
        claims = await context(req)
        if claims and claims.get("actor_type") == "customer" and claims.get("actor_id"):
            req.actor = Actor("customer", str(claims["actor_id"]), claims.get("auth_identity_id"))


async def registration(req: Request) -> str:
    """The auth identity of a registration token: a customer token not yet tied to a customer."""
    claims = await context(req)
    if claims is None or claims.get("actor_type") != "customer" or not claims.get("auth_identity_id"):
        raise Unauthorized("Unauthorized")
    if claims.get("actor_id"):
        raise InvalidData("Request already authenticated as a customer.")
    return str(claims["auth_identity_id"])


async def admin(req: Request) -> None:
    """Authenticate an admin call: `Bearer <user JWT>`, a session cookie, or a secret key
    (`Basic base64(<key>:)` or `Bearer sk_...`)."""
    header = req.header("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise Unauthorized("Unauthorized") from None
            req.actor = await _secret_key(req, decoded.split(":", 1)[0])
            return
        if scheme == "bearer" and value.startswith("sk_"):
            req.actor = await _secret_key(req, value)
            return
        if scheme != "bearer":
            raise Unauthorized("Unauthorized")
    claims = await context(req)
    if claims is None or claims.get("actor_type") != "user" or not claims.get("actor_id"):
        raise Unauthorized("Unauthorized")
    async with req.state.pool.connection() as conn:
        try:
            await user.service.retrieve(conn, str(claims["actor_id"]))
        except NotFound:
            raise Unauthorized("Unauthorized") from None
    req.actor = Actor("user", str(claims["actor_id"]), claims.get("auth_identity_id"))


async def _secret_key(req: Request, token: str) -> Actor:
    async with req.state.pool.connection() as conn:
        key_id = await api_key.service.authenticate_secret(conn, token)
    if key_id is None:
        raise Unauthorized("Unauthorized")
    return Actor("api_key", key_id)
