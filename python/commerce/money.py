"""Checks on money coming in over the API: exact decimals within the engine's range."""

from decimal import Decimal

from commerce.errors import InvalidData

MAX_AMOUNT = Decimal(10) ** 15
MAX_PLACES = 12


def check_amount(value: Decimal, field: str = "amount", *, allow_negative: bool = False) -> Decimal:
    """The amount if it is finite, in range and has at most 12 decimal places; InvalidData naming `field` if not."""
    if not value.is_finite():
        raise InvalidData(f"Invalid request: '{field}' must be a finite number")
    if value < 0 and not allow_negative:
        raise InvalidData(f"Invalid request: '{field}' must be greater than or equal to 0")
    if abs(value) > MAX_AMOUNT:
        raise InvalidData(f"Invalid request: '{field}' must be at most {MAX_AMOUNT}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise InvalidData(f"Invalid request: '{field}' has more than {MAX_PLACES} decimal places")
    return value
