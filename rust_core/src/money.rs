//! Exact money: parse, round and format decimal amounts per currency (ISO 4217 minor units).
//!
//! Rounding is half-up (ties away from zero), to the currency's decimal digits. This is the one
//! place that says so; every engine function rounds through [`round`].

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::CoreError;

/// Largest amount accepted at the edge (absolute value). Keeps every sum and product of a cart far
/// inside `Decimal`'s 96-bit range, so arithmetic in the engine cannot overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0); // 1e15

/// ISO 4217 currencies whose minor unit is not 2. Everything else (and unknown codes) uses 2.
const ZERO_DIGITS: &[&str] = &[
    "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "uyi", "vnd", "vuv", "xaf", "xof",
    "xpf",
];
const THREE_DIGITS: &[&str] = &["bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"];
const FOUR_DIGITS: &[&str] = &["clf", "uyw"];

/// Decimal digits of a currency's minor unit (`usd` → 2, `jpy` → 0, `kwd` → 3). Case-insensitive.
pub fn currency_digits(code: &str) -> u32 {
    let lower = code.to_ascii_lowercase();
    let code = lower.as_str();
    if ZERO_DIGITS.contains(&code) {
        0
    } else if THREE_DIGITS.contains(&code) {
        3
    } else if FOUR_DIGITS.contains(&code) {
        4
    } else {
        2
    }
}

/// Round to `digits` decimal places, half-up (ties away from zero).
pub fn round_dp(amount: Decimal, digits: u32) -> Decimal {
    amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// Round to the currency's minor unit, half-up.
pub fn round(amount: Decimal, currency_code: &str) -> Decimal {
    round_dp(amount, currency_digits(currency_code))
}

/// Parse a decimal amount written in plain notation (`"10.5"`, `"-3"`, `"0.005"`).
///
/// Rejects exponents, floats' `inf`/`nan`, empty strings and amounts beyond [`MAX_AMOUNT`].
pub fn parse(text: &str) -> Result<Decimal, CoreError> {
    let trimmed = text.trim();
    let valid = !trimmed.is_empty()
        && trimmed
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if !valid {
        return Err(CoreError::InvalidAmount(format!("not a decimal amount: {text:?}")));
    }
    let value =
        Decimal::from_str(trimmed).map_err(|_| CoreError::InvalidAmount(format!("not a decimal amount: {text:?}")))?;
    check_range(value)
}

/// Reject amounts whose magnitude exceeds [`MAX_AMOUNT`].
pub fn check_range(value: Decimal) -> Result<Decimal, CoreError> {
    if value.abs() > MAX_AMOUNT {
        return Err(CoreError::InvalidAmount(format!("amount out of range: {value}")));
    }
    Ok(value)
}

/// Format rounded to the currency's digits with exactly that many decimals (`10.5`, `usd` → `"10.50"`).
pub fn format(amount: Decimal, currency_code: &str) -> String {
    let digits = currency_digits(currency_code);
    let mut rounded = round_dp(amount, digits);
    rounded.rescale(digits);
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn digits_follow_iso_4217() {
        assert_eq!(currency_digits("usd"), 2);
        assert_eq!(currency_digits("EUR"), 2);
        assert_eq!(currency_digits("jpy"), 0);
        assert_eq!(currency_digits("kwd"), 3);
        assert_eq!(currency_digits("zzz"), 2);
    }

    #[test]
    fn rounds_half_up_away_from_zero() {
        assert_eq!(round(d("1.005"), "usd"), d("1.01"));
        assert_eq!(round(d("1.004"), "usd"), d("1.00"));
        assert_eq!(round(d("-1.005"), "usd"), d("-1.01"));
        assert_eq!(round(d("2.5"), "jpy"), d("3"));
        assert_eq!(round(d("0.0005"), "kwd"), d("0.001"));
    }

    #[test]
    fn max_amount_is_one_quadrillion() {
        assert_eq!(MAX_AMOUNT, d("1000000000000000"));
    }

    #[test]
    fn parses_plain_decimals_only() {
        assert_eq!(parse("10.5").unwrap(), d("10.5"));
        assert_eq!(parse(" -3 ").unwrap(), d("-3"));
        assert!(parse("1e5").is_err());
        assert!(parse("nan").is_err());
        assert!(parse("").is_err());
        assert!(parse("1.2.3").is_err());
        assert!(parse("10000000000000000").is_err());
    }

    #[test]
    fn formats_with_currency_digits() {
        assert_eq!(format(d("10.5"), "usd"), "10.50");
        assert_eq!(format(d("10.5"), "jpy"), "11");
        assert_eq!(format(d("-0.001"), "usd"), "0.00");
        assert_eq!(format(d("1.2345"), "kwd"), "1.235");
    }
}
