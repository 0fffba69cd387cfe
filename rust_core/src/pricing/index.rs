//! The compiled price index: interned rules, price sets with their default and list prices.

use std::cmp::Ordering;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::fxhash::FxHashMap;
use super::tax::{amounts_with_tax, TaxRates};
use super::{
    CalculatedPrice, ListMeta, PreferenceAttribute, PriceInput, PriceListInput, PriceListStatus, PriceListType,
    PricePreference, PriceSetInput, PricingContext, SelectedPrice, StoredPrice,
};
use crate::error::CoreError;
use crate::money;

const REGION_ID: &str = "region_id";
const CUSTOMER_GROUP_ID: &str = "customer_group_id";

struct StoredList {
    meta: Arc<ListMeta>,
    active: bool,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    rules: Vec<(u32, Vec<u32>)>,
    /// Price sets this list has prices in (to detach them on update or removal).
    set_ids: Vec<String>,
}

#[derive(Default)]
struct SetEntry {
    id: Option<Arc<str>>,
    base: Vec<Arc<StoredPrice>>,
    /// (list slot, price)
    listed: Vec<(u32, Arc<StoredPrice>)>,
}

/// Price sets, price lists and price preferences, compiled for fast selection.
#[derive(Default)]
pub struct PriceIndex {
    interner: FxHashMap<String, u32>,
    /// Price set id -> slot in `entries`. Kept small (no values inline) so lookups of a page of ids
    /// stay in cache; entries are dense and in insertion order.
    sets: FxHashMap<Box<str>, u32>,
    entries: Vec<SetEntry>,
    free_entries: Vec<u32>,
    lists: Vec<Option<StoredList>>,
    list_slots: FxHashMap<String, u32>,
    region_prefs: FxHashMap<String, bool>,
    currency_prefs: FxHashMap<String, bool>,
}

/// The context with its strings resolved to interned ids once per call.
struct Resolved {
    currency: u32,
    attributes: Vec<(u32, Vec<u32>)>,
    region_rule: Option<(u32, u32)>,
    region_pref: Option<bool>,
    currency_pref: bool,
    quantity: Option<i64>,
    rates: TaxRates,
    digits: u32,
}

impl Resolved {
    fn has(&self, attribute: u32, value: u32) -> bool {
        self.attributes
            .iter()
            .any(|(a, vs)| *a == attribute && vs.contains(&value))
    }

    fn rules_match(&self, rules: &[(u32, u32)]) -> bool {
        rules.iter().all(|&(a, v)| self.has(a, v))
    }

    fn quantity_fits(&self, price: &StoredPrice) -> bool {
        match self.quantity {
            Some(q) => price.min_quantity.is_none_or(|m| m <= q) && price.max_quantity.is_none_or(|m| m >= q),
            None => price.min_quantity.is_none_or(|m| m <= 1),
        }
    }

    fn candidate(&self, price: &StoredPrice) -> bool {
        price.currency == self.currency && self.quantity_fits(price) && self.rules_match(&price.rules)
    }

    fn tax_inclusive(&self, price: &StoredPrice) -> bool {
        if let (Some((a, v)), Some(pref)) = (self.region_rule, self.region_pref) {
            if price.rules.contains(&(a, v)) {
                return pref;
            }
        }
        self.currency_pref
    }
}

/// Better candidate first: more rules, lower amount, smaller id.
fn rank(a_rules: usize, a: &StoredPrice, b_rules: usize, b: &StoredPrice) -> Ordering {
    b_rules
        .cmp(&a_rules)
        .then_with(|| a.amount.cmp(&b.amount))
        .then_with(|| a.id.cmp(&b.id))
}

fn check_quantity(value: Option<i64>, what: &str, id: &str) -> Result<(), CoreError> {
    match value {
        Some(q) if q < 0 => Err(CoreError::InvalidInput(format!(
            "price {id}: {what} must be >= 0, got {q}"
        ))),
        _ => Ok(()),
    }
}

impl PriceIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of price sets (not counting sets only referenced by price lists).
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.id.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry of a price set id, created empty if needed.
    fn entry_mut(&mut self, id: &str) -> &mut SetEntry {
        let slot = if let Some(&slot) = self.sets.get(id) {
            slot
        } else {
            let slot = if let Some(slot) = self.free_entries.pop() {
                slot
            } else {
                self.entries.push(SetEntry::default());
                (self.entries.len() - 1) as u32
            };
            self.sets.insert(Box::from(id), slot);
            slot
        };
        &mut self.entries[slot as usize]
    }

    /// Forget an entry that holds neither a set nor list prices.
    fn release_if_empty(&mut self, id: &str) {
        if let Some(&slot) = self.sets.get(id) {
            let entry = &mut self.entries[slot as usize];
            if entry.id.is_none() && entry.listed.is_empty() {
                *entry = SetEntry::default();
                self.sets.remove(id);
                self.free_entries.push(slot);
            }
        }
    }

    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.interner.get(text) {
            return id;
        }
        let id = self.interner.len() as u32;
        self.interner.insert(text.to_owned(), id);
        id
    }

    fn compile_price(&mut self, input: PriceInput) -> Result<Arc<StoredPrice>, CoreError> {
        if input.id.is_empty() {
            return Err(CoreError::InvalidInput("price id must not be empty".into()));
        }
        if input.currency_code.is_empty() {
            return Err(CoreError::InvalidInput(format!(
                "price {}: currency_code is required",
                input.id
            )));
        }
        money::check_range(input.amount)?;
        if input.amount.is_sign_negative() && !input.amount.is_zero() {
            return Err(CoreError::InvalidAmount(format!(
                "price {}: amount must not be negative",
                input.id
            )));
        }
        check_quantity(input.min_quantity, "min_quantity", &input.id)?;
        check_quantity(input.max_quantity, "max_quantity", &input.id)?;
        if let (Some(lo), Some(hi)) = (input.min_quantity, input.max_quantity) {
            if lo > hi {
                return Err(CoreError::InvalidInput(format!(
                    "price {}: min_quantity > max_quantity",
                    input.id
                )));
            }
        }
        let currency = self.intern(&input.currency_code.to_ascii_lowercase());
        let mut rules: Vec<(u32, u32)> = Vec::with_capacity(input.rules.len());
        for (attribute, value) in &input.rules {
            let pair = (self.intern(attribute), self.intern(value));
            if rules.iter().any(|(a, _)| *a == pair.0) {
                return Err(CoreError::InvalidInput(format!(
                    "price {}: duplicate rule {attribute}",
                    input.id
                )));
            }
            rules.push(pair);
        }
        rules.sort_unstable();
        Ok(Arc::new(StoredPrice {
            id: input.id,
            amount: input.amount,
            currency_code: input.currency_code,
            min_quantity: input.min_quantity,
            max_quantity: input.max_quantity,
            currency,
            rules: rules.into_boxed_slice(),
        }))
    }

    /// Insert or replace price sets (their default prices; list prices stay with their lists).
    /// All-or-nothing: on error nothing changes.
    pub fn upsert_price_sets(&mut self, sets: Vec<PriceSetInput>) -> Result<(), CoreError> {
        let mut compiled = Vec::with_capacity(sets.len());
        for set in sets {
            if set.id.is_empty() {
                return Err(CoreError::InvalidInput("price set id must not be empty".into()));
            }
            let prices = set
                .prices
                .into_iter()
                .map(|p| self.compile_price(p))
                .collect::<Result<Vec<_>, _>>()?;
            compiled.push((set.id, prices));
        }
        for (id, prices) in compiled {
            let entry = self.entry_mut(&id);
            entry.id = Some(Arc::from(id.as_str()));
            entry.base = prices;
        }
        Ok(())
    }

    /// Remove price sets; unknown ids are ignored. Price list prices that point at them are kept by
    /// their lists and apply again if the set comes back.
    pub fn remove_price_sets<S: AsRef<str>>(&mut self, ids: &[S]) {
        for id in ids {
            let id = id.as_ref();
            if let Some(&slot) = self.sets.get(id) {
                let entry = &mut self.entries[slot as usize];
                entry.id = None;
                entry.base.clear();
            }
            self.release_if_empty(id);
        }
    }

    fn detach_list(&mut self, slot: u32) {
        let Some(list) = self.lists[slot as usize].take() else {
            return;
        };
        for set_id in &list.set_ids {
            if let Some(&entry_slot) = self.sets.get(set_id.as_str()) {
                self.entries[entry_slot as usize].listed.retain(|(s, _)| *s != slot);
            }
            self.release_if_empty(set_id);
        }
    }

    /// Insert or replace price lists with their prices. All-or-nothing: on error nothing changes.
    pub fn upsert_price_lists(&mut self, lists: Vec<PriceListInput>) -> Result<(), CoreError> {
        let mut compiled = Vec::with_capacity(lists.len());
        for mut list in lists {
            if list.id.is_empty() {
                return Err(CoreError::InvalidInput("price list id must not be empty".into()));
            }
            let mut rules = Vec::with_capacity(list.rules.len());
            for (attribute, values) in &list.rules {
                let a = self.intern(attribute);
                let vs: Vec<u32> = values.iter().map(|v| self.intern(v)).collect();
                rules.push((a, vs));
            }
            let mut prices = Vec::with_capacity(list.prices.len());
            for p in std::mem::take(&mut list.prices) {
                if p.price_set_id.is_empty() {
                    return Err(CoreError::InvalidInput(format!(
                        "price {}: price_set_id is required",
                        p.price.id
                    )));
                }
                prices.push((p.price_set_id, self.compile_price(p.price)?));
            }
            compiled.push((list, rules, prices));
        }
        for (list, rules, prices) in compiled {
            let slot = if let Some(&slot) = self.list_slots.get(&list.id) {
                self.detach_list(slot);
                slot
            } else {
                let slot = self.lists.len() as u32;
                self.lists.push(None);
                self.list_slots.insert(list.id.clone(), slot);
                slot
            };
            let mut set_ids: Vec<String> = Vec::with_capacity(prices.len());
            for (set_id, price) in prices {
                self.entry_mut(&set_id).listed.push((slot, price));
                set_ids.push(set_id);
            }
            set_ids.sort_unstable();
            set_ids.dedup();
            self.lists[slot as usize] = Some(StoredList {
                meta: Arc::new(ListMeta {
                    id: list.id,
                    list_type: list.list_type,
                }),
                active: list.status == PriceListStatus::Active,
                starts_at: list.starts_at,
                ends_at: list.ends_at,
                rules,
                set_ids,
            });
        }
        Ok(())
    }

    /// Remove price lists and their prices; unknown ids are ignored.
    pub fn remove_price_lists<S: AsRef<str>>(&mut self, ids: &[S]) {
        for id in ids {
            if let Some(&slot) = self.list_slots.get(id.as_ref()) {
                self.detach_list(slot);
            }
        }
    }

    /// Replace all price preferences.
    pub fn set_price_preferences(&mut self, preferences: Vec<PricePreference>) {
        self.region_prefs.clear();
        self.currency_prefs.clear();
        for p in preferences {
            match p.attribute {
                PreferenceAttribute::RegionId => self.region_prefs.insert(p.value, p.is_tax_inclusive),
                PreferenceAttribute::CurrencyCode => self
                    .currency_prefs
                    .insert(p.value.to_ascii_lowercase(), p.is_tax_inclusive),
            };
        }
    }

    fn resolve(&self, ctx: &PricingContext) -> Option<Resolved> {
        let currency_lower = ctx.currency_code.to_ascii_lowercase();
        let currency = *self.interner.get(&currency_lower)?;
        let mut attributes: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut add = |attribute: &str, values: &mut dyn Iterator<Item = &str>| {
            if let Some(&a) = self.interner.get(attribute) {
                let vs: Vec<u32> = values.filter_map(|v| self.interner.get(v).copied()).collect();
                if let Some(existing) = attributes.iter_mut().find(|(x, _)| *x == a) {
                    existing.1.extend(vs);
                } else {
                    attributes.push((a, vs));
                }
            }
        };
        if let Some(region) = &ctx.region_id {
            add(REGION_ID, &mut std::iter::once(region.as_str()));
        }
        if !ctx.customer_group_ids.is_empty() {
            add(
                CUSTOMER_GROUP_ID,
                &mut ctx.customer_group_ids.iter().map(String::as_str),
            );
        }
        for (attribute, values) in &ctx.attributes {
            add(attribute, &mut values.iter().map(String::as_str));
        }
        let region_rule = ctx
            .region_id
            .as_ref()
            .and_then(|r| Some((*self.interner.get(REGION_ID)?, *self.interner.get(r.as_str())?)));
        Some(Resolved {
            currency,
            attributes,
            region_rule,
            region_pref: ctx.region_id.as_ref().and_then(|r| self.region_prefs.get(r).copied()),
            currency_pref: self.currency_prefs.get(&currency_lower).copied().unwrap_or(false),
            quantity: ctx.quantity.filter(|&q| q != 0),
            rates: TaxRates::new(&ctx.tax_rates),
            digits: money::currency_digits(&currency_lower),
        })
    }

    fn list_applies(ctx: &Resolved, now: i64, list: &StoredList) -> bool {
        list.active
            && list.starts_at.is_none_or(|s| s <= now)
            && list.ends_at.is_none_or(|e| e >= now)
            && list.rules.iter().all(|(a, vs)| vs.iter().any(|v| ctx.has(*a, *v)))
    }

    /// Validate a context (the engine never panics on it).
    pub fn check_context(ctx: &PricingContext) -> Result<(), CoreError> {
        if ctx.currency_code.is_empty() {
            return Err(CoreError::InvalidInput(
                "calculate requires currency_code in the pricing context".into(),
            ));
        }
        if let Some(q) = ctx.quantity {
            if q < 0 {
                return Err(CoreError::InvalidInput(format!("quantity must be >= 0, got {q}")));
            }
        }
        for rate in &ctx.tax_rates {
            if rate.is_sign_negative() && !rate.is_zero() || *rate > Decimal::from(1000) {
                return Err(CoreError::InvalidInput(format!(
                    "tax rate must be within 0..=1000 %, got {rate}"
                )));
            }
        }
        if ctx.tax_rates.len() > 100 {
            return Err(CoreError::InvalidInput("at most 100 tax rates".into()));
        }
        Ok(())
    }

    /// Calculate the prices of the given sets; `None` where a set has no price for the context.
    pub fn calculate<S: AsRef<str>>(
        &self,
        price_set_ids: &[S],
        ctx: &PricingContext,
    ) -> Result<Vec<Option<CalculatedPrice>>, CoreError> {
        Self::check_context(ctx)?;
        let Some(resolved) = self.resolve(ctx) else {
            return Ok(vec![None; price_set_ids.len()]);
        };
        let applies: Vec<bool> = self
            .lists
            .iter()
            .map(|l| l.as_ref().is_some_and(|l| Self::list_applies(&resolved, ctx.now, l)))
            .collect();
        Ok(price_set_ids
            .iter()
            .map(|id| self.calculate_one(id.as_ref(), &resolved, &applies))
            .collect())
    }

    fn calculate_one(&self, id: &str, ctx: &Resolved, applies: &[bool]) -> Option<CalculatedPrice> {
        let entry = &self.entries[*self.sets.get(id)? as usize];
        let set_id = entry.id.as_ref()?;
        let mut best_base: Option<&Arc<StoredPrice>> = None;
        for price in &entry.base {
            if ctx.candidate(price)
                && best_base.is_none_or(|b| rank(price.rules.len(), price, b.rules.len(), b) == Ordering::Less)
            {
                best_base = Some(price);
            }
        }
        let mut best_list: Option<(usize, &StoredList, &Arc<StoredPrice>)> = None;
        for (slot, price) in &entry.listed {
            if !applies[*slot as usize] || !ctx.candidate(price) {
                continue;
            }
            let Some(list) = self.lists[*slot as usize].as_ref() else {
                continue;
            };
            let n = price.rules.len() + list.rules.len();
            if best_list.is_none_or(|(bn, _, b)| rank(n, price, bn, b) == Ordering::Less) {
                best_list = Some((n, list, price));
            }
        }
        let select = |price: &Arc<StoredPrice>, list: Option<&StoredList>| SelectedPrice {
            price: Arc::clone(price),
            list: list.map(|l| Arc::clone(&l.meta)),
            is_tax_inclusive: ctx.tax_inclusive(price),
        };
        let base = best_base.map(|p| select(p, None));
        let (calculated, original) = match best_list {
            None => (base.clone()?, base),
            Some((_, list, price)) => {
                let listed = select(price, Some(list));
                match list.meta.list_type {
                    PriceListType::Override => (listed.clone(), Some(listed)),
                    PriceListType::Sale => match base {
                        Some(b) if b.price.amount < listed.price.amount => (b.clone(), Some(b)),
                        other => (listed, other),
                    },
                }
            }
        };
        let (cw, cwo) = amounts_with_tax(
            calculated.price.amount,
            calculated.is_tax_inclusive,
            ctx.rates,
            ctx.digits,
        );
        let (ow, owo) = match &original {
            Some(o) => {
                let (w, wo) = amounts_with_tax(o.price.amount, o.is_tax_inclusive, ctx.rates, ctx.digits);
                (Some(w), Some(wo))
            }
            None => (None, None),
        };
        Some(CalculatedPrice {
            price_set_id: Arc::clone(set_id),
            calculated,
            original,
            calculated_amount_with_tax: cw,
            calculated_amount_without_tax: cwo,
            original_amount_with_tax: ow,
            original_amount_without_tax: owo,
        })
    }
}
