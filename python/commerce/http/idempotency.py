"""Idempotency-Key on POST routes: the first answer (below 500) to a key is stored and replayed to retries of
the same request; a different request with the same key is refused; a retry while the first still runs gets 409.

An answer can carry a secret (a secret API key's token, a login's JWT), so nothing is kept in clear: the key is
stored only as its SHA-256, and the answer sealed with AES-GCM under a key derived from the server's secret, the
caller's scope and the Idempotency-Key itself. A database dump therefore holds no readable answer; a retry with
the same key from the same caller gets the same answer, secrets included, as a client that lost the first
response needs."""

import hashlib
import hmac
import os
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection

from commerce.errors import Conflict, InvalidData
from commerce.http.response import Response

if TYPE_CHECKING:
    from commerce.http.request import Request

HEADER = "idempotency-key"
KEEP_HOURS = 24
ABANDONED_AFTER_S = 60  # a first request that never finished (crash) stops holding its key after this

CLAIM = """
INSERT INTO idempotency_key (scope, key, request_hash) VALUES (%s, %s, %s)
ON CONFLICT (scope, key) DO NOTHING RETURNING key
"""
TAKE_OVER = """
UPDATE idempotency_key SET request_hash = %s, created_at = now()
WHERE scope = %s AND key = %s AND completed_at IS NULL AND created_at < now() - make_interval(secs => %s)
RETURNING key
"""
FIND = "SELECT request_hash, status, content_type, body FROM idempotency_key WHERE scope = %s AND key = %s"
COMPLETE = """
UPDATE idempotency_key SET status = %s, content_type = %s, body = %s, completed_at = now()
WHERE scope = %s AND key = %s
"""
RELEASE = "DELETE FROM idempotency_key WHERE scope = %s AND key = %s AND completed_at IS NULL"
EXPIRE = "DELETE FROM idempotency_key WHERE created_at < now() - make_interval(hours => %s)"


def _sealer(req: "Request", scope: str, key: str) -> Any:
    # `cryptography` is imported by the first request with a key, not by every worker at start.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    secret = req.state.settings.jwt_secret.encode()
    return AESGCM(hmac.digest(secret, b"idempotency\0" + scope.encode() + b"\0" + key.encode(), "sha256"))


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def scope_of(req: "Request") -> str:
    if req.actor is not None:
        return f"{req.actor.type}:{req.actor.id}"
    key = req.header("x-publishable-api-key")
    return f"pk:{key}" if key else "public"


async def _request_hash(req: "Request") -> str:
    # Keyed by the server secret: a login body holds a password, and a plain SHA-256 of it would be crackable.
    digest = hmac.new(req.state.settings.jwt_secret.encode(), digestmod="sha256")
    digest.update(f"{req.method} {req.path}?".encode())
    digest.update(req.query_string.encode(errors="surrogatepass"))  # (RSGI: raw UTF-8 decoded)
    digest.update(b"\n")
    digest.update(await req.body())
    return digest.hexdigest()


async def begin(conn: AsyncConnection[Any], req: "Request", key: str) -> Response | None:
    """Claim the key for this request (None: go ahead) or return the stored answer to replay."""
    if not 1 <= len(key) <= 255:
        raise InvalidData("Invalid request: Idempotency-Key must be 1 to 255 characters")
    scope, request_hash, raw_key = scope_of(req), await _request_hash(req), key
    key = _key_id(raw_key)
    cur = await conn.execute(CLAIM, (scope, key, request_hash))
    if await cur.fetchone() is not None:
        return None
    cur = await conn.execute(TAKE_OVER, (request_hash, scope, key, ABANDONED_AFTER_S))
    if await cur.fetchone() is not None:
        return None
    cur = await conn.execute(FIND, (scope, key))
    row = await cur.fetchone()
    if row is None:  # completed and expired between the two statements: claim again
        return await begin(conn, req, raw_key)
    stored_hash, status, content_type, sealed = row
    if stored_hash != request_hash:
        raise InvalidData("Idempotency-Key was already used for a different request")
    if status is None:
        raise Conflict("A request with this Idempotency-Key is still being processed")
    sealed = bytes(sealed)
    from cryptography.exceptions import InvalidTag

    try:
        body = _sealer(req, scope, raw_key).decrypt(sealed[:12], sealed[12:], request_hash.encode())
    except InvalidTag:  # sealed under another server secret (JWT_SECRET changed): the answer cannot be replayed
        raise Conflict("The first answer to this Idempotency-Key can no longer be read: use a new key") from None
    return Response(body, status, content_type.encode(), [(b"idempotent-replayed", b"true")])


async def finish(conn: AsyncConnection[Any], req: "Request", key: str, response: Response) -> None:
    scope = scope_of(req)
    if response.status >= 500:
        await conn.execute(RELEASE, (scope, _key_id(key)))  # let the client retry for real
        return
    nonce = os.urandom(12)
    sealed = nonce + _sealer(req, scope, key).encrypt(nonce, response.body, (await _request_hash(req)).encode())
    await conn.execute(COMPLETE, (response.status, response.content_type.decode(), sealed, scope, _key_id(key)))


async def expire(conn: AsyncConnection[Any]) -> None:
    await conn.execute(EXPIRE, (KEEP_HOURS,))
