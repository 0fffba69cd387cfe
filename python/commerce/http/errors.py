"""The one place that turns exceptions into Medusa's error body `{type, code?, message}`."""

import logging

import psycopg
from psycopg.errors import DeadlockDetected, SerializationFailure
from psycopg_pool import PoolTimeout

from commerce.errors import CommerceError, Unavailable, from_engine
from commerce.http.response import Response, encode

log = logging.getLogger("commerce.http")

UNKNOWN = encode({"type": "unknown_error", "message": "An unknown error occurred."})


def error_response(exc: BaseException, request_id: bytes, where: str) -> Response:
    if isinstance(exc, Exception) and not isinstance(exc, CommerceError):
        exc = from_engine(exc) or _unavailable(exc, request_id, where) or exc
    if isinstance(exc, CommerceError):
        body: dict[str, str] = {"type": exc.type, "message": exc.message}
        if exc.code:
            body["code"] = exc.code
        headers: list[tuple[bytes, bytes]] = []
        allow = getattr(exc, "allow", None)  # a 405 names the methods the path takes
        if allow:
            headers.append((b"allow", ", ".join(allow).encode()))
        if isinstance(exc, Unavailable):
            headers.append((b"retry-after", str(exc.retry_after).encode()))
        return Response(encode(body), exc.status, headers=headers or None)
    # Unexpected: log the details with the request id, answer without internals.
    log.error("unhandled error in %s (request %s)", where, request_id.decode(), exc_info=exc)
    return Response(UNKNOWN, 500)


def _unavailable(exc: Exception, request_id: bytes, where: str) -> Unavailable | None:
    """A 503 for what a retry can fix: no pooled connection free in time, or the database away (restarting,
    unreachable, a connection cut). Operational errors are psycopg's class for these; a deadlock or a serialization
    failure is one too, and is equally safe to retry, as the transaction rolled back."""
    if isinstance(exc, PoolTimeout):
        log.warning("no database connection free in %s (request %s)", where, request_id.decode())
        return Unavailable("The server is busy: no database connection came free in time. Retry shortly.", 1)
    if isinstance(exc, DeadlockDetected | SerializationFailure):
        # A deadlock or serialization failure: PostgreSQL rolled this one back, nothing was written.
        log.warning("rolled back (%s) in %s (request %s)", type(exc).__name__, where, request_id.decode())
        return Unavailable("The request conflicted with another one and was rolled back. Retry shortly.", 1)
    if isinstance(exc, psycopg.OperationalError):
        log.warning("database unavailable in %s (request %s): %s", where, request_id.decode(), exc)
        return Unavailable("The database is unavailable. Retry shortly.", 2)
    return None
