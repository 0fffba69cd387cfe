//! The engine's one error type. The Python bindings map each variant to an exception class of ours.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A money amount that is not a plain decimal or is out of range.
    InvalidAmount(String),
    /// Input that is well-formed but not acceptable (unknown currency, negative quantity, ...).
    InvalidInput(String),
    /// An order asks for more stock than the sales channel's locations hold (one entry per short variant).
    InsufficientInventory(Vec<crate::inventory::Shortage>),
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::InvalidAmount(msg) | CoreError::InvalidInput(msg) => f.write_str(msg),
            CoreError::InsufficientInventory(shortages) => {
                f.write_str("insufficient inventory:")?;
                for (i, s) in shortages.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(
                        f,
                        "{sep}{} is short by {} of {}",
                        s.variant_id, s.missing_quantity, s.requested_quantity
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CoreError {}
