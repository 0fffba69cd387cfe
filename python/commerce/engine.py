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

Pricing, worked example (a `PriceIndex` is built once and updated with `upsert_*`/`remove_*`;
`calculate` returns `{price_set_id: CalculatedPrice}`, sets without a price for the context are
absent; `CalculatedPrice.to_dict()` is Medusa's `calculated_price` object)::

    >>> from datetime import datetime, timezone
    >>> index = engine.PriceIndex(
    ...     price_sets=[{"id": "pset_1", "prices": [
    ...         {"id": "price_1", "amount": Decimal("20"), "currency_code": "eur"},
    ...         {"id": "price_2", "amount": Decimal("18"), "currency_code": "eur", "rules": {"region_id": "reg_de"}},
    ...     ]}],
    ...     price_lists=[{"id": "plist_vip", "type": "sale", "status": "active",
    ...         "rules": {"customer_group_id": ["cg_vip"]},
    ...         "prices": [{"id": "price_3", "amount": Decimal("15"), "currency_code": "eur",
    ...                     "price_set_id": "pset_1"}]}],
    ...     price_preferences=[{"attribute": "currency_code", "value": "eur", "is_tax_inclusive": True}],
    ... )
    >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> price = index.calculate(["pset_1", "pset_missing"], {
    ...     "currency_code": "eur", "region_id": "reg_de", "customer_group_ids": ["cg_vip"],
    ...     "now": now, "tax_rates": [Decimal("19")]})["pset_1"]
    >>> price.calculated_amount, price.calculated_price["price_list_id"], price.original_amount
    (Decimal('15'), 'plist_vip', Decimal('18'))
    >>> price.is_calculated_price_tax_inclusive, price.calculated_amount_without_tax
    (True, Decimal('12.61'))

Inventory, worked example (levels are passed per call; `allocate` prefers one location that can
supply the whole order, else the locations with the most stock; it raises
`InsufficientInventoryError`, whose `shortages` name each short variant)::

    >>> variants = [{"id": "var_1", "manage_inventory": True, "allow_backorder": False,
    ...              "inventory_items": [{"inventory_item_id": "iitem_1", "required_quantity": 1}]}]
    >>> levels = [{"inventory_item_id": "iitem_1", "location_id": "sloc_a", "stocked_quantity": 3,
    ...            "reserved_quantity": 1, "incoming_quantity": 0},
    ...           {"inventory_item_id": "iitem_1", "location_id": "sloc_b", "stocked_quantity": 5,
    ...            "reserved_quantity": 0, "incoming_quantity": 0}]
    >>> engine.availability(variants, levels, ["sloc_a", "sloc_b"])["var_1"]["inventory_quantity"]
    7
    >>> plan = engine.allocate([{"id": "line_1", "variant_id": "var_1", "quantity": 6}], variants, levels,
    ...                        ["sloc_a", "sloc_b"])
    >>> [(a["location_id"], a["quantity"]) for a in plan["allocations"]]
    [('sloc_b', 5), ('sloc_a', 1)]
    >>> try:
    ...     engine.allocate([{"id": "line_1", "variant_id": "var_1", "quantity": 9}], variants, levels, ["sloc_a"])
    ... except engine.InsufficientInventoryError as exc:
    ...     exc.shortages
    [{'variant_id': 'var_1', 'requested_quantity': 9, 'missing_quantity': 7}]

Promotions, worked example (a `PromotionSet` is built once from Medusa-shaped promotion dicts and
updated with `upsert`/`remove`; `evaluate(cart_context, codes, now)` returns every adjustment the
entered codes and the automatic promotions give, amounts rounded to the currency, plus each
rejected code and why: unknown, inactive, not_started, expired, currency_mismatch, rules_not_met,
budget_exceeded, not_applicable)::

    >>> promotions = engine.PromotionSet([{
    ...     "id": "promo_1", "code": "TENOFF", "type": "standard", "status": "active",
    ...     "application_method": {"type": "fixed", "target_type": "order", "allocation": "across",
    ...                            "value": Decimal("10"), "currency_code": "usd"},
    ...     "rules": [{"attribute": "customer.groups.id", "operator": "in", "values": ["cg_vip"]}],
    ... }])
    >>> cart_context = {"currency_code": "usd", "customer": {"groups": [{"id": "cg_vip"}]},
    ...     "items": [{"id": "li_1", "quantity": 1, "subtotal": Decimal("30"), "product": {"id": "prod_1"}},
    ...               {"id": "li_2", "quantity": 2, "subtotal": Decimal("10"), "product": {"id": "prod_2"}}]}
    >>> result = promotions.evaluate(cart_context, ["TENOFF", "NOPE"], datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> [(a["item_id"], a["amount"]) for a in result["item_adjustments"]]
    [('li_1', Decimal('7.50')), ('li_2', Decimal('2.50'))]
    >>> result["rejected_codes"]
    [{'code': 'NOPE', 'reason': 'unknown'}]

Cart totals, worked example (`cart_totals(cart)` is pure: line items with unit_price, quantity,
is_tax_inclusive, adjustments and tax_lines (rate in percent), shipping methods alike; it returns
every Medusa v2 totals field of the cart, each item and each shipping method, discounts taken
before tax, each field rounded once to the currency, half-up)::

    >>> totals = engine.cart_totals({"currency_code": "usd",
    ...     "items": [{"id": "li_1", "unit_price": Decimal("50"), "quantity": 2,
    ...                "tax_lines": [{"rate": Decimal("10")}], "adjustments": [{"amount": Decimal("10")}]}],
    ...     "shipping_methods": [{"id": "sm_1", "amount": Decimal("5"), "tax_lines": [{"rate": 10}]}]})
    >>> totals["total"], totals["subtotal"], totals["tax_total"], totals["discount_total"]
    (Decimal('104.50'), Decimal('105.00'), Decimal('9.50'), Decimal('11.00'))
    >>> totals["items"][0]["total"], totals["shipping_methods"][0]["total"]
    (Decimal('99.00'), Decimal('5.50'))
"""

from commerce._native import (
    CalculatedPrice,
    CommerceEngineError,
    InsufficientInventoryError,
    InvalidAmountError,
    InvalidInputError,
    PriceIndex,
    PromotionSet,
    allocate,
    availability,
    cart_totals,
    currency_digits,
    format_amount,
    parse_amount,
    round_amount,
)

__all__ = [
    "CalculatedPrice",
    "CommerceEngineError",
    "InsufficientInventoryError",
    "InvalidAmountError",
    "InvalidInputError",
    "PriceIndex",
    "PromotionSet",
    "allocate",
    "availability",
    "cart_totals",
    "currency_digits",
    "format_amount",
    "parse_amount",
    "round_amount",
]
