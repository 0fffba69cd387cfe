//! Inventory functions for Python: Medusa-shaped dicts in, dicts out. Ids in the results are the very
//! `str` objects passed in (no copies).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};

use super::convert::{as_dict, get, invalid};
use crate::inventory::{self, InventoryLevel, OrderLine, VariantInventory, VariantItem};

fn pystr<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>, what: &str) -> PyResult<Bound<'py, PyString>> {
    get(d, key)?
        .ok_or_else(|| invalid(format!("{what}: {key} is required")))?
        .cast_into::<PyString>()
        .map_err(|_| invalid(format!("{what}: {key} must be a str")))
}

fn int_or(d: &Bound<'_, PyDict>, key: &Bound<'_, PyString>, default: Option<i64>, what: &str) -> PyResult<i64> {
    match get(d, key)? {
        Some(v) if !v.is_instance_of::<PyBool>() => v
            .extract::<i64>()
            .map_err(|_| invalid(format!("{what}: {key} must be an int"))),
        Some(_) => Err(invalid(format!("{what}: {key} must be an int"))),
        None => default.ok_or_else(|| invalid(format!("{what}: {key} is required"))),
    }
}

fn bool_or(d: &Bound<'_, PyDict>, key: &Bound<'_, PyString>, default: bool, what: &str) -> PyResult<bool> {
    match get(d, key)? {
        Some(v) => v
            .cast::<PyBool>()
            .map(pyo3::types::PyBoolMethods::is_true)
            .map_err(|_| invalid(format!("{what}: {key} must be a bool"))),
        None => Ok(default),
    }
}

struct PyVariant<'py> {
    id: Bound<'py, PyString>,
    manage_inventory: bool,
    allow_backorder: bool,
    items: Vec<(Bound<'py, PyString>, i64)>,
}

struct PyLevel<'py> {
    item: Bound<'py, PyString>,
    location: Bound<'py, PyString>,
    stocked: i64,
    reserved: i64,
    incoming: i64,
}

struct PyLine<'py> {
    id: Bound<'py, PyString>,
    variant_id: Bound<'py, PyString>,
    quantity: i64,
}

fn variants_in<'py>(objs: &Bound<'py, PyAny>) -> PyResult<Vec<PyVariant<'py>>> {
    let py = objs.py();
    let mut out = Vec::new();
    for v in objs.try_iter()? {
        let v = v?;
        let d = as_dict(&v, "variant")?;
        let mut items = Vec::new();
        if let Some(list) = get(d, intern!(py, "inventory_items"))? {
            for it in list.try_iter()? {
                let it = it?;
                let id = as_dict(&it, "variant inventory item")?;
                items.push((
                    pystr(id, intern!(py, "inventory_item_id"), "variant inventory item")?,
                    int_or(id, intern!(py, "required_quantity"), Some(1), "variant inventory item")?,
                ));
            }
        }
        out.push(PyVariant {
            id: pystr(d, intern!(py, "id"), "variant")?,
            manage_inventory: bool_or(d, intern!(py, "manage_inventory"), true, "variant")?,
            allow_backorder: bool_or(d, intern!(py, "allow_backorder"), false, "variant")?,
            items,
        });
    }
    Ok(out)
}

fn levels_in<'py>(objs: &Bound<'py, PyAny>) -> PyResult<Vec<PyLevel<'py>>> {
    let py = objs.py();
    let mut out = Vec::new();
    for l in objs.try_iter()? {
        let l = l?;
        let d = as_dict(&l, "inventory level")?;
        out.push(PyLevel {
            item: pystr(d, intern!(py, "inventory_item_id"), "inventory level")?,
            location: pystr(d, intern!(py, "location_id"), "inventory level")?,
            stocked: int_or(d, intern!(py, "stocked_quantity"), None, "inventory level")?,
            reserved: int_or(d, intern!(py, "reserved_quantity"), Some(0), "inventory level")?,
            incoming: int_or(d, intern!(py, "incoming_quantity"), Some(0), "inventory level")?,
        });
    }
    Ok(out)
}

fn locations_in<'py>(objs: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyString>>> {
    objs.try_iter()?
        .map(|o| {
            o?.cast_into::<PyString>()
                .map_err(|_| invalid("location ids must be str"))
        })
        .collect()
}

fn lines_in<'py>(objs: &Bound<'py, PyAny>) -> PyResult<Vec<PyLine<'py>>> {
    let py = objs.py();
    let mut out = Vec::new();
    for l in objs.try_iter()? {
        let l = l?;
        let d = as_dict(&l, "line")?;
        out.push(PyLine {
            id: pystr(d, intern!(py, "id"), "line")?,
            variant_id: pystr(d, intern!(py, "variant_id"), "line")?,
            quantity: int_or(d, intern!(py, "quantity"), None, "line")?,
        });
    }
    Ok(out)
}

fn borrow_variants<'a>(vs: &'a [PyVariant<'_>]) -> PyResult<Vec<VariantInventory<'a>>> {
    vs.iter()
        .map(|v| {
            Ok(VariantInventory {
                id: v.id.to_str()?,
                manage_inventory: v.manage_inventory,
                allow_backorder: v.allow_backorder,
                items: v
                    .items
                    .iter()
                    .map(|(id, q)| {
                        Ok(VariantItem {
                            inventory_item_id: id.to_str()?,
                            required_quantity: *q,
                        })
                    })
                    .collect::<PyResult<_>>()?,
            })
        })
        .collect()
}

fn borrow_levels<'a>(ls: &'a [PyLevel<'_>]) -> PyResult<Vec<InventoryLevel<'a>>> {
    ls.iter()
        .map(|l| {
            Ok(InventoryLevel {
                inventory_item_id: l.item.to_str()?,
                location_id: l.location.to_str()?,
                stocked_quantity: l.stocked,
                reserved_quantity: l.reserved,
                incoming_quantity: l.incoming,
            })
        })
        .collect()
}

/// Sellable quantity per variant: `{variant_id: {"inventory_quantity", "manage_inventory", "allow_backorder"}}`.
#[pyfunction]
pub fn availability<'py>(
    py: Python<'py>,
    variants: &Bound<'py, PyAny>,
    levels: &Bound<'py, PyAny>,
    location_ids: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let py_variants = variants_in(variants)?;
    let py_levels = levels_in(levels)?;
    let py_locations = locations_in(location_ids)?;
    let vs = borrow_variants(&py_variants)?;
    let ls = borrow_levels(&py_levels)?;
    let locs: Vec<&str> = py_locations.iter().map(|l| l.to_str()).collect::<PyResult<_>>()?;
    let result = py.detach(|| inventory::availability(&vs, &ls, &locs))?;
    let out = PyDict::new(py);
    for (v, quantity) in py_variants.iter().zip(result) {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "inventory_quantity"), quantity)?;
        d.set_item(intern!(py, "manage_inventory"), v.manage_inventory)?;
        d.set_item(intern!(py, "allow_backorder"), v.allow_backorder)?;
        out.set_item(&v.id, d)?;
    }
    Ok(out)
}

/// Plan which locations supply the lines: `{"allocations": [...], "backorders": [...]}`, or raise
/// `InsufficientInventoryError`.
#[pyfunction]
pub fn allocate<'py>(
    py: Python<'py>,
    lines: &Bound<'py, PyAny>,
    variants: &Bound<'py, PyAny>,
    levels: &Bound<'py, PyAny>,
    location_ids: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let py_lines = lines_in(lines)?;
    let py_variants = variants_in(variants)?;
    let py_levels = levels_in(levels)?;
    let py_locations = locations_in(location_ids)?;
    let ln: Vec<OrderLine<'_>> = py_lines
        .iter()
        .map(|l| {
            Ok(OrderLine {
                id: l.id.to_str()?,
                variant_id: l.variant_id.to_str()?,
                quantity: l.quantity,
            })
        })
        .collect::<PyResult<_>>()?;
    let vs = borrow_variants(&py_variants)?;
    let ls = borrow_levels(&py_levels)?;
    let locs: Vec<&str> = py_locations.iter().map(|l| l.to_str()).collect::<PyResult<_>>()?;
    let plan = py.detach(|| inventory::allocate(&ln, &vs, &ls, &locs))?;
    let allocations = PyList::empty(py);
    for a in &plan.allocations {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "line_id"), &py_lines[a.line].id)?;
        d.set_item(intern!(py, "variant_id"), &py_variants[a.variant].id)?;
        d.set_item(
            intern!(py, "inventory_item_id"),
            &py_variants[a.variant].items[a.item].0,
        )?;
        d.set_item(intern!(py, "location_id"), &py_locations[a.location])?;
        d.set_item(intern!(py, "quantity"), a.quantity)?;
        allocations.append(d)?;
    }
    let backorders = PyList::empty(py);
    for b in &plan.backorders {
        let d = PyDict::new(py);
        d.set_item(intern!(py, "line_id"), &py_lines[b.line].id)?;
        d.set_item(intern!(py, "variant_id"), &py_variants[b.variant].id)?;
        d.set_item(
            intern!(py, "inventory_item_id"),
            &py_variants[b.variant].items[b.item].0,
        )?;
        d.set_item(intern!(py, "quantity"), b.quantity)?;
        backorders.append(d)?;
    }
    let out = PyDict::new(py);
    out.set_item(intern!(py, "allocations"), allocations)?;
    out.set_item(intern!(py, "backorders"), backorders)?;
    Ok(out)
}
