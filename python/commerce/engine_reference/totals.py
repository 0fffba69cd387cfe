"""Reference cart totals: Medusa v2's decorateCartTotals, each field rounded once to the currency."""

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from commerce.engine_reference.money import currency_digits

GUARD = Decimal("1e-12")


def round_result(value: Decimal, currency_code: str) -> Decimal:
    """Settle to 12 decimals (non-terminating quotients may sum to an exact half cent), then round."""
    quantum = Decimal(1).scaleb(-currency_digits(currency_code))
    result = value.quantize(GUARD, rounding=ROUND_HALF_UP).quantize(quantum, rounding=ROUND_HALF_UP)
    return abs(result) if result == 0 else result


_FIELDS = (
    "subtotal",
    "total",
    "original_total",
    "original_subtotal",
    "discount_total",
    "discount_subtotal",
    "discount_tax_total",
    "tax_total",
    "original_tax_total",
)


def _rate(tax_lines: Sequence[Mapping[str, Any]]) -> Decimal:
    return sum((Decimal(t["rate"]) for t in tax_lines), Decimal(0)) / 100


def _tax(tax_lines: Sequence[Mapping[str, Any]], taxable: Decimal) -> Decimal:
    """Tax on an amount without tax; nothing on a non-positive amount."""
    if taxable <= 0:
        return Decimal(0)
    return sum((taxable * Decimal(t["rate"]) / 100 for t in tax_lines), Decimal(0))


def _adjustment_subtotal(adjustment: Mapping[str, Any], rate: Decimal) -> Decimal:
    amount = Decimal(adjustment["amount"])
    return amount / (1 + rate) if adjustment.get("is_tax_inclusive") else amount


def line_item_totals(item: Mapping[str, Any]) -> dict[str, Decimal]:
    """Unrounded totals of one line item."""
    tax_lines = item.get("tax_lines") or []
    adjustments = item.get("adjustments") or []
    inclusive = bool(item.get("is_tax_inclusive"))
    quantity = Decimal(item.get("quantity", 1))
    rate = _rate(tax_lines)
    price = Decimal(item["unit_price"]) * quantity
    subtotal = price / (1 + rate) if inclusive else price
    discount_subtotal = (
        sum((_adjustment_subtotal(a, rate) for a in adjustments), Decimal(0)) if quantity else Decimal(0)
    )
    tax_total = _tax(tax_lines, subtotal - discount_subtotal)
    original_tax_total = _tax(tax_lines, subtotal)
    original_total = price if inclusive else subtotal + original_tax_total
    discount_tax_total = original_tax_total - tax_total
    return {
        "subtotal": subtotal,
        "total": subtotal - discount_subtotal + tax_total,
        "original_total": original_total,
        "original_subtotal": original_total - original_tax_total,
        "discount_total": discount_subtotal + discount_tax_total,
        "discount_subtotal": discount_subtotal,
        "discount_tax_total": discount_tax_total,
        "tax_total": tax_total,
        "original_tax_total": original_tax_total,
    }


def shipping_method_totals(method: Mapping[str, Any]) -> dict[str, Decimal]:
    """Unrounded totals of one shipping method."""
    tax_lines = method.get("tax_lines") or []
    inclusive = bool(method.get("is_tax_inclusive"))
    amount = Decimal(method["amount"])
    rate = _rate(tax_lines)
    subtotal = amount / (1 + rate) if inclusive else amount
    discount_subtotal = Decimal(0)
    discount_tax_total = Decimal(0)
    for adjustment in method.get("adjustments") or []:
        part = _adjustment_subtotal(adjustment, rate)
        discount_subtotal += part
        discount_tax_total += part * rate
    tax_total = _tax(tax_lines, subtotal - discount_subtotal)
    original_tax_total = _tax(tax_lines, subtotal)
    return {
        "subtotal": subtotal,
        "total": subtotal - discount_subtotal + tax_total,
        "original_total": amount if inclusive else subtotal + original_tax_total,
        "original_subtotal": subtotal,
        "discount_total": discount_subtotal + discount_tax_total,
        "discount_subtotal": discount_subtotal,
        "discount_tax_total": discount_tax_total,
        "tax_total": tax_total,
        "original_tax_total": original_tax_total,
    }


def cart_totals(cart: Mapping[str, Any]) -> dict[str, Any]:
    """Every Medusa v2 totals field of a cart, its items and shipping methods, rounded per field."""
    currency = cart["currency_code"]

    def rounded(value: Decimal) -> Decimal:
        return round_result(value, currency)

    with localcontext() as ctx:
        ctx.prec = 60
        items = [line_item_totals(item) for item in cart.get("items") or []]
        methods = [shipping_method_totals(method) for method in cart.get("shipping_methods") or []]

        def total(rows: list[dict[str, Decimal]], field: str) -> Decimal:
            return sum((row[field] for row in rows), Decimal(0))

        out: dict[str, Decimal] = {
            "item_total": total(items, "total"),
            "item_subtotal": total(items, "subtotal"),
            "item_tax_total": total(items, "tax_total"),
            "item_discount_total": total(items, "discount_total"),
            "original_item_total": total(items, "original_total"),
            "original_item_subtotal": total(items, "original_subtotal"),
            "original_item_tax_total": total(items, "original_tax_total"),
            "shipping_total": total(methods, "total"),
            "shipping_subtotal": total(methods, "subtotal"),
            "shipping_tax_total": total(methods, "tax_total"),
            "shipping_discount_total": total(methods, "discount_total"),
            "original_shipping_total": total(methods, "original_total"),
            "original_shipping_subtotal": total(methods, "original_subtotal"),
            "original_shipping_tax_total": total(methods, "original_tax_total"),
            "discount_total": total(items + methods, "discount_total"),
            "discount_subtotal": total(items + methods, "discount_subtotal"),
            "discount_tax_total": total(items + methods, "discount_tax_total"),
        }
        out["subtotal"] = out["item_subtotal"] + out["shipping_subtotal"]
        out["tax_total"] = out["item_tax_total"] + out["shipping_tax_total"]
        out["original_tax_total"] = out["original_item_tax_total"] + out["original_shipping_tax_total"]
        out["original_total"] = out["original_item_total"] + out["original_shipping_total"]
        out["original_subtotal"] = out["original_item_subtotal"] + out["original_shipping_subtotal"]
        out["total"] = out["subtotal"] + out["tax_total"] - out["discount_subtotal"]

        result: dict[str, Any] = {"currency_code": currency, **{k: rounded(v) for k, v in out.items()}}
        result["items"] = [
            {
                "id": item.get("id", str(i)),
                "unit_price": item["unit_price"],
                "quantity": item.get("quantity", 1),
                **{f: rounded(t[f]) for f in _FIELDS},
            }
            for i, (item, t) in enumerate(zip(cart.get("items") or [], items, strict=True))
        ]
        result["shipping_methods"] = [
            {"id": m.get("id", str(i)), "amount": m["amount"], **{f: rounded(t[f]) for f in _FIELDS}}
            for i, (m, t) in enumerate(zip(cart.get("shipping_methods") or [], methods, strict=True))
        ]
    return result
