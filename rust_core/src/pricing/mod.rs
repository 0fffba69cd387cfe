//! Price selection as Medusa v2's `calculatePrices`: a compiled index of price sets, price lists and
//! price preferences, updated incrementally and queried with a context (currency, region, customer
//! groups, quantity, `now`, tax rates).
//!
//! Selection, per price set (see `PriceIndex::calculate`):
//! - a price is a candidate when its currency is the context's (case-insensitive), its quantity tier
//!   contains the quantity (without a quantity: `min_quantity` is unset or <= 1; an unset bound is
//!   open), and every one of its rules is satisfied by the context;
//! - the default price is the best candidate outside price lists: most rules first, then the lowest
//!   amount, then the smallest price id (a deterministic tie-break Medusa leaves to the database);
//! - a list price is a candidate when its list is active, `now` is inside `[starts_at, ends_at]`, and
//!   each list rule has a context value among the rule's values; the best list price has the most
//!   rules (its own + its list's), then the lowest amount, then the smallest id;
//! - override: calculated = original = the list price. Sale: calculated = the lower of the list price
//!   and the default price (the list price on a tie); original = the default price;
//! - tax inclusivity: the region's preference when the price has a `region_id` rule equal to the
//!   context's region and that region has a preference; else the currency's preference; else false.

pub(crate) mod fxhash;
mod index;
mod tax;

pub use index::PriceIndex;
pub use tax::{amounts_with_tax, TaxRates};

use std::sync::Arc;

use rust_decimal::Decimal;

/// A price list's type: a sale competes with the default price, an override replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceListType {
    Sale,
    Override,
}

impl PriceListType {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceListType::Sale => "sale",
            PriceListType::Override => "override",
        }
    }
}

/// A price list's status; only active lists apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceListStatus {
    Active,
    Draft,
}

/// One money amount of a price set (or of a price list, see [`PriceListPriceInput`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceInput {
    pub id: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    /// (attribute, value) pairs, e.g. ("region_id", "reg_1"); all must match the context.
    pub rules: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSetInput {
    pub id: String,
    pub prices: Vec<PriceInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceListPriceInput {
    pub price_set_id: String,
    pub price: PriceInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceListInput {
    pub id: String,
    pub list_type: PriceListType,
    pub status: PriceListStatus,
    /// Epoch microseconds, inclusive bounds; `None` is open.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    /// (attribute, allowed values), e.g. `("customer_group_id", ["cg_vip", "cg_staff"])`.
    pub rules: Vec<(String, Vec<String>)>,
    pub prices: Vec<PriceListPriceInput>,
}

/// What a price preference keys on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferenceAttribute {
    RegionId,
    CurrencyCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePreference {
    pub attribute: PreferenceAttribute,
    pub value: String,
    pub is_tax_inclusive: bool,
}

/// The context of one `calculate` call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PricingContext {
    pub currency_code: String,
    pub region_id: Option<String>,
    pub customer_group_ids: Vec<String>,
    /// Other rule attributes (attribute, values), matched like `region_id`.
    pub attributes: Vec<(String, Vec<String>)>,
    pub quantity: Option<i64>,
    /// Epoch microseconds.
    pub now: i64,
    /// Tax rates of the destination, in percent (`Decimal::from(20)` is 20 %).
    pub tax_rates: Vec<Decimal>,
}

/// A stored price, shared by the index and the results that select it.
#[derive(Debug, PartialEq, Eq)]
pub struct StoredPrice {
    pub id: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub min_quantity: Option<i64>,
    pub max_quantity: Option<i64>,
    currency: u32,
    /// Interned (attribute, value), sorted.
    rules: Box<[(u32, u32)]>,
}

/// The identity of a price list as results report it.
#[derive(Debug, PartialEq, Eq)]
pub struct ListMeta {
    pub id: String,
    pub list_type: PriceListType,
}

/// A price chosen as the calculated or the original price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedPrice {
    pub price: Arc<StoredPrice>,
    pub list: Option<Arc<ListMeta>>,
    pub is_tax_inclusive: bool,
}

/// Medusa's calculated price of one price set, with the amounts with and without tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalculatedPrice {
    pub price_set_id: Arc<str>,
    pub calculated: SelectedPrice,
    /// `None` for a sale list price on a set with no default price for the context.
    pub original: Option<SelectedPrice>,
    pub calculated_amount_with_tax: Decimal,
    pub calculated_amount_without_tax: Decimal,
    pub original_amount_with_tax: Option<Decimal>,
    pub original_amount_without_tax: Option<Decimal>,
}
