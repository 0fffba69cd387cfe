//! PyO3 bindings: convert at the edge, compute in the pure modules. The only code that uses pyo3.

mod convert;
mod decimal;
pub mod errors;
pub mod inventory;
pub mod money;
pub mod pricing;
pub mod promotion;
mod rows;
pub mod totals;
