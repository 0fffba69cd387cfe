"""Reference promotions: Medusa v2's computeActions over promotion dicts, amounts rounded per adjustment."""

import operator as op
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from commerce.engine_reference.money import currency_digits

Promo = Mapping[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        text = f"{Decimal(value).normalize():f}"
        return "0" if text in ("-0", "0") else text
    return str(value)


def pick(context: Any, path: str) -> list[str]:
    """Medusa's pickValueFromObject: follow the dotted path, lists contribute every element."""
    found: list[str] = []

    def walk(node: Any, parts: list[str]) -> None:
        if node is None:
            return
        if isinstance(node, list | tuple):
            for child in node:
                walk(child, parts)
            return
        if not parts:
            if not isinstance(node, Mapping):
                found.append(_text(node))
            return
        if isinstance(node, Mapping) and parts[0] in node:
            walk(node[parts[0]], parts[1:])

    walk(context, path.split(".") if path else [])
    return found


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _rule_values(rule: Mapping[str, Any]) -> list[str]:
    values = rule.get("values")
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [_text(v["value"] if isinstance(v, Mapping) else v) for v in values]


def rule_matches(rule: Mapping[str, Any], context: Any, scope: str = "cart") -> bool:
    attribute: str = rule.get("attribute") or ""
    values = _rule_values(rule)
    if not attribute or not values:
        return False
    if scope == "item":
        attribute = attribute.replace("items.", "", 1)
    elif scope == "shipping":
        attribute = attribute.replace("shipping_methods.", "", 1)
    found = pick(context, attribute)
    operator = rule["operator"]
    if not found:
        return bool(operator == "ne")
    if operator == "eq":
        return all(v in values for v in found)
    if operator == "in":
        return any(v in values for v in found)
    if operator == "ne":
        return not any(v in values for v in found)
    numbers = [n for n in map(_number, values) if n is not None]
    compare: Callable[[Decimal, Decimal], bool] = {"gt": op.gt, "gte": op.ge, "lt": op.lt, "lte": op.le}[operator]
    for text in found:
        n = _number(text)
        if n is None or not any(compare(n, r) for r in numbers):
            return False
    return True


def rules_match(rules: Sequence[Mapping[str, Any]] | None, context: Any, scope: str = "cart") -> bool:
    return all(rule_matches(r, context, scope) for r in rules or [])


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _availability(p: Promo, now: int) -> str | None:
    if p.get("status", "active") != "active":
        return "inactive"
    campaign = p.get("campaign") or {}
    if campaign.get("starts_at") is not None and now < _micros(campaign["starts_at"]):
        return "not_started"
    if campaign.get("ends_at") is not None and now > _micros(campaign["ends_at"]):
        return "expired"
    return None


def _dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    return default if value is None else Decimal(value)


class _Run:
    """What one evaluation carries from promotion to promotion."""

    def __init__(self, digits: int) -> None:
        self.quantum = Decimal(1).scaleb(-digits)
        self.applied: dict[str, Decimal] = {}
        self.reserved: list[tuple[str, Decimal]] = []
        self.adjustments: list[dict[str, Any]] = []
        self.budget_exceeded: list[str] = []

    def round(self, amount: Decimal) -> Decimal:
        settled = amount.quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)
        return settled.quantize(self.quantum, rounding=ROUND_HALF_UP)

    def add(self, p: Promo, key: str, target_id: str, amount: Decimal, inclusive: bool | None) -> None:
        row: dict[str, Any] = {key: target_id, "amount": amount, "code": p.get("code"), "promotion_id": p["id"]}
        if inclusive is not None:
            row["is_tax_inclusive"] = inclusive
        self.adjustments.append(row)


class _Budget:
    def __init__(self, p: Promo) -> None:
        self.budget = (p.get("campaign") or {}).get("budget")
        self.spent = Decimal(0)
        self.exceeded = False

    def admit(self, amount: Decimal) -> bool:
        if not self.budget or not self.budget.get("limit"):
            return True
        used = Decimal(self.budget.get("used") or 0)
        spend = self.budget.get("type", "spend") == "spend"
        total = used + self.spent + amount if spend else used + 1
        if total > Decimal(self.budget["limit"]):
            self.exceeded = True
            return False
        if spend:
            self.spent += amount
        return True


def _item(raw: Mapping[str, Any]) -> dict[str, Any]:
    subtotal = Decimal(raw.get("subtotal") or 0)
    return {
        "raw": raw,
        "id": raw["id"],
        "quantity": Decimal(raw.get("quantity", 1)),
        "subtotal": subtotal,
        "original_total": _dec(raw.get("original_total"), subtotal),
        "is_discountable": raw.get("is_discountable") is not False,
    }


def _base(item: dict[str, Any], incl: bool) -> Decimal:
    return item["original_total"] if incl else item["subtotal"]  # type: ignore[no-any-return]


def _applied_in_base(item: dict[str, Any], applied: Decimal, incl: bool) -> Decimal:
    if incl and item["subtotal"] != 0:
        return applied * (item["original_total"] / item["subtotal"])  # type: ignore[no-any-return]
    return applied


def _line_amount(item: dict[str, Any], applied: Decimal, am: Mapping[str, Any], run: _Run, **p: Any) -> Decimal:
    """Medusa's calculateAdjustmentAmountFromPromotion, rounded once to the currency."""
    whole = _base(item, p["incl"])
    already = _applied_in_base(item, applied, p["incl"])
    value = p["value"]
    max_quantity = p["max_quantity"]
    if p["allocation"] == "across":
        quantity = min(item["quantity"], max_quantity) if max_quantity else item["quantity"]
        applicable = whole / item["quantity"] * quantity - already
        if applicable <= 0:
            return Decimal(0)
        if am["type"] == "percentage":
            amount = value / 100 * applicable
        else:
            amount = min(applicable / p["items_amount"] * value, applicable)
    else:
        cap_quantity = min(Decimal(1) if max_quantity is None else max_quantity, item["quantity"])
        applicable = min(whole - already, whole / item["quantity"] * cap_quantity)
        if applicable <= 0:
            return Decimal(0)
        if am["type"] == "percentage":
            amount = value / 100 * applicable
        else:
            amount = min(value * cap_quantity, applicable)
    return max(run.round(min(amount, applicable)), Decimal(0))


def _items(p: Promo, items: list[dict[str, Any]], run: _Run, budget: _Budget, override: str | None) -> None:
    am = p["application_method"]
    allocation = am.get("allocation") or override
    incl = bool(p.get("is_tax_inclusive"))
    eligible = [
        i
        for i in items
        if i["is_discountable"]
        and i["subtotal"] > 0
        and i["quantity"] > 0
        and rules_match(am.get("target_rules"), i["raw"], "item")
    ]
    if not eligible:
        return
    if allocation == "once":
        eligible.sort(key=lambda i: i["subtotal"] / i["quantity"])
    items_amount = Decimal(0)
    if allocation == "across":
        items_amount = sum(
            (_base(i, incl) - _applied_in_base(i, run.applied.get(i["id"], Decimal(0)), incl) for i in eligible),
            Decimal(0),
        )
        if items_amount <= 0:
            return
    max_quantity = _dec(am.get("max_quantity"))
    quota = max_quantity or Decimal(0)
    cap = _dec(am.get("max_amount"))
    value = _dec(am.get("value"), Decimal(0))
    for item in eligible:
        once = allocation == "once"
        if once and quota <= 0:
            break
        if _base(item, incl) <= 0:
            continue
        applied = run.applied.get(item["id"], Decimal(0))
        amount = _line_amount(
            item,
            applied,
            am,
            run,
            value=value,
            incl=incl,
            max_quantity=min(quota, item["quantity"]) if once else max_quantity,
            allocation="each" if once else allocation,
            items_amount=items_amount,
        )
        if cap is not None:
            amount = min(amount, cap)
        if amount <= 0 or not budget.admit(amount):
            continue
        excl = amount * (item["subtotal"] / item["original_total"]) if incl and item["original_total"] else amount
        run.applied[item["id"]] = applied + excl
        if cap is not None:
            cap -= amount
        if once:
            quota -= min(quota, item["quantity"])
        run.add(p, "item_id", item["id"], amount, incl)


def _shipping(p: Promo, methods: list[Mapping[str, Any]], run: _Run, budget: _Budget) -> None:
    am = p["application_method"]
    allocation = am.get("allocation")
    value = _dec(am.get("value"), Decimal(0))
    assert value is not None
    eligible = [m for m in methods if rules_match(am.get("target_rules"), m, "shipping")]

    def subtotal(m: Mapping[str, Any]) -> Decimal:
        return Decimal(m.get("subtotal") or 0)

    if allocation == "across":
        total = sum((subtotal(m) - run.applied.get(m["id"], Decimal(0)) for m in eligible), Decimal(0))
        if total <= 0:
            return
    elif allocation != "each":
        return
    for m in eligible:
        sub = subtotal(m)
        if sub == 0:
            continue
        applied = run.applied.get(m["id"], Decimal(0))
        remaining = sub - applied
        if allocation == "across":
            share = sub / total * value if am["type"] == "fixed" else value / 100 * sub
            amount = share - applied
        else:
            amount = value if am["type"] == "fixed" else value / 100 * remaining
        amount = run.round(min(amount, sub, remaining))
        if amount <= 0 or not budget.admit(amount):
            continue
        run.applied[m["id"]] = applied + amount
        run.add(p, "shipping_method_id", m["id"], amount, None)


def _buy_get(p: Promo, items: list[dict[str, Any]], run: _Run, budget: _Budget) -> str | None:
    am = p["application_method"]

    def by_rules(rules: Any) -> list[dict[str, Any]]:
        chosen = [i for i in items if i["quantity"] > 0 and rules_match(rules, i["raw"], "item")]
        return sorted(chosen, key=lambda i: -i["subtotal"])

    min_buy = _dec(am.get("buy_rules_min_quantity"), Decimal(0))
    assert min_buy is not None
    buyers = by_rules(am.get("buy_rules"))
    if min_buy > sum((i["quantity"] for i in buyers), Decimal(0)):
        return "rules_not_met"
    mine: list[tuple[str, Decimal]] = []
    for item in buyers:
        if sum((q for _, q in mine), Decimal(0)) >= min_buy:
            break
        taken = sum((q for i, q in mine if i == item["id"]), Decimal(0))
        reservable = min(item["quantity"], min_buy - taken)
        if reservable <= 0:
            break
        mine.append((item["id"], reservable))
    run.reserved.extend(mine)

    wanted = _dec(am.get("apply_to_quantity"), Decimal(0))
    assert wanted is not None
    targets = []
    for item in by_rules(am.get("target_rules")):
        reserved = sum((q for i, q in run.reserved if i == item["id"]), Decimal(0))
        fulfillable = min(wanted, item["quantity"] - reserved)
        if fulfillable > 0:
            targets.append((item, fulfillable))
    if sum((q for _, q in targets), Decimal(0)) < wanted:
        return "not_applicable"
    value = _dec(am.get("value"), Decimal(100))
    assert value is not None
    remaining = wanted
    for item, units in targets:
        multiplier = min(units, remaining)
        full = item["subtotal"] / item["quantity"] * multiplier
        if full <= 0:
            break
        remaining -= multiplier
        amount = value / 100 * full if am.get("type", "percentage") == "percentage" else min(value * multiplier, full)
        left = item["subtotal"] - run.applied.get(item["id"], Decimal(0))
        amount = run.round(min(amount, left))
        if amount <= 0 or not budget.admit(amount):
            continue
        run.applied[item["id"]] = run.applied.get(item["id"], Decimal(0)) + amount
        run.add(p, "item_id", item["id"], amount, False)
    return None


def _apply(p: Promo, cart: Mapping[str, Any], items: list[dict[str, Any]], run: _Run) -> str | None:
    am = p["application_method"]
    currency = am.get("currency_code")
    cart_currency = cart.get("currency_code")
    if currency is not None and (cart_currency is None or cart_currency.lower() != currency.lower()):
        return "currency_mismatch"
    if not rules_match(p.get("rules"), cart):
        return "rules_not_met"
    before = len(run.adjustments)
    budget = _Budget(p)
    reason = None
    target = am.get("target_type", "items")
    if p.get("type", "standard") == "buyget":
        reason = _buy_get(p, items, run, budget)
    elif target == "items":
        _items(p, items, run, budget, None)
    elif target == "order":
        _items(p, items, run, budget, "across")
    else:
        _shipping(p, list(cart.get("shipping_methods") or []), run, budget)
    if budget.exceeded:
        run.budget_exceeded.append(p["id"])
    if len(run.adjustments) > before:
        return None
    return "budget_exceeded" if budget.exceeded else (reason or "not_applicable")


def evaluate(
    promotions: Iterable[Promo], cart_context: Mapping[str, Any], codes: Sequence[str], now: datetime
) -> dict[str, Any]:
    """Adjustments of the entered codes and the automatic promotions, and each rejected code with why."""
    by_id = {p["id"]: p for p in promotions}
    by_code = {p["code"]: p for p in by_id.values() if p.get("code") is not None}
    moment = _micros(now)
    rejected: list[tuple[str, str]] = []
    manual: list[str] = []
    chosen: list[Promo] = []
    for code in codes:
        if code in manual:
            continue
        manual.append(code)
        p = by_code.get(code)
        if p is None:
            rejected.append((code, "unknown"))
            continue
        reason = _availability(p, moment)
        if reason:
            rejected.append((code, reason))
        else:
            chosen.append(p)
    for pid in sorted(by_id):
        p = by_id[pid]
        if p.get("is_automatic") and _availability(p, moment) is None and p.get("code") not in manual:
            chosen.append(p)
    chosen.sort(key=lambda p: (p.get("type", "standard") != "buyget", p["id"]))

    currency = cart_context.get("currency_code")
    run = _Run(currency_digits(currency) if currency else 2)
    items = [_item(i) for i in cart_context.get("items") or []]
    with localcontext() as ctx:
        ctx.prec = 60
        for p in chosen:
            reason = _apply(p, cart_context, items, run)
            if reason and p.get("code") in manual:
                rejected.append((p["code"], reason))
    rejected.sort(key=lambda r: manual.index(r[0]))
    quantum = run.quantum
    for row in run.adjustments:
        row["amount"] = row["amount"].quantize(quantum) + 0
    return {
        "item_adjustments": [r for r in run.adjustments if "item_id" in r],
        "shipping_method_adjustments": [r for r in run.adjustments if "shipping_method_id" in r],
        "rejected_codes": [{"code": c, "reason": r} for c, r in rejected],
        "budget_exceeded": run.budget_exceeded,
    }
