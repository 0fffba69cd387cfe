//! Cart totals: Medusa v2's `decorateCartTotals` (packages/core/utils/src/totals) in exact decimals.
//!
//! Every figure is computed unrounded (as Medusa's BigNumber does) and each output field is rounded
//! once, at the end, to the currency's digits through [`crate::money::round`]. Before that, a value
//! is settled to [`GUARD_DIGITS`] decimals: divisions such as `1 / 1.1` do not terminate, and a sum
//! of such quotients can land exactly on a half cent (`118.845`), which the 28-digit quotient misses
//! by 1e-26; settling first puts it back where exact arithmetic would round it.

use rust_decimal::Decimal;

use crate::error::CoreError;
use crate::money;

/// A discount on a line or shipping method. `is_tax_inclusive` amounts include the line's tax.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub amount: Decimal,
    pub is_tax_inclusive: bool,
}

/// A tax line; `rate` is a percentage (`10` = 10 %).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxLine {
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub id: String,
    pub unit_price: Decimal,
    pub quantity: Decimal,
    pub is_tax_inclusive: bool,
    pub adjustments: Vec<Adjustment>,
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShippingMethod {
    pub id: String,
    pub amount: Decimal,
    pub is_tax_inclusive: bool,
    pub adjustments: Vec<Adjustment>,
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cart {
    pub currency_code: String,
    pub items: Vec<LineItem>,
    pub shipping_methods: Vec<ShippingMethod>,
}

/// Totals of one line item (Medusa's `getLineItemTotals`, without order return details).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineTotals {
    pub subtotal: Decimal,
    pub total: Decimal,
    pub original_total: Decimal,
    pub original_subtotal: Decimal,
    pub discount_total: Decimal,
    pub discount_subtotal: Decimal,
    pub discount_tax_total: Decimal,
    pub tax_total: Decimal,
    pub original_tax_total: Decimal,
}

/// Totals of one shipping method (Medusa's `getShippingMethodTotals`).
pub type ShippingTotals = LineTotals;

/// Every cart-level totals field of Medusa v2, plus the per-line and per-method totals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CartTotals {
    pub total: Decimal,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub discount_total: Decimal,
    pub discount_subtotal: Decimal,
    pub discount_tax_total: Decimal,
    pub original_total: Decimal,
    pub original_subtotal: Decimal,
    pub original_tax_total: Decimal,
    pub item_total: Decimal,
    pub item_subtotal: Decimal,
    pub item_tax_total: Decimal,
    pub item_discount_total: Decimal,
    pub original_item_total: Decimal,
    pub original_item_subtotal: Decimal,
    pub original_item_tax_total: Decimal,
    pub shipping_total: Decimal,
    pub shipping_subtotal: Decimal,
    pub shipping_tax_total: Decimal,
    pub shipping_discount_total: Decimal,
    pub original_shipping_total: Decimal,
    pub original_shipping_subtotal: Decimal,
    pub original_shipping_tax_total: Decimal,
    pub items: Vec<LineTotals>,
    pub shipping_methods: Vec<ShippingTotals>,
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Decimals a result is settled to before the currency rounding (see the module docs).
pub const GUARD_DIGITS: u32 = 12;

/// Settle to [`GUARD_DIGITS`], then round half-up to the currency's digits.
pub fn round_result(value: Decimal, digits: u32) -> Decimal {
    money::round_dp(money::round_dp(value, GUARD_DIGITS), digits)
}

/// Sum of the tax lines' rates as a fraction (`[10, 5]` → `0.15`).
fn rate_fraction(tax_lines: &[TaxLine]) -> Decimal {
    tax_lines.iter().map(|t| t.rate).sum::<Decimal>() / HUNDRED
}

/// Medusa's `calculateTaxTotal` on an exclusive amount: nothing on a non-positive base.
fn tax_on(tax_lines: &[TaxLine], taxable: Decimal) -> Decimal {
    if taxable <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    tax_lines.iter().map(|t| taxable * t.rate / HUNDRED).sum()
}

/// An adjustment's amount without tax (Medusa's `calculateAdjustmentTotal`).
fn adjustment_subtotal(adj: &Adjustment, rate: Decimal) -> Decimal {
    if adj.is_tax_inclusive {
        adj.amount / (Decimal::ONE + rate)
    } else {
        adj.amount
    }
}

/// Unrounded totals of one line item.
pub fn line_item_totals(item: &LineItem) -> LineTotals {
    let rate = rate_fraction(&item.tax_lines);
    let price = item.unit_price * item.quantity;
    let subtotal = if item.is_tax_inclusive {
        price / (Decimal::ONE + rate)
    } else {
        price
    };
    // Medusa prorates the discount per unit and back to the quantity; with exact decimals that is
    // the discount itself, and nothing when the quantity is zero.
    let discount_subtotal = if item.quantity.is_zero() {
        Decimal::ZERO
    } else {
        item.adjustments.iter().map(|a| adjustment_subtotal(a, rate)).sum()
    };
    let tax_total = tax_on(&item.tax_lines, subtotal - discount_subtotal);
    let original_tax_total = tax_on(&item.tax_lines, subtotal);
    let original_total = if item.is_tax_inclusive {
        price
    } else {
        subtotal + original_tax_total
    };
    let discount_tax_total = original_tax_total - tax_total;
    LineTotals {
        subtotal,
        total: subtotal - discount_subtotal + tax_total,
        original_total,
        original_subtotal: original_total - original_tax_total,
        discount_total: discount_subtotal + discount_tax_total,
        discount_subtotal,
        discount_tax_total,
        tax_total,
        original_tax_total,
    }
}

/// Unrounded totals of one shipping method.
pub fn shipping_method_totals(method: &ShippingMethod) -> ShippingTotals {
    let rate = rate_fraction(&method.tax_lines);
    let subtotal = if method.is_tax_inclusive {
        method.amount / (Decimal::ONE + rate)
    } else {
        method.amount
    };
    let mut discount_subtotal = Decimal::ZERO;
    let mut discount_tax_total = Decimal::ZERO;
    for adj in &method.adjustments {
        let sub = adjustment_subtotal(adj, rate);
        discount_subtotal += sub;
        discount_tax_total += sub * rate;
    }
    let tax_total = tax_on(&method.tax_lines, subtotal - discount_subtotal);
    let original_tax_total = tax_on(&method.tax_lines, subtotal);
    let original_total = if method.is_tax_inclusive {
        method.amount
    } else {
        subtotal + original_tax_total
    };
    ShippingTotals {
        subtotal,
        total: subtotal - discount_subtotal + tax_total,
        original_total,
        // Medusa sums a field its shipping totals never set; the undiscounted net amount is what it means.
        original_subtotal: subtotal,
        discount_total: discount_subtotal + discount_tax_total,
        discount_subtotal,
        discount_tax_total,
        tax_total,
        original_tax_total,
    }
}

fn check_amount(value: Decimal, what: &str, id: &str) -> Result<(), CoreError> {
    money::check_range(value)
        .map(|_| ())
        .map_err(|_| CoreError::InvalidAmount(format!("{what} of {id:?} out of range: {value}")))
}

fn check_lines(id: &str, adjustments: &[Adjustment], tax_lines: &[TaxLine]) -> Result<(), CoreError> {
    for adj in adjustments {
        check_amount(adj.amount, "adjustment amount", id)?;
    }
    for tax in tax_lines {
        if tax.rate.is_sign_negative() || tax.rate > Decimal::ONE_THOUSAND {
            return Err(CoreError::InvalidInput(format!(
                "tax rate of {id:?} must be within 0..=1000: {}",
                tax.rate
            )));
        }
    }
    Ok(())
}

/// Reject what Medusa would not accept: negative quantities, negative rates, amounts beyond the range.
pub fn validate(cart: &Cart) -> Result<(), CoreError> {
    for item in &cart.items {
        check_amount(item.unit_price, "unit_price", &item.id)?;
        if (item.quantity.is_sign_negative() && !item.quantity.is_zero())
            || item.quantity > crate::promotion::MAX_QUANTITY
        {
            return Err(CoreError::InvalidInput(format!(
                "quantity of {:?} must be within 0..=1e9: {}",
                item.id, item.quantity
            )));
        }
        check_lines(&item.id, &item.adjustments, &item.tax_lines)?;
    }
    for method in &cart.shipping_methods {
        check_amount(method.amount, "amount", &method.id)?;
        check_lines(&method.id, &method.adjustments, &method.tax_lines)?;
    }
    Ok(())
}

fn round_line(t: &LineTotals, digits: u32) -> LineTotals {
    let r = |v: Decimal| round_result(v, digits);
    LineTotals {
        subtotal: r(t.subtotal),
        total: r(t.total),
        original_total: r(t.original_total),
        original_subtotal: r(t.original_subtotal),
        discount_total: r(t.discount_total),
        discount_subtotal: r(t.discount_subtotal),
        discount_tax_total: r(t.discount_tax_total),
        tax_total: r(t.tax_total),
        original_tax_total: r(t.original_tax_total),
    }
}

/// Totals of a whole cart, each field rounded once to the currency's digits.
pub fn cart_totals(cart: &Cart) -> Result<CartTotals, CoreError> {
    validate(cart)?;
    let digits = money::currency_digits(&cart.currency_code);
    let mut out = CartTotals::default();
    let mut items = Vec::with_capacity(cart.items.len());
    for item in &cart.items {
        let t = line_item_totals(item);
        out.item_total += t.total;
        out.item_subtotal += t.subtotal;
        out.item_tax_total += t.tax_total;
        out.item_discount_total += t.discount_total;
        out.original_item_total += t.original_total;
        out.original_item_subtotal += t.original_subtotal;
        out.original_item_tax_total += t.original_tax_total;
        out.discount_total += t.discount_total;
        out.discount_subtotal += t.discount_subtotal;
        out.discount_tax_total += t.discount_tax_total;
        items.push(round_line(&t, digits));
    }
    let mut methods = Vec::with_capacity(cart.shipping_methods.len());
    for method in &cart.shipping_methods {
        let t = shipping_method_totals(method);
        out.shipping_total += t.total;
        out.shipping_subtotal += t.subtotal;
        out.shipping_tax_total += t.tax_total;
        out.shipping_discount_total += t.discount_total;
        out.original_shipping_total += t.original_total;
        out.original_shipping_subtotal += t.original_subtotal;
        out.original_shipping_tax_total += t.original_tax_total;
        out.discount_total += t.discount_total;
        out.discount_subtotal += t.discount_subtotal;
        out.discount_tax_total += t.discount_tax_total;
        methods.push(round_line(&t, digits));
    }
    out.subtotal = out.item_subtotal + out.shipping_subtotal;
    out.tax_total = out.item_tax_total + out.shipping_tax_total;
    out.original_tax_total = out.original_item_tax_total + out.original_shipping_tax_total;
    out.original_total = out.original_item_total + out.original_shipping_total;
    out.original_subtotal = out.original_item_subtotal + out.original_shipping_subtotal;
    out.total = out.subtotal + out.tax_total - out.discount_subtotal;

    let r = |v: &mut Decimal| *v = round_result(*v, digits);
    for field in [
        &mut out.total,
        &mut out.subtotal,
        &mut out.tax_total,
        &mut out.discount_total,
        &mut out.discount_subtotal,
        &mut out.discount_tax_total,
        &mut out.original_total,
        &mut out.original_subtotal,
        &mut out.original_tax_total,
        &mut out.item_total,
        &mut out.item_subtotal,
        &mut out.item_tax_total,
        &mut out.item_discount_total,
        &mut out.original_item_total,
        &mut out.original_item_subtotal,
        &mut out.original_item_tax_total,
        &mut out.shipping_total,
        &mut out.shipping_subtotal,
        &mut out.shipping_tax_total,
        &mut out.shipping_discount_total,
        &mut out.original_shipping_total,
        &mut out.original_shipping_subtotal,
        &mut out.original_shipping_tax_total,
    ] {
        r(field);
    }
    out.items = items;
    out.shipping_methods = methods;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn item(price: &str, qty: &str, incl: bool, rate: &str, adj: &[&str]) -> LineItem {
        LineItem {
            id: "li".into(),
            unit_price: d(price),
            quantity: d(qty),
            is_tax_inclusive: incl,
            adjustments: adj
                .iter()
                .map(|a| Adjustment {
                    amount: d(a),
                    is_tax_inclusive: false,
                })
                .collect(),
            tax_lines: vec![TaxLine { rate: d(rate) }],
        }
    }

    #[test]
    fn exclusive_line_with_discount_taxes_the_net_amount() {
        let t = line_item_totals(&item("50", "2", false, "10", &["10"]));
        assert_eq!(t.subtotal, d("100"));
        assert_eq!(t.discount_subtotal, d("10"));
        assert_eq!(t.tax_total, d("9"));
        assert_eq!(t.total, d("99"));
        assert_eq!(t.original_total, d("110"));
        assert_eq!(t.discount_tax_total, d("1"));
        assert_eq!(t.discount_total, d("11"));
    }

    #[test]
    fn inclusive_line_backs_tax_out_of_the_price() {
        let t = line_item_totals(&item("100", "1", true, "25", &[]));
        assert_eq!(t.subtotal, d("80"));
        assert_eq!(t.tax_total, d("20"));
        assert_eq!(t.total, d("100"));
        assert_eq!(t.original_total, d("100"));
    }

    #[test]
    fn zero_quantity_has_no_discount() {
        let t = line_item_totals(&item("10", "0", false, "10", &["5"]));
        assert_eq!(t.discount_subtotal, Decimal::ZERO);
        assert_eq!(t.total, Decimal::ZERO);
    }

    #[test]
    fn negative_quantity_is_rejected() {
        let cart = Cart {
            currency_code: "usd".into(),
            items: vec![item("1", "-1", false, "0", &[])],
            ..Cart::default()
        };
        assert!(matches!(cart_totals(&cart), Err(CoreError::InvalidInput(_))));
    }
}
