//! Reading Python inputs, shared by the bindings: the error for bad input and dict access.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::error::CoreError;

pub(crate) fn invalid(msg: impl Into<String>) -> PyErr {
    CoreError::InvalidInput(msg.into()).into()
}

pub(crate) fn as_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>, what: &str) -> PyResult<&'a Bound<'py, PyDict>> {
    obj.cast::<PyDict>()
        .map_err(|_| invalid(format!("{what} must be a dict")))
}

/// `d[key]`, treating `None` as absent.
pub(crate) fn get<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}
