"""Email/password identities (argon2id) and JWTs shaped as Medusa's: {actor_id, actor_type, auth_identity_id,
app_metadata}. Wrong password and unknown email fail the same way, in about the same time."""

import asyncio
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection, errors

from commerce.auth import repository as repo
from commerce.errors import DuplicateError, Unauthorized
from commerce.ids import new_id

EMAILPASS = "emailpass"
INVALID_LOGIN = "Invalid email or password"
_hasher = PasswordHasher()  # argon2id with the library's recommended cost
# Verified when the email is unknown, so both failures cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds; off the event loop (cffi releases the GIL).
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(stored: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def register_emailpass(
    conn: AsyncConnection[Any], email: str, password: str, app_metadata: dict[str, Any]
) -> str:
    """Create an identity for this email; returns its id. One identity per email."""
    password_hash = await hash_password(password)
    identity_id = new_id("authid")
    try:
        async with conn.transaction():
            await repo.insert(
                conn,
                identity_id,
                new_id("provid"),
                EMAILPASS,
                normalize_email(email),
                app_metadata,
                {"password": password_hash},
            )
    except errors.UniqueViolation:
        raise DuplicateError("Identity with email already exists") from None
    return identity_id


async def authenticate_emailpass(conn: AsyncConnection[Any], email: str, password: str) -> tuple[str, dict[str, Any]]:
    """(auth identity id, app_metadata) for a correct email and password; Unauthorized otherwise."""
    found = await repo.find(conn, EMAILPASS, normalize_email(email))
    if found is None:
        await _verify(_DUMMY_HASH, password)
        raise Unauthorized(INVALID_LOGIN)
    identity_id, app_metadata, provider_metadata = found
    if not await _verify(str(provider_metadata.get("password", "")), password):
        raise Unauthorized(INVALID_LOGIN)
    return identity_id, app_metadata


async def link_actor(conn: AsyncConnection[Any], identity_id: str, actor_type: str, actor_id: str) -> None:
    await repo.merge_app_metadata(conn, identity_id, {f"{actor_type}_id": actor_id})


def issue_token(secret: str, expires_in: int, identity_id: str, actor_type: str, app_metadata: dict[str, Any]) -> str:
    now = int(time.time())
    claims = {
        "actor_id": app_metadata.get(f"{actor_type}_id", ""),
        "actor_type": actor_type,
        "auth_identity_id": identity_id,
        "app_metadata": app_metadata,
        "iat": now,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired token signed with our secret; Unauthorized otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat"]})
    except jwt.PyJWTError:
        raise Unauthorized("Unauthorized") from None
    return claims
