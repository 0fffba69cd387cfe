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

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        match err {
            CoreError::InvalidAmount(msg) => InvalidAmountError::new_err(msg),
            CoreError::InvalidInput(msg) => InvalidInputError::new_err(msg),
        }
    }
}
