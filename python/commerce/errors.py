"""Domain errors carrying Medusa v2's error `type`; services raise these, the HTTP layer maps them."""

from commerce import engine


class CommerceError(Exception):
    """Base of every expected error. `type` and `status` follow Medusa's error handler."""

    type = "unknown_error"
    status = 500

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidData(CommerceError):
    type = "invalid_data"
    status = 400


class NotAllowed(CommerceError):
    type = "not_allowed"
    status = 400


class Unauthorized(CommerceError):
    type = "unauthorized"
    status = 401


class Forbidden(CommerceError):
    type = "forbidden"
    status = 403


class NotFound(CommerceError):
    type = "not_found"
    status = 404


class UnsupportedMediaType(CommerceError):
    type = "invalid_data"
    status = 415


class RequestTimeout(CommerceError):
    type = "invalid_data"
    status = 408


class Conflict(CommerceError):
    type = "conflict"
    status = 409


class DuplicateError(CommerceError):
    type = "duplicate_error"
    status = 422


class PaymentAuthorizationError(CommerceError):
    type = "payment_authorization_error"
    status = 422


class TooManyRequests(CommerceError):
    type = "too_many_requests"
    status = 429


class Unavailable(CommerceError):
    """The database is away or no connection came free in time: nothing was done, retry after `retry_after`
    seconds. Medusa has no 503; its type for database failures is `database_error`."""

    type = "database_error"
    status = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(Unavailable):
    """The worker is at capacity (MAX_IN_FLIGHT requests in flight): answered at once with Retry-After, so clients
    back off instead of queueing into timeouts."""

    type = "service_unavailable"


def from_engine(exc: Exception) -> CommerceError | None:
    """The domain error for an engine error (a shortage, a bad amount or input), None for anything else; so no engine
    error reaches a client as a 500."""
    if isinstance(exc, engine.InsufficientInventoryError):
        names = ", ".join(s["variant_id"] for s in exc.shortages) if exc.shortages else "a variant"
        return NotAllowed(f"Some variant does not have the required inventory: {names}", code="insufficient_inventory")
    if isinstance(exc, engine.InvalidAmountError | engine.InvalidInputError | engine.CommerceEngineError):
        return InvalidData(f"Invalid request: {exc}")
    return None
