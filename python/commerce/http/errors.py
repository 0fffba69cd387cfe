"""The one place that turns exceptions into Medusa's error body `{type, code?, message}`."""

import logging

from commerce.errors import CommerceError, from_engine
from commerce.http.response import Response, encode

log = logging.getLogger("commerce.http")

UNKNOWN = encode({"type": "unknown_error", "message": "An unknown error occurred."})


def error_response(exc: BaseException, request_id: bytes, where: str) -> Response:
    if isinstance(exc, Exception) and not isinstance(exc, CommerceError):
        exc = from_engine(exc) or exc
    if isinstance(exc, CommerceError):
        body: dict[str, str] = {"type": exc.type, "message": exc.message}
        if exc.code:
            body["code"] = exc.code
        allow = getattr(exc, "allow", None)  # a 405 names the methods the path takes
        headers = [(b"allow", ", ".join(allow).encode())] if allow else None
        return Response(encode(body), exc.status, headers=headers)
    # Unexpected: log the details with the request id, answer without internals.
    log.error("unhandled error in %s (request %s)", where, request_id.decode(), exc_info=exc)
    return Response(UNKNOWN, 500)
