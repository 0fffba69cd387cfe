//! commerce-core's native engine. Domain modules are pure Rust (no I/O, no clock, no PyO3);
//! the bindings live in `python/` behind the `python` feature.

pub mod error;
pub mod money;

#[cfg(feature = "python")]
mod python;

/// The extension module `commerce._native`: the one export list.
#[cfg(feature = "python")]
#[pyo3::pymodule]
mod _native {
    #[pymodule_export]
    use crate::python::errors::{CommerceEngineError, InvalidAmountError, InvalidInputError};
    #[pymodule_export]
    use crate::python::money::{currency_digits, format_amount, parse_amount, round_amount};
}
