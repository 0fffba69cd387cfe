"""Totals of a cart or an order: the engine's cart_totals over lines and shipping methods with their adjustments
and tax lines, in one shape for both, so an order's totals are its cart's by construction."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from commerce import engine

# The cart-level totals fields Medusa shows on a cart and an order (cart_totals returns them all).
FIELDS = (
    "total",
    "subtotal",
    "tax_total",
    "discount_total",
    "discount_subtotal",
    "discount_tax_total",
    "original_total",
    "original_subtotal",
    "original_tax_total",
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "original_item_total",
    "original_item_subtotal",
    "original_item_tax_total",
    "shipping_total",
    "shipping_subtotal",
    "shipping_tax_total",
    "original_shipping_total",
    "original_shipping_subtotal",
    "original_shipping_tax_total",
)
Rows = Mapping[str, Sequence[Mapping[str, Any]]]
NONE: Rows = {}


def compute(
    currency_code: str,
    items: Sequence[Mapping[str, Any]],
    methods: Sequence[Mapping[str, Any]],
    *,
    item_adjustments: Rows = NONE,
    item_tax_lines: Rows = NONE,
    method_adjustments: Rows = NONE,
    method_tax_lines: Rows = NONE,
) -> dict[str, Any]:
    """cart_totals for lines (`id, unit_price, quantity, is_tax_inclusive`) and shipping methods (`id, amount,
    is_tax_inclusive`), their adjustments (`amount, is_tax_inclusive`) and tax lines (`rate`) grouped by owner id."""

    def adjusted(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{"amount": a["amount"], "is_tax_inclusive": a["is_tax_inclusive"]} for a in rows]

    def taxed(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{"rate": Decimal(str(t["rate"]))} for t in rows]

    return engine.cart_totals(
        {
            "currency_code": currency_code,
            "items": [
                {
                    "id": i["id"],
                    "unit_price": i["unit_price"],
                    "quantity": i["quantity"],
                    "is_tax_inclusive": i["is_tax_inclusive"],
                    "adjustments": adjusted(item_adjustments.get(i["id"], ())),
                    "tax_lines": taxed(item_tax_lines.get(i["id"], ())),
                }
                for i in items
            ],
            "shipping_methods": [
                {
                    "id": m["id"],
                    "amount": m["amount"],
                    "is_tax_inclusive": m["is_tax_inclusive"],
                    "adjustments": adjusted(method_adjustments.get(m["id"], ())),
                    "tax_lines": taxed(method_tax_lines.get(m["id"], ())),
                }
                for m in methods
            ],
        }
    )


def of_lines(
    currency_code: str, items: Sequence[Mapping[str, Any]], methods: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """`compute` for lines and shipping methods that carry their own `adjustments` and `tax_lines` (rates as
    Decimal), as a cart's do: handed to the engine as they are, without a copy of each row. Each line's totals row
    echoes its own `unit_price` and `quantity` objects."""
    return engine.cart_totals({"currency_code": currency_code, "items": items, "shipping_methods": methods})
