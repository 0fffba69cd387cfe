//! `cart_totals` for Python: a cart dict in, a dict of Medusa's totals fields out (Decimal amounts).
//! Also the amount conversions the promotion bindings share.

use std::str::FromStr;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use rust_decimal::Decimal;

use super::convert::{as_dict, get, invalid};
pub(crate) use super::decimal::DecimalOut;
use super::decimal::{decimal_type, is_int, to_py_decimal};
use super::rows::Rows;
use crate::error::CoreError;
use crate::money;
use crate::totals::{self, Adjustment, Cart, LineItem, LineTotals, ShippingMethod, TaxLine};

/// A money amount or quantity: `decimal.Decimal` or `int` only (never float, never bool).
pub(crate) fn decimal(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    let cls = decimal_type(obj.py())?;
    let value = if obj.get_type().is(cls) || obj.is_instance(cls)? {
        // The text form is exact; a failed `extract::<i64>` first would cost an exception.
        let text = obj.str()?;
        let text = text.to_str()?;
        Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text)).ok()
    } else if is_int(obj) {
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
        None => return Err(invalid("cart needs a currency_code")),
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

/// The nine totals fields of a line item or a shipping method, in Medusa's order.
fn line_keys(py: Python<'_>) -> [&Bound<'_, PyString>; 9] {
    [
        intern!(py, "subtotal"),
        intern!(py, "total"),
        intern!(py, "original_total"),
        intern!(py, "original_subtotal"),
        intern!(py, "discount_total"),
        intern!(py, "discount_subtotal"),
        intern!(py, "discount_tax_total"),
        intern!(py, "tax_total"),
        intern!(py, "original_tax_total"),
    ]
}

fn line_fields<'py>(d: &Bound<'py, PyDict>, t: &LineTotals, out: &mut DecimalOut<'py>) -> PyResult<()> {
    let values = [
        t.subtotal,
        t.total,
        t.original_total,
        t.original_subtotal,
        t.discount_total,
        t.discount_subtotal,
        t.discount_tax_total,
        t.tax_total,
        t.original_tax_total,
    ];
    for (key, value) in line_keys(d.py()).into_iter().zip(values) {
        d.set_item(key, out.get(value)?)?;
    }
    Ok(())
}

static CART_ROW: Rows = Rows::new();
static ITEM_ROW: Rows = Rows::new();
static METHOD_ROW: Rows = Rows::new();

/// A row of `rows`: `first` keys, then the nine totals fields.
fn row<'py>(rows: &Rows, py: Python<'py>, first: &[&str]) -> PyResult<Bound<'py, PyDict>> {
    rows.row(py, || {
        let first = first.iter().map(|key| PyString::intern(py, key));
        first.chain(line_keys(py).into_iter().cloned()).collect()
    })
}

/// Every Medusa v2 totals field of a cart, its line items and its shipping methods.
#[pyfunction]
pub fn cart_totals<'py>(cart: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cart.py();
    let (input, raw_prices) = read_cart(as_dict(cart, "cart")?)?;
    let t = py.detach(|| totals::cart_totals(&input))?;
    let mut out = DecimalOut::new(py, money::currency_digits(&input.currency_code))?;
    let fields = [
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
    ];
    let d = CART_ROW.row(py, || {
        std::iter::once(intern!(py, "currency_code"))
            .chain(fields.iter().map(|(key, _)| *key))
            .chain([intern!(py, "items"), intern!(py, "shipping_methods")])
            .cloned()
            .collect()
    })?;
    d.set_item(intern!(py, "currency_code"), &input.currency_code)?;
    for (key, value) in fields {
        d.set_item(key, out.get(value)?)?;
    }
    let items = PyList::empty(py);
    for ((item, totals), (unit_price, quantity)) in input.items.iter().zip(&t.items).zip(raw_prices) {
        let row = row(&ITEM_ROW, py, &["id", "unit_price", "quantity"])?;
        row.set_item(intern!(py, "id"), &item.id)?;
        row.set_item(intern!(py, "unit_price"), unit_price)?;
        row.set_item(intern!(py, "quantity"), quantity)?;
        line_fields(&row, totals, &mut out)?;
        items.append(row)?;
    }
    d.set_item(intern!(py, "items"), items)?;
    let methods = PyList::empty(py);
    for (method, totals) in input.shipping_methods.iter().zip(&t.shipping_methods) {
        let row = row(&METHOD_ROW, py, &["id", "amount"])?;
        row.set_item(intern!(py, "id"), &method.id)?;
        row.set_item(intern!(py, "amount"), to_py_decimal(py, method.amount)?)?;
        line_fields(&row, totals, &mut out)?;
        methods.append(row)?;
    }
    d.set_item(intern!(py, "shipping_methods"), methods)?;
    Ok(d)
}
