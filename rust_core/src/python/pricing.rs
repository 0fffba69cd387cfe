//! `PriceIndex` and `CalculatedPrice` for Python: dicts, `Decimal` and aware `datetime` in;
//! lazy `CalculatedPrice` objects out (fields are built on access, `to_dict()` gives Medusa's shape).

use std::sync::{PoisonError, RwLock};

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDateTime, PyDelta, PyDict, PyFloat, PyList, PyString};
use rust_decimal::Decimal;

use super::convert::{as_dict, get, invalid};
use super::decimal::{fast_decimal, to_py_decimal};
use crate::error::CoreError;
use crate::pricing::{
    self, PreferenceAttribute, PriceInput, PriceListInput, PriceListPriceInput, PriceListStatus, PriceListType,
    PricePreference, PriceSetInput, PricingContext, SelectedPrice,
};

fn required<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>, what: &str) -> PyResult<Bound<'py, PyAny>> {
    get(d, key)?.ok_or_else(|| invalid(format!("{what}: {key} is required")))
}

fn string(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    obj.cast::<PyString>()
        .map_err(|_| invalid(format!("{what} must be a str")))?
        .to_str()
        .map(str::to_owned)
}

fn int(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(invalid(format!("{what} must be an int")));
    }
    obj.extract::<i64>()
        .map_err(|_| invalid(format!("{what} must be an int")))
}

fn boolean(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<bool> {
    obj.cast::<PyBool>()
        .map(pyo3::types::PyBoolMethods::is_true)
        .map_err(|_| invalid(format!("{what} must be a bool")))
}

/// A `Decimal` (or int) amount; floats are refused (money is never float).
pub(crate) fn decimal(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    // Exact Decimals and ints directly; pyo3's general conversion tries `int` first, which costs a
    // raised and discarded TypeError for every Decimal.
    if let Some(value) = fast_decimal(obj)? {
        return Ok(value);
    }
    if obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyBool>() {
        return Err(
            CoreError::InvalidAmount(format!("{what} must be a Decimal, not {}", obj.get_type().name()?)).into(),
        );
    }
    obj.extract::<Decimal>()
        .map_err(|_| CoreError::InvalidAmount(format!("{what} is not a decimal amount")).into())
}

fn strings(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Ok(vec![string(obj, what)?]);
    }
    obj.try_iter()
        .map_err(|_| invalid(format!("{what} must be a str or a list of str")))?
        .map(|v| string(&v?, what))
        .collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch microseconds of an aware `datetime`; naive datetimes are refused (no guessing the zone).
pub(crate) fn epoch_micros(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    use pyo3::types::{PyDeltaAccess, PyTzInfo, PyTzInfoAccess};
    let dt = obj
        .cast::<PyDateTime>()
        .map_err(|_| invalid(format!("{what} must be a datetime")))?;
    // `timezone.utc` has a zero offset: skip the `utcoffset()` call (not for subclasses, which
    // may override it).
    let utc = PyTzInfo::utc(obj.py())?;
    let offset_micros = if dt.is_exact_instance_of::<PyDateTime>() && dt.get_tzinfo().is_some_and(|tz| tz.is(&*utc)) {
        0
    } else {
        let offset = dt.call_method0(intern!(obj.py(), "utcoffset"))?;
        if offset.is_none() {
            return Err(invalid(format!("{what} must be timezone-aware")));
        }
        let offset = offset
            .cast::<PyDelta>()
            .map_err(|_| PyTypeError::new_err("utcoffset() must return a timedelta"))?;
        (i64::from(offset.get_days()) * 86_400 + i64::from(offset.get_seconds())) * 1_000_000
            + i64::from(offset.get_microseconds())
    };
    Ok(wall_micros(dt) - offset_micros)
}

/// Epoch microseconds of a datetime's fields read as UTC (its tzinfo ignored).
pub(crate) fn wall_micros(dt: &Bound<'_, PyDateTime>) -> i64 {
    use pyo3::types::{PyDateAccess, PyTimeAccess};
    let days = days_from_civil(
        i64::from(dt.get_year()),
        i64::from(dt.get_month()),
        i64::from(dt.get_day()),
    );
    let seconds =
        days * 86_400 + i64::from(dt.get_hour()) * 3600 + i64::from(dt.get_minute()) * 60 + i64::from(dt.get_second());
    seconds * 1_000_000 + i64::from(dt.get_microsecond())
}

fn price_input(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<PriceInput> {
    let py = obj.py();
    let d = as_dict(obj, what)?;
    let id = string(&required(d, intern!(py, "id"), what)?, "price id")?;
    let amount = decimal(&required(d, intern!(py, "amount"), &id)?, "amount")?;
    let currency_code = string(&required(d, intern!(py, "currency_code"), &id)?, "currency_code")?;
    let min_quantity = get(d, intern!(py, "min_quantity"))?
        .map(|v| int(&v, "min_quantity"))
        .transpose()?;
    let max_quantity = get(d, intern!(py, "max_quantity"))?
        .map(|v| int(&v, "max_quantity"))
        .transpose()?;
    let mut rules = Vec::new();
    if let Some(r) = get(d, intern!(py, "rules"))? {
        for (k, v) in as_dict(&r, "price rules")?.iter() {
            rules.push((string(&k, "rule attribute")?, string(&v, "price rule value")?));
        }
    }
    Ok(PriceInput {
        id,
        amount,
        currency_code,
        min_quantity,
        max_quantity,
        rules,
    })
}

fn price_set_input(obj: &Bound<'_, PyAny>) -> PyResult<PriceSetInput> {
    let py = obj.py();
    let d = as_dict(obj, "price set")?;
    let id = string(&required(d, intern!(py, "id"), "price set")?, "price set id")?;
    let mut prices = Vec::new();
    if let Some(ps) = get(d, intern!(py, "prices"))? {
        for p in ps.try_iter()? {
            prices.push(price_input(&p?, "price")?);
        }
    }
    Ok(PriceSetInput { id, prices })
}

fn price_list_input(obj: &Bound<'_, PyAny>) -> PyResult<PriceListInput> {
    let py = obj.py();
    let d = as_dict(obj, "price list")?;
    let id = string(&required(d, intern!(py, "id"), "price list")?, "price list id")?;
    let list_type = match get(d, intern!(py, "type"))?
        .map(|t| string(&t, "type"))
        .transpose()?
        .as_deref()
    {
        Some("sale") | None => PriceListType::Sale,
        Some("override") => PriceListType::Override,
        Some(other) => {
            return Err(invalid(format!(
                "price list {id}: type must be sale or override, got {other:?}"
            )))
        }
    };
    let status = match get(d, intern!(py, "status"))?
        .map(|t| string(&t, "status"))
        .transpose()?
        .as_deref()
    {
        Some("active") | None => PriceListStatus::Active,
        Some("draft") => PriceListStatus::Draft,
        Some(other) => {
            return Err(invalid(format!(
                "price list {id}: status must be active or draft, got {other:?}"
            )))
        }
    };
    let starts_at = get(d, intern!(py, "starts_at"))?
        .map(|v| epoch_micros(&v, "starts_at"))
        .transpose()?;
    let ends_at = get(d, intern!(py, "ends_at"))?
        .map(|v| epoch_micros(&v, "ends_at"))
        .transpose()?;
    let mut rules = Vec::new();
    if let Some(r) = get(d, intern!(py, "rules"))? {
        for (k, v) in as_dict(&r, "price list rules")?.iter() {
            rules.push((string(&k, "rule attribute")?, strings(&v, "price list rule value")?));
        }
    }
    let mut prices = Vec::new();
    if let Some(ps) = get(d, intern!(py, "prices"))? {
        for p in ps.try_iter()? {
            let p = p?;
            let pd = as_dict(&p, "price list price")?;
            let price_set_id = string(
                &required(pd, intern!(py, "price_set_id"), "price list price")?,
                "price_set_id",
            )?;
            prices.push(PriceListPriceInput {
                price_set_id,
                price: price_input(&p, "price list price")?,
            });
        }
    }
    Ok(PriceListInput {
        id,
        list_type,
        status,
        starts_at,
        ends_at,
        rules,
        prices,
    })
}

fn preference_input(obj: &Bound<'_, PyAny>) -> PyResult<PricePreference> {
    let py = obj.py();
    let d = as_dict(obj, "price preference")?;
    let attribute = match string(&required(d, intern!(py, "attribute"), "price preference")?, "attribute")?.as_str() {
        "region_id" => PreferenceAttribute::RegionId,
        "currency_code" => PreferenceAttribute::CurrencyCode,
        other => {
            return Err(invalid(format!(
                "price preference attribute must be region_id or currency_code, got {other:?}"
            )))
        }
    };
    let value = string(&required(d, intern!(py, "value"), "price preference")?, "value")?;
    let is_tax_inclusive = boolean(
        &required(d, intern!(py, "is_tax_inclusive"), "price preference")?,
        "is_tax_inclusive",
    )?;
    Ok(PricePreference {
        attribute,
        value,
        is_tax_inclusive,
    })
}

fn context_input(obj: &Bound<'_, PyAny>) -> PyResult<PricingContext> {
    let py = obj.py();
    let d = as_dict(obj, "context")?;
    let mut ctx = PricingContext::default();
    for (k, v) in d.iter() {
        if v.is_none() {
            continue;
        }
        let key = k.cast::<PyString>().map_err(|_| invalid("context keys must be str"))?;
        match key.to_str()? {
            "currency_code" => ctx.currency_code = string(&v, "currency_code")?,
            "region_id" => ctx.region_id = Some(string(&v, "region_id")?),
            "customer_group_ids" => ctx.customer_group_ids = strings(&v, "customer_group_ids")?,
            "quantity" => ctx.quantity = Some(int(&v, "quantity")?),
            "now" => ctx.now = epoch_micros(&v, "now")?,
            "tax_rates" => {
                ctx.tax_rates = v
                    .try_iter()?
                    .map(|r| decimal(&r?, "tax rate"))
                    .collect::<PyResult<Vec<Decimal>>>()?;
            }
            "attributes" => {
                for (a, vals) in as_dict(&v, "attributes")?.iter() {
                    ctx.attributes
                        .push((string(&a, "attribute")?, strings(&vals, "attribute value")?));
                }
            }
            other => return Err(invalid(format!("unknown context key {other:?}"))),
        }
    }
    if d.get_item(intern!(py, "now"))?.is_none_or(|v| v.is_none()) {
        return Err(invalid("context: now is required (an aware datetime)"));
    }
    pricing::PriceIndex::check_context(&ctx)?;
    Ok(ctx)
}

fn collect<T>(objs: &Bound<'_, PyAny>, f: impl Fn(&Bound<'_, PyAny>) -> PyResult<T>) -> PyResult<Vec<T>> {
    objs.try_iter()?.map(|o| f(&o?)).collect()
}

/// A compiled index of price sets, price lists and price preferences (Medusa's pricing module).
#[pyclass(module = "commerce._native", frozen)]
pub struct PriceIndex {
    inner: RwLock<pricing::PriceIndex>,
}

impl PriceIndex {
    fn write<R>(&self, py: Python<'_>, f: impl FnOnce(&mut pricing::PriceIndex) -> R + Send) -> R
    where
        R: Send,
    {
        py.detach(|| f(&mut self.inner.write().unwrap_or_else(PoisonError::into_inner)))
    }
}

#[pymethods]
impl PriceIndex {
    #[new]
    #[pyo3(signature = (price_sets = None, price_lists = None, price_preferences = None))]
    fn new(
        py: Python<'_>,
        price_sets: Option<&Bound<'_, PyAny>>,
        price_lists: Option<&Bound<'_, PyAny>>,
        price_preferences: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let index = PriceIndex {
            inner: RwLock::new(pricing::PriceIndex::new()),
        };
        if let Some(sets) = price_sets {
            index.upsert_price_sets(py, sets)?;
        }
        if let Some(lists) = price_lists {
            index.upsert_price_lists(py, lists)?;
        }
        if let Some(prefs) = price_preferences {
            index.set_price_preferences(py, prefs)?;
        }
        Ok(index)
    }

    /// Insert or replace price sets: `[{"id", "prices": [{"id", "amount", "currency_code", ...}]}]`.
    fn upsert_price_sets(&self, py: Python<'_>, price_sets: &Bound<'_, PyAny>) -> PyResult<()> {
        let sets = collect(price_sets, price_set_input)?;
        Ok(self.write(py, |ix| ix.upsert_price_sets(sets))?)
    }

    /// Remove price sets by id (unknown ids are ignored).
    fn remove_price_sets(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<()> {
        let ids = collect(ids, |o| string(o, "price set id"))?;
        self.write(py, |ix| ix.remove_price_sets(&ids));
        Ok(())
    }

    /// Insert or replace price lists with their prices.
    fn upsert_price_lists(&self, py: Python<'_>, price_lists: &Bound<'_, PyAny>) -> PyResult<()> {
        let lists = collect(price_lists, price_list_input)?;
        Ok(self.write(py, |ix| ix.upsert_price_lists(lists))?)
    }

    /// Remove price lists (and their prices) by id.
    fn remove_price_lists(&self, py: Python<'_>, ids: &Bound<'_, PyAny>) -> PyResult<()> {
        let ids = collect(ids, |o| string(o, "price list id"))?;
        self.write(py, |ix| ix.remove_price_lists(&ids));
        Ok(())
    }

    /// Replace all price preferences: `[{"attribute": "region_id"|"currency_code", "value", "is_tax_inclusive"}]`.
    fn set_price_preferences(&self, py: Python<'_>, price_preferences: &Bound<'_, PyAny>) -> PyResult<()> {
        let prefs = collect(price_preferences, preference_input)?;
        self.write(py, |ix| ix.set_price_preferences(prefs));
        Ok(())
    }

    fn __len__(&self) -> usize {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Price the given sets in one context; sets without a price for it are absent from the result.
    fn calculate<'py>(
        &self,
        py: Python<'py>,
        price_set_ids: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ctx = context_input(context)?;
        let keys: Vec<Bound<'py, PyString>> = match price_set_ids.cast::<PyList>() {
            Ok(list) => list
                .iter()
                .map(|o| {
                    o.cast_into::<PyString>()
                        .map_err(|_| invalid("price set ids must be str"))
                })
                .collect::<PyResult<_>>()?,
            Err(_) => price_set_ids
                .try_iter()?
                .map(|o| {
                    o?.cast_into::<PyString>()
                        .map_err(|_| invalid("price set ids must be str"))
                })
                .collect::<PyResult<_>>()?,
        };
        let ids: Vec<&str> = keys.iter().map(|k| k.to_str()).collect::<PyResult<_>>()?;
        let results = py.detach(|| {
            self.inner
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .calculate(&ids, &ctx)
        })?;
        let out = PyDict::new(py);
        for (key, result) in keys.iter().zip(results) {
            if let Some(inner) = result {
                out.set_item(key, CalculatedPrice { inner })?;
            }
        }
        Ok(out)
    }
}

/// Medusa's calculated price of one price set. Fields are read lazily; `to_dict()` gives them all.
#[pyclass(module = "commerce._native", frozen)]
pub struct CalculatedPrice {
    inner: pricing::CalculatedPrice,
}

fn price_dict<'py>(py: Python<'py>, selected: Option<&SelectedPrice>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let none = py.None();
    match selected {
        Some(s) => {
            d.set_item(intern!(py, "id"), &s.price.id)?;
            d.set_item(intern!(py, "price_list_id"), s.list.as_ref().map(|l| l.id.as_str()))?;
            d.set_item(
                intern!(py, "price_list_type"),
                s.list.as_ref().map(|l| l.list_type.as_str()),
            )?;
            d.set_item(intern!(py, "min_quantity"), s.price.min_quantity)?;
            d.set_item(intern!(py, "max_quantity"), s.price.max_quantity)?;
        }
        None => {
            for key in ["id", "price_list_id", "price_list_type", "min_quantity", "max_quantity"] {
                d.set_item(key, &none)?;
            }
        }
    }
    Ok(d)
}

#[pymethods]
impl CalculatedPrice {
    /// The price set's id.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.price_set_id
    }
    #[getter]
    fn is_calculated_price_price_list(&self) -> bool {
        self.inner.calculated.list.is_some()
    }
    #[getter]
    fn is_calculated_price_tax_inclusive(&self) -> bool {
        self.inner.calculated.is_tax_inclusive
    }
    #[getter]
    fn calculated_amount(&self) -> Decimal {
        self.inner.calculated.price.amount
    }
    #[getter]
    fn is_original_price_price_list(&self) -> bool {
        self.inner.original.as_ref().is_some_and(|o| o.list.is_some())
    }
    #[getter]
    fn is_original_price_tax_inclusive(&self) -> bool {
        self.inner.original.as_ref().is_some_and(|o| o.is_tax_inclusive)
    }
    #[getter]
    fn original_amount(&self) -> Option<Decimal> {
        self.inner.original.as_ref().map(|o| o.price.amount)
    }
    #[getter]
    fn currency_code(&self) -> &str {
        &self.inner.calculated.price.currency_code
    }
    #[getter]
    fn calculated_amount_with_tax(&self) -> Decimal {
        self.inner.calculated_amount_with_tax
    }
    #[getter]
    fn calculated_amount_without_tax(&self) -> Decimal {
        self.inner.calculated_amount_without_tax
    }
    #[getter]
    fn original_amount_with_tax(&self) -> Option<Decimal> {
        self.inner.original_amount_with_tax
    }
    #[getter]
    fn original_amount_without_tax(&self) -> Option<Decimal> {
        self.inner.original_amount_without_tax
    }
    #[getter]
    fn calculated_price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        price_dict(py, Some(&self.inner.calculated))
    }
    #[getter]
    fn original_price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        price_dict(py, self.inner.original.as_ref())
    }

    /// Every field, with Medusa's names, as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Decimal objects are immutable: equal amounts share one object (most prices are their own
        // amount with or without tax, and often the original price too).
        let mut made: Vec<(Decimal, Bound<'py, PyAny>)> = Vec::with_capacity(4);
        let mut dec = |value: Option<Decimal>| -> PyResult<Bound<'py, PyAny>> {
            let Some(value) = value else {
                return Ok(py.None().into_bound(py));
            };
            if let Some((_, obj)) = made.iter().find(|(v, _)| v.eq(&value) && v.scale() == value.scale()) {
                return Ok(obj.clone());
            }
            let obj = to_py_decimal(py, value)?;
            made.push((value, obj.clone()));
            Ok(obj)
        };
        let p = &self.inner;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "id"), self.id())?;
        d.set_item(
            intern!(py, "is_calculated_price_price_list"),
            self.is_calculated_price_price_list(),
        )?;
        d.set_item(
            intern!(py, "is_calculated_price_tax_inclusive"),
            self.is_calculated_price_tax_inclusive(),
        )?;
        d.set_item(intern!(py, "calculated_amount"), dec(Some(p.calculated.price.amount))?)?;
        d.set_item(
            intern!(py, "calculated_amount_with_tax"),
            dec(Some(p.calculated_amount_with_tax))?,
        )?;
        d.set_item(
            intern!(py, "calculated_amount_without_tax"),
            dec(Some(p.calculated_amount_without_tax))?,
        )?;
        d.set_item(
            intern!(py, "is_original_price_price_list"),
            self.is_original_price_price_list(),
        )?;
        d.set_item(
            intern!(py, "is_original_price_tax_inclusive"),
            self.is_original_price_tax_inclusive(),
        )?;
        d.set_item(intern!(py, "original_amount"), dec(self.original_amount())?)?;
        d.set_item(
            intern!(py, "original_amount_with_tax"),
            dec(p.original_amount_with_tax)?,
        )?;
        d.set_item(
            intern!(py, "original_amount_without_tax"),
            dec(p.original_amount_without_tax)?,
        )?;
        d.set_item(intern!(py, "currency_code"), self.currency_code())?;
        d.set_item(intern!(py, "calculated_price"), self.calculated_price(py)?)?;
        d.set_item(intern!(py, "original_price"), self.original_price(py)?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "CalculatedPrice(id={:?}, calculated_amount={}, original_amount={}, currency_code={:?})",
            self.id(),
            self.calculated_amount(),
            self.original_amount()
                .map_or_else(|| "None".to_owned(), |a| a.to_string()),
            self.currency_code()
        )
    }
}
