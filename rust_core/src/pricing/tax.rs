//! Amounts with and without tax, as Medusa's store routes derive them from the destination's rates.

use rust_decimal::Decimal;

use crate::money;

/// The destination's tax rates, prepared once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRates {
    /// Sum of the rates, in percent.
    pub sum: Decimal,
    /// `sum / 100`, exact (a decimal shift).
    pub fraction: Decimal,
}

impl TaxRates {
    pub fn new(rates: &[Decimal]) -> Self {
        let sum: Decimal = rates.iter().copied().sum();
        TaxRates {
            sum,
            fraction: sum / Decimal::ONE_HUNDRED,
        }
    }
}

/// `(with_tax, without_tax)` of a price, given the destination's rates and the currency's digits.
///
/// Medusa: an inclusive price is its own amount with tax and loses `amount * r / (100 + r)`; an
/// exclusive price is its own amount without tax and gains `amount * r / 100`; non-positive amounts
/// carry no tax. The derived amount is rounded half-up to the currency's digits (Medusa leaves a
/// float); the price's own amount is returned as stored.
pub fn amounts_with_tax(amount: Decimal, tax_inclusive: bool, rates: TaxRates, digits: u32) -> (Decimal, Decimal) {
    if amount <= Decimal::ZERO || rates.sum.is_zero() {
        return (amount, amount);
    }
    if tax_inclusive {
        let tax = amount * rates.sum / (Decimal::ONE_HUNDRED + rates.sum);
        (amount, money::round_dp(amount - tax, digits))
    } else {
        (money::round_dp(amount + amount * rates.fraction, digits), amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn with_tax(amount: &str, inclusive: bool, rate: &str, currency: &str) -> (Decimal, Decimal) {
        amounts_with_tax(
            d(amount),
            inclusive,
            TaxRates::new(&[d(rate)]),
            money::currency_digits(currency),
        )
    }

    #[test]
    fn exclusive_price_gains_tax() {
        assert_eq!(with_tax("100", false, "20", "usd"), (d("120.00"), d("100")));
        assert_eq!(with_tax("10.99", false, "8.25", "usd"), (d("11.90"), d("10.99")));
    }

    #[test]
    fn inclusive_price_loses_tax() {
        assert_eq!(with_tax("120", true, "20", "usd"), (d("120"), d("100.00")));
        // 100 / 1.25 = 80
        assert_eq!(with_tax("100", true, "25", "eur"), (d("100"), d("80.00")));
        // 10 / 1.19 = 8.4033..
        assert_eq!(with_tax("10", true, "19", "eur"), (d("10"), d("8.40")));
    }

    #[test]
    fn zero_rates_and_zero_amounts_carry_no_tax() {
        assert_eq!(with_tax("10.005", false, "0", "usd"), (d("10.005"), d("10.005")));
        assert_eq!(with_tax("0", true, "20", "usd"), (d("0"), d("0")));
    }
}
