//! Inventory: sellable quantities per variant and allocation of an order's lines to stock locations.
//!
//! Pure functions over the levels passed in (levels change constantly, so nothing is cached).
//! - A level's available stock is `stocked_quantity - reserved_quantity` (incoming stock is not
//!   sellable). Only levels at the sales channel's locations count.
//! - A variant's sellable quantity is the minimum over its inventory items of
//!   `floor(sum of available over the locations / required_quantity)`, never below 0; `None`
//!   (unbounded) when it does not manage inventory; 0 when it manages inventory but has no items.
//! - Allocation prefers one location that can supply every managed line in full (the one with the
//!   most available stock of the demanded items, then the smallest location id). Otherwise each
//!   (line, item) takes from the locations with the most remaining stock first (ties: smallest
//!   location id); lines that may not be backordered are served before backorder-allowed lines.
//!   What backorder-allowed lines cannot get is reported as backordered, never as a shortage;
//!   unmanaged variants get no allocation at all. Any other missing quantity is a shortage error.

use crate::error::CoreError;
use crate::pricing::fxhash::FxHashMap;

/// Upper bound of every quantity at the edge: keeps products and sums far inside `i64`.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLevel<'a> {
    pub inventory_item_id: &'a str,
    pub location_id: &'a str,
    pub stocked_quantity: i64,
    pub reserved_quantity: i64,
    pub incoming_quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantItem<'a> {
    pub inventory_item_id: &'a str,
    pub required_quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantInventory<'a> {
    pub id: &'a str,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub items: Vec<VariantItem<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine<'a> {
    pub id: &'a str,
    pub variant_id: &'a str,
    pub quantity: i64,
}

/// One reservation of the plan: `quantity` units of the variant's item `item` (index into its
/// `items`) for line `line` (index into the lines) at location `location` (index into the locations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub line: usize,
    pub variant: usize,
    pub item: usize,
    pub location: usize,
    pub quantity: i64,
}

/// Units of an item a backorder-allowed line gets from no location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backorder {
    pub line: usize,
    pub variant: usize,
    pub item: usize,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllocationPlan {
    pub allocations: Vec<Allocation>,
    pub backorders: Vec<Backorder>,
}

/// A variant the order cannot get enough of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub variant_id: String,
    pub requested_quantity: i64,
    pub missing_quantity: i64,
}

fn check_quantity(value: i64, what: &str, min: i64) -> Result<i64, CoreError> {
    if value < min || value > MAX_QUANTITY {
        return Err(CoreError::InvalidInput(format!(
            "{what} must be within {min}..={MAX_QUANTITY}, got {value}"
        )));
    }
    Ok(value)
}

/// Validated stock, with ids resolved to dense indexes.
struct Stock {
    locations: usize,
    /// Available stock per (item, location), row-major, clamped at 0 for allocation.
    available: Vec<i64>,
    /// Raw `stocked - reserved` summed over the channel's locations, per item.
    total_raw: Vec<i64>,
}

impl Stock {
    fn at(&self, item: usize, location: usize) -> i64 {
        self.available[item * self.locations + location]
    }
}

fn index_of<'a>(ids: &mut FxHashMap<&'a str, usize>, id: &'a str) -> usize {
    let next = ids.len();
    *ids.entry(id).or_insert(next)
}

fn check_variants(variants: &[VariantInventory<'_>]) -> Result<(), CoreError> {
    for v in variants {
        for (i, item) in v.items.iter().enumerate() {
            check_quantity(item.required_quantity, "required_quantity", 1)?;
            if v.items[..i]
                .iter()
                .any(|o| o.inventory_item_id == item.inventory_item_id)
            {
                return Err(CoreError::InvalidInput(format!(
                    "variant {}: inventory item {} listed twice",
                    v.id, item.inventory_item_id
                )));
            }
        }
    }
    Ok(())
}

fn build_stock(
    items: &FxHashMap<&str, usize>,
    levels: &[InventoryLevel<'_>],
    location_ids: &[&str],
) -> Result<Stock, CoreError> {
    let mut locations: FxHashMap<&str, usize> = FxHashMap::default();
    locations.reserve(location_ids.len());
    for (i, loc) in location_ids.iter().enumerate() {
        if locations.insert(loc, i).is_some() {
            return Err(CoreError::InvalidInput(format!("location {loc} listed twice")));
        }
    }
    let cells = items.len() * location_ids.len();
    let mut available = vec![0i64; cells];
    let mut seen = vec![false; cells];
    let mut total_raw = vec![0i64; items.len()];
    for level in levels {
        check_quantity(level.stocked_quantity, "stocked_quantity", 0)?;
        check_quantity(level.reserved_quantity, "reserved_quantity", 0)?;
        check_quantity(level.incoming_quantity, "incoming_quantity", 0)?;
        let Some(&loc) = locations.get(level.location_id) else {
            continue;
        };
        let Some(&item) = items.get(level.inventory_item_id) else {
            continue;
        };
        let cell = item * location_ids.len() + loc;
        if seen[cell] {
            return Err(CoreError::InvalidInput(format!(
                "two levels for item {} at location {}",
                level.inventory_item_id, level.location_id
            )));
        }
        seen[cell] = true;
        let raw = level.stocked_quantity - level.reserved_quantity;
        available[cell] = raw.max(0);
        total_raw[item] += raw;
    }
    Ok(Stock {
        locations: location_ids.len(),
        available,
        total_raw,
    })
}

/// Sellable quantity per variant (same order as `variants`); `None` when unbounded.
pub fn availability(
    variants: &[VariantInventory<'_>],
    levels: &[InventoryLevel<'_>],
    location_ids: &[&str],
) -> Result<Vec<Option<i64>>, CoreError> {
    check_variants(variants)?;
    let mut items: FxHashMap<&str, usize> = FxHashMap::default();
    for v in variants {
        for item in &v.items {
            index_of(&mut items, item.inventory_item_id);
        }
    }
    let stock = build_stock(&items, levels, location_ids)?;
    Ok(variants
        .iter()
        .map(|v| {
            if !v.manage_inventory {
                return None;
            }
            let sellable = v
                .items
                .iter()
                .map(|item| stock.total_raw[items[item.inventory_item_id]].div_euclid(item.required_quantity))
                .min()
                .unwrap_or(0);
            Some(sellable.max(0))
        })
        .collect())
}

/// One (line, item) demand.
struct Demand {
    line: usize,
    variant: usize,
    item: usize,
    item_index: usize,
    quantity: i64,
    backorder: bool,
}

/// Plan which locations supply the order's lines, or the shortages that make it impossible.
pub fn allocate(
    lines: &[OrderLine<'_>],
    variants: &[VariantInventory<'_>],
    levels: &[InventoryLevel<'_>],
    location_ids: &[&str],
) -> Result<AllocationPlan, CoreError> {
    check_variants(variants)?;
    let mut variant_index: FxHashMap<&str, usize> = FxHashMap::default();
    variant_index.reserve(variants.len());
    for (i, v) in variants.iter().enumerate() {
        if variant_index.insert(v.id, i).is_some() {
            return Err(CoreError::InvalidInput(format!("variant {} listed twice", v.id)));
        }
    }
    let mut items: FxHashMap<&str, usize> = FxHashMap::default();
    let mut demands: Vec<Demand> = Vec::new();
    let mut line_variant = Vec::with_capacity(lines.len());
    for (li, line) in lines.iter().enumerate() {
        check_quantity(line.quantity, "line quantity", 1)?;
        let Some(&vi) = variant_index.get(line.variant_id) else {
            return Err(CoreError::InvalidInput(format!(
                "line {}: unknown variant {}",
                line.id, line.variant_id
            )));
        };
        line_variant.push(vi);
        let variant = &variants[vi];
        if !variant.manage_inventory {
            continue;
        }
        for (ii, item) in variant.items.iter().enumerate() {
            let quantity = line
                .quantity
                .checked_mul(item.required_quantity)
                .filter(|q| *q <= MAX_QUANTITY)
                .ok_or_else(|| {
                    CoreError::InvalidInput(format!(
                        "line {}: quantity times required_quantity is too large",
                        line.id
                    ))
                })?;
            demands.push(Demand {
                line: li,
                variant: vi,
                item: index_of(&mut items, item.inventory_item_id),
                item_index: ii,
                quantity,
                backorder: variant.allow_backorder,
            });
        }
    }
    let stock = build_stock(&items, levels, location_ids)?;
    let avail = |item: usize, loc: usize| stock.at(item, loc);

    let mut plan = AllocationPlan::default();
    if let Some(loc) = single_location(&demands, items.len(), location_ids, &avail) {
        plan.allocations = demands
            .iter()
            .map(|d| Allocation {
                line: d.line,
                variant: d.variant,
                item: d.item_index,
                location: loc,
                quantity: d.quantity,
            })
            .collect();
        let got: Vec<i64> = demands.iter().map(|d| d.quantity).collect();
        let shortages = shortages(lines, variants, &line_variant, &demands, &got);
        return if shortages.is_empty() {
            Ok(plan)
        } else {
            Err(CoreError::InsufficientInventory(shortages))
        };
    }

    let got = split(&demands, &stock, location_ids, &mut plan);
    // Keep the plan in line order (then item, then the order locations were used).
    plan.allocations.sort_by_key(|a| (a.line, a.item));

    let shortages = shortages(lines, variants, &line_variant, &demands, &got);
    if shortages.is_empty() {
        Ok(plan)
    } else {
        Err(CoreError::InsufficientInventory(shortages))
    }
}

/// Split path: strict lines first, then backorder-allowed lines, each in input order; every (line,
/// item) takes from the locations with the most remaining stock first. Returns what each demand got.
fn split(demands: &[Demand], stock: &Stock, location_ids: &[&str], plan: &mut AllocationPlan) -> Vec<i64> {
    let width = stock.locations;
    let mut remaining: Vec<i64> = stock.available.clone();
    let mut got: Vec<i64> = vec![0; demands.len()];
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&i| demands[i].backorder);
    let mut locs: Vec<usize> = (0..location_ids.len()).collect();
    for &di in &order {
        let d = &demands[di];
        let row = d.item * width;
        let left_of = |remaining: &[i64], loc: usize| remaining[row + loc];
        locs.sort_by(|&a, &b| {
            left_of(&remaining, b)
                .cmp(&left_of(&remaining, a))
                .then_with(|| location_ids[a].cmp(location_ids[b]))
        });
        let mut need = d.quantity;
        for &loc in &locs {
            if need == 0 {
                break;
            }
            let left = left_of(&remaining, loc);
            let take = left.min(need);
            if take <= 0 {
                break;
            }
            remaining[row + loc] -= take;
            need -= take;
            got[di] += take;
            plan.allocations.push(Allocation {
                line: d.line,
                variant: d.variant,
                item: d.item_index,
                location: loc,
                quantity: take,
            });
        }
        if need > 0 && d.backorder {
            plan.backorders.push(Backorder {
                line: d.line,
                variant: d.variant,
                item: d.item_index,
                quantity: need,
            });
        }
    }
    got
}

fn single_location(
    demands: &[Demand],
    item_count: usize,
    location_ids: &[&str],
    avail: &dyn Fn(usize, usize) -> i64,
) -> Option<usize> {
    if demands.is_empty() {
        return None;
    }
    let mut totals = vec![0i64; item_count];
    for d in demands {
        totals[d.item] += d.quantity;
    }
    let mut best: Option<(i64, usize)> = None;
    for loc in 0..location_ids.len() {
        let mut sum = 0i64;
        let mut fits = true;
        for (item, &total) in totals.iter().enumerate() {
            if total == 0 {
                continue;
            }
            let a = avail(item, loc);
            if a < total {
                fits = false;
                break;
            }
            sum += a;
        }
        if fits && best.is_none_or(|(bs, bl)| sum > bs || (sum == bs && location_ids[loc] < location_ids[bl])) {
            best = Some((sum, loc));
        }
    }
    best.map(|(_, loc)| loc)
}

fn shortages(
    lines: &[OrderLine<'_>],
    variants: &[VariantInventory<'_>],
    line_variant: &[usize],
    demands: &[Demand],
    got: &[i64],
) -> Vec<Shortage> {
    let mut out: Vec<Shortage> = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let variant = &variants[line_variant[li]];
        if !variant.manage_inventory || variant.allow_backorder {
            continue;
        }
        let covered = if variant.items.is_empty() {
            0
        } else {
            demands
                .iter()
                .zip(got)
                .filter(|(d, _)| d.line == li)
                .map(|(d, g)| g / variant.items[d.item_index].required_quantity)
                .min()
                .unwrap_or(0)
        };
        let missing = line.quantity - covered;
        match out.iter_mut().find(|s| s.variant_id == variant.id) {
            Some(s) => {
                s.requested_quantity += line.quantity;
                s.missing_quantity += missing;
            }
            None => out.push(Shortage {
                variant_id: variant.id.to_owned(),
                requested_quantity: line.quantity,
                missing_quantity: missing,
            }),
        }
    }
    out.retain(|s| s.missing_quantity > 0);
    out
}
