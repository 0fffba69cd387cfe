//! Unit tests of the promotion set: hand-worked cases (the Medusa vectors live in tests/promotion.rs).

use std::str::FromStr;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn method(kind: MethodType, target: TargetType, allocation: Allocation, value: &str) -> ApplicationMethod {
    ApplicationMethod {
        kind,
        target_type: target,
        allocation: Some(allocation),
        value: d(value),
        max_quantity: None,
        max_amount: None,
        currency_code: None,
        target_rules: vec![],
        buy_rules: vec![],
        buy_rules_min_quantity: None,
        apply_to_quantity: None,
    }
}

fn promo(id: &str, code: &str, am: ApplicationMethod) -> Promotion {
    Promotion {
        id: id.into(),
        code: Some(code.into()),
        kind: PromotionType::Standard,
        is_automatic: false,
        is_tax_inclusive: false,
        status: Status::Active,
        application_method: am,
        rules: vec![],
        campaign: None,
    }
}

fn cart(lines: &[(&str, &str, &str)]) -> CartContext {
    let items = lines
        .iter()
        .map(|(id, qty, subtotal)| {
            Value::Map(vec![
                ("id".into(), Value::Str((*id).into())),
                ("quantity".into(), Value::Num(d(qty))),
                ("subtotal".into(), Value::Num(d(subtotal))),
            ])
        })
        .collect();
    CartContext::from_value(&Value::Map(vec![
        ("currency_code".into(), Value::Str("usd".into())),
        ("items".into(), Value::List(items)),
    ]))
    .unwrap()
}

fn amounts(e: &Evaluation) -> Vec<(String, Decimal)> {
    e.adjustments.iter().map(|a| (a.target_id.clone(), a.amount)).collect()
}

#[test]
fn fixed_across_splits_by_line_subtotal() {
    let mut set = PromotionSet::new();
    set.upsert(vec![promo(
        "p1",
        "TEN",
        method(MethodType::Fixed, TargetType::Items, Allocation::Across, "100"),
    )])
    .unwrap();
    let e = set.evaluate(&cart(&[("a", "1", "250"), ("b", "3", "150")]), &["TEN".into()], 0);
    assert_eq!(amounts(&e), vec![("a".into(), d("62.5")), ("b".into(), d("37.5"))]);
    assert!(e.rejected.is_empty());
}

#[test]
fn unknown_and_inactive_codes_are_rejected_in_entry_order() {
    let mut set = PromotionSet::new();
    let mut p = promo(
        "p1",
        "OFF",
        method(MethodType::Percentage, TargetType::Items, Allocation::Each, "10"),
    );
    p.status = Status::Draft;
    set.upsert(vec![p]).unwrap();
    let e = set.evaluate(&cart(&[("a", "1", "10")]), &["NOPE".into(), "OFF".into()], 0);
    assert_eq!(
        e.rejected,
        vec![
            ("NOPE".into(), RejectReason::Unknown),
            ("OFF".into(), RejectReason::Inactive)
        ]
    );
}

#[test]
fn campaign_window_is_checked_against_now() {
    let mut set = PromotionSet::new();
    let mut p = promo(
        "p1",
        "OFF",
        method(MethodType::Percentage, TargetType::Items, Allocation::Each, "10"),
    );
    p.campaign = Some(Campaign {
        starts_at: Some(100),
        ends_at: Some(200),
        budget: None,
    });
    set.upsert(vec![p]).unwrap();
    let c = cart(&[("a", "1", "10")]);
    assert_eq!(
        set.evaluate(&c, &["OFF".into()], 50).rejected[0].1,
        RejectReason::NotStarted
    );
    assert_eq!(
        set.evaluate(&c, &["OFF".into()], 250).rejected[0].1,
        RejectReason::Expired
    );
    assert_eq!(
        amounts(&set.evaluate(&c, &["OFF".into()], 150)),
        vec![("a".into(), d("1"))]
    );
}

#[test]
fn spend_budget_caps_the_total_of_one_evaluation() {
    let mut set = PromotionSet::new();
    let mut am = method(MethodType::Fixed, TargetType::Items, Allocation::Each, "30");
    am.max_quantity = Some(d("1"));
    let mut p = promo("p1", "B", am);
    p.campaign = Some(Campaign {
        budget: Some(Budget {
            kind: BudgetType::Spend,
            limit: Some(d("50")),
            used: d("0"),
        }),
        ..Campaign::default()
    });
    set.upsert(vec![p]).unwrap();
    let e = set.evaluate(&cart(&[("a", "1", "100"), ("b", "1", "100")]), &["B".into()], 0);
    assert_eq!(amounts(&e), vec![("a".into(), d("30"))]);
    assert_eq!(e.budget_exceeded, vec!["p1".to_string()]);
}

#[test]
fn upsert_replaces_and_remove_drops_codes() {
    let mut set = PromotionSet::new();
    let am = method(MethodType::Percentage, TargetType::Items, Allocation::Each, "10");
    set.upsert(vec![promo("p1", "A", am.clone())]).unwrap();
    assert!(set.upsert(vec![promo("p2", "A", am.clone())]).is_err());
    set.upsert(vec![promo("p1", "B", am.clone())]).unwrap();
    set.upsert(vec![promo("p2", "A", am)]).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.remove(&["p1".into(), "zz".into()]), 1);
    let e = set.evaluate(&cart(&[("a", "1", "10")]), &["B".into()], 0);
    assert_eq!(e.rejected, vec![("B".into(), RejectReason::Unknown)]);
}

#[test]
fn amounts_round_half_up_to_the_currency() {
    let mut set = PromotionSet::new();
    set.upsert(vec![promo(
        "p1",
        "X",
        method(MethodType::Fixed, TargetType::Order, Allocation::Across, "10"),
    )])
    .unwrap();
    let e = set.evaluate(
        &cart(&[("a", "1", "10"), ("b", "1", "10"), ("c", "1", "10")]),
        &["X".into()],
        0,
    );
    assert_eq!(
        amounts(&e).iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        vec![d("3.33"); 3]
    );
}
