//! Money functions for Python: `decimal.Decimal` in and out (pyo3's rust_decimal conversion).

use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::money;

/// Parse a plain decimal string into a `Decimal`.
#[pyfunction]
pub fn parse_amount(text: &str) -> PyResult<Decimal> {
    Ok(money::parse(text)?)
}

/// Round to the currency's minor unit, half-up.
#[pyfunction]
pub fn round_amount(amount: Decimal, currency_code: &str) -> PyResult<Decimal> {
    Ok(money::round(money::check_range(amount)?, currency_code))
}

/// Format with exactly the currency's digits.
#[pyfunction]
pub fn format_amount(amount: Decimal, currency_code: &str) -> PyResult<String> {
    Ok(money::format(money::check_range(amount)?, currency_code))
}

/// Decimal digits of the currency's minor unit.
#[pyfunction]
pub fn currency_digits(currency_code: &str) -> u32 {
    money::currency_digits(currency_code)
}
