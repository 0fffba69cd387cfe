"""Cart → order rows: one pure function (Medusa's prepareLineItemData and createOrder input), no I/O.

The cart view (as `commerce.flows.cart.retrieve` returns it) goes in; the rows of every order table come out, each
with a fresh id, linked to each other by those ids, ready for the repository to insert. Nothing is recomputed here:
the snapshot is copied as it is, so the order's totals (computed later from these rows by the engine function that
totalled the cart) equal the cart's. The cart's totals are carried in `totals` for the `order.placed` event and for
checking that equality.
"""

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from commerce import totals
from commerce.ids import new_id
from commerce.order.schemas import ADDRESS_FIELDS, ITEM_FIELDS

_ITEM_DEFAULTS = {
    "requires_shipping": True,
    "is_discountable": True,
    "is_tax_inclusive": False,
    "is_custom_price": False,
}


class OrderDraft(msgspec.Struct, kw_only=True):
    """The rows of one order, in insert order. `order["display_id"]` is None when the database assigns it."""

    order: dict[str, Any]
    addresses: list[dict[str, Any]]
    items: list[dict[str, Any]]
    details: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    tax_lines: list[dict[str, Any]]
    shipping_methods: list[dict[str, Any]]
    shipping_method_adjustments: list[dict[str, Any]]
    shipping_method_tax_lines: list[dict[str, Any]]
    cart_id: str
    # cart line item id → order line item id (reservations made for cart lines move to the order's lines).
    item_ids: dict[str, str]
    totals: dict[str, Any]


def build(cart: Mapping[str, Any], display_id: int | None = None, *, ids: Callable[[str], str] = new_id) -> OrderDraft:
    """The order rows for a cart view. `ids(prefix)` makes the ids (a fixed sequence in tests)."""
    order_id = ids("order")
    addresses: list[dict[str, Any]] = []
    address_ids: dict[str, str | None] = {}
    for kind in ("shipping_address", "billing_address"):
        address = cart.get(kind)
        if not address:
            address_ids[kind] = None
            continue
        row = {"id": ids("ordaddr"), **{f: address.get(f) for f in ADDRESS_FIELDS}}
        addresses.append(row)
        address_ids[kind] = row["id"]

    items: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    adjustments: list[dict[str, Any]] = []
    tax_lines: list[dict[str, Any]] = []
    item_ids: dict[str, str] = {}
    for position, line in enumerate(cart.get("items") or []):
        item_id = ids("ordli")
        if line.get("id"):
            item_ids[str(line["id"])] = item_id
        items.append(
            {
                "id": item_id,
                "order_id": order_id,
                **{f: line.get(f, _ITEM_DEFAULTS.get(f)) for f in ITEM_FIELDS},
                "position": position,
            }
        )
        details.append({"id": ids("orditem"), "order_id": order_id, "item_id": item_id, "quantity": line["quantity"]})
        adjustments += [_adjustment(ids("ordliadj"), "item_id", item_id, a) for a in line.get("adjustments") or []]
        tax_lines += [_tax_line(ids("ordlitxl"), "item_id", item_id, t) for t in line.get("tax_lines") or []]

    methods: list[dict[str, Any]] = []
    method_adjustments: list[dict[str, Any]] = []
    method_tax_lines: list[dict[str, Any]] = []
    for position, method in enumerate(cart.get("shipping_methods") or []):
        method_id = ids("ordsm")
        methods.append(
            {
                "id": method_id,
                "order_id": order_id,
                "name": method["name"],
                "description": method.get("description"),
                "amount": method["amount"],
                "is_tax_inclusive": bool(method.get("is_tax_inclusive")),
                "is_custom_amount": bool(method.get("is_custom_amount")),
                "shipping_option_id": method.get("shipping_option_id"),
                "data": method.get("data"),
                "metadata": method.get("metadata"),
                "position": position,
            }
        )
        method_adjustments += [
            _adjustment(ids("ordsmadj"), "shipping_method_id", method_id, a) for a in method.get("adjustments") or []
        ]
        method_tax_lines += [
            _tax_line(ids("ordsmtxl"), "shipping_method_id", method_id, t) for t in method.get("tax_lines") or []
        ]

    return OrderDraft(
        order={
            "id": order_id,
            "display_id": display_id,
            "status": "pending",
            "region_id": cart.get("region_id"),
            "customer_id": cart.get("customer_id"),
            "sales_channel_id": cart.get("sales_channel_id"),
            "email": cart.get("email"),
            "currency_code": cart["currency_code"],
            "shipping_address_id": address_ids["shipping_address"],
            "billing_address_id": address_ids["billing_address"],
            "no_notification": bool(cart.get("no_notification")),
            "metadata": cart.get("metadata"),
        },
        addresses=addresses,
        items=items,
        details=details,
        adjustments=adjustments,
        tax_lines=tax_lines,
        shipping_methods=methods,
        shipping_method_adjustments=method_adjustments,
        shipping_method_tax_lines=method_tax_lines,
        cart_id=str(cart["id"]),
        item_ids=item_ids,
        totals={f: cart[f] for f in totals.FIELDS if f in cart},
    )


def _adjustment(row_id: str, owner: str, owner_id: str, adjustment: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row_id,
        owner: owner_id,
        "amount": adjustment["amount"],
        "code": adjustment.get("code"),
        "description": adjustment.get("description"),
        "promotion_id": adjustment.get("promotion_id"),
        "provider_id": adjustment.get("provider_id"),
        "is_tax_inclusive": bool(adjustment.get("is_tax_inclusive")),
    }


def _tax_line(row_id: str, owner: str, owner_id: str, line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row_id,
        owner: owner_id,
        "rate": line["rate"],
        "code": line.get("code"),
        # The cart's tax lines name the rate in `name`; Medusa's order tax lines call it `description`.
        "description": line.get("description") or line.get("name"),
        "tax_rate_id": line.get("tax_rate_id"),
        "provider_id": line.get("provider_id"),
    }
