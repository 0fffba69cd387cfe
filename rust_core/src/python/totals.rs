//! `cart_totals` for Python: a cart dict in, a dict of Medusa's totals fields out (Decimal amounts).
//! Also the amount conversions the promotion bindings share.

use std::collections::HashMap;
use std::str::FromStr;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyType};
use rust_decimal::Decimal;

use crate::error::CoreError;
use crate::money;
use crate::totals::{self, Adjustment, Cart, LineItem, LineTotals, ShippingMethod, TaxLine};

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub(crate) fn invalid(msg: String) -> PyErr {
    CoreError::InvalidInput(msg).into()
}

pub(crate) fn as_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>, what: &str) -> PyResult<&'a Bound<'py, PyDict>> {
    obj.cast::<PyDict>()
        .map_err(|_| invalid(format!("{what} must be a dict")))
}

/// `d[key]`, treating `None` as absent.
pub(crate) fn get<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

/// A money amount or quantity: `decimal.Decimal` or `int` only (never float, never bool).
pub(crate) fn decimal(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    let py = obj.py();
    let cls = DECIMAL.import(py, "decimal", "Decimal")?;
    let value = if obj.get_type().is(cls) || obj.is_instance(cls)? {
        // The text form is exact; a failed `extract::<i64>` first would cost an exception.
        let text = obj.str()?;
        let text = text.to_str()?;
        Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text)).ok()
    } else if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        obj.extract::<i64>().ok().map(Decimal::from)
    } else {
        return Err(CoreError::InvalidAmount(format!(
            "{what} must be a Decimal or an int, not {}",
            obj.get_type().name()?
        ))
        .into());
    };
    let value = value.ok_or_else(|| CoreError::InvalidAmount(format!("{what} is not a finite decimal: {obj}")))?;
    Ok(money::check_range(value)?)
}

pub(crate) fn bool_or(d: &Bound<'_, PyDict>, key: &Bound<'_, PyString>, default: bool, what: &str) -> PyResult<bool> {
    match get(d, key)? {
        Some(v) => v
            .cast::<PyBool>()
            .map(PyBoolMethods::is_true)
            .map_err(|_| invalid(format!("{what} must be a bool"))),
        None => Ok(default),
    }
}

pub(crate) fn string(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    obj.cast::<PyString>()
        .map_err(|_| invalid(format!("{what} must be a str")))?
        .to_str()
        .map(str::to_string)
}

/// Builds `decimal.Decimal` objects for results, sharing one object per value within a call
/// (Decimal is immutable; carts repeat amounts such as zero a lot).
pub(crate) struct DecimalOut<'py> {
    py: Python<'py>,
    digits: u32,
    cache: HashMap<Decimal, Bound<'py, PyAny>>,
}

impl<'py> DecimalOut<'py> {
    pub(crate) fn new(py: Python<'py>, digits: u32) -> DecimalOut<'py> {
        DecimalOut {
            py,
            digits,
            cache: HashMap::new(),
        }
    }

    /// The amount with exactly the currency's digits (`10.5` → `Decimal('10.50')`), never `-0`.
    pub(crate) fn get(&mut self, value: Decimal) -> PyResult<Bound<'py, PyAny>> {
        let mut v = value;
        v.rescale(self.digits);
        if v.is_zero() {
            v.set_sign_positive(true);
        }
        if let Some(obj) = self.cache.get(&v) {
            return Ok(obj.clone());
        }
        let obj = DECIMAL.import(self.py, "decimal", "Decimal")?.call1((v.to_string(),))?;
        self.cache.insert(v, obj.clone());
        Ok(obj)
    }
}

fn adjustments(d: &Bound<'_, PyDict>, owner: &str) -> PyResult<Vec<Adjustment>> {
    let py = d.py();
    let Some(list) = get(d, intern!(py, "adjustments"))? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for adj in list.try_iter()? {
        let adj = adj?;
        let a = as_dict(&adj, "adjustment")?;
        let amount = get(a, intern!(py, "amount"))?
            .ok_or_else(|| invalid(format!("adjustment of {owner:?} needs an amount")))?;
        out.push(Adjustment {
            amount: decimal(&amount, "adjustment amount")?,
            is_tax_inclusive: bool_or(a, intern!(py, "is_tax_inclusive"), false, "adjustment is_tax_inclusive")?,
        });
    }
    Ok(out)
}

fn tax_lines(d: &Bound<'_, PyDict>, owner: &str) -> PyResult<Vec<TaxLine>> {
    let py = d.py();
    let Some(list) = get(d, intern!(py, "tax_lines"))? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in list.try_iter()? {
        let line = line?;
        let t = as_dict(&line, "tax line")?;
        let rate =
            get(t, intern!(py, "rate"))?.ok_or_else(|| invalid(format!("tax line of {owner:?} needs a rate")))?;
        out.push(TaxLine {
            rate: decimal(&rate, "tax rate")?,
        });
    }
    Ok(out)
}

fn id_or_index(d: &Bound<'_, PyDict>, index: usize) -> PyResult<String> {
    match get(d, intern!(d.py(), "id"))? {
        Some(v) => string(&v, "id"),
        None => Ok(index.to_string()),
    }
}

/// The cart, plus each line's own `unit_price` and `quantity` objects, echoed back unchanged.
type Echo<'py> = Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>;

fn read_cart<'py>(cart: &Bound<'py, PyDict>) -> PyResult<(Cart, Echo<'py>)> {
    let py = cart.py();
    let currency_code = match get(cart, intern!(py, "currency_code"))? {
        Some(v) => string(&v, "currency_code")?,
        None => return Err(invalid("cart needs a currency_code".into())),
    };
    let mut out = Cart {
        currency_code,
        ..Cart::default()
    };
    let mut raw_prices = Vec::new();
    if let Some(items) = get(cart, intern!(py, "items"))? {
        for (index, raw) in items.try_iter()?.enumerate() {
            let raw = raw?;
            let d = as_dict(&raw, "line item")?;
            let id = id_or_index(d, index)?;
            let raw_price = get(d, intern!(py, "unit_price"))?
                .ok_or_else(|| invalid(format!("line item {id:?} needs a unit_price")))?;
            let unit_price = decimal(&raw_price, "unit_price")?;
            let raw_quantity = match get(d, intern!(py, "quantity"))? {
                Some(q) => q,
                None => 1_i64.into_pyobject(py)?.into_any(),
            };
            let quantity = decimal(&raw_quantity, "quantity")?;
            raw_prices.push((raw_price, raw_quantity));
            out.items.push(LineItem {
                adjustments: adjustments(d, &id)?,
                tax_lines: tax_lines(d, &id)?,
                is_tax_inclusive: bool_or(d, intern!(py, "is_tax_inclusive"), false, "is_tax_inclusive")?,
                id,
                unit_price,
                quantity,
            });
        }
    }
    if let Some(methods) = get(cart, intern!(py, "shipping_methods"))? {
        for (index, raw) in methods.try_iter()?.enumerate() {
            let raw = raw?;
            let d = as_dict(&raw, "shipping method")?;
            let id = id_or_index(d, index)?;
            let amount = get(d, intern!(py, "amount"))?
                .ok_or_else(|| invalid(format!("shipping method {id:?} needs an amount")))?;
            out.shipping_methods.push(ShippingMethod {
                amount: decimal(&amount, "shipping amount")?,
                adjustments: adjustments(d, &id)?,
                tax_lines: tax_lines(d, &id)?,
                is_tax_inclusive: bool_or(d, intern!(py, "is_tax_inclusive"), false, "is_tax_inclusive")?,
                id,
            });
        }
    }
    Ok((out, raw_prices))
}

fn line_fields<'py>(d: &Bound<'py, PyDict>, t: &LineTotals, out: &mut DecimalOut<'py>) -> PyResult<()> {
    let py = d.py();
    d.set_item(intern!(py, "subtotal"), out.get(t.subtotal)?)?;
    d.set_item(intern!(py, "total"), out.get(t.total)?)?;
    d.set_item(intern!(py, "original_total"), out.get(t.original_total)?)?;
    d.set_item(intern!(py, "original_subtotal"), out.get(t.original_subtotal)?)?;
    d.set_item(intern!(py, "discount_total"), out.get(t.discount_total)?)?;
    d.set_item(intern!(py, "discount_subtotal"), out.get(t.discount_subtotal)?)?;
    d.set_item(intern!(py, "discount_tax_total"), out.get(t.discount_tax_total)?)?;
    d.set_item(intern!(py, "tax_total"), out.get(t.tax_total)?)?;
    d.set_item(intern!(py, "original_tax_total"), out.get(t.original_tax_total)?)?;
    Ok(())
}

/// Every Medusa v2 totals field of a cart, its line items and its shipping methods.
#[pyfunction]
pub fn cart_totals<'py>(cart: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cart.py();
    let (input, raw_prices) = read_cart(as_dict(cart, "cart")?)?;
    let t = py.detach(|| totals::cart_totals(&input))?;
    let mut out = DecimalOut::new(py, money::currency_digits(&input.currency_code));
    let d = PyDict::new(py);
    d.set_item(intern!(py, "currency_code"), &input.currency_code)?;
    for (key, value) in [
        (intern!(py, "total"), t.total),
        (intern!(py, "subtotal"), t.subtotal),
        (intern!(py, "tax_total"), t.tax_total),
        (intern!(py, "discount_total"), t.discount_total),
        (intern!(py, "discount_subtotal"), t.discount_subtotal),
        (intern!(py, "discount_tax_total"), t.discount_tax_total),
        (intern!(py, "original_total"), t.original_total),
        (intern!(py, "original_subtotal"), t.original_subtotal),
        (intern!(py, "original_tax_total"), t.original_tax_total),
        (intern!(py, "item_total"), t.item_total),
        (intern!(py, "item_subtotal"), t.item_subtotal),
        (intern!(py, "item_tax_total"), t.item_tax_total),
        (intern!(py, "item_discount_total"), t.item_discount_total),
        (intern!(py, "original_item_total"), t.original_item_total),
        (intern!(py, "original_item_subtotal"), t.original_item_subtotal),
        (intern!(py, "original_item_tax_total"), t.original_item_tax_total),
        (intern!(py, "shipping_total"), t.shipping_total),
        (intern!(py, "shipping_subtotal"), t.shipping_subtotal),
        (intern!(py, "shipping_tax_total"), t.shipping_tax_total),
        (intern!(py, "shipping_discount_total"), t.shipping_discount_total),
        (intern!(py, "original_shipping_total"), t.original_shipping_total),
        (intern!(py, "original_shipping_subtotal"), t.original_shipping_subtotal),
        (
            intern!(py, "original_shipping_tax_total"),
            t.original_shipping_tax_total,
        ),
    ] {
        d.set_item(key, out.get(value)?)?;
    }
    let items = PyList::empty(py);
    for ((item, totals), (unit_price, quantity)) in input.items.iter().zip(&t.items).zip(raw_prices) {
        let row = PyDict::new(py);
        row.set_item(intern!(py, "id"), &item.id)?;
        row.set_item(intern!(py, "unit_price"), unit_price)?;
        row.set_item(intern!(py, "quantity"), quantity)?;
        line_fields(&row, totals, &mut out)?;
        items.append(row)?;
    }
    d.set_item(intern!(py, "items"), items)?;
    let methods = PyList::empty(py);
    for (method, totals) in input.shipping_methods.iter().zip(&t.shipping_methods) {
        let row = PyDict::new(py);
        row.set_item(intern!(py, "id"), &method.id)?;
        row.set_item(intern!(py, "amount"), method.amount)?;
        line_fields(&row, totals, &mut out)?;
        methods.append(row)?;
    }
    d.set_item(intern!(py, "shipping_methods"), methods)?;
    Ok(d)
}
