"""Who is calling: a publishable key for /store (sales channel scope), a user JWT or secret key for /admin."""

import base64
import binascii
from typing import TYPE_CHECKING

import msgspec

from commerce import api_key, auth, user
from commerce.errors import NotFound, Unauthorized

if TYPE_CHECKING:
    from commerce.http.request import Request


class Actor(msgspec.Struct, frozen=True):
    type: str  # "user" or "api_key"
    id: str
    auth_identity_id: str | None = None


async def store(req: "Request") -> None:
    """Scope a store request to its publishable key's sales channels (Medusa's not_allowed errors otherwise)."""
    keys = await req.state.publishable_keys.get(req.state.pool)
    key = api_key.service.check_publishable(keys, req.header("x-publishable-api-key"))
    req.sales_channel_ids = key.sales_channel_ids


async def admin(req: "Request") -> None:
    """Authenticate an admin call: `Bearer <user JWT>` or `Basic base64(<secret key>:)`."""
    header = req.header("authorization")
    if not header:
        raise Unauthorized("Unauthorized")
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value.startswith("sk_"):
        req.actor = await _secret_key(req, value)
    elif scheme == "bearer":
        claims = auth.service.verify_token(req.state.settings.jwt_secret, value)
        if claims.get("actor_type") != "user" or not claims.get("actor_id"):
            raise Unauthorized("Unauthorized")
        async with req.state.pool.connection() as conn:
            try:
                await user.service.retrieve(conn, str(claims["actor_id"]))
            except NotFound:
                raise Unauthorized("Unauthorized") from None
        req.actor = Actor("user", str(claims["actor_id"]), claims.get("auth_identity_id"))
    elif scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Unauthorized") from None
        req.actor = await _secret_key(req, decoded.split(":", 1)[0])
    else:
        raise Unauthorized("Unauthorized")


async def _secret_key(req: "Request", token: str) -> Actor:
    async with req.state.pool.connection() as conn:
        key_id = await api_key.service.authenticate_secret(conn, token)
    if key_id is None:
        raise Unauthorized("Unauthorized")
    return Actor("api_key", key_id)
