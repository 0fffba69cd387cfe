"""Email/password identities (argon2id) and JWTs shaped as Medusa's: {actor_id, actor_type, auth_identity_id,
app_metadata}. Wrong password and unknown email fail the same way, in about the same time."""

import asyncio
import hashlib
import secrets
import time
from functools import cache
from typing import Any

from psycopg import AsyncConnection, errors

from commerce.auth import repository as repo
from commerce.errors import DuplicateError, TooManyRequests, Unauthorized
from commerce.ids import new_id

EMAILPASS = "emailpass"
INVALID_LOGIN = "Invalid email or password"
# argon2 and jwt (which imports `cryptography`, ~100 ms and several MB) are imported on first use, not by every
# worker at start: most requests (a storefront's) never log in.


@cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's recommended cost


@cache
def _jwt() -> Any:
    import jwt

    return jwt


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so both failures cost one argon2 verification. Made on first use, not
    at import: a hash costs ~150 ms and 64 MiB that every process would pay at start."""
    return str(_hasher().hash("not a password of anyone"))


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds; off the event loop (cffi releases the GIL).
    return str(await asyncio.to_thread(_hasher().hash, password))


async def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    def check() -> bool:
        try:
            return bool(_hasher().verify(stored, password))
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
        await _verify(_dummy_hash(), password)
        raise Unauthorized(INVALID_LOGIN)
    identity_id, app_metadata, provider_metadata = found
    if not await _verify(str(provider_metadata.get("password", "")), password):
        raise Unauthorized(INVALID_LOGIN)
    return identity_id, app_metadata


async def link_actor(conn: AsyncConnection[Any], identity_id: str, actor_type: str, actor_id: str) -> None:
    await repo.merge_app_metadata(conn, identity_id, {f"{actor_type}_id": actor_id})


async def actor_providers(conn: AsyncConnection[Any], actor_type: str, actor_id: str) -> list[str]:
    """The providers (`emailpass`) an actor (a user, a customer) can log in with."""
    return await repo.actor_providers(conn, actor_type, actor_id)


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
    return str(_jwt().encode(claims, secret, algorithm="HS256"))


_verified: dict[tuple[str, str], dict[str, Any]] = {}


def verify_token(secret: str, token: str) -> dict[str, Any]:
    """The claims of a valid, unexpired token signed with our secret; Unauthorized otherwise.

    A token's signature is checked once per worker; its expiry on every use."""
    cached = _verified.get((secret, token))
    if cached is not None:
        if cached["exp"] > time.time():
            return cached
        del _verified[(secret, token)]
    claims = _decode(secret, token)
    if len(_verified) >= 10_000:
        _verified.clear()
    _verified[(secret, token)] = claims
    return claims


def _decode(secret: str, token: str) -> dict[str, Any]:
    jwt = _jwt()
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat"]})
    except jwt.PyJWTError:
        raise Unauthorized("Unauthorized") from None
    return claims


# --- password reset (single-use, expiring), sessions, throttling --------------------------------------------

RESET_TTL = 15 * 60
SESSION_TTL = 24 * 3600
THROTTLE_WINDOW = 15 * 60
# Login attempts per window: per (email, client address) — the owner from their own address is never locked out by
# someone else's guesses —, per client (one address guessing many accounts) and per email from everywhere (guessing
# spread over many addresses, high enough that locking an owner out takes that many addresses).
MAX_ATTEMPTS_PER_EMAIL_AND_CLIENT = 5
MAX_ATTEMPTS_PER_CLIENT = 20
MAX_ATTEMPTS_PER_EMAIL = 100


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_reset_token(conn: AsyncConnection[Any], email: str, actor_type: str) -> str | None:
    """A reset token for this email's identity, or None when there is none (the caller answers the same way)."""
    found = await repo.find(conn, EMAILPASS, normalize_email(email))
    if found is None:
        return None
    token = secrets.token_urlsafe(32)
    await repo.insert_reset(conn, _digest(token), found[0], EMAILPASS, normalize_email(email), actor_type, RESET_TTL)
    return token


async def reset_password(
    conn: AsyncConnection[Any], token: str, actor_type: str, email: str | None, password: str
) -> None:
    """Set a new password with a reset token; the token works once, before it expires, for its own email."""
    password_hash = await hash_password(password)
    async with conn.transaction():
        used = await repo.use_reset(conn, _digest(token))
        if used is None or used[3] != actor_type or (email is not None and normalize_email(email) != used[2]):
            raise Unauthorized("Invalid or expired password reset token")
        await repo.set_provider_metadata(conn, EMAILPASS, used[2], {"password": password_hash})


async def register_session(conn: AsyncConnection[Any], context: dict[str, Any]) -> str:
    """A new cookie session holding this auth context; returns the cookie value (stored only as a hash)."""
    session_id = secrets.token_urlsafe(32)
    await repo.insert_session(conn, _digest(session_id), context, SESSION_TTL)
    return session_id


async def session_context(conn: AsyncConnection[Any], session_id: str) -> dict[str, Any] | None:
    return await repo.get_session(conn, _digest(session_id))


async def end_session(conn: AsyncConnection[Any], session_id: str) -> None:
    await repo.delete_session(conn, _digest(session_id))


def _throttle_keys(email: str, client: str | None) -> dict[str, int]:
    """The throttle keys of a login attempt and their limits."""
    who = normalize_email(email)
    keys = {f"email:{who}": MAX_ATTEMPTS_PER_EMAIL}
    if client:
        keys |= {
            f"login:{who}|{client}": MAX_ATTEMPTS_PER_EMAIL_AND_CLIENT,
            f"client:{client}": MAX_ATTEMPTS_PER_CLIENT,
        }
    return keys


async def claim_attempt(conn: AsyncConnection[Any], email: str, client: str | None) -> None:
    """Count this login attempt before any password is checked (atomically, so parallel attempts cannot slip under
    a limit together); 429 when it is past one of its limits for the window."""
    keys = _throttle_keys(email, client)
    counts = await repo.throttle_claim(conn, list(keys), THROTTLE_WINDOW)
    if any(counts.get(key, 0) > limit for key, limit in keys.items()):
        raise TooManyRequests("Too many failed login attempts. Try again later.")


async def forgive_attempt(conn: AsyncConnection[Any], email: str, client: str | None) -> None:
    """A successful login: its (email, client) attempts no longer count, and this attempt is not counted against
    the client or the email."""
    keys = list(_throttle_keys(email, client))
    if client:
        await repo.throttle_forget(conn, keys[1])
    await repo.throttle_uncount(conn, [k for k in keys if not k.startswith("login:")])


async def app_metadata(
    conn: AsyncConnection[Any], identity_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The identity's app metadata; `for_update` locks the identity until the transaction ends."""
    return await repo.app_metadata(conn, identity_id, for_update=for_update)
