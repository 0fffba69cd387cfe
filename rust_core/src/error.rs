//! The engine's one error type. The Python bindings map each variant to an exception class of ours.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A money amount that is not a plain decimal or is out of range.
    InvalidAmount(String),
    /// Input that is well-formed but not acceptable (unknown currency, negative quantity, ...).
    InvalidInput(String),
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::InvalidAmount(msg) | CoreError::InvalidInput(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for CoreError {}
