//! Result dicts that all share one set of keys, built by copying a template.
//!
//! CPython copies a dict whose keys are all strings by duplicating its key table in one block, so
//! `template.copy()` followed by replacing each value costs less than inserting the keys one by one
//! into an empty dict (which hashes, probes and resizes as it grows). Keys keep the template's order.
//! The template is built once per interpreter (its keys are the same at every call).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

pub(crate) struct Rows(PyOnceLock<Py<PyDict>>);

impl Rows {
    pub(crate) const fn new() -> Rows {
        Rows(PyOnceLock::new())
    }

    /// A new dict with `keys` in this order (values `None` until set); the caller sets every value.
    /// `keys` must give the same keys at every call (only the first call's make the template).
    pub(crate) fn row<'py>(
        &self,
        py: Python<'py>,
        keys: impl FnOnce() -> Vec<Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let template = self.0.get_or_try_init(py, || -> PyResult<_> {
            let template = PyDict::new(py);
            for key in keys() {
                template.set_item(key, py.None())?;
            }
            Ok(template.unbind())
        })?;
        template.bind(py).copy()
    }
}
