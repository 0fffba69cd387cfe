"""Reference money rules: ISO 4217 digits, half-up rounding, plain-decimal parsing."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10) ** 15

_DIGITS = {
    **dict.fromkeys("bif clp djf gnf isk jpy kmf krw pyg rwf ugx uyi vnd vuv xaf xof xpf".split(), 0),
    **dict.fromkeys("bhd iqd jod kwd lyd omr tnd".split(), 3),
    **dict.fromkeys("clf uyw".split(), 4),
}
_PLAIN = re.compile(r"[+-]?[0-9.]+")


class ReferenceAmountError(ValueError):
    """The reference's counterpart of engine.InvalidAmountError."""


def currency_digits(currency_code: str) -> int:
    return _DIGITS.get(currency_code.lower(), 2)


def round_amount(amount: Decimal, currency_code: str) -> Decimal:
    # ROUND_HALF_UP in the decimal module is ties-away-from-zero, the engine's rule.
    return amount.quantize(Decimal(1).scaleb(-currency_digits(currency_code)), rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    stripped = text.strip()
    if not _PLAIN.fullmatch(stripped):
        raise ReferenceAmountError(text)
    try:
        value = Decimal(stripped)
    except InvalidOperation as exc:
        raise ReferenceAmountError(text) from exc
    if abs(value) > MAX_AMOUNT:
        raise ReferenceAmountError(text)
    return value


def format_amount(amount: Decimal, currency_code: str) -> str:
    rounded = round_amount(amount, currency_code)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:f}"
