//! Promotions: a compiled set of Medusa v2 promotions and `evaluate` (Medusa's `computeActions`).
//!
//! The set is built once and updated incrementally (`upsert`/`remove`). `evaluate` takes a cart
//! context, the codes the customer entered and `now`, and returns every adjustment the promotions
//! give (to replace the cart's promotion adjustments) plus each rejected code and why.

mod compute;
pub mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rust_decimal::Decimal;

use crate::error::CoreError;
use crate::money;
pub use rules::{Attributes, Operator, Rule, Scope, Value};

/// Largest quantity accepted: keeps every product of amounts and quantities inside `Decimal`'s range.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromotionType {
    Standard,
    BuyGet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Inactive,
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodType {
    Fixed,
    Percentage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    Items,
    ShippingMethods,
    Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    Each,
    Across,
    Once,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetType {
    Spend,
    Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub kind: BudgetType,
    pub limit: Option<Decimal>,
    pub used: Decimal,
}

/// A campaign's window (epoch microseconds, inclusive) and budget.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Campaign {
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub budget: Option<Budget>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationMethod {
    pub kind: MethodType,
    pub target_type: TargetType,
    pub allocation: Option<Allocation>,
    pub value: Decimal,
    pub max_quantity: Option<Decimal>,
    pub max_amount: Option<Decimal>,
    pub currency_code: Option<String>,
    pub target_rules: Vec<Rule>,
    pub buy_rules: Vec<Rule>,
    pub buy_rules_min_quantity: Option<Decimal>,
    pub apply_to_quantity: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    pub id: String,
    pub code: Option<String>,
    pub kind: PromotionType,
    pub is_automatic: bool,
    pub is_tax_inclusive: bool,
    pub status: Status,
    pub application_method: ApplicationMethod,
    pub rules: Vec<Rule>,
    pub campaign: Option<Campaign>,
}

/// One line of the cart as promotions see it: amounts plus every attribute for rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemContext {
    pub id: String,
    pub quantity: Decimal,
    pub subtotal: Decimal,
    pub original_total: Decimal,
    pub is_discountable: bool,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShippingContext {
    pub id: String,
    pub subtotal: Decimal,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CartContext {
    pub currency_code: Option<String>,
    pub attributes: Attributes,
    pub items: Vec<ItemContext>,
    pub shipping_methods: Vec<ShippingContext>,
}

fn decimal_field(value: &Value, key: &str, owner: &str) -> Result<Option<Decimal>, CoreError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Num(n)) => Ok(Some(money::check_range(*n)?)),
        Some(_) => Err(CoreError::InvalidAmount(format!(
            "{owner}.{key} must be a decimal number"
        ))),
    }
}

fn id_field(value: &Value, owner: &str) -> Result<String, CoreError> {
    match value.get("id") {
        Some(Value::Str(s)) => Ok(s.clone()),
        _ => Err(CoreError::InvalidInput(format!("{owner} needs a string id"))),
    }
}

impl CartContext {
    /// Read a cart context tree: `currency_code`, `items` [{id, quantity, subtotal, original_total?,
    /// is_discountable?, product: {...}, ...}], `shipping_methods` [{id, subtotal, shipping_option: {...}}],
    /// and any other attribute rules may name (`customer.groups.id`, `region.id`, ...).
    pub fn from_value(value: &Value) -> Result<CartContext, CoreError> {
        if !matches!(value, Value::Map(_)) {
            return Err(CoreError::InvalidInput("cart context must be a mapping".into()));
        }
        let currency_code = match value.get("currency_code") {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let list = |key: &str| -> Result<&[Value], CoreError> {
            match value.get(key) {
                None | Some(Value::Null) => Ok(&[]),
                Some(Value::List(v)) => Ok(v.as_slice()),
                Some(_) => Err(CoreError::InvalidInput(format!("cart context {key} must be a list"))),
            }
        };
        let mut items = Vec::new();
        for raw in list("items")? {
            let id = id_field(raw, "item")?;
            let quantity = decimal_field(raw, "quantity", "item")?.unwrap_or(Decimal::ONE);
            if (quantity.is_sign_negative() && !quantity.is_zero()) || quantity > MAX_QUANTITY {
                return Err(CoreError::InvalidInput(format!(
                    "item {id:?} quantity must be within 0..=1e9"
                )));
            }
            let subtotal = decimal_field(raw, "subtotal", "item")?.unwrap_or_default();
            let original_total = decimal_field(raw, "original_total", "item")?.unwrap_or(subtotal);
            let is_discountable = !matches!(raw.get("is_discountable"), Some(Value::Bool(false)));
            items.push(ItemContext {
                id,
                quantity,
                subtotal,
                original_total,
                is_discountable,
                attributes: Attributes::from_value(raw),
            });
        }
        let mut shipping_methods = Vec::new();
        for raw in list("shipping_methods")? {
            let id = id_field(raw, "shipping method")?;
            let subtotal = decimal_field(raw, "subtotal", "shipping method")?.unwrap_or_default();
            shipping_methods.push(ShippingContext {
                id,
                subtotal,
                attributes: Attributes::from_value(raw),
            });
        }
        // Items and shipping methods are flattened once, on their own; cart-level paths into
        // them are answered from there (see `values`).
        let attributes = Attributes::from_map_without(value, &["items", "shipping_methods"]);
        Ok(CartContext {
            currency_code,
            attributes,
            items,
            shipping_methods,
        })
    }

    /// The values under a cart-level attribute path, as Medusa's `pickValueFromObject` finds them:
    /// `items.product.id` collects every item's product id.
    pub fn values(&self, path: &str) -> std::borrow::Cow<'_, [String]> {
        use std::borrow::Cow;
        if let Some(rest) = path.strip_prefix("items.") {
            return Cow::Owned(
                self.items
                    .iter()
                    .flat_map(|i| i.attributes.get(rest).iter().cloned())
                    .collect(),
            );
        }
        if let Some(rest) = path.strip_prefix("shipping_methods.") {
            return Cow::Owned(
                self.shipping_methods
                    .iter()
                    .flat_map(|m| m.attributes.get(rest).iter().cloned())
                    .collect(),
            );
        }
        Cow::Borrowed(self.attributes.get(path))
    }

    /// Every cart-level rule holds.
    pub fn matches_all(&self, rules: &[Rule]) -> bool {
        rules.iter().all(|r| r.matches_values(&self.values(&r.attribute)))
    }
}

/// Why a code the customer entered gives nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// No promotion has this code.
    Unknown,
    /// The promotion is draft or inactive.
    Inactive,
    /// Its campaign has not started yet.
    NotStarted,
    /// Its campaign has ended.
    Expired,
    /// The promotion is for another currency.
    CurrencyMismatch,
    /// The cart does not meet the promotion's rules.
    RulesNotMet,
    /// Its campaign budget cannot cover any of the discount.
    BudgetExceeded,
    /// The rules hold but nothing in the cart can take the discount.
    NotApplicable,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Unknown => "unknown",
            RejectReason::Inactive => "inactive",
            RejectReason::NotStarted => "not_started",
            RejectReason::Expired => "expired",
            RejectReason::CurrencyMismatch => "currency_mismatch",
            RejectReason::RulesNotMet => "rules_not_met",
            RejectReason::BudgetExceeded => "budget_exceeded",
            RejectReason::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentTarget {
    Item,
    ShippingMethod,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdjustmentLine {
    pub target: AdjustmentTarget,
    /// The line item or shipping method id.
    pub target_id: String,
    pub amount: Decimal,
    pub code: Option<String>,
    pub promotion_id: String,
    pub is_tax_inclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// In the order the promotions applied (buy-get first, then by promotion id).
    pub adjustments: Vec<AdjustmentLine>,
    /// Codes entered that give nothing, in the order entered.
    pub rejected: Vec<(String, RejectReason)>,
    /// Ids of promotions some adjustment was refused to because their campaign budget ran out.
    pub budget_exceeded: Vec<String>,
}

/// The compiled promotions, by id, with a code index.
#[derive(Debug, Clone, Default)]
pub struct PromotionSet {
    by_id: BTreeMap<String, Promotion>,
    by_code: HashMap<String, String>,
    automatic: BTreeSet<String>,
}

impl PromotionSet {
    pub fn new() -> PromotionSet {
        PromotionSet::default()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Promotion> {
        self.by_id.get(id)
    }

    /// Insert or replace promotions by id. A code already used by another promotion is refused,
    /// and then nothing of the batch is applied.
    pub fn upsert(&mut self, promotions: Vec<Promotion>) -> Result<(), CoreError> {
        let batch_ids: HashSet<&str> = promotions.iter().map(|p| p.id.as_str()).collect();
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for p in &promotions {
            let Some(code) = &p.code else { continue };
            if seen.insert(code, &p.id).is_some_and(|other| other != p.id) {
                return Err(CoreError::InvalidInput(format!(
                    "promotion code {code:?} is used twice"
                )));
            }
            if let Some(owner) = self.by_code.get(code) {
                if owner != &p.id && !batch_ids.contains(owner.as_str()) {
                    return Err(CoreError::InvalidInput(format!(
                        "promotion code {code:?} already belongs to {owner:?}"
                    )));
                }
            }
        }
        for p in promotions {
            self.remove_one(&p.id);
            if let Some(code) = &p.code {
                self.by_code.insert(code.clone(), p.id.clone());
            }
            if p.is_automatic {
                self.automatic.insert(p.id.clone());
            }
            self.by_id.insert(p.id.clone(), p);
        }
        Ok(())
    }

    fn remove_one(&mut self, id: &str) -> bool {
        let Some(old) = self.by_id.remove(id) else { return false };
        if let Some(code) = &old.code {
            if self.by_code.get(code).is_some_and(|owner| owner == id) {
                self.by_code.remove(code);
            }
        }
        self.automatic.remove(id);
        true
    }

    /// Remove promotions by id; returns how many existed.
    pub fn remove(&mut self, ids: &[String]) -> usize {
        ids.iter().filter(|id| self.remove_one(id)).count()
    }

    /// Medusa's `computeActions` for the entered codes plus every automatic promotion.
    pub fn evaluate(&self, cart: &CartContext, codes: &[String], now: i64) -> Evaluation {
        let mut out = Evaluation::default();
        let mut manual: HashSet<&str> = HashSet::new();
        let mut chosen: Vec<&Promotion> = Vec::new();
        for code in codes {
            if !manual.insert(code.as_str()) {
                continue;
            }
            let Some(p) = self.by_code.get(code).and_then(|id| self.by_id.get(id)) else {
                out.rejected.push((code.clone(), RejectReason::Unknown));
                continue;
            };
            match availability(p, now) {
                Some(reason) => out.rejected.push((code.clone(), reason)),
                None => chosen.push(p),
            }
        }
        for id in &self.automatic {
            let p = &self.by_id[id];
            if availability(p, now).is_none() && !p.code.as_deref().is_some_and(|c| manual.contains(c)) {
                chosen.push(p);
            }
        }
        // Buy-get first, as Medusa does ("likely to be most valuable"), then by id: a fixed order.
        chosen.sort_by(|a, b| (a.kind != PromotionType::BuyGet, &a.id).cmp(&(b.kind != PromotionType::BuyGet, &b.id)));

        let digits = cart.currency_code.as_deref().map_or(2, money::currency_digits);
        let mut state = compute::State::new(digits);
        for p in chosen {
            let entered = p.code.as_deref().filter(|c| manual.contains(c));
            let reason = compute::apply(p, cart, &mut state, &mut out);
            if let (Some(code), Some(reason)) = (entered, reason) {
                out.rejected.push((code.to_string(), reason));
            }
        }
        // Keep rejections in the order the codes were entered.
        let position: HashMap<&str, usize> = codes.iter().enumerate().rev().map(|(i, c)| (c.as_str(), i)).collect();
        out.rejected
            .sort_by_key(|(code, _)| position.get(code.as_str()).copied().unwrap_or(usize::MAX));
        out
    }
}

/// Whether a promotion can apply at `now` at all (status and campaign window).
fn availability(p: &Promotion, now: i64) -> Option<RejectReason> {
    if p.status != Status::Active {
        return Some(RejectReason::Inactive);
    }
    if let Some(c) = &p.campaign {
        if c.starts_at.is_some_and(|s| now < s) {
            return Some(RejectReason::NotStarted);
        }
        if c.ends_at.is_some_and(|e| now > e) {
            return Some(RejectReason::Expired);
        }
    }
    None
}

#[cfg(test)]
mod tests;
