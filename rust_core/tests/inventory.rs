//! Inventory availability and allocation: hand-worked cases.

use rust_core::error::CoreError;
use rust_core::inventory::{
    allocate, availability, Allocation, InventoryLevel, OrderLine, Shortage, VariantInventory, VariantItem,
};

fn level<'a>(item: &'a str, loc: &'a str, stocked: i64, reserved: i64) -> InventoryLevel<'a> {
    InventoryLevel {
        inventory_item_id: item,
        location_id: loc,
        stocked_quantity: stocked,
        reserved_quantity: reserved,
        incoming_quantity: 0,
    }
}

fn variant<'a>(id: &'a str, items: &[(&'a str, i64)], manage: bool, backorder: bool) -> VariantInventory<'a> {
    VariantInventory {
        id,
        manage_inventory: manage,
        allow_backorder: backorder,
        items: items
            .iter()
            .map(|&(i, q)| VariantItem {
                inventory_item_id: i,
                required_quantity: q,
            })
            .collect(),
    }
}

fn line<'a>(id: &'a str, variant_id: &'a str, quantity: i64) -> OrderLine<'a> {
    OrderLine {
        id,
        variant_id,
        quantity,
    }
}

fn levels() -> Vec<InventoryLevel<'static>> {
    vec![
        level("shirt", "wh_a", 10, 4),
        level("shirt", "wh_b", 3, 0),
        level("shirt", "wh_c", 50, 0),
        level("cap", "wh_a", 5, 5),
        level("cap", "wh_b", 7, 0),
    ]
}

const CHANNEL: &[&str] = &["wh_a", "wh_b"];

/// (line, item index, location index, quantity)
fn plan(allocations: &[Allocation]) -> Vec<(usize, usize, usize, i64)> {
    allocations
        .iter()
        .map(|a| (a.line, a.item, a.location, a.quantity))
        .collect()
}

#[test]
fn availability_is_the_min_over_items_of_channel_stock_over_required() {
    let variants = vec![
        variant("shirt", &[("shirt", 1)], true, false),
        variant("pair", &[("shirt", 2)], true, false),
        variant("bundle", &[("shirt", 2), ("cap", 3)], true, false),
        variant("digital", &[], false, false),
        variant("no_items", &[], true, false),
    ];
    assert_eq!(
        availability(&variants, &levels(), CHANNEL).unwrap(),
        vec![Some(9), Some(4), Some(2), None, Some(0)]
    );
}

#[test]
fn one_location_for_the_whole_order_first() {
    let variants = vec![
        variant("s", &[("shirt", 1)], true, false),
        variant("c", &[("cap", 1)], true, false),
    ];
    let lines = vec![line("l1", "s", 2), line("l2", "c", 2)];
    let p = allocate(&lines, &variants, &levels(), CHANNEL).unwrap();
    assert_eq!(plan(&p.allocations), vec![(0, 0, 1, 2), (1, 0, 1, 2)]);
}

#[test]
fn split_takes_most_stocked_location_first() {
    let variants = vec![variant("s", &[("shirt", 1)], true, false)];
    let p = allocate(&[line("l1", "s", 8)], &variants, &levels(), CHANNEL).unwrap();
    assert_eq!(plan(&p.allocations), vec![(0, 0, 0, 6), (0, 0, 1, 2)]);
}

#[test]
fn shortage_reports_each_short_variant() {
    let variants = vec![
        variant("s", &[("shirt", 1)], true, false),
        variant("bundle", &[("shirt", 2), ("cap", 3)], true, false),
        variant("c", &[("cap", 1)], true, false),
    ];
    let lines = vec![line("l1", "s", 5), line("l2", "bundle", 3), line("l3", "c", 1)];
    let err = allocate(&lines, &variants, &levels(), CHANNEL).unwrap_err();
    assert_eq!(
        err,
        CoreError::InsufficientInventory(vec![
            Shortage {
                variant_id: "bundle".into(),
                requested_quantity: 3,
                missing_quantity: 1
            },
            Shortage {
                variant_id: "c".into(),
                requested_quantity: 1,
                missing_quantity: 1
            },
        ])
    );
    assert_eq!(
        err.to_string(),
        "insufficient inventory: bundle is short by 1 of 3, c is short by 1 of 1"
    );
}

#[test]
fn backorder_lines_are_served_last_and_never_short() {
    let variants = vec![
        variant("pre", &[("cap", 1)], true, true),
        variant("c", &[("cap", 1)], true, false),
    ];
    let lines = vec![line("l1", "pre", 5), line("l2", "c", 5)];
    let p = allocate(&lines, &variants, &levels(), CHANNEL).unwrap();
    assert_eq!(plan(&p.allocations), vec![(0, 0, 1, 2), (1, 0, 1, 5)]);
    assert_eq!(p.backorders.len(), 1);
    assert_eq!(p.backorders[0].quantity, 3);
}

#[test]
fn bad_input_is_an_error() {
    let variants = vec![variant("s", &[("shirt", 1)], true, false)];
    assert!(matches!(
        allocate(&[line("l", "x", 1)], &variants, &levels(), CHANNEL),
        Err(CoreError::InvalidInput(_))
    ));
    assert!(matches!(
        allocate(&[line("l", "s", 0)], &variants, &levels(), CHANNEL),
        Err(CoreError::InvalidInput(_))
    ));
    let dup = vec![level("shirt", "wh_a", 1, 0), level("shirt", "wh_a", 1, 0)];
    assert!(matches!(
        allocate(&[line("l", "s", 1)], &variants, &dup, CHANNEL),
        Err(CoreError::InvalidInput(_))
    ));
}
