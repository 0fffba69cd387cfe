"""The public Python face of the native engine (`commerce._native`), Decimal in and out.

Every function here has a pure-Python twin in `commerce.engine_reference`; property tests
assert they agree.

Money, worked example::

    >>> from decimal import Decimal
    >>> from commerce import engine
    >>> engine.round_amount(Decimal("1.005"), "usd")
    Decimal('1.01')
    >>> engine.format_amount(Decimal("10.5"), "jpy")
    '11'
"""

from commerce._native import (
    CommerceEngineError,
    InvalidAmountError,
    InvalidInputError,
    currency_digits,
    format_amount,
    parse_amount,
    round_amount,
)

__all__ = [
    "CommerceEngineError",
    "InvalidAmountError",
    "InvalidInputError",
    "currency_digits",
    "format_amount",
    "parse_amount",
    "round_amount",
]
