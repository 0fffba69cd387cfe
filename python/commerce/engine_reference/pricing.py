"""Reference price selection (Medusa v2 calculatePrices), written for clarity, not speed.

Same inputs as `engine.PriceIndex`; `calculate` returns `{price_set_id: dict}` in the shape of
`engine.CalculatedPrice.to_dict()`. The rules are stated in rust_core/src/pricing/mod.rs.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from commerce.engine_reference.money import round_amount


@dataclass(frozen=True)
class _Price:
    id: str
    amount: Decimal
    currency_code: str
    min_quantity: int | None
    max_quantity: int | None
    rules: dict[str, str]


@dataclass
class _List:
    id: str
    type: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    rules: dict[str, list[str]]
    prices_by_set: dict[str, list[_Price]] = field(default_factory=dict)


def _price(data: Mapping[str, Any]) -> _Price:
    return _Price(
        id=data["id"],
        amount=Decimal(data["amount"]),
        currency_code=data["currency_code"],
        min_quantity=data.get("min_quantity"),
        max_quantity=data.get("max_quantity"),
        rules=dict(data.get("rules") or {}),
    )


def amounts_with_tax(
    amount: Decimal, tax_inclusive: bool, rates: Sequence[Decimal], currency: str
) -> tuple[Decimal, Decimal]:
    """(with tax, without tax): Medusa's calculateAmountsWithTax, the derived amount rounded half-up."""
    total_rate = sum(rates, Decimal(0))
    if amount <= 0 or total_rate == 0:
        return amount, amount
    if tax_inclusive:
        tax = amount * total_rate / (100 + total_rate)
        return amount, round_amount(amount - tax, currency)
    tax = amount * total_rate / 100
    return round_amount(amount + tax, currency), amount


class PriceIndex:
    """Price sets, price lists and preferences kept as plain data; every call scans them."""

    def __init__(
        self,
        price_sets: Iterable[Mapping[str, Any]] = (),
        price_lists: Iterable[Mapping[str, Any]] = (),
        price_preferences: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.sets: dict[str, list[_Price]] = {}
        self.lists: dict[str, _List] = {}
        self.preferences: list[Mapping[str, Any]] = []
        self.upsert_price_sets(price_sets)
        self.upsert_price_lists(price_lists)
        self.set_price_preferences(price_preferences)

    def upsert_price_sets(self, price_sets: Iterable[Mapping[str, Any]]) -> None:
        for s in price_sets:
            self.sets[s["id"]] = [_price(p) for p in s.get("prices") or []]

    def remove_price_sets(self, ids: Iterable[str]) -> None:
        for i in ids:
            self.sets.pop(i, None)

    def upsert_price_lists(self, price_lists: Iterable[Mapping[str, Any]]) -> None:
        for pl in price_lists:
            rules = {k: [v] if isinstance(v, str) else list(v) for k, v in (pl.get("rules") or {}).items()}
            stored = _List(
                id=pl["id"],
                type=pl.get("type") or "sale",
                status=pl.get("status") or "active",
                starts_at=pl.get("starts_at"),
                ends_at=pl.get("ends_at"),
                rules=rules,
            )
            for p in pl.get("prices") or []:
                stored.prices_by_set.setdefault(p["price_set_id"], []).append(_price(p))
            self.lists[pl["id"]] = stored

    def remove_price_lists(self, ids: Iterable[str]) -> None:
        for i in ids:
            self.lists.pop(i, None)

    def set_price_preferences(self, price_preferences: Iterable[Mapping[str, Any]]) -> None:
        self.preferences = list(price_preferences)

    def __len__(self) -> int:
        return len(self.sets)

    def calculate(self, price_set_ids: Sequence[str], context: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        ctx = _Context(context)
        out: dict[str, dict[str, Any]] = {}
        for set_id in price_set_ids:
            if set_id not in self.sets:
                continue
            result = self._calculate_one(set_id, ctx)
            if result is not None:
                out[set_id] = result
        return out

    def _preference(self, attribute: str, value: str | None) -> bool | None:
        found: bool | None = None
        for p in self.preferences:
            matches = p["value"] == value if attribute == "region_id" else p["value"].lower() == (value or "").lower()
            if p["attribute"] == attribute and matches:
                found = p["is_tax_inclusive"]
        return found

    def _tax_inclusive(self, price: _Price, ctx: "_Context") -> bool:
        region_pref = self._preference("region_id", ctx.region_id)
        if ctx.region_id is not None and price.rules.get("region_id") == ctx.region_id and region_pref is not None:
            return region_pref
        currency_pref = self._preference("currency_code", ctx.currency_code)
        return bool(currency_pref)

    def _list_applies(self, pl: _List, ctx: "_Context") -> bool:
        if pl.status != "active":
            return False
        if pl.starts_at is not None and pl.starts_at > ctx.now:
            return False
        if pl.ends_at is not None and pl.ends_at < ctx.now:
            return False
        return all(any(v in ctx.values(attr) for v in values) for attr, values in pl.rules.items())

    def _calculate_one(self, set_id: str, ctx: "_Context") -> dict[str, Any] | None:
        defaults = [p for p in self.sets[set_id] if ctx.candidate(p)]
        defaults.sort(key=lambda p: (-len(p.rules), p.amount, p.id))
        listed = [
            (len(p.rules) + len(pl.rules), p, pl)
            for pl in self.lists.values()
            if self._list_applies(pl, ctx)
            for p in pl.prices_by_set.get(set_id, [])
            if ctx.candidate(p)
        ]
        listed.sort(key=lambda t: (-t[0], t[1].amount, t[1].id))
        default = (defaults[0], None) if defaults else None
        best_list = (listed[0][1], listed[0][2]) if listed else None

        calculated: tuple[_Price, _List | None] | None
        original: tuple[_Price, _List | None] | None
        if best_list is None:
            calculated = original = default
        elif best_list[1] is not None and best_list[1].type == "override":
            calculated = original = best_list
        else:  # sale: the lower of the list price and the default price; the list price on a tie
            sale_wins = default is None or best_list[0].amount <= default[0].amount
            calculated = best_list if sale_wins else default
            original = default
        if calculated is None:
            return None

        def describe(sel: tuple[_Price, _List | None] | None) -> dict[str, Any]:
            if sel is None:
                return dict.fromkeys(("id", "price_list_id", "price_list_type", "min_quantity", "max_quantity"))
            price, pl = sel
            return {
                "id": price.id,
                "price_list_id": pl.id if pl else None,
                "price_list_type": pl.type if pl else None,
                "min_quantity": price.min_quantity,
                "max_quantity": price.max_quantity,
            }

        currency = calculated[0].currency_code
        calc_incl = self._tax_inclusive(calculated[0], ctx)
        cw, cwo = amounts_with_tax(calculated[0].amount, calc_incl, ctx.tax_rates, currency)
        if original is not None:
            orig_incl = self._tax_inclusive(original[0], ctx)
            ow, owo = amounts_with_tax(original[0].amount, orig_incl, ctx.tax_rates, currency)
            original_amount: Decimal | None = original[0].amount
        else:
            orig_incl, ow, owo, original_amount = False, None, None, None
        return {
            "id": set_id,
            "is_calculated_price_price_list": calculated[1] is not None,
            "is_calculated_price_tax_inclusive": calc_incl,
            "calculated_amount": calculated[0].amount,
            "calculated_amount_with_tax": cw,
            "calculated_amount_without_tax": cwo,
            "is_original_price_price_list": original is not None and original[1] is not None,
            "is_original_price_tax_inclusive": orig_incl,
            "original_amount": original_amount,
            "original_amount_with_tax": ow,
            "original_amount_without_tax": owo,
            "currency_code": currency,
            "calculated_price": describe(calculated),
            "original_price": describe(original),
        }


class _Context:
    def __init__(self, context: Mapping[str, Any]) -> None:
        self.currency_code: str = context["currency_code"]
        self.region_id: str | None = context.get("region_id")
        self.now: datetime = context["now"]
        quantity = context.get("quantity")
        self.quantity: int | None = quantity or None  # Medusa treats 0 as "no quantity"
        self.tax_rates: list[Decimal] = list(context.get("tax_rates") or [])
        self.attributes: dict[str, list[str]] = {}
        if self.region_id is not None:
            self.attributes["region_id"] = [self.region_id]
        groups = context.get("customer_group_ids") or []
        if groups:
            self.attributes["customer_group_id"] = [groups] if isinstance(groups, str) else list(groups)
        for attr, values in (context.get("attributes") or {}).items():
            vals = [values] if isinstance(values, str) else list(values)
            self.attributes.setdefault(attr, []).extend(vals)

    def values(self, attribute: str) -> list[str]:
        return self.attributes.get(attribute, [])

    def candidate(self, price: _Price) -> bool:
        if price.currency_code.lower() != self.currency_code.lower():
            return False
        if self.quantity is None:
            if price.min_quantity is not None and price.min_quantity > 1:
                return False
        else:
            if price.min_quantity is not None and price.min_quantity > self.quantity:
                return False
            if price.max_quantity is not None and price.max_quantity < self.quantity:
                return False
        return all(value in self.values(attr) for attr, value in price.rules.items())
