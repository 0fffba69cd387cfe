//! commerce-core's native engine. Domain modules are pure Rust (no I/O, no clock, no PyO3);
//! the bindings live in `python/` behind the `python` feature.

pub mod error;
pub mod inventory;
pub mod money;
pub mod pricing;
pub mod promotion;
pub mod totals;

#[cfg(feature = "python")]
mod python;

/// The extension module `commerce._native`: the one export list.
#[cfg(feature = "python")]
#[pyo3::pymodule]
mod _native {
    #[pymodule_export]
    use crate::python::errors::InsufficientInventoryError;
    #[pymodule_export]
    use crate::python::errors::{CommerceEngineError, InvalidAmountError, InvalidInputError};
    #[pymodule_export]
    use crate::python::inventory::{allocate, availability};
    #[pymodule_export]
    use crate::python::money::{currency_digits, format_amount, parse_amount, round_amount};
    #[pymodule_export]
    use crate::python::pricing::{CalculatedPrice, PriceIndex};
    #[pymodule_export]
    use crate::python::promotion::PyPromotionSet;
    #[pymodule_export]
    use crate::python::totals::cart_totals;
}
