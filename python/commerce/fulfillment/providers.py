"""Fulfillment providers: the built-in manual provider (flat prices only) and a weight-table provider that
calculates a rate from the total weight of the cart's items with the table in the option's `data`; and the hooks
a provider runs when a fulfillment is created, canceled or a return is collected."""

from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.errors import InvalidData
from commerce.money import check_amount

MANUAL = "manual_manual"
WEIGHT_TABLE = "weight-table_weight-table"
CALCULATING = frozenset({WEIGHT_TABLE})


def can_calculate(provider_id: str) -> bool:
    return provider_id in CALCULATING


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidData(f"Invalid request: '{where}' must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidData(f"Invalid request: '{where}' must be a number") from None
    return check_amount(number, where)


def weight_table(data: dict[str, Any] | None) -> list[tuple[Decimal | None, Decimal]]:
    """The option's `{"table": [{"max_weight": 1000, "amount": 5}, ..., {"amount": 20}]}` as (max_weight, amount)
    rows, lightest first; a row without max_weight takes any weight. InvalidData when the table is malformed."""
    table = (data or {}).get("table")
    if not isinstance(table, list) or not table:
        raise InvalidData("Invalid request: a weight-table option needs data.table, a list of {max_weight, amount}")
    rows: list[tuple[Decimal | None, Decimal]] = []
    for n, row in enumerate(table):
        if not isinstance(row, dict) or set(row) - {"max_weight", "amount"} or "amount" not in row:
            raise InvalidData(f"Invalid request: data.table[{n}] must be {{max_weight, amount}}")
        limit = row.get("max_weight")
        rows.append(
            (
                None if limit is None else _number(limit, f"data.table[{n}].max_weight"),
                _number(row["amount"], f"data.table[{n}].amount"),
            )
        )
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or 0))


def validate_option(provider_id: str, price_type: str, data: dict[str, Any] | None) -> None:
    """Refuse an option its provider cannot price, as Medusa's validateFulfillmentOption does."""
    if price_type == "calculated" and not can_calculate(provider_id):
        raise InvalidData(f"Fulfillment provider {provider_id} cannot calculate prices: use price_type flat")
    if provider_id == WEIGHT_TABLE and price_type == "calculated":
        weight_table(data)
        currency = (data or {}).get("currency_code")
        if currency is not None and not (isinstance(currency, str) and len(currency) == 3):
            raise InvalidData("Invalid request: data.currency_code must be a currency code")


def calculate(provider_id: str, option_data: dict[str, Any] | None, currency_code: str, weight: Decimal) -> Decimal:
    """The rate of a calculated option for a cart whose items weigh `weight` in total."""
    if not can_calculate(provider_id):
        raise InvalidData(f"Fulfillment provider {provider_id} cannot calculate prices")
    currency = (option_data or {}).get("currency_code")
    if isinstance(currency, str) and currency.lower() != currency_code.lower():
        raise InvalidData(f"This shipping option is priced in {currency.lower()}, not in {currency_code}")
    for limit, amount in weight_table(option_data):
        if limit is None or weight <= limit:
            return amount
    raise InvalidData(f"No rate in this shipping option's weight table for a weight of {weight}")


# --- fulfilments ------------------------------------------------------------------------------------------------
# Medusa's provider interface (createFulfillment, cancelFulfillment, createReturnFulfillment). The built-in providers
# talk to no carrier: they keep nothing (empty data) and print no labels. A provider that does would return what its
# carrier answered: `data` is stored on the fulfillment and handed back on cancel; `labels` are its shipment labels.

FULFILLING = frozenset({MANUAL, WEIGHT_TABLE})


def _check_fulfilling(provider_id: str) -> None:
    if provider_id not in FULFILLING:
        raise InvalidData(f"Fulfillment provider {provider_id} cannot create fulfillments")


def create_fulfillment(
    provider_id: str,
    data: dict[str, Any],
    items: list[dict[str, Any]],
    order: dict[str, Any] | None,
    fulfillment: dict[str, Any],
) -> dict[str, Any]:
    """Ask the provider to fulfil `items` (of `order`, when there is one); returns `{"data", "labels"}`."""
    _check_fulfilling(provider_id)
    return {"data": {}, "labels": []}


def cancel_fulfillment(provider_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Tell the provider a fulfillment it created (its `data`) is canceled; returns what it answers."""
    _check_fulfilling(provider_id)
    return {}


def create_return(provider_id: str, fulfillment: dict[str, Any]) -> dict[str, Any]:
    """Ask the provider to collect a return; returns `{"data": {...}, "labels": [...]}`."""
    _check_fulfilling(provider_id)
    return {"data": {}, "labels": []}
