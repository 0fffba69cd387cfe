//! The arithmetic of Medusa's compute-actions: items (each / across / once), shipping methods and
//! buy-get, sharing what each line has already received so no line is discounted below zero.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rust_decimal::Decimal;

use super::rules::{all_match, Fnv, Scope};
use super::{
    AdjustmentLine, AdjustmentTarget, Allocation, BudgetType, CartContext, Evaluation, ItemContext, MethodType,
    Promotion, PromotionType, RejectReason, TargetType,
};

/// What one evaluation carries from promotion to promotion.
pub(super) struct State<'c> {
    digits: u32,
    /// Discount already given per line item / shipping method id, without tax (Medusa's
    /// `methodIdPromoValueMap`).
    applied: HashMap<&'c str, Decimal, BuildHasherDefault<Fnv>>,
    /// Units of each item reserved to qualify buy-get promotions (Medusa's `eligibleBuyItemMap`).
    reserved: Vec<(&'c str, Decimal)>,
}

impl<'c> State<'c> {
    pub(super) fn new(digits: u32) -> State<'c> {
        State {
            digits,
            applied: HashMap::default(),
            reserved: Vec::new(),
        }
    }

    /// Settled to the guard digits, then half-up to the currency (as cart totals round).
    fn round(&self, amount: Decimal) -> Decimal {
        crate::totals::round_result(amount, self.digits)
    }

    fn applied(&self, id: &str) -> Decimal {
        self.applied.get(id).copied().unwrap_or_default()
    }

    fn add_applied(&mut self, id: &'c str, amount: Decimal) {
        *self.applied.entry(id).or_default() += amount;
    }
}

/// The campaign budget as this evaluation spends it.
struct BudgetGuard<'a> {
    promotion: &'a Promotion,
    spent: Decimal,
    exceeded: bool,
}

impl BudgetGuard<'_> {
    /// Medusa's `computeActionForBudgetExceeded`, counting what this evaluation already granted so
    /// a spend budget caps the total (Medusa checks each adjustment alone).
    fn admit(&mut self, amount: Decimal) -> bool {
        let Some(budget) = self.promotion.campaign.as_ref().and_then(|c| c.budget.as_ref()) else {
            return true;
        };
        let Some(limit) = budget.limit.filter(|l| !l.is_zero()) else {
            return true;
        };
        let total = match budget.kind {
            BudgetType::Spend => budget.used + self.spent + amount,
            BudgetType::Usage => budget.used + Decimal::ONE,
        };
        if total > limit {
            self.exceeded = true;
            return false;
        }
        if budget.kind == BudgetType::Spend {
            self.spent += amount;
        }
        true
    }
}

fn push(out: &mut Evaluation, p: &Promotion, target: AdjustmentTarget, id: &str, amount: Decimal, incl: bool) {
    out.adjustments.push(AdjustmentLine {
        target,
        target_id: id.to_string(),
        amount,
        code: p.code.clone(),
        promotion_id: p.id.clone(),
        is_tax_inclusive: incl,
    });
}

/// Apply one promotion; `Some(reason)` when it gave nothing.
pub(super) fn apply<'c>(
    p: &Promotion,
    cart: &'c CartContext,
    st: &mut State<'c>,
    out: &mut Evaluation,
) -> Option<RejectReason> {
    let am = &p.application_method;
    if let Some(currency) = &am.currency_code {
        if !cart
            .currency_code
            .as_ref()
            .is_some_and(|c| c.eq_ignore_ascii_case(currency))
        {
            return Some(RejectReason::CurrencyMismatch);
        }
    }
    if !cart.matches_all(&p.rules) {
        return Some(RejectReason::RulesNotMet);
    }
    let before = out.adjustments.len();
    let mut budget = BudgetGuard {
        promotion: p,
        spent: Decimal::ZERO,
        exceeded: false,
    };
    let reason = match (p.kind, am.target_type) {
        (PromotionType::BuyGet, _) => buy_get(p, cart, st, &mut budget, out),
        (PromotionType::Standard, TargetType::Items) => {
            items(p, cart, st, &mut budget, out, None);
            None
        }
        (PromotionType::Standard, TargetType::Order) => {
            items(p, cart, st, &mut budget, out, Some(Allocation::Across));
            None
        }
        (PromotionType::Standard, TargetType::ShippingMethods) => {
            shipping(p, cart, st, &mut budget, out);
            None
        }
    };
    if budget.exceeded {
        out.budget_exceeded.push(p.id.clone());
    }
    if out.adjustments.len() > before {
        return None;
    }
    Some(if budget.exceeded {
        RejectReason::BudgetExceeded
    } else {
        reason.unwrap_or(RejectReason::NotApplicable)
    })
}

/// The amount a promotion measures a line by: with tax for tax-inclusive promotions.
fn base(item: &ItemContext, incl: bool) -> Decimal {
    if incl {
        item.original_total
    } else {
        item.subtotal
    }
}

/// What the line already received, in the promotion's base (the map holds amounts without tax).
fn applied_in_base(item: &ItemContext, applied: Decimal, incl: bool) -> Decimal {
    if incl && !item.subtotal.is_zero() {
        applied * (item.original_total / item.subtotal)
    } else {
        applied
    }
}

struct Params<'a> {
    kind: MethodType,
    value: Decimal,
    incl: bool,
    max_quantity: Option<Decimal>,
    allocation: Option<Allocation>,
    items_amount: Decimal,
    st: &'a State<'a>,
}

/// Medusa's `calculateAdjustmentAmountFromPromotion`, rounded once to the currency.
fn line_amount(item: &ItemContext, applied: Decimal, p: &Params<'_>) -> Decimal {
    let whole = base(item, p.incl);
    let already = applied_in_base(item, applied, p.incl);
    let hundred = Decimal::ONE_HUNDRED;
    let (applicable, value) = if p.allocation == Some(Allocation::Across) {
        let quantity = match p.max_quantity {
            Some(m) if !m.is_zero() => item.quantity.min(m),
            _ => item.quantity,
        };
        let applicable = whole / item.quantity * quantity - already;
        if applicable <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let value = match p.kind {
            MethodType::Percentage => p.value / hundred * applicable,
            MethodType::Fixed => (applicable / p.items_amount * p.value).min(applicable),
        };
        (applicable, value)
    } else {
        // Capping the units at the line's quantity changes nothing and keeps products in range.
        let max_quantity = p.max_quantity.unwrap_or(Decimal::ONE).min(item.quantity);
        let applicable = (whole - already).min(whole / item.quantity * max_quantity);
        if applicable <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let value = match p.kind {
            MethodType::Percentage => p.value / hundred * applicable,
            MethodType::Fixed => (p.value * max_quantity).min(applicable),
        };
        (applicable, value)
    };
    p.st.round(value.min(applicable)).max(Decimal::ZERO)
}

fn unit_price(item: &ItemContext) -> Decimal {
    item.subtotal / item.quantity
}

fn items<'c>(
    p: &Promotion,
    cart: &'c CartContext,
    st: &mut State<'c>,
    budget: &mut BudgetGuard<'_>,
    out: &mut Evaluation,
    allocation_override: Option<Allocation>,
) {
    let am = &p.application_method;
    let allocation = am.allocation.or(allocation_override);
    let incl = p.is_tax_inclusive;
    let mut eligible: Vec<&ItemContext> = cart
        .items
        .iter()
        .filter(|i| {
            i.is_discountable
                && i.subtotal > Decimal::ZERO
                && i.quantity > Decimal::ZERO
                && all_match(&am.target_rules, &i.attributes, Scope::Item)
        })
        .collect();
    if eligible.is_empty() {
        return;
    }
    if allocation == Some(Allocation::Once) {
        eligible.sort_by_key(|i| unit_price(i));
    }
    let mut items_amount = Decimal::ZERO;
    if allocation == Some(Allocation::Across) {
        for i in &eligible {
            items_amount += base(i, incl) - applied_in_base(i, st.applied(&i.id), incl);
        }
        if items_amount <= Decimal::ZERO {
            return;
        }
    }
    let mut quota = am.max_quantity.unwrap_or_default();
    let mut cap = am.max_amount;
    for item in eligible {
        if allocation == Some(Allocation::Once) && quota <= Decimal::ZERO {
            break;
        }
        if base(item, incl) <= Decimal::ZERO {
            continue;
        }
        let applied = st.applied(&item.id);
        let once = allocation == Some(Allocation::Once);
        let params = Params {
            kind: am.kind,
            value: am.value,
            incl,
            max_quantity: if once {
                Some(quota.min(item.quantity))
            } else {
                am.max_quantity
            },
            allocation: if once { Some(Allocation::Each) } else { allocation },
            items_amount,
            st,
        };
        let mut amount = line_amount(item, applied, &params);
        if let Some(c) = cap {
            amount = amount.min(c);
        }
        if amount <= Decimal::ZERO || !budget.admit(amount) {
            continue;
        }
        let excl = if incl && !item.original_total.is_zero() {
            amount * (item.subtotal / item.original_total)
        } else {
            amount
        };
        st.add_applied(&item.id, excl);
        if let Some(c) = cap.as_mut() {
            *c -= amount;
        }
        if once {
            quota -= quota.min(item.quantity);
        }
        push(out, p, AdjustmentTarget::Item, &item.id, amount, incl);
    }
}

fn shipping<'c>(
    p: &Promotion,
    cart: &'c CartContext,
    st: &mut State<'c>,
    budget: &mut BudgetGuard<'_>,
    out: &mut Evaluation,
) {
    let am = &p.application_method;
    let eligible: Vec<_> = cart
        .shipping_methods
        .iter()
        .filter(|m| all_match(&am.target_rules, &m.attributes, Scope::ShippingMethod))
        .collect();
    let hundred = Decimal::ONE_HUNDRED;
    let total = match am.allocation {
        Some(Allocation::Across) => {
            let total: Decimal = eligible.iter().map(|m| m.subtotal - st.applied(&m.id)).sum();
            if total <= Decimal::ZERO {
                return;
            }
            total
        }
        Some(Allocation::Each) => Decimal::ZERO,
        _ => return,
    };
    for m in eligible {
        if m.subtotal.is_zero() {
            continue;
        }
        let applied = st.applied(&m.id);
        let remaining = m.subtotal - applied;
        let value = if am.allocation == Some(Allocation::Across) {
            // Medusa's across split subtracts what the method already received from its share.
            match am.kind {
                MethodType::Fixed => m.subtotal / total * am.value - applied,
                MethodType::Percentage => am.value / hundred * m.subtotal - applied,
            }
        } else {
            match am.kind {
                MethodType::Fixed => am.value,
                MethodType::Percentage => am.value / hundred * remaining,
            }
        };
        let amount = st.round(value.min(m.subtotal).min(remaining));
        if amount <= Decimal::ZERO || !budget.admit(amount) {
            continue;
        }
        st.add_applied(&m.id, amount);
        push(out, p, AdjustmentTarget::ShippingMethod, &m.id, amount, false);
    }
}

/// Items passing `rules`, most valuable line first (Medusa sorts by line subtotal; ties keep order).
fn by_rules<'c>(cart: &'c CartContext, rules: &[super::Rule]) -> Vec<&'c ItemContext> {
    let mut list: Vec<&ItemContext> = cart
        .items
        .iter()
        .filter(|i| i.quantity > Decimal::ZERO && all_match(rules, &i.attributes, Scope::Item))
        .collect();
    list.sort_by_key(|i| std::cmp::Reverse(i.subtotal));
    list
}

fn buy_get<'c>(
    p: &Promotion,
    cart: &'c CartContext,
    st: &mut State<'c>,
    budget: &mut BudgetGuard<'_>,
    out: &mut Evaluation,
) -> Option<RejectReason> {
    let am = &p.application_method;
    let min_buy = am.buy_rules_min_quantity.unwrap_or_default();
    let buyers = by_rules(cart, &am.buy_rules);
    if min_buy > buyers.iter().map(|i| i.quantity).sum() {
        return Some(RejectReason::RulesNotMet);
    }
    // Reserve the units that qualify the promotion so they are not also the free ones. Like
    // Medusa, each line may reserve up to the minimum until the minimum is reached.
    let mut mine: Vec<(&'c str, Decimal)> = Vec::new();
    for item in buyers {
        let accumulated: Decimal = mine.iter().map(|(_, q)| *q).sum();
        if accumulated >= min_buy {
            break;
        }
        let taken: Decimal = mine
            .iter()
            .filter(|(id, _)| *id == item.id.as_str())
            .map(|(_, q)| *q)
            .sum();
        let reservable = item.quantity.min(min_buy - taken);
        if reservable <= Decimal::ZERO {
            break;
        }
        mine.push((item.id.as_str(), reservable));
    }
    st.reserved.extend(mine);

    let wanted = am.apply_to_quantity.unwrap_or_default();
    let mut targets: Vec<(&ItemContext, Decimal)> = Vec::new();
    for item in by_rules(cart, &am.target_rules) {
        let reserved: Decimal = st
            .reserved
            .iter()
            .filter(|(id, _)| *id == item.id)
            .map(|(_, q)| *q)
            .sum();
        let fulfillable = wanted.min(item.quantity - reserved);
        if fulfillable > Decimal::ZERO {
            targets.push((item, fulfillable));
        }
    }
    if targets.iter().map(|(_, q)| *q).sum::<Decimal>() < wanted {
        return Some(RejectReason::NotApplicable);
    }
    let mut remaining_units = wanted;
    for (item, units) in targets {
        let multiplier = units.min(remaining_units);
        let full = unit_price(item) * multiplier;
        if full <= Decimal::ZERO {
            break;
        }
        remaining_units -= multiplier;
        // Medusa gives the target units away; a percentage below 100 or a fixed amount per unit
        // gives less. Never more than what is left of the line.
        let value = match am.kind {
            MethodType::Percentage => am.value / Decimal::ONE_HUNDRED * full,
            MethodType::Fixed => (am.value * multiplier).min(full),
        };
        let left = item.subtotal - st.applied(&item.id);
        let amount = st.round(value.min(left));
        if amount <= Decimal::ZERO || !budget.admit(amount) {
            continue;
        }
        st.add_applied(&item.id, amount);
        push(out, p, AdjustmentTarget::Item, &item.id, amount, false);
    }
    None
}
