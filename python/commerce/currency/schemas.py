"""Currency responses (Medusa v2 shapes)."""

from datetime import datetime
from decimal import Decimal

import msgspec

from commerce.listing import ListQuery


class Currency(msgspec.Struct, kw_only=True):
    code: str
    symbol: str
    symbol_native: str
    name: str
    decimal_digits: int
    rounding: Decimal
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class CurrencyResponse(msgspec.Struct):
    currency: Currency


class CurrencyList(msgspec.Struct):
    currencies: list[Currency]
    count: int
    offset: int
    limit: int


class CurrencyListQuery(ListQuery, kw_only=True):
    q: str | None = None
    code: list[str] | None = None
