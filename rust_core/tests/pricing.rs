//! Price selection: vectors from Medusa's pricing-module `calculate-price.spec.ts`, and hand-worked cases.

use std::str::FromStr;

use rust_core::error::CoreError;
use rust_core::pricing::{
    CalculatedPrice, PreferenceAttribute, PriceIndex, PriceInput, PriceListInput, PriceListPriceInput, PriceListStatus,
    PriceListType, PricePreference, PriceSetInput, PricingContext,
};
use rust_decimal::Decimal;

const DAY: i64 = 86_400_000_000;
const NOW: i64 = 1_780_000_000_000_000;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn price(id: &str, cur: &str, amount: &str, q: (Option<i64>, Option<i64>), rules: &[(&str, &str)]) -> PriceInput {
    PriceInput {
        id: id.into(),
        amount: d(amount),
        currency_code: cur.into(),
        min_quantity: q.0,
        max_quantity: q.1,
        rules: rules.iter().map(|(a, v)| ((*a).to_owned(), (*v).to_owned())).collect(),
    }
}

fn medusa_index() -> PriceIndex {
    let r = |a: i64, b: i64| (Some(a), Some(b));
    let co = ("company_id", "medusa-company-id");
    let pl = ("region_id", "PL");
    let mut index = PriceIndex::new();
    index
        .upsert_price_sets(vec![
            PriceSetInput {
                id: "price-set-EUR".into(),
                prices: vec![price(
                    "price-company_id-EUR",
                    "EUR",
                    "500",
                    r(1, 10),
                    &[("company_id", "EUR")],
                )],
            },
            PriceSetInput {
                id: "price-set-PLN".into(),
                prices: vec![
                    price("price-PLN", "PLN", "1000", r(1, 10), &[]),
                    price("price-company_id-PLN", "PLN", "400", r(1, 5), &[co]),
                    price("price-region_id-PLN", "PLN", "300", r(1, 4), &[pl]),
                    price("price-region_id+company_id-PLN", "PLN", "999", r(1, 10), &[pl, co]),
                    price("price-region_id-PLN-5-qty", "PLN", "250", r(4, 10), &[pl]),
                    price("price-region_id_company_id-PL-EUR", "EUR", "200", r(1, 3), &[pl, co]),
                    price(
                        "price-region_id_company_id-PL-EUR-4-qty",
                        "EUR",
                        "50",
                        r(4, 10),
                        &[pl, co],
                    ),
                    price(
                        "price-region_id_company_id-PL-EUR-customer-group",
                        "EUR",
                        "100",
                        r(1, 3),
                        &[pl, co, ("customer_group_id", "test-customer-group")],
                    ),
                ],
            },
        ])
        .unwrap();
    index
}

fn sale_list(id: &str, rules: &[(&str, &[&str])], prices: Vec<PriceListPriceInput>) -> PriceListInput {
    PriceListInput {
        id: id.into(),
        list_type: PriceListType::Sale,
        status: PriceListStatus::Active,
        starts_at: None,
        ends_at: None,
        rules: rules
            .iter()
            .map(|(a, vs)| ((*a).to_owned(), vs.iter().map(|v| (*v).to_owned()).collect()))
            .collect(),
        prices,
    }
}

fn list_price(id: &str, set: &str, cur: &str, amount: &str, rules: &[(&str, &str)]) -> PriceListPriceInput {
    PriceListPriceInput {
        price_set_id: set.into(),
        price: price(id, cur, amount, (None, None), rules),
    }
}

fn default_list_prices() -> Vec<PriceListPriceInput> {
    vec![
        list_price("pl-PLN", "price-set-PLN", "PLN", "232", &[]),
        list_price("pl-EUR", "price-set-EUR", "EUR", "455", &[]),
    ]
}

const DEFAULT_RULES: &[(&str, &[&str])] = &[
    (
        "customer_group_id",
        &["vip-customer-group-id", "another-vip-customer-group-id"],
    ),
    ("region_id", &["DE", "DK"]),
];

fn ctx(currency: &str, region: Option<&str>, group: Option<&str>, company: Option<&str>) -> PricingContext {
    PricingContext {
        currency_code: currency.into(),
        region_id: region.map(Into::into),
        customer_group_ids: group.map(|g| vec![g.to_owned()]).unwrap_or_default(),
        attributes: company
            .map(|c| vec![("company_id".to_owned(), vec![c.to_owned()])])
            .unwrap_or_default(),
        now: NOW,
        ..PricingContext::default()
    }
}

fn pln(index: &PriceIndex, context: &PricingContext) -> Option<CalculatedPrice> {
    let mut out = index.calculate(&["price-set-EUR", "price-set-PLN"], context).unwrap();
    assert!(out[0].is_none(), "price-set-EUR has no price for these contexts");
    out.pop().unwrap()
}

/// (calculated amount, calculated id, original amount, original id)
fn summary(p: &CalculatedPrice) -> (Decimal, &str, Option<Decimal>, Option<&str>) {
    (
        p.calculated.price.amount,
        p.calculated.price.id.as_str(),
        p.original.as_ref().map(|o| o.price.amount),
        p.original.as_ref().map(|o| o.price.id.as_str()),
    )
}

#[test]
fn medusa_default_price_vectors() {
    let index = medusa_index();
    let cases: Vec<(PricingContext, &str, Decimal)> = vec![
        (ctx("PLN", None, None, None), "price-PLN", d("1000")),
        (ctx("PLN", Some("PL"), None, None), "price-region_id-PLN", d("300")),
        (ctx("PLN", None, None, Some("doesnotexist")), "price-PLN", d("1000")),
        (
            ctx("PLN", Some("PL"), Some("test-customer-group"), Some("does-not-exist")),
            "price-region_id-PLN",
            d("300"),
        ),
        (
            ctx(
                "EUR",
                Some("PL"),
                Some("test-customer-group"),
                Some("medusa-company-id"),
            ),
            "price-region_id_company_id-PL-EUR-customer-group",
            d("100"),
        ),
        (
            ctx("PLN", Some("PL"), Some("does-not-exist"), Some("does-not-exist")),
            "price-region_id-PLN",
            d("300"),
        ),
        (
            ctx(
                "PLN",
                Some("does-not-exist"),
                Some("does-not-exist"),
                Some("does-not-exist"),
            ),
            "price-PLN",
            d("1000"),
        ),
    ];
    for (context, id, amount) in cases {
        let p = pln(&index, &context).unwrap();
        assert_eq!(summary(&p), (amount, id, Some(amount), Some(id)), "{context:?}");
        assert!(p.calculated.list.is_none());
    }
    let mut with_quantity = ctx("PLN", Some("PL"), None, None);
    with_quantity.quantity = Some(5);
    let p = pln(&index, &with_quantity).unwrap();
    assert_eq!(p.calculated.price.id, "price-region_id-PLN-5-qty");
    assert_eq!(
        (p.calculated.price.min_quantity, p.calculated.price.max_quantity),
        (Some(4), Some(10))
    );
    // An unknown rule attribute with only rule-bound EUR prices: nothing.
    let mut unknown = ctx("EUR", None, None, None);
    unknown.attributes = vec![("does_not_exist".into(), vec!["EUR".into()])];
    assert!(pln(&index, &unknown).is_none());
}

#[test]
fn medusa_price_list_vectors() {
    let vip_de = ctx(
        "PLN",
        Some("DE"),
        Some("vip-customer-group-id"),
        Some("medusa-company-id"),
    );
    let mut index = medusa_index();
    index
        .upsert_price_lists(vec![sale_list("pl_1", DEFAULT_RULES, default_list_prices())])
        .unwrap();
    let p = pln(&index, &vip_de).unwrap();
    assert_eq!(
        summary(&p),
        (d("232"), "pl-PLN", Some(d("400")), Some("price-company_id-PLN"))
    );
    assert_eq!(p.calculated.list.as_ref().unwrap().list_type, PriceListType::Sale);

    // A cheaper list without rules loses to the list with more matching rules.
    let halves = vec![list_price("half-PLN", "price-set-PLN", "PLN", "116", &[])];
    index.upsert_price_lists(vec![sale_list("pl_2", &[], halves)]).unwrap();
    assert_eq!(pln(&index, &vip_de).unwrap().calculated.price.id, "pl-PLN");
    index.remove_price_lists(&["pl_1", "pl_2"]);

    // Override: calculated and original are the list price.
    let mut over = sale_list("pl_1", DEFAULT_RULES, default_list_prices());
    over.list_type = PriceListType::Override;
    index.upsert_price_lists(vec![over]).unwrap();
    let p = pln(&index, &vip_de).unwrap();
    assert_eq!(summary(&p), (d("232"), "pl-PLN", Some(d("232")), Some("pl-PLN")));
    assert!(p.original.unwrap().list.is_some());

    // Conditions only partially met: the default price.
    let pl_vip = ctx("PLN", Some("PL"), Some("vip-customer-group-id"), Some("does-not-exist"));
    assert_eq!(pln(&index, &pl_vip).unwrap().calculated.price.id, "price-region_id-PLN");
}

#[test]
fn medusa_price_list_windows() {
    let vip_de = ctx(
        "PLN",
        Some("DE"),
        Some("vip-customer-group-id"),
        Some("medusa-company-id"),
    );
    for (starts, ends, expected) in [
        (NOW - DAY, NOW + DAY, "pl-PLN"),
        (NOW + DAY, NOW + 10 * DAY, "price-company_id-PLN"),
        (NOW - 10 * DAY, NOW - DAY, "price-company_id-PLN"),
    ] {
        let mut index = medusa_index();
        let mut list = sale_list("pl_1", &[], default_list_prices());
        list.starts_at = Some(starts);
        list.ends_at = Some(ends);
        index.upsert_price_lists(vec![list]).unwrap();
        assert_eq!(pln(&index, &vip_de).unwrap().calculated.price.id, expected);
    }
}

#[test]
fn medusa_list_prices_with_their_own_rules() {
    let vip_de = ctx(
        "PLN",
        Some("DE"),
        Some("vip-customer-group-id"),
        Some("medusa-company-id"),
    );
    for (region, expected) in [("DE", "pl-111"), ("PL", "pl-PLN")] {
        let mut index = medusa_index();
        let mut prices = default_list_prices();
        prices.push(list_price(
            "pl-111",
            "price-set-PLN",
            "PLN",
            "111",
            &[("region_id", region)],
        ));
        index
            .upsert_price_lists(vec![sale_list("pl_1", &[("region_id", &["DE", "PL"])], prices)])
            .unwrap();
        assert_eq!(pln(&index, &vip_de).unwrap().calculated.price.id, expected);
    }
}

#[test]
fn medusa_customer_group_list_without_default_price() {
    let mut index = medusa_index();
    let prices = vec![list_price("pl-200", "price-set-EUR", "EUR", "200", &[])];
    index
        .upsert_price_lists(vec![sale_list(
            "pl_1",
            &[(
                "customer_group_id",
                &["vip-customer-group-id", "vip-customer-group-id-1"],
            )],
            prices,
        )])
        .unwrap();
    let out = index
        .calculate(
            &["price-set-EUR"],
            &ctx("EUR", None, Some("vip-customer-group-id"), None),
        )
        .unwrap();
    let p = out[0].as_ref().unwrap();
    assert_eq!(summary(p), (d("200"), "pl-200", None, None));
    assert_eq!(p.original_amount_with_tax, None);
}

fn prefs(list: &[(PreferenceAttribute, &str, bool)]) -> Vec<PricePreference> {
    list.iter()
        .map(|(a, v, t)| PricePreference {
            attribute: *a,
            value: (*v).into(),
            is_tax_inclusive: *t,
        })
        .collect()
}

#[test]
fn medusa_tax_inclusivity_vectors() {
    use PreferenceAttribute::{CurrencyCode, RegionId};
    let mut index = medusa_index();
    index.set_price_preferences(prefs(&[(CurrencyCode, "PLN", true)]));
    let p = pln(&index, &ctx("PLN", None, None, None)).unwrap();
    assert!(p.calculated.is_tax_inclusive && p.original.unwrap().is_tax_inclusive);

    index.set_price_preferences(prefs(&[(CurrencyCode, "PLN", false), (RegionId, "PL", true)]));
    let p = pln(&index, &ctx("PLN", Some("PL"), None, None)).unwrap();
    assert!(p.calculated.is_tax_inclusive);

    index.set_price_preferences(prefs(&[(RegionId, "DE", false), (RegionId, "PL", true)]));
    assert!(
        pln(&index, &ctx("PLN", Some("PL"), None, None))
            .unwrap()
            .calculated
            .is_tax_inclusive
    );

    // Each price gets its own inclusivity: the rule-less list price follows the currency.
    index.set_price_preferences(prefs(&[(CurrencyCode, "PLN", false), (RegionId, "PL", true)]));
    index
        .upsert_price_lists(vec![sale_list("pl_1", &[], default_list_prices())])
        .unwrap();
    let p = pln(&index, &ctx("PLN", Some("PL"), None, None)).unwrap();
    assert_eq!(
        summary(&p),
        (d("232"), "pl-PLN", Some(d("300")), Some("price-region_id-PLN"))
    );
    assert!(!p.calculated.is_tax_inclusive);
    assert!(p.original.unwrap().is_tax_inclusive);
}

#[test]
fn amounts_with_and_without_tax() {
    let mut index = medusa_index();
    index.set_price_preferences(prefs(&[(PreferenceAttribute::RegionId, "PL", true)]));
    index
        .upsert_price_lists(vec![sale_list("pl_1", &[], default_list_prices())])
        .unwrap();
    let mut context = ctx("PLN", Some("PL"), None, None);
    context.tax_rates = vec![d("23")];
    let p = pln(&index, &context).unwrap();
    assert_eq!(
        (p.calculated_amount_with_tax, p.calculated_amount_without_tax),
        (d("285.36"), d("232"))
    );
    assert_eq!(
        (p.original_amount_with_tax, p.original_amount_without_tax),
        (Some(d("300")), Some(d("243.90")))
    );
}

#[test]
fn sale_above_default_loses_and_ties_go_to_the_list() {
    let mut index = PriceIndex::new();
    let set = PriceSetInput {
        id: "ps".into(),
        prices: vec![price("base", "usd", "10", (None, None), &[])],
    };
    index.upsert_price_sets(vec![set]).unwrap();
    let context = ctx("usd", None, None, None);
    for (amount, expected) in [("12", "base"), ("10", "lp"), ("9", "lp")] {
        index
            .upsert_price_lists(vec![sale_list(
                "pl",
                &[],
                vec![list_price("lp", "ps", "usd", amount, &[])],
            )])
            .unwrap();
        let out = index.calculate(&["ps"], &context).unwrap();
        let p = out[0].as_ref().unwrap();
        assert_eq!(p.calculated.price.id, expected);
        assert_eq!(p.original.as_ref().unwrap().price.id, "base");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut index = PriceIndex::new();
    let bad = |amount: &str, q: (Option<i64>, Option<i64>)| PriceSetInput {
        id: "ps".into(),
        prices: vec![price("p", "usd", amount, q, &[])],
    };
    assert!(matches!(
        index.upsert_price_sets(vec![bad("-1", (None, None))]),
        Err(CoreError::InvalidAmount(_))
    ));
    assert!(matches!(
        index.upsert_price_sets(vec![bad("1", (Some(3), Some(2)))]),
        Err(CoreError::InvalidInput(_))
    ));
    assert!(index.is_empty());
    let mut context = ctx("", None, None, None);
    assert!(index.calculate(&["ps"], &context).is_err());
    context.currency_code = "usd".into();
    context.tax_rates = vec![d("-5")];
    assert!(index.calculate(&["ps"], &context).is_err());
}
