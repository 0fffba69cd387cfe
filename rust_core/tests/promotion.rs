//! Promotion vectors from Medusa v2's packages/modules/promotion/integration-tests
//! (compute-actions.spec.ts) and the worked example in core/utils/src/totals/promotion.

use std::str::FromStr;

use rust_core::promotion::{
    Allocation, ApplicationMethod, Budget, BudgetType, Campaign, CartContext, Evaluation, MethodType, Operator,
    Promotion, PromotionSet, PromotionType, RejectReason, Rule, Status, TargetType, Value,
};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn rule(attr: &str, op: Operator, values: &[&str]) -> Rule {
    Rule::new(attr, op, values.iter().map(|v| (*v).to_string()).collect())
}

fn method(kind: MethodType, allocation: Allocation, value: &str, max_quantity: Option<&str>) -> ApplicationMethod {
    ApplicationMethod {
        kind,
        target_type: TargetType::Items,
        allocation: Some(allocation),
        value: d(value),
        max_quantity: max_quantity.map(d),
        max_amount: None,
        currency_code: None,
        target_rules: vec![rule("items.product_category.id", Operator::Eq, &["catg_cotton"])],
        buy_rules: vec![],
        buy_rules_min_quantity: None,
        apply_to_quantity: None,
    }
}

/// Medusa's `createDefaultPromotion`: standard, code PROMOTION_TEST, for VIP customers.
fn promotion(id: &str, code: &str, am: ApplicationMethod) -> Promotion {
    Promotion {
        id: id.into(),
        code: Some(code.into()),
        kind: PromotionType::Standard,
        is_automatic: false,
        is_tax_inclusive: false,
        status: Status::Active,
        application_method: am,
        rules: vec![rule("customer.customer_group.id", Operator::In, &["VIP", "top100"])],
        campaign: None,
    }
}

fn cart(lines: &[(&str, &str, &str)]) -> CartContext {
    let items = lines
        .iter()
        .map(|(id, qty, subtotal)| {
            Value::Map(vec![
                ("id".into(), s(id)),
                ("quantity".into(), Value::Num(d(qty))),
                ("subtotal".into(), Value::Num(d(subtotal))),
                (
                    "product_category".into(),
                    Value::Map(vec![("id".into(), s("catg_cotton"))]),
                ),
            ])
        })
        .collect();
    CartContext::from_value(&Value::Map(vec![
        ("currency_code".into(), s("usd")),
        (
            "customer".into(),
            Value::Map(vec![(
                "customer_group".into(),
                Value::Map(vec![("id".into(), s("VIP"))]),
            )]),
        ),
        ("items".into(), Value::List(items)),
    ]))
    .unwrap()
}

fn run(promotions: Vec<Promotion>, codes: &[&str], c: &CartContext) -> Evaluation {
    let mut set = PromotionSet::new();
    set.upsert(promotions).unwrap();
    let codes: Vec<String> = codes.iter().map(|c| (*c).to_string()).collect();
    set.evaluate(c, &codes, 0)
}

fn amounts(e: &Evaluation) -> Vec<(&str, &str, Decimal)> {
    e.adjustments
        .iter()
        .map(|a| (a.code.as_deref().unwrap(), a.target_id.as_str(), a.amount))
        .collect()
}

#[test]
fn fixed_each_with_max_quantity() {
    let p = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Fixed, Allocation::Each, "200", Some("1")),
    );
    let e = run(
        vec![p],
        &["PROMOTION_TEST"],
        &cart(&[("tshirt", "1", "100"), ("sweater", "5", "750")]),
    );
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("100")),
            ("PROMOTION_TEST", "sweater", d("150"))
        ]
    );
}

#[test]
fn fixed_each_stacks_on_what_is_left() {
    let p1 = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Fixed, Allocation::Each, "30", Some("2")),
    );
    let p2 = promotion(
        "p2",
        "PROMOTION_TEST_2",
        method(MethodType::Fixed, Allocation::Each, "50", Some("1")),
    );
    let e = run(
        vec![p1, p2],
        &["PROMOTION_TEST", "PROMOTION_TEST_2"],
        &cart(&[("tshirt", "1", "50"), ("sweater", "1", "150")]),
    );
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("30")),
            ("PROMOTION_TEST", "sweater", d("30")),
            ("PROMOTION_TEST_2", "tshirt", d("20")),
            ("PROMOTION_TEST_2", "sweater", d("50")),
        ]
    );
}

#[test]
fn nothing_left_gives_nothing() {
    let p1 = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Fixed, Allocation::Each, "500", Some("2")),
    );
    let p2 = promotion(
        "p2",
        "PROMOTION_TEST_2",
        method(MethodType::Fixed, Allocation::Each, "50", Some("1")),
    );
    let e = run(
        vec![p1, p2],
        &["PROMOTION_TEST", "PROMOTION_TEST_2"],
        &cart(&[("tshirt", "1", "50"), ("sweater", "1", "150")]),
    );
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("50")),
            ("PROMOTION_TEST", "sweater", d("150"))
        ]
    );
    assert_eq!(
        e.rejected,
        vec![("PROMOTION_TEST_2".to_string(), RejectReason::NotApplicable)]
    );
}

#[test]
fn percentage_across_and_automatic() {
    let c = cart(&[("tshirt", "2", "200"), ("sweater", "2", "600")]);
    let p = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Percentage, Allocation::Across, "10", None),
    );
    let e = run(vec![p.clone()], &["PROMOTION_TEST"], &c);
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("20")),
            ("PROMOTION_TEST", "sweater", d("60"))
        ]
    );
    let auto = Promotion {
        is_automatic: true,
        ..p
    };
    let e = run(vec![auto], &[], &c);
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("20")),
            ("PROMOTION_TEST", "sweater", d("60"))
        ]
    );
}

#[test]
fn percentage_across_twice_applies_to_the_remainder() {
    let p1 = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Percentage, Allocation::Across, "10", None),
    );
    let p2 = promotion(
        "p2",
        "PROMOTION_TEST_2",
        method(MethodType::Percentage, Allocation::Across, "10", None),
    );
    let e = run(
        vec![p1, p2],
        &["PROMOTION_TEST", "PROMOTION_TEST_2"],
        &cart(&[("tshirt", "1", "50"), ("sweater", "1", "150")]),
    );
    assert_eq!(
        amounts(&e),
        vec![
            ("PROMOTION_TEST", "tshirt", d("5")),
            ("PROMOTION_TEST", "sweater", d("15")),
            ("PROMOTION_TEST_2", "tshirt", d("4.5")),
            ("PROMOTION_TEST_2", "sweater", d("13.5")),
        ]
    );
}

#[test]
fn fixed_across_splits_proportionally_then_redistributes() {
    // The worked example in Medusa's calculateAdjustmentAmountFromPromotion.
    let p1 = promotion("p1", "A", method(MethodType::Fixed, Allocation::Across, "100", None));
    let p2 = promotion("p2", "B", method(MethodType::Fixed, Allocation::Across, "100", None));
    let e = run(
        vec![p1, p2],
        &["A", "B"],
        &cart(&[("item1", "1", "250"), ("item2", "1", "150")]),
    );
    assert_eq!(
        amounts(&e),
        vec![
            ("A", "item1", d("62.5")),
            ("A", "item2", d("37.5")),
            ("B", "item1", d("62.5")),
            ("B", "item2", d("37.5"))
        ]
    );
}

#[test]
fn campaign_budgets_refuse_what_they_cannot_cover() {
    let c = cart(&[("tshirt", "5", "5000")]);
    let mut spend = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Fixed, Allocation::Across, "1500", None),
    );
    spend.campaign = Some(Campaign {
        budget: Some(Budget {
            kind: BudgetType::Spend,
            limit: Some(d("1000")),
            used: d("0"),
        }),
        ..Campaign::default()
    });
    let e = run(vec![spend], &["PROMOTION_TEST"], &c);
    assert!(e.adjustments.is_empty());
    assert_eq!(
        e.rejected,
        vec![("PROMOTION_TEST".to_string(), RejectReason::BudgetExceeded)]
    );

    let mut usage = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Fixed, Allocation::Across, "500", None),
    );
    usage.campaign = Some(Campaign {
        budget: Some(Budget {
            kind: BudgetType::Usage,
            limit: Some(d("1000")),
            used: d("1000"),
        }),
        ..Campaign::default()
    });
    let e = run(vec![usage], &["PROMOTION_TEST"], &c);
    assert!(e.adjustments.is_empty());
    assert_eq!(e.budget_exceeded, vec!["p1".to_string()]);
}

#[test]
fn cart_rules_and_currency_gate_the_promotion() {
    let mut p = promotion(
        "p1",
        "PROMOTION_TEST",
        method(MethodType::Percentage, Allocation::Across, "10", None),
    );
    p.rules = vec![rule("customer.customer_group.id", Operator::In, &["top100"])];
    let e = run(vec![p.clone()], &["PROMOTION_TEST"], &cart(&[("tshirt", "1", "50")]));
    assert_eq!(
        e.rejected,
        vec![("PROMOTION_TEST".to_string(), RejectReason::RulesNotMet)]
    );
    p.rules = vec![];
    p.application_method.currency_code = Some("eur".into());
    let e = run(vec![p], &["PROMOTION_TEST"], &cart(&[("tshirt", "1", "50")]));
    assert_eq!(
        e.rejected,
        vec![("PROMOTION_TEST".to_string(), RejectReason::CurrencyMismatch)]
    );
}

#[test]
fn buy_two_get_one_free_takes_the_most_valuable_target() {
    let mut am = method(MethodType::Percentage, Allocation::Each, "100", None);
    am.buy_rules = vec![rule("items.product_category.id", Operator::Eq, &["catg_cotton"])];
    am.buy_rules_min_quantity = Some(d("2"));
    am.apply_to_quantity = Some(d("1"));
    let mut p = promotion("p1", "BUY2GET1", am);
    p.kind = PromotionType::BuyGet;
    p.rules = vec![];
    // The 3-unit line qualifies with 2 units; its third unit (50) is the free one.
    let e = run(
        vec![p.clone()],
        &["BUY2GET1"],
        &cart(&[("shirt", "3", "150"), ("sock", "1", "10")]),
    );
    assert_eq!(amounts(&e), vec![("BUY2GET1", "shirt", d("50"))]);
    // Two units in the cart are all used to qualify: nothing is left to give away.
    let e = run(vec![p], &["BUY2GET1"], &cart(&[("shirt", "2", "100")]));
    assert!(e.adjustments.is_empty());
    assert_eq!(e.rejected, vec![("BUY2GET1".to_string(), RejectReason::NotApplicable)]);
}

#[test]
fn shipping_each_and_across() {
    let ship = |id: &str, subtotal: &str| {
        Value::Map(vec![
            ("id".into(), s(id)),
            ("subtotal".into(), Value::Num(d(subtotal))),
            (
                "shipping_option".into(),
                Value::Map(vec![("id".into(), s("so_express"))]),
            ),
        ])
    };
    let c = CartContext::from_value(&Value::Map(vec![
        ("currency_code".into(), s("usd")),
        (
            "shipping_methods".into(),
            Value::List(vec![ship("sm1", "20"), ship("sm2", "30")]),
        ),
    ]))
    .unwrap();
    let mut am = method(MethodType::Fixed, Allocation::Across, "10", None);
    am.target_type = TargetType::ShippingMethods;
    am.target_rules = vec![rule(
        "shipping_methods.shipping_option.id",
        Operator::In,
        &["so_express"],
    )];
    let mut p = promotion("p1", "SHIP", am);
    p.rules = vec![];
    let e = run(vec![p.clone()], &["SHIP"], &c);
    assert_eq!(amounts(&e), vec![("SHIP", "sm1", d("4")), ("SHIP", "sm2", d("6"))]);
    p.application_method.allocation = Some(Allocation::Each);
    p.application_method.kind = MethodType::Percentage;
    p.application_method.value = d("50");
    let e = run(vec![p], &["SHIP"], &c);
    assert_eq!(amounts(&e), vec![("SHIP", "sm1", d("10")), ("SHIP", "sm2", d("15"))]);
}
