//! The one error bridge: every `CoreError` variant maps to an exception class here.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::PyErr;

use crate::error::CoreError;

create_exception!(
    _native,
    CommerceEngineError,
    PyValueError,
    "Base class of the engine's errors."
);
create_exception!(
    _native,
    InvalidAmountError,
    CommerceEngineError,
    "A money amount is malformed or out of range."
);
create_exception!(
    _native,
    InvalidInputError,
    CommerceEngineError,
    "Input the engine cannot accept."
);

create_exception!(
    _native,
    InsufficientInventoryError,
    CommerceEngineError,
    "The sales channel's locations cannot supply the order; `shortages` lists each short variant."
);

/// `InsufficientInventoryError` with its structured `shortages` attribute:
/// `[{"variant_id", "requested_quantity", "missing_quantity"}]`.
fn insufficient_inventory(err: &CoreError, shortages: &[crate::inventory::Shortage]) -> PyErr {
    let py_err = InsufficientInventoryError::new_err(err.to_string());
    pyo3::Python::attach(|py| {
        use pyo3::prelude::*;
        let build = || -> pyo3::PyResult<()> {
            let list = pyo3::types::PyList::empty(py);
            for s in shortages {
                let d = pyo3::types::PyDict::new(py);
                d.set_item("variant_id", &s.variant_id)?;
                d.set_item("requested_quantity", s.requested_quantity)?;
                d.set_item("missing_quantity", s.missing_quantity)?;
                list.append(d)?;
            }
            py_err.value(py).setattr("shortages", list)
        };
        match build() {
            Ok(()) => py_err,
            Err(e) => e,
        }
    })
}

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        match err {
            CoreError::InvalidAmount(msg) => InvalidAmountError::new_err(msg),
            CoreError::InvalidInput(msg) => InvalidInputError::new_err(msg),
            CoreError::InsufficientInventory(ref shortages) => insufficient_inventory(&err, shortages),
        }
    }
}
