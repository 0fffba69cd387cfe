"""Pricing: Medusa's calculatePrices vectors, hand-worked cases, and engine == reference on random indexes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.engine_reference import pricing as ref

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _price(pid: str, ps: str, cur: str, amount: str, lo: int | None, hi: int | None, **rules: str) -> dict[str, Any]:
    return {
        "id": pid,
        "price_set_id": ps,
        "currency_code": cur,
        "amount": Decimal(amount),
        "min_quantity": lo,
        "max_quantity": hi,
        "rules": rules,
    }


# The fixture of Medusa's packages/modules/pricing/integration-tests/.../calculate-price.spec.ts.
MEDUSA_PRICES = [
    _price("price-PLN", "price-set-PLN", "PLN", "1000", 1, 10),
    _price("price-ETH", "price-set-ETH", "ETH", "12345678988754.00000010000000085", 1, 10),
    _price("price-company_id-EUR", "price-set-EUR", "EUR", "500", 1, 10, company_id="EUR"),
    _price("price-company_id-PLN", "price-set-PLN", "PLN", "400", 1, 5, company_id="medusa-company-id"),
    _price("price-region_id-PLN", "price-set-PLN", "PLN", "300", 1, 4, region_id="PL"),
    _price(
        "price-region_id+company_id-PLN",
        "price-set-PLN",
        "PLN",
        "999",
        1,
        10,
        region_id="PL",
        company_id="medusa-company-id",
    ),
    _price("price-region_id-PLN-5-qty", "price-set-PLN", "PLN", "250", 4, 10, region_id="PL"),
    _price(
        "price-region_id_company_id-PL-EUR",
        "price-set-PLN",
        "EUR",
        "200",
        1,
        3,
        region_id="PL",
        company_id="medusa-company-id",
    ),
    _price(
        "price-region_id_company_id-PL-EUR-4-qty",
        "price-set-PLN",
        "EUR",
        "50",
        4,
        10,
        region_id="PL",
        company_id="medusa-company-id",
    ),
    _price(
        "price-region_id_company_id-PL-EUR-customer-group",
        "price-set-PLN",
        "EUR",
        "100",
        1,
        3,
        region_id="PL",
        company_id="medusa-company-id",
        customer_group_id="test-customer-group",
    ),
]
SETS = ["price-set-EUR", "price-set-PLN", "price-set-ETH"]
DEFAULT_LIST_RULES = {
    "customer_group_id": ["vip-customer-group-id", "another-vip-customer-group-id"],
    "region_id": ["DE", "DK"],
}
DEFAULT_LIST_PRICES = [
    {"id": "pl-price-PLN", "amount": Decimal(232), "currency_code": "PLN", "price_set_id": "price-set-PLN"},
    {"id": "pl-price-EUR", "amount": Decimal(455), "currency_code": "EUR", "price_set_id": "price-set-EUR"},
]


def medusa_sets() -> list[dict[str, Any]]:
    return [{"id": s, "prices": [p for p in MEDUSA_PRICES if p["price_set_id"] == s]} for s in SETS]


def price_list(
    lid: str = "pl_1",
    rules: dict[str, list[str]] | None = None,
    prices: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": lid,
        "type": "sale",
        "status": "active",
        "rules": DEFAULT_LIST_RULES if rules is None else rules,
        "prices": DEFAULT_LIST_PRICES if prices is None else prices,
        **extra,
    }


def ctx(currency: str, **kw: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"currency_code": currency, "now": NOW}
    if "region_id" in kw:
        context["region_id"] = kw.pop("region_id")
    if "customer_group_id" in kw:
        context["customer_group_ids"] = [kw.pop("customer_group_id")]
    if "quantity" in kw:
        context["quantity"] = kw.pop("quantity")
    if kw:
        context["attributes"] = kw
    return context


def calc(index: engine.PriceIndex, context: dict[str, Any], ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    return {k: v.to_dict() for k, v in index.calculate(ids or SETS[:2], context).items()}


def summary(result: dict[str, Any]) -> tuple[Any, ...]:
    return (
        result["calculated_amount"],
        result["calculated_price"]["id"],
        result["calculated_price"]["price_list_type"],
        result["original_amount"],
        result["original_price"]["id"],
        result["original_price"]["min_quantity"],
        result["original_price"]["max_quantity"],
    )


# (context, expected summary of price-set-PLN or None when absent) from the spec's "calculatePrices" cases.
DEFAULT_PRICE_VECTORS = [
    (ctx("PLN"), (1000, "price-PLN", None, 1000, "price-PLN", 1, 10)),
    (ctx("PLN", region_id="PL"), (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4)),
    (
        ctx("PLN", region_id="PL", quantity=5),
        (250, "price-region_id-PLN-5-qty", None, 250, "price-region_id-PLN-5-qty", 4, 10),
    ),
    (ctx("PLN", company_id="doesnotexist"), (1000, "price-PLN", None, 1000, "price-PLN", 1, 10)),
    (
        ctx("PLN", region_id="PL", customer_group_id="test-customer-group", company_id="does-not-exist"),
        (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4),
    ),
    (
        ctx("EUR", region_id="PL", customer_group_id="test-customer-group", company_id="medusa-company-id"),
        (
            100,
            "price-region_id_company_id-PL-EUR-customer-group",
            None,
            100,
            "price-region_id_company_id-PL-EUR-customer-group",
            1,
            3,
        ),
    ),
    (
        ctx("PLN", region_id="PL", customer_group_id="does-not-exist", company_id="does-not-exist"),
        (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4),
    ),
    (
        ctx("PLN", region_id="does-not-exist", customer_group_id="does-not-exist", company_id="does-not-exist"),
        (1000, "price-PLN", None, 1000, "price-PLN", 1, 10),
    ),
    (ctx("EUR", does_not_exist="EUR"), None),
    (ctx("EUR", does_not_exist_2="Berlin"), None),
    (ctx("PLN", region_id="PL", city="Berlin"), (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4)),
]


@pytest.mark.parametrize(("context", "expected"), DEFAULT_PRICE_VECTORS)
def test_medusa_default_price_vectors(context: dict[str, Any], expected: tuple[Any, ...] | None) -> None:
    index = engine.PriceIndex(price_sets=medusa_sets())
    result = calc(index, context)
    assert "price-set-EUR" not in result
    if expected is None:
        assert result == {}
    else:
        assert summary(result["price-set-PLN"]) == expected
        assert result["price-set-PLN"]["is_calculated_price_price_list"] is False
    assert result == ref.PriceIndex(price_sets=medusa_sets()).calculate(SETS[:2], context)


def test_medusa_full_object_and_big_amount() -> None:
    index = engine.PriceIndex(price_sets=medusa_sets())
    eth = index.calculate(["price-set-ETH"], ctx("ETH"))["price-set-ETH"].to_dict()
    # rust_decimal keeps 28-29 significant digits: the 31-digit raw amount comes back as Medusa's own
    # `calculated_amount` number for this vector.
    amount = Decimal("12345678988754.000000100000001")
    assert eth == {
        "id": "price-set-ETH",
        "is_calculated_price_price_list": False,
        "is_calculated_price_tax_inclusive": False,
        "calculated_amount": amount,
        "calculated_amount_with_tax": amount,
        "calculated_amount_without_tax": amount,
        "is_original_price_price_list": False,
        "is_original_price_tax_inclusive": False,
        "original_amount": amount,
        "original_amount_with_tax": amount,
        "original_amount_without_tax": amount,
        "currency_code": "ETH",
        "calculated_price": {
            "id": "price-ETH",
            "price_list_id": None,
            "price_list_type": None,
            "min_quantity": 1,
            "max_quantity": 10,
        },
        "original_price": {
            "id": "price-ETH",
            "price_list_id": None,
            "price_list_type": None,
            "min_quantity": 1,
            "max_quantity": 10,
        },
    }


def test_medusa_price_of_zero() -> None:
    index = engine.PriceIndex(
        price_sets=[{"id": "ps", "prices": [{"id": "p", "amount": Decimal(0), "currency_code": "USD"}]}]
    )
    result = index.calculate(["ps"], ctx("USD"))["ps"]
    assert (result.calculated_amount, result.original_amount) == (0, 0)
    assert result.calculated_price["min_quantity"] is None


VIP_DE = ctx("PLN", region_id="DE", customer_group_id="vip-customer-group-id", company_id="medusa-company-id")
# (price lists, context, expected summary of price-set-PLN) from the spec's "Price Lists" cases.
PRICE_LIST_VECTORS = [
    ([price_list()], VIP_DE, (232, "pl-price-PLN", "sale", 400, "price-company_id-PLN", 1, 5)),
    (
        [
            price_list(),
            price_list(
                "pl_2",
                rules={},
                prices=[{**p, "id": p["id"] + "-half", "amount": p["amount"] / 2} for p in DEFAULT_LIST_PRICES],
            ),
        ],
        VIP_DE,
        (232, "pl-price-PLN", "sale", 400, "price-company_id-PLN", 1, 5),
    ),
    ([price_list(rules={})], VIP_DE, (232, "pl-price-PLN", "sale", 400, "price-company_id-PLN", 1, 5)),
    ([price_list(rules={})], ctx("PLN"), (232, "pl-price-PLN", "sale", 1000, "price-PLN", 1, 10)),
    ([price_list(type="override")], VIP_DE, (232, "pl-price-PLN", "override", 232, "pl-price-PLN", None, None)),
    (
        [price_list()],
        ctx("PLN", region_id="PL", customer_group_id="vip-customer-group-id", company_id="does-not-exist"),
        (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4),
    ),
    (
        [price_list()],
        ctx("PLN", region_id="PL", customer_group_id="does-not-exist", company_id="does-not-exist"),
        (300, "price-region_id-PLN", None, 300, "price-region_id-PLN", 1, 4),
    ),
    (
        [price_list(rules={}, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))],
        VIP_DE,
        (232, "pl-price-PLN", "sale", 400, "price-company_id-PLN", 1, 5),
    ),
    (
        [price_list(rules={}, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=10))],
        VIP_DE,
        (400, "price-company_id-PLN", None, 400, "price-company_id-PLN", 1, 5),
    ),
    (
        [price_list(rules={}, starts_at=NOW - timedelta(days=10), ends_at=NOW - timedelta(days=1))],
        VIP_DE,
        (400, "price-company_id-PLN", None, 400, "price-company_id-PLN", 1, 5),
    ),
    (
        [
            price_list(
                rules={"region_id": ["DE", "PL"]},
                prices=[
                    *DEFAULT_LIST_PRICES,
                    {
                        "id": "pl-111",
                        "amount": Decimal(111),
                        "currency_code": "PLN",
                        "price_set_id": "price-set-PLN",
                        "rules": {"region_id": "DE"},
                    },
                ],
            )
        ],
        VIP_DE,
        (111, "pl-111", "sale", 400, "price-company_id-PLN", 1, 5),
    ),
    (
        [
            price_list(
                rules={"region_id": ["DE", "PL"]},
                prices=[
                    *DEFAULT_LIST_PRICES,
                    {
                        "id": "pl-111",
                        "amount": Decimal(111),
                        "currency_code": "PLN",
                        "price_set_id": "price-set-PLN",
                        "rules": {"region_id": "PL"},
                    },
                ],
            )
        ],
        VIP_DE,
        (232, "pl-price-PLN", "sale", 400, "price-company_id-PLN", 1, 5),
    ),
]


@pytest.mark.parametrize(("lists", "context", "expected"), PRICE_LIST_VECTORS)
def test_medusa_price_list_vectors(
    lists: list[dict[str, Any]], context: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    index = engine.PriceIndex(price_sets=medusa_sets(), price_lists=lists)
    result = calc(index, context)
    assert summary(result["price-set-PLN"]) == expected
    assert result["price-set-PLN"]["is_calculated_price_price_list"] is (expected[2] is not None)
    assert result["price-set-PLN"]["is_original_price_price_list"] is (expected[2] == "override")
    assert result == ref.PriceIndex(price_sets=medusa_sets(), price_lists=lists).calculate(SETS[:2], context)


def test_medusa_price_list_for_customer_groups_without_default_price() -> None:
    lists = [
        price_list(
            rules={"customer_group_id": ["vip-customer-group-id", "vip-customer-group-id-1"]},
            prices=[{"id": "pl-200", "amount": Decimal(200), "currency_code": "EUR", "price_set_id": "price-set-EUR"}],
        )
    ]
    index = engine.PriceIndex(price_sets=medusa_sets(), price_lists=lists)
    result = index.calculate(["price-set-EUR"], ctx("EUR", customer_group_id="vip-customer-group-id"))["price-set-EUR"]
    assert result.calculated_amount == 200
    assert result.calculated_price == {
        "id": "pl-200",
        "price_list_id": "pl_1",
        "price_list_type": "sale",
        "min_quantity": None,
        "max_quantity": None,
    }
    assert result.original_amount is None
    assert result.original_amount_with_tax is None
    assert result.is_original_price_price_list is False
    assert result.original_price == dict.fromkeys(
        ("id", "price_list_id", "price_list_type", "min_quantity", "max_quantity")
    )


# (preferences, price lists, context, (calculated inclusive, original inclusive, calculated, original)):
# the spec's "Tax inclusivity" cases.
TAX_VECTORS = [
    (
        [{"attribute": "currency_code", "value": "PLN", "is_tax_inclusive": True}],
        [],
        ctx("PLN"),
        (True, True, 1000, 1000),
    ),
    (
        [
            {"attribute": "currency_code", "value": "PLN", "is_tax_inclusive": False},
            {"attribute": "region_id", "value": "PL", "is_tax_inclusive": True},
        ],
        [],
        ctx("PLN", region_id="PL"),
        (True, True, 300, 300),
    ),
    (
        [
            {"attribute": "region_id", "value": "DE", "is_tax_inclusive": False},
            {"attribute": "region_id", "value": "PL", "is_tax_inclusive": True},
        ],
        [],
        ctx("PLN", region_id="PL"),
        (True, True, 300, 300),
    ),
    (
        [
            {"attribute": "currency_code", "value": "PLN", "is_tax_inclusive": False},
            {"attribute": "region_id", "value": "PL", "is_tax_inclusive": True},
        ],
        [price_list(rules={})],
        ctx("PLN", region_id="PL"),
        (False, True, 232, 300),
    ),
]


@pytest.mark.parametrize(("prefs", "lists", "context", "expected"), TAX_VECTORS)
def test_medusa_tax_inclusivity_vectors(
    prefs: list[dict[str, Any]], lists: list[dict[str, Any]], context: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    index = engine.PriceIndex(price_sets=medusa_sets(), price_lists=lists, price_preferences=prefs)
    r = index.calculate(["price-set-PLN"], context)["price-set-PLN"]
    assert (r.is_calculated_price_tax_inclusive, r.is_original_price_tax_inclusive) == expected[:2]
    assert (r.calculated_amount, r.original_amount) == expected[2:]


def test_amounts_with_and_without_tax() -> None:
    # 300 PLN inclusive of 23 % VAT -> 243.90 without; 232 exclusive -> 285.36 with.
    prefs = [{"attribute": "region_id", "value": "PL", "is_tax_inclusive": True}]
    index = engine.PriceIndex(price_sets=medusa_sets(), price_lists=[price_list(rules={})], price_preferences=prefs)
    r = index.calculate(["price-set-PLN"], {**ctx("PLN", region_id="PL"), "tax_rates": [Decimal(23)]})["price-set-PLN"]
    assert (r.calculated_amount_with_tax, r.calculated_amount_without_tax) == (Decimal("285.36"), Decimal(232))
    assert (r.original_amount_with_tax, r.original_amount_without_tax) == (Decimal(300), Decimal("243.90"))
    # Several rates add up (Medusa sums the tax lines): 100 + 5 % + 2.5 %.
    r = index.calculate(["price-set-PLN"], {**ctx("PLN"), "tax_rates": [Decimal(5), Decimal("2.5")]})["price-set-PLN"]
    assert r.calculated_amount_with_tax == Decimal("249.40")


def test_sale_price_above_default_is_not_used_and_override_always_is() -> None:
    sets = [{"id": "ps", "prices": [{"id": "base", "amount": Decimal(10), "currency_code": "usd"}]}]
    higher = [{"id": "lp", "amount": Decimal(12), "currency_code": "usd", "price_set_id": "ps"}]
    index = engine.PriceIndex(price_sets=sets, price_lists=[price_list(rules={}, prices=higher)])
    r = index.calculate(["ps"], ctx("usd"))["ps"]
    assert (r.calculated_amount, r.calculated_price["id"], r.is_calculated_price_price_list) == (10, "base", False)
    index.upsert_price_lists([price_list(rules={}, prices=higher, type="override")])
    r = index.calculate(["ps"], ctx("usd"))["ps"]
    assert (r.calculated_amount, r.original_amount, r.is_original_price_price_list) == (12, 12, True)
    index.upsert_price_lists([price_list(rules={}, prices=higher, type="override", status="draft")])
    assert index.calculate(["ps"], ctx("usd"))["ps"].calculated_amount == 10


def test_incremental_updates() -> None:
    index = engine.PriceIndex()
    assert len(index) == 0
    index.upsert_price_sets(medusa_sets())
    assert len(index) == 3
    index.upsert_price_lists([price_list(rules={})])
    assert index.calculate(["price-set-PLN"], ctx("PLN"))["price-set-PLN"].calculated_amount == 232
    index.remove_price_lists(["pl_1"])
    assert index.calculate(["price-set-PLN"], ctx("PLN"))["price-set-PLN"].calculated_amount == 1000
    index.upsert_price_lists([price_list(rules={})])
    index.remove_price_sets(["price-set-PLN"])
    assert index.calculate(["price-set-PLN"], ctx("PLN")) == {}
    index.upsert_price_sets([{"id": "price-set-PLN", "prices": []}])
    # The list's price comes back with the set; no default price, so no original.
    r = index.calculate(["price-set-PLN"], ctx("PLN"))["price-set-PLN"]
    assert (r.calculated_amount, r.original_amount) == (232, None)
    index.remove_price_sets(["unknown"])


@pytest.mark.parametrize(
    ("context", "error"),
    [
        ({"now": NOW}, engine.InvalidInputError),
        ({"currency_code": "usd"}, engine.InvalidInputError),
        ({"currency_code": "usd", "now": datetime(2026, 1, 1)}, engine.InvalidInputError),
        ({"currency_code": "usd", "now": NOW, "quantity": -1}, engine.InvalidInputError),
        ({"currency_code": "usd", "now": NOW, "tax_rates": [1.5]}, engine.InvalidAmountError),
        ({"currency_code": "usd", "now": NOW, "tax_rates": [Decimal(-1)]}, engine.InvalidInputError),
        ({"currency_code": "usd", "now": NOW, "typo": 1}, engine.InvalidInputError),
    ],
)
def test_bad_context_raises_our_errors(context: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.PriceIndex().calculate(["x"], context)


@pytest.mark.parametrize(
    "price",
    [
        {"id": "p", "amount": 1.5, "currency_code": "usd"},
        {"id": "p", "amount": Decimal(-1), "currency_code": "usd"},
        {"id": "p", "amount": Decimal("1e16"), "currency_code": "usd"},
        {"id": "p", "amount": Decimal(1), "currency_code": "usd", "min_quantity": 5, "max_quantity": 2},
        {"id": "p", "amount": Decimal(1)},
        {"amount": Decimal(1), "currency_code": "usd"},
    ],
)
def test_bad_price_raises_our_errors_and_changes_nothing(price: dict[str, Any]) -> None:
    index = engine.PriceIndex(
        price_sets=[{"id": "ps", "prices": [{"id": "ok", "amount": Decimal(1), "currency_code": "usd"}]}]
    )
    with pytest.raises(engine.CommerceEngineError):
        index.upsert_price_sets([{"id": "ps2", "prices": []}, {"id": "ps", "prices": [price]}])
    assert len(index) == 1
    assert index.calculate(["ps"], ctx("usd"))["ps"].calculated_amount == 1


def test_timezones_are_honoured() -> None:
    berlin = datetime(2026, 6, 1, 14, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    lists = [price_list(rules={}, starts_at=berlin)]  # 14:00 UTC, two hours after NOW
    index = engine.PriceIndex(price_sets=medusa_sets(), price_lists=lists)
    assert index.calculate(["price-set-PLN"], ctx("PLN"))["price-set-PLN"].calculated_amount == 1000
    later = {**ctx("PLN"), "now": NOW + timedelta(hours=2)}
    assert index.calculate(["price-set-PLN"], later)["price-set-PLN"].calculated_amount == 232


# --- engine == reference on random indexes ---------------------------------------------------

PS_IDS = ["ps_a", "ps_b", "ps_c"]
TIMES = [NOW + timedelta(days=d) for d in (-2, -1, 0, 1, 2)]
amount_st = st.sampled_from([Decimal(x) for x in ("0", "1", "5", "9.99", "10", "10.005", "12.5", "100", "0.333")])
quantity_st = st.one_of(st.none(), st.integers(min_value=0, max_value=6))
rules_st = st.fixed_dictionaries(
    {},
    optional={
        "region_id": st.sampled_from(["reg_1", "reg_2"]),
        "customer_group_id": st.sampled_from(["cg_1", "cg_2"]),
        "company_id": st.sampled_from(["co_1"]),
    },
)


@st.composite
def price_st(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    lo = draw(quantity_st)
    hi = draw(quantity_st)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return {
        "id": pid,
        "amount": draw(amount_st),
        "currency_code": draw(st.sampled_from(["usd", "eur", "EUR"])),
        "min_quantity": lo,
        "max_quantity": hi,
        "rules": draw(rules_st),
    }


@st.composite
def price_set_st(draw: st.DrawFn, sid: str) -> dict[str, Any]:
    n = draw(st.integers(min_value=0, max_value=5))
    return {"id": sid, "prices": [draw(price_st(f"{sid}_p{i}")) for i in range(n)]}


@st.composite
def price_list_st(draw: st.DrawFn, lid: str) -> dict[str, Any]:
    n = draw(st.integers(min_value=1, max_value=4))
    prices = []
    for i in range(n):
        p = draw(price_st(f"{lid}_p{i}"))
        p["price_set_id"] = draw(st.sampled_from(PS_IDS))
        prices.append(p)
    list_rules = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "customer_group_id": st.lists(st.sampled_from(["cg_1", "cg_2", "cg_3"]), min_size=1, max_size=2),
                "region_id": st.lists(st.sampled_from(["reg_1", "reg_2"]), min_size=1, max_size=2),
            },
        )
    )
    return {
        "id": lid,
        "type": draw(st.sampled_from(["sale", "override"])),
        "status": draw(st.sampled_from(["active", "active", "draft"])),
        "starts_at": draw(st.one_of(st.none(), st.sampled_from(TIMES))),
        "ends_at": draw(st.one_of(st.none(), st.sampled_from(TIMES))),
        "rules": list_rules,
        "prices": prices,
    }


preference_st = st.fixed_dictionaries(
    {
        "attribute": st.sampled_from(["region_id", "currency_code"]),
        "value": st.sampled_from(["reg_1", "reg_2", "usd", "EUR"]),
        "is_tax_inclusive": st.booleans(),
    }
)
context_st = st.fixed_dictionaries(
    {"currency_code": st.sampled_from(["usd", "usd", "eur", "EUR", "gbp"]), "now": st.sampled_from(TIMES)},
    optional={
        "region_id": st.sampled_from(["reg_1", "reg_2", "reg_3"]),
        "customer_group_ids": st.lists(st.sampled_from(["cg_1", "cg_2", "cg_3"]), max_size=2),
        "quantity": quantity_st,
        "tax_rates": st.lists(st.sampled_from([Decimal(x) for x in ("0", "5", "19", "20", "8.875")]), max_size=2),
        "attributes": st.fixed_dictionaries({}, optional={"company_id": st.sampled_from(["co_1", "co_2"])}),
    },
)
op_st = st.one_of(
    st.tuples(st.just("upsert_set"), st.sampled_from(PS_IDS).flatmap(price_set_st)),
    st.tuples(st.just("remove_set"), st.sampled_from(PS_IDS)),
    st.tuples(st.just("upsert_list"), st.sampled_from(["pl_1", "pl_2", "pl_4"]).flatmap(price_list_st)),
    st.tuples(st.just("remove_list"), st.sampled_from(["pl_1", "pl_2", "pl_4"])),
)


LIST_IDS = ["pl_1", "pl_2", "pl_3"]


@settings(max_examples=500, deadline=None)
@given(
    st.tuples(*(price_set_st(s) for s in PS_IDS)),
    st.tuples(*(price_list_st(lid) for lid in LIST_IDS)),
    st.lists(op_st, max_size=4),
    st.lists(preference_st, max_size=3),
    st.lists(context_st, min_size=1, max_size=3),
)
def test_engine_agrees_with_reference(
    sets: tuple[dict[str, Any], ...],
    lists: tuple[dict[str, Any], ...],
    ops: list[tuple[str, Any]],
    prefs: list[dict[str, Any]],
    contexts: list[dict[str, Any]],
) -> None:
    eng = engine.PriceIndex(price_sets=sets, price_lists=lists, price_preferences=prefs)
    model = ref.PriceIndex(price_sets=sets, price_lists=lists, price_preferences=prefs)
    for op, arg in ops:
        if op == "upsert_set":
            eng.upsert_price_sets([arg])
            model.upsert_price_sets([arg])
        elif op == "remove_set":
            eng.remove_price_sets([arg])
            model.remove_price_sets([arg])
        elif op == "upsert_list":
            eng.upsert_price_lists([arg])
            model.upsert_price_lists([arg])
        else:
            eng.remove_price_lists([arg])
            model.remove_price_lists([arg])
    assert len(eng) == len(model)
    for context in contexts:
        got = {k: v.to_dict() for k, v in eng.calculate([*PS_IDS, "missing"], context).items()}
        assert got == model.calculate([*PS_IDS, "missing"], context)
