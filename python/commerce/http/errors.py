"""The one place that turns exceptions into Medusa's error body `{type, code?, message}`."""

import logging

from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from commerce.errors import CommerceError, ServiceUnavailable, from_engine
from commerce.http.response import Response, encode

log = logging.getLogger("commerce.http")

UNKNOWN = encode({"type": "unknown_error", "message": "An unknown error occurred."})


def error_response(exc: BaseException, request_id: bytes, where: str) -> Response:
    if isinstance(exc, PoolTimeout):
        # Every connection stayed busy for DB_POOL_TIMEOUT: the database is the bottleneck, the client retries later.
        exc = ServiceUnavailable("The server is busy: no database connection was free in time. Retry shortly.")
    elif isinstance(exc, pg_errors.DeadlockDetected | pg_errors.SerializationFailure):
        # Two transactions crossed (PostgreSQL rolled this one back, nothing was written): the client retries.
        log.warning("rolled back (%s) in %s (request %s)", type(exc).__name__, where, request_id.decode())
        exc = ServiceUnavailable("The request conflicted with another one and was rolled back. Retry shortly.")
    elif isinstance(exc, Exception) and not isinstance(exc, CommerceError):
        exc = from_engine(exc) or exc
    if isinstance(exc, CommerceError):
        body: dict[str, str] = {"type": exc.type, "message": exc.message}
        if exc.code:
            body["code"] = exc.code
        headers: list[tuple[bytes, bytes]] = []
        allow = getattr(exc, "allow", None)  # a 405 names the methods the path takes
        if allow:
            headers.append((b"allow", ", ".join(allow).encode()))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        return Response(encode(body), exc.status, headers=headers or None)
    # Unexpected: log the details with the request id, answer without internals.
    log.error("unhandled error in %s (request %s)", where, request_id.decode(), exc_info=exc)
    return Response(UNKNOWN, 500)
