"""Pricing benchmarks: price 10,000 variants in one call, and the cost of one small call across the boundary.

Each benchmark is a pair (engine, reference) on the same inputs. Run after a release build:
`.venv/bin/pytest bench/engine -q -p no:cacheprovider --benchmark-only`.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from commerce import engine
from commerce.engine_reference import pricing as ref

VARIANTS = 10_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def catalog(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """n price sets like a storefront's: a base price in two currencies, a regional price, a bulk tier;
    a VIP sale on every third set and a summer override on every tenth."""
    sets = []
    for i in range(n):
        base = Decimal(10 + i % 90) + Decimal("0.99")
        sets.append(
            {
                "id": f"pset_{i:05d}",
                "prices": [
                    {"id": f"price_{i}_usd", "amount": base, "currency_code": "usd"},
                    {"id": f"price_{i}_eur", "amount": base - 1, "currency_code": "eur"},
                    {
                        "id": f"price_{i}_reg",
                        "amount": base - 2,
                        "currency_code": "usd",
                        "rules": {"region_id": "reg_us"},
                    },
                    {
                        "id": f"price_{i}_bulk",
                        "amount": base - 3,
                        "currency_code": "usd",
                        "min_quantity": 10,
                        "max_quantity": 100,
                    },
                ],
            }
        )
    lists = [
        {
            "id": "plist_vip",
            "type": "sale",
            "status": "active",
            "starts_at": NOW - timedelta(days=1),
            "ends_at": NOW + timedelta(days=30),
            "rules": {"customer_group_id": ["cg_vip"]},
            "prices": [
                {
                    "id": f"vip_{i}",
                    "amount": Decimal(8 + i % 90),
                    "currency_code": "usd",
                    "price_set_id": f"pset_{i:05d}",
                }
                for i in range(0, n, 3)
            ],
        },
        {
            "id": "plist_summer",
            "type": "override",
            "status": "active",
            "prices": [
                {
                    "id": f"summer_{i}",
                    "amount": Decimal(15 + i % 50),
                    "currency_code": "usd",
                    "price_set_id": f"pset_{i:05d}",
                }
                for i in range(0, n, 10)
            ],
        },
    ]
    prefs = [{"attribute": "region_id", "value": "reg_us", "is_tax_inclusive": False}]
    return sets, lists, prefs


SETS, LISTS, PREFS = catalog(VARIANTS)
IDS = [s["id"] for s in SETS]
CONTEXT = {
    "currency_code": "usd",
    "region_id": "reg_us",
    "customer_group_ids": ["cg_vip"],
    "quantity": 1,
    "now": NOW,
    "tax_rates": [Decimal("8.875")],
}


@pytest.fixture(scope="module")
def engine_index() -> engine.PriceIndex:
    return engine.PriceIndex(price_sets=SETS, price_lists=LISTS, price_preferences=PREFS)


@pytest.fixture(scope="module")
def reference_index() -> ref.PriceIndex:
    return ref.PriceIndex(price_sets=SETS, price_lists=LISTS, price_preferences=PREFS)


def test_price_10k_variants_engine(benchmark: Any, engine_index: engine.PriceIndex) -> None:
    benchmark.group = "price 10,000 variants"
    benchmark.extra_info.update(side="engine", variants=VARIANTS)
    result = benchmark(engine_index.calculate, IDS, CONTEXT)
    assert len(result) == VARIANTS


def test_price_10k_variants_reference(benchmark: Any, reference_index: ref.PriceIndex) -> None:
    benchmark.group = "price 10,000 variants"
    benchmark.extra_info.update(side="reference", variants=VARIANTS)
    result = benchmark.pedantic(reference_index.calculate, args=(IDS, CONTEXT), rounds=3, iterations=1)
    assert len(result) == VARIANTS


def test_price_10k_variants_engine_as_dicts(benchmark: Any, engine_index: engine.PriceIndex) -> None:
    """The same call plus `to_dict()` on every result: the full Medusa objects, Decimals built."""
    benchmark.group = "price 10,000 variants (as dicts)"
    benchmark.extra_info.update(side="engine", variants=VARIANTS)
    result = benchmark(lambda: [p.to_dict() for p in engine_index.calculate(IDS, CONTEXT).values()])
    assert len(result) == VARIANTS


def test_price_10k_variants_reference_as_dicts(benchmark: Any, reference_index: ref.PriceIndex) -> None:
    benchmark.group = "price 10,000 variants (as dicts)"
    benchmark.extra_info.update(side="reference", variants=VARIANTS)
    result = benchmark.pedantic(reference_index.calculate, args=(IDS, CONTEXT), rounds=3, iterations=1)
    assert len(result) == VARIANTS


def test_engine_matches_reference_on_the_benchmark_inputs(
    engine_index: engine.PriceIndex, reference_index: ref.PriceIndex
) -> None:
    sample = IDS[:300]
    got = {k: v.to_dict() for k, v in engine_index.calculate(sample, CONTEXT).items()}
    assert got == reference_index.calculate(sample, CONTEXT)


def test_boundary_one_price_set_engine(benchmark: Any, engine_index: engine.PriceIndex) -> None:
    benchmark.group = "boundary"
    benchmark.extra_info.update(side="engine", variants=1)
    result = benchmark(engine_index.calculate, ["pset_00042"], CONTEXT)
    assert result["pset_00042"].calculated_amount == Decimal(50)


def test_boundary_one_price_set_reference(benchmark: Any, reference_index: ref.PriceIndex) -> None:
    benchmark.group = "boundary"
    benchmark.extra_info.update(side="reference", variants=1)
    result = benchmark(reference_index.calculate, ["pset_00042"], CONTEXT)
    assert result["pset_00042"]["calculated_amount"] == Decimal(50)
