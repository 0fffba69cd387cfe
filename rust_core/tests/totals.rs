//! Cart totals vectors. The carts are those of Medusa v2's packages/core/utils/src/totals/__tests__;
//! the expected figures are the ones every version of that suite agrees on, and, where the suite's
//! figures predate the current source (discounts with tax), figures worked by hand from that source.

use std::str::FromStr;

use rust_core::totals::{cart_totals, Adjustment, Cart, LineItem, ShippingMethod, TaxLine};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn item(id: &str, price: &str, qty: &str, incl: bool, rate: &str, adjustments: &[&str]) -> LineItem {
    LineItem {
        id: id.into(),
        unit_price: d(price),
        quantity: d(qty),
        is_tax_inclusive: incl,
        adjustments: adjustments
            .iter()
            .map(|a| Adjustment {
                amount: d(a),
                is_tax_inclusive: false,
            })
            .collect(),
        tax_lines: vec![TaxLine { rate: d(rate) }],
    }
}

fn cart(items: Vec<LineItem>, shipping_methods: Vec<ShippingMethod>) -> Cart {
    Cart {
        currency_code: "usd".into(),
        items,
        shipping_methods,
    }
}

#[test]
fn items_and_taxes() {
    let t = cart_totals(&cart(
        vec![
            item("a", "30", "2", false, "10", &[]),
            item("b", "5", "1", false, "50", &[]),
        ],
        vec![],
    ))
    .unwrap();
    assert_eq!(
        (t.items[0].subtotal, t.items[0].tax_total, t.items[0].total),
        (d("60"), d("6"), d("66"))
    );
    assert_eq!(
        (t.items[1].subtotal, t.items[1].tax_total, t.items[1].total),
        (d("5"), d("2.5"), d("7.5"))
    );
    assert_eq!(t.total, d("73.5"));
    assert_eq!(t.subtotal, d("65"));
    assert_eq!(t.tax_total, d("8.5"));
    assert_eq!(t.item_total, d("73.5"));
    assert_eq!(t.original_total, d("73.5"));
    assert_eq!(t.original_item_subtotal, d("65"));
    assert_eq!(t.discount_total, d("0"));
}

#[test]
fn tax_inclusive_exclusive_and_mixed() {
    let with = cart_totals(&cart(vec![item("a", "50", "2", true, "10", &[])], vec![])).unwrap();
    assert_eq!(with.items[0].subtotal, d("90.91"));
    assert_eq!(with.items[0].tax_total, d("9.09"));
    assert_eq!(with.items[0].total, d("100"));
    assert_eq!(with.items[0].original_total, d("100"));
    assert_eq!(
        (with.total, with.subtotal, with.tax_total),
        (d("100"), d("90.91"), d("9.09"))
    );

    let without = cart_totals(&cart(vec![item("a", "50", "2", false, "10", &[])], vec![])).unwrap();
    assert_eq!(
        (without.total, without.subtotal, without.tax_total),
        (d("110"), d("100"), d("10"))
    );

    let mixed = cart_totals(&cart(
        vec![
            item("a", "50", "2", true, "10", &[]),
            item("b", "50", "2", false, "10", &[]),
        ],
        vec![],
    ))
    .unwrap();
    assert_eq!(
        (mixed.total, mixed.subtotal, mixed.tax_total),
        (d("210"), d("190.91"), d("19.09"))
    );
    assert_eq!(mixed.original_item_total, d("210"));
}

#[test]
fn discount_comes_off_before_tax() {
    let t = cart_totals(&cart(vec![item("a", "50", "2", false, "10", &["10"])], vec![])).unwrap();
    let i = &t.items[0];
    assert_eq!(
        (i.subtotal, i.discount_subtotal, i.tax_total, i.total),
        (d("100"), d("10"), d("9"), d("99"))
    );
    assert_eq!((i.original_total, i.original_tax_total), (d("110"), d("10")));
    assert_eq!((i.discount_tax_total, i.discount_total), (d("1"), d("11")));
    assert_eq!(
        (t.total, t.original_total, t.discount_total),
        (d("99"), d("110"), d("11"))
    );
}

#[test]
fn items_adjustments_and_shipping() {
    let shipping = ShippingMethod {
        id: "sm".into(),
        amount: d("25"),
        is_tax_inclusive: false,
        adjustments: vec![Adjustment {
            amount: d("2"),
            is_tax_inclusive: false,
        }],
        tax_lines: vec![TaxLine { rate: d("10") }],
    };
    let t = cart_totals(&cart(vec![item("a", "50", "2", false, "10", &["20"])], vec![shipping])).unwrap();
    let i = &t.items[0];
    assert_eq!(
        (i.total, i.tax_total, i.discount_total, i.discount_tax_total),
        (d("88"), d("8"), d("22"), d("2"))
    );
    let s = &t.shipping_methods[0];
    assert_eq!((s.subtotal, s.total, s.tax_total), (d("25"), d("25.3"), d("2.3")));
    assert_eq!((s.original_total, s.original_tax_total), (d("27.5"), d("2.5")));
    assert_eq!((s.discount_total, s.discount_tax_total), (d("2.2"), d("0.2")));
    assert_eq!(
        (t.subtotal, t.tax_total, t.discount_subtotal),
        (d("125"), d("10.3"), d("22"))
    );
    assert_eq!(
        (t.total, t.discount_total, t.discount_tax_total),
        (d("113.3"), d("24.2"), d("2.2"))
    );
    assert_eq!((t.original_total, t.original_tax_total), (d("137.5"), d("12.5")));
    assert_eq!(
        (t.shipping_total, t.shipping_subtotal, t.shipping_tax_total),
        (d("25.3"), d("25"), d("2.3"))
    );
    assert_eq!(
        (t.original_shipping_total, t.original_shipping_tax_total),
        (d("27.5"), d("2.5"))
    );
    assert_eq!(t.item_total, d("88"));
}

#[test]
fn tax_inclusive_shipping_and_adjustment() {
    // 10.50 with 5 % tax included; a 2.10 discount that includes tax too.
    let shipping = ShippingMethod {
        id: "sm".into(),
        amount: d("10.5"),
        is_tax_inclusive: true,
        adjustments: vec![Adjustment {
            amount: d("2.1"),
            is_tax_inclusive: true,
        }],
        tax_lines: vec![TaxLine { rate: d("5") }],
    };
    let t = cart_totals(&cart(vec![], vec![shipping])).unwrap();
    let s = &t.shipping_methods[0];
    assert_eq!(
        (s.subtotal, s.discount_subtotal, s.tax_total),
        (d("10"), d("2"), d("0.4"))
    );
    assert_eq!(
        (s.total, s.original_total, s.discount_total),
        (d("8.4"), d("10.5"), d("2.1"))
    );
    assert_eq!(t.total, d("8.4"));
}

#[test]
fn rounds_once_per_field_to_the_currency() {
    let mut c = cart(vec![item("a", "0.99", "3", true, "7", &[])], vec![]);
    c.currency_code = "jpy".into();
    c.items[0].unit_price = d("999");
    let t = cart_totals(&c).unwrap();
    // 2997 / 1.07 = 2800.93... → 2801; tax 196.07... → 196.
    assert_eq!((t.subtotal, t.tax_total, t.total), (d("2801"), d("196"), d("2997")));
}
