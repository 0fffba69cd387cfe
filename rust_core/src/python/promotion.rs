//! `PromotionSet` for Python: promotion dicts compiled once, updated by `upsert`/`remove`, and
//! `evaluate(cart_context, codes, now)` returning adjustments and rejected codes as dicts.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo, PyTzInfoAccess};
use rust_decimal::Decimal;

use super::convert::{as_dict, get, invalid};
use super::decimal::FastMap;
use super::pricing::wall_micros;
use super::totals::{bool_or, decimal, string, DecimalOut};
use crate::error::CoreError;
use crate::money;
use crate::promotion::rules::number_text;
use crate::promotion::{
    AdjustmentTarget, Allocation, ApplicationMethod, Attributes, Budget, BudgetType, Campaign, CartContext,
    ItemContext, MethodType, Operator, Promotion, PromotionSet, PromotionType, Rule, ShippingContext, Status,
    TargetType, MAX_QUANTITY,
};

static UTC_EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Epoch microseconds of a datetime; a naive datetime is taken as UTC.
fn micros(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    let py = obj.py();
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(invalid(format!("{what} must be a datetime")));
    }
    // A plain datetime, naive or in `timezone.utc`: its fields are UTC, no Python arithmetic needed.
    // (Subclasses may override `utcoffset` or subtraction: they take the general path.)
    if obj.is_exact_instance_of::<PyDateTime>() {
        let dt = obj.cast::<PyDateTime>()?;
        let utc = PyTzInfo::utc(py)?;
        if dt.get_tzinfo().is_none_or(|tz| tz.is(&*utc)) {
            return Ok(wall_micros(dt));
        }
    }
    let utc = UTC.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("datetime")?.getattr("timezone")?.getattr("utc")?.unbind())
    })?;
    let epoch = UTC_EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("tz", utc.bind(py))?;
        Ok(py
            .import("datetime")?
            .getattr("datetime")?
            .call_method("fromtimestamp", (0,), Some(&kwargs))?
            .unbind())
    })?;
    let aware = if obj.getattr(intern!(py, "tzinfo"))?.is_none() {
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", utc.bind(py))?;
        obj.call_method("replace", (), Some(&kwargs))?
    } else {
        obj.clone()
    };
    let delta = aware.sub(epoch.bind(py))?;
    let days: i64 = delta.getattr(intern!(py, "days"))?.extract()?;
    let seconds: i64 = delta.getattr(intern!(py, "seconds"))?.extract()?;
    let micro: i64 = delta.getattr(intern!(py, "microseconds"))?.extract()?;
    Ok((days * 86_400 + seconds) * 1_000_000 + micro)
}

/// Flatten a plain Python value into attribute paths (as `Attributes::from_value` does for a
/// tree), without building the tree; floats are refused (money is never float).
fn flatten_py(obj: &Bound<'_, PyAny>, path: &mut String, out: &mut Attributes) -> PyResult<()> {
    if obj.is_none() {
        return Ok(());
    }
    let scalar = if let Ok(s) = obj.cast::<PyString>() {
        s.to_str()?.to_string()
    } else if let Ok(b) = obj.cast::<PyBool>() {
        b.is_true().to_string()
    } else if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            match k.cast::<PyString>() {
                Ok(s) => path.push_str(s.to_str()?),
                Err(_) => path.push_str(k.str()?.to_str()?),
            }
            flatten_py(&v, path, out)?;
            path.truncate(len);
        }
        return Ok(());
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        for v in obj.try_iter()? {
            flatten_py(&v?, path, out)?;
        }
        return Ok(());
    } else if obj.is_instance_of::<PyFloat>() {
        return Err(CoreError::InvalidAmount(format!("floats are not accepted (use Decimal): {obj}")).into());
    } else if let Some(n) = obj
        .is_instance_of::<PyInt>()
        .then(|| obj.extract::<i64>().ok())
        .flatten()
    {
        n.to_string()
    } else {
        match decimal(obj, "context value") {
            Ok(n) => number_text(n),
            Err(_) => obj.str()?.to_str()?.to_string(),
        }
    };
    out.push(path, scalar);
    Ok(())
}

fn attributes_of(d: &Bound<'_, PyDict>, skip: &[&str]) -> PyResult<Attributes> {
    let mut out = Attributes::default();
    let mut path = String::new();
    for (k, v) in d.iter() {
        let key = match k.cast::<PyString>() {
            Ok(s) => s.to_str()?.to_string(),
            Err(_) => k.str()?.to_str()?.to_string(),
        };
        if skip.contains(&key.as_str()) {
            continue;
        }
        path.clear();
        path.push_str(&key);
        flatten_py(&v, &mut path, &mut out)?;
    }
    Ok(out)
}

fn required_id(d: &Bound<'_, PyDict>, owner: &str) -> PyResult<String> {
    match get(d, intern!(d.py(), "id"))? {
        Some(v) if v.is_instance_of::<PyString>() => string(&v, "id"),
        _ => Err(invalid(format!("{owner} needs a string id"))),
    }
}

fn amount_or(d: &Bound<'_, PyDict>, key: &Bound<'_, PyString>, owner: &str) -> PyResult<Option<Decimal>> {
    get(d, key)?.map(|v| decimal(&v, &format!("{owner}.{key}"))).transpose()
}

fn list_of<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    match get(d, key)? {
        None => Ok(Vec::new()),
        Some(v) if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() => v.try_iter()?.collect(),
        Some(_) => Err(invalid(format!("cart context {key} must be a list"))),
    }
}

/// The cart context, read in one pass (the same reading as `CartContext::from_value`).
fn read_cart(obj: &Bound<'_, PyAny>) -> PyResult<CartContext> {
    let py = obj.py();
    let d = as_dict(obj, "cart_context")?;
    let currency_code = match get(d, intern!(py, "currency_code"))? {
        Some(v) if v.is_instance_of::<PyString>() => Some(string(&v, "currency_code")?),
        _ => None,
    };
    let mut items = Vec::new();
    for raw in list_of(d, intern!(py, "items"))? {
        let item = raw.cast::<PyDict>().map_err(|_| invalid("item needs a string id"))?;
        let id = required_id(item, "item")?;
        let quantity = amount_or(item, intern!(py, "quantity"), "item")?.unwrap_or(Decimal::ONE);
        if (quantity.is_sign_negative() && !quantity.is_zero()) || quantity > MAX_QUANTITY {
            return Err(CoreError::InvalidInput(format!("item {id:?} quantity must be within 0..=1e9")).into());
        }
        let subtotal = amount_or(item, intern!(py, "subtotal"), "item")?.unwrap_or_default();
        let original_total = amount_or(item, intern!(py, "original_total"), "item")?.unwrap_or(subtotal);
        let is_discountable =
            !get(item, intern!(py, "is_discountable"))?.is_some_and(|v| v.cast::<PyBool>().is_ok_and(|b| !b.is_true()));
        items.push(ItemContext {
            id,
            quantity,
            subtotal,
            original_total,
            is_discountable,
            attributes: attributes_of(item, &[])?,
        });
    }
    let mut shipping_methods = Vec::new();
    for raw in list_of(d, intern!(py, "shipping_methods"))? {
        let method = raw
            .cast::<PyDict>()
            .map_err(|_| invalid("shipping method needs a string id"))?;
        let id = required_id(method, "shipping method")?;
        let subtotal = amount_or(method, intern!(py, "subtotal"), "shipping method")?.unwrap_or_default();
        shipping_methods.push(ShippingContext {
            id,
            subtotal,
            attributes: attributes_of(method, &[])?,
        });
    }
    let attributes = attributes_of(d, &["items", "shipping_methods"])?;
    Ok(CartContext {
        currency_code,
        attributes,
        items,
        shipping_methods,
    })
}

fn choice<T: Copy>(
    d: &Bound<'_, PyDict>,
    key: &str,
    options: &[(&str, T)],
    default: Option<T>,
    what: &str,
) -> PyResult<T> {
    let Some(v) = get(d, &PyString::new(d.py(), key))? else {
        return default.ok_or_else(|| invalid(format!("{what} needs {key}")));
    };
    let text = string(&v, key)?;
    options
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            invalid(format!(
                "{what}.{key} must be one of {:?}: {text:?}",
                options.iter().map(|o| o.0).collect::<Vec<_>>()
            ))
        })
}

/// An optional amount or quantity of a promotion; none of them may be negative.
fn opt_decimal(d: &Bound<'_, PyDict>, key: &str, what: &str) -> PyResult<Option<Decimal>> {
    let value = get(d, &PyString::new(d.py(), key))?
        .map(|v| decimal(&v, &format!("{what}.{key}")))
        .transpose()?;
    if value.is_some_and(|v| v.is_sign_negative() && !v.is_zero()) {
        return Err(CoreError::InvalidAmount(format!("{what}.{key} must not be negative")).into());
    }
    Ok(value)
}

fn rule_value(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(d) = v.cast::<PyDict>() {
        let inner = get(d, intern!(v.py(), "value"))?.ok_or_else(|| invalid("rule value needs a value"))?;
        return rule_value(&inner);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_str()?.to_string());
    }
    Ok(number_text(decimal(v, "rule value")?))
}

fn rules(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<Rule>> {
    let py = d.py();
    let Some(list) = get(d, &PyString::new(py, key))? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for raw in list.try_iter()? {
        let raw = raw?;
        let r = as_dict(&raw, "rule")?;
        let attribute = string(
            &get(r, intern!(py, "attribute"))?.ok_or_else(|| invalid("rule needs an attribute"))?,
            "attribute",
        )?;
        let operator: Operator = string(
            &get(r, intern!(py, "operator"))?.ok_or_else(|| invalid("rule needs an operator"))?,
            "operator",
        )?
        .parse()?;
        let values = match get(r, intern!(py, "values"))? {
            None => Vec::new(),
            Some(v) if v.is_instance_of::<PyString>() => vec![rule_value(&v)?],
            Some(v) => v.try_iter()?.map(|x| rule_value(&x?)).collect::<PyResult<Vec<_>>>()?,
        };
        out.push(Rule::new(&attribute, operator, values));
    }
    Ok(out)
}

fn read_application_method(raw: &Bound<'_, PyAny>, kind: PromotionType, what: &str) -> PyResult<ApplicationMethod> {
    let py = raw.py();
    let am = as_dict(raw, "application_method")?;
    let am_what = format!("{what}.application_method");
    let default_value = if kind == PromotionType::BuyGet {
        Decimal::ONE_HUNDRED
    } else {
        Decimal::ZERO
    };
    Ok(ApplicationMethod {
        kind: choice(
            am,
            "type",
            &[("fixed", MethodType::Fixed), ("percentage", MethodType::Percentage)],
            Some(MethodType::Percentage).filter(|_| kind == PromotionType::BuyGet),
            &am_what,
        )?,
        target_type: choice(
            am,
            "target_type",
            &[
                ("items", TargetType::Items),
                ("shipping_methods", TargetType::ShippingMethods),
                ("order", TargetType::Order),
            ],
            Some(TargetType::Items),
            &am_what,
        )?,
        allocation: match get(am, intern!(py, "allocation"))? {
            None => None,
            Some(_) => Some(choice(
                am,
                "allocation",
                &[
                    ("each", Allocation::Each),
                    ("across", Allocation::Across),
                    ("once", Allocation::Once),
                ],
                None,
                &am_what,
            )?),
        },
        value: opt_decimal(am, "value", &am_what)?.unwrap_or(default_value),
        max_quantity: opt_decimal(am, "max_quantity", &am_what)?,
        max_amount: opt_decimal(am, "max_amount", &am_what)?,
        currency_code: get(am, intern!(py, "currency_code"))?
            .map(|c| string(&c, "currency_code"))
            .transpose()?,
        target_rules: rules(am, "target_rules")?,
        buy_rules: rules(am, "buy_rules")?,
        buy_rules_min_quantity: opt_decimal(am, "buy_rules_min_quantity", &am_what)?,
        apply_to_quantity: opt_decimal(am, "apply_to_quantity", &am_what)?,
    })
}

fn read_campaign(raw: &Bound<'_, PyAny>) -> PyResult<Campaign> {
    let py = raw.py();
    let c = as_dict(raw, "campaign")?;
    let budget = match get(c, intern!(py, "budget"))? {
        None => None,
        Some(raw) => {
            let b = as_dict(&raw, "budget")?;
            Some(Budget {
                kind: choice(
                    b,
                    "type",
                    &[("spend", BudgetType::Spend), ("usage", BudgetType::Usage)],
                    Some(BudgetType::Spend),
                    "budget",
                )?,
                limit: opt_decimal(b, "limit", "budget")?,
                used: opt_decimal(b, "used", "budget")?.unwrap_or_default(),
            })
        }
    };
    Ok(Campaign {
        starts_at: get(c, intern!(py, "starts_at"))?
            .map(|t| micros(&t, "campaign.starts_at"))
            .transpose()?,
        ends_at: get(c, intern!(py, "ends_at"))?
            .map(|t| micros(&t, "campaign.ends_at"))
            .transpose()?,
        budget,
    })
}

fn read_promotion(obj: &Bound<'_, PyAny>) -> PyResult<Promotion> {
    let py = obj.py();
    let d = as_dict(obj, "promotion")?;
    let id = string(
        &get(d, intern!(py, "id"))?.ok_or_else(|| invalid("promotion needs an id"))?,
        "id",
    )?;
    let what = format!("promotion {id:?}");
    let code = get(d, intern!(py, "code"))?.map(|c| string(&c, "code")).transpose()?;
    let kind = choice(
        d,
        "type",
        &[("standard", PromotionType::Standard), ("buyget", PromotionType::BuyGet)],
        Some(PromotionType::Standard),
        &what,
    )?;
    let status = choice(
        d,
        "status",
        &[
            ("active", Status::Active),
            ("inactive", Status::Inactive),
            ("draft", Status::Draft),
        ],
        Some(Status::Active),
        &what,
    )?;
    let raw_am = get(d, intern!(py, "application_method"))?
        .ok_or_else(|| invalid(format!("{what} needs an application_method")))?;
    let application_method = read_application_method(&raw_am, kind, &what)?;
    let campaign = get(d, intern!(py, "campaign"))?
        .map(|raw| read_campaign(&raw))
        .transpose()?;
    Ok(Promotion {
        code,
        kind,
        is_automatic: bool_or(d, intern!(py, "is_automatic"), false, "is_automatic")?,
        is_tax_inclusive: bool_or(d, intern!(py, "is_tax_inclusive"), false, "is_tax_inclusive")?,
        status,
        application_method,
        rules: rules(d, "rules")?,
        campaign,
        id,
    })
}

fn read_promotions(promotions: &Bound<'_, PyAny>) -> PyResult<Vec<Promotion>> {
    promotions.try_iter()?.map(|p| read_promotion(&p?)).collect()
}

/// One Python str per distinct text within a call.
fn text<'a, 'py>(
    py: Python<'py>,
    strings: &mut FastMap<&'a str, Bound<'py, PyString>>,
    s: &'a str,
) -> Bound<'py, PyString> {
    strings.entry(s).or_insert_with(|| PyString::new(py, s)).clone()
}

/// Compiled promotions. Build once from Medusa-shaped promotion dicts, keep up to date with
/// `upsert` / `remove`, and `evaluate` a cart context against them.
#[pyclass(module = "commerce._native", name = "PromotionSet")]
pub struct PyPromotionSet {
    inner: PromotionSet,
}

#[pymethods]
impl PyPromotionSet {
    #[new]
    #[pyo3(signature = (promotions = None))]
    fn new(promotions: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut inner = PromotionSet::new();
        if let Some(p) = promotions {
            inner.upsert(read_promotions(p)?)?;
        }
        Ok(PyPromotionSet { inner })
    }

    /// Insert or replace promotions (by id).
    fn upsert(&mut self, promotions: &Bound<'_, PyAny>) -> PyResult<()> {
        Ok(self.inner.upsert(read_promotions(promotions)?)?)
    }

    /// Remove promotions by id; returns how many were present.
    fn remove(&mut self, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        if ids.is_instance_of::<PyString>() {
            return Err(invalid("remove takes an iterable of ids, not a str"));
        }
        let ids = ids
            .try_iter()?
            .map(|i| string(&i?, "id"))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(self.inner.remove(&ids))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, id: &str) -> bool {
        self.inner.get(id).is_some()
    }

    /// The adjustments the entered codes and the automatic promotions give this cart at `now`.
    fn evaluate<'py>(
        &self,
        cart_context: &Bound<'py, PyAny>,
        codes: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let py = cart_context.py();
        let cart = read_cart(cart_context)?;
        if codes.is_instance_of::<PyString>() {
            return Err(invalid("codes must be an iterable of str, not a str"));
        }
        let codes = codes
            .try_iter()?
            .map(|c| string(&c?, "code"))
            .collect::<PyResult<Vec<_>>>()?;
        let now = micros(now, "now")?;
        let set = &self.inner;
        let result = py.detach(|| set.evaluate(&cart, &codes, now));

        let digits = cart.currency_code.as_deref().map_or(2, money::currency_digits);
        let mut amounts = DecimalOut::new(py, digits)?;
        // Ids and codes repeat across adjustments: one Python str each.
        let mut strings: FastMap<&str, Bound<'py, PyString>> = FastMap::default();
        let items = PyList::empty(py);
        let methods = PyList::empty(py);
        for a in &result.adjustments {
            let row = PyDict::new(py);
            let key = match a.target {
                AdjustmentTarget::Item => intern!(py, "item_id"),
                AdjustmentTarget::ShippingMethod => intern!(py, "shipping_method_id"),
            };
            row.set_item(key, text(py, &mut strings, &a.target_id))?;
            row.set_item(intern!(py, "amount"), amounts.get(a.amount)?)?;
            match &a.code {
                Some(code) => row.set_item(intern!(py, "code"), text(py, &mut strings, code))?,
                None => row.set_item(intern!(py, "code"), py.None())?,
            }
            row.set_item(intern!(py, "promotion_id"), text(py, &mut strings, &a.promotion_id))?;
            match a.target {
                AdjustmentTarget::Item => {
                    row.set_item(intern!(py, "is_tax_inclusive"), a.is_tax_inclusive)?;
                    items.append(row)?;
                }
                AdjustmentTarget::ShippingMethod => methods.append(row)?,
            }
        }
        let rejected = PyList::empty(py);
        for (code, reason) in &result.rejected {
            let row = PyDict::new(py);
            row.set_item(intern!(py, "code"), code)?;
            row.set_item(intern!(py, "reason"), reason.as_str())?;
            rejected.append(row)?;
        }
        let out = PyDict::new(py);
        out.set_item(intern!(py, "item_adjustments"), items)?;
        out.set_item(intern!(py, "shipping_method_adjustments"), methods)?;
        out.set_item(intern!(py, "rejected_codes"), rejected)?;
        out.set_item(
            intern!(py, "budget_exceeded"),
            PyList::new(py, &result.budget_exceeded)?,
        )?;
        Ok(out)
    }
}
