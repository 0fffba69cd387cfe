//! Result dicts that all share one set of keys, built by copying a template.
//!
//! CPython copies a dict whose keys are all strings by duplicating its key table in one block, so
//! `template.copy()` followed by replacing each value costs less than inserting the keys one by one
//! into an empty dict (which hashes, probes and resizes as it grows). Keys keep the template's order.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

pub(crate) struct Rows<'py> {
    template: Bound<'py, PyDict>,
}

impl<'py> Rows<'py> {
    /// A template with `keys` in this order (values `None` until set).
    pub(crate) fn new(py: Python<'py>, keys: &[&Bound<'py, PyString>]) -> PyResult<Rows<'py>> {
        let template = PyDict::new(py);
        for key in keys {
            template.set_item(key, py.None())?;
        }
        Ok(Rows { template })
    }

    /// A new dict with the template's keys; the caller sets every value.
    pub(crate) fn row(&self) -> PyResult<Bound<'py, PyDict>> {
        self.template.copy()
    }
}
