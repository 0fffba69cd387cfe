"""Smoke runs of the benchmarks, so they never rot: the checkout benchmark (bench/http_checkout.py) for a couple of
seconds at tiny concurrency, on the test PostgreSQL, without its one-SELECT baseline (no wrk needed) and without
writing bench/RESULTS.md. No wall-clock assertion: only that journeys go through, with no error, and that the
round-trip count on the wire works."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.bench import BENCH, bench_module


@pytest.fixture(scope="module")
def http_checkout() -> Iterator[ModuleType]:
    with bench_module("http_checkout") as module:
        yield module


def test_the_checkout_benchmark_completes_journeys_without_errors(
    http_checkout: ModuleType, server_url: str, tmp_path: Path
) -> None:
    from harness import BenchSettings

    results = BENCH / "RESULTS.md"
    before = results.read_text() if results.exists() else None
    settings = BenchSettings(duration="2s", warmup="0s", rounds=1, quiet_wait=0)
    outcome = http_checkout.measure(
        settings,
        (2,),
        tmp_path,
        server_url=server_url,
        catalog=False,
        products=2,
        baseline=False,
        count_journeys=3,
    )
    assert outcome.failures == [], outcome.failures[:3]
    assert outcome.ok, outcome.summary
    run = outcome.best[2]
    assert len(run.journeys) > 0 and all(len(step) == len(run.journeys) for step in run.steps)
    # Every journey that placed an order left exactly one order and one reserved unit behind.
    assert outcome.orders_found == outcome.orders_expected >= len(run.journeys) + 3
    counts = outcome.counts
    assert counts is not None and len(counts.journeys) == 1
    complete = counts.journeys[0][http_checkout.COMPLETE]
    assert complete.round_trips > 0 and complete.statements >= complete.round_trips
    assert any("inventory_level" in s for turn in complete.turns for s in turn.statements)
    assert "journeys/s" in outcome.markdown and "round trips" in outcome.markdown
    assert (results.read_text() if results.exists() else None) == before  # the smoke run writes no results


@pytest.fixture(scope="module")
def scale_sim() -> Iterator[ModuleType]:
    with bench_module("scale_sim") as module:
        yield module


@pytest.fixture(scope="module")
def catalog_scale() -> Iterator[ModuleType]:
    with bench_module("catalog_scale") as module:
        yield module


def test_the_scale_simulation_runs_two_nodes_and_plots(scale_sim: ModuleType, server_url: str, tmp_path: Path) -> None:
    """bench/scale_sim.py at its smallest: two app nodes, two buyers, two seconds per run; the plot is drawn."""
    outcome = scale_sim.measure(server_url, (1, 2), (2,), 2.0, 0.5, products=2, warmup=1.0, quiet_wait=0)
    assert outcome.failed == 0, [r.failures[:2] for r in [*outcome.runs, outcome.hot]]
    assert [(r.nodes, r.buyers) for r in outcome.runs] == [(1, 2), (2, 2)]
    assert all(r.journeys for r in outcome.runs) and outcome.hot.journeys
    one_row, many_rows, _ = outcome.ceiling
    assert one_row > 0 and many_rows > 0
    png = tmp_path / "scaling.png"
    scale_sim.plot(outcome.runs, outcome.hot, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "journeys/s" in scale_sim.render(outcome.runs, outcome.hot, outcome.ceiling, "test")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the catalog benchmark drives its load with wrk")
def test_the_catalog_scale_benchmark_measures_every_cell(
    catalog_scale: ModuleType, server_url: str, tmp_path: Path
) -> None:
    result = catalog_scale.measure(30, server_url, tmp_path, "1s", "1s")
    assert result.seed_s > 0 and 0 < result.health_ms <= result.first_page_ms
    assert result.fresh_rss_kb > 0 and result.mixed_rss_kb > 0 and result.mixed_requests > 0
    assert set(result.runs) == {f"{name}@{c}" for name, c in catalog_scale.CELLS}
    assert all(run.requests > 0 and run.errors == 0 for run in result.runs.values()), result.runs
    assert len(result.search_sql_ms) == len(result.search_later_ms) > 0  # each word's first and later page timed
    assert "| 30 |" in catalog_scale.markdown([result], "1s", "1s")


@pytest.fixture(scope="module")
def http_carts() -> Iterator[ModuleType]:
    with bench_module("http_carts") as module:
        yield module


def test_the_cart_benchmark_counts_one_round_trip_per_change_on_one_worker_or_two(
    http_carts: ModuleType, server_url: str
) -> None:
    """bench/http_carts.py's wire count (no wrk): a retrieve and every kind of change take one round trip, on one
    worker and on two, where each request comes on a new connection and so lands on either worker: a cart's next
    change on the other worker takes the cart from the store the workers share (cart.copies), not from PostgreSQL."""
    import harness

    with harness.fresh_database(server_url, prefix="commerce_smoke") as db_url:
        headers = {"x-publishable-api-key": harness.seed_demo(db_url)}
        with harness.commerce_server(db_url, pool_size=None) as setup:
            http_carts.set_up_admin(setup.url)
            region = http_carts.region_id(setup.url, headers)
            variants = http_carts.variant_ids(setup.url, headers, region)
            # Stocked up (the demo has 100 units each): a line past 100 units is taken, through the server's stock
            # model, which follows the change by its NOTIFY.
            http_carts.stock_up(db_url, variants)
            cart, _ = http_carts.make_carts(setup.url, headers, region, variants[0], 1)[0]
            status, body = harness.post_json(
                f"{setup.url}/store/carts/{cart}/line-items", {"variant_id": variants[1], "quantity": 150}, headers
            )
            assert status == 200, body
            plans = {
                op.name: http_carts.requests_of(
                    op,
                    http_carts.make_carts(setup.url, headers, region, variants[0], http_carts.WARM_REQUESTS),
                    variants,
                )
                for op in http_carts.OPS
            }
        for workers in (1, 2):
            trips = http_carts.count_round_trips(db_url, headers, plans, workers)
            assert set(trips) == {op.name for op in http_carts.OPS}
            for name, counted in trips.items():
                # The median: a worker's background work (the hold sweeper, the outbox) may fall in a window.
                assert counted.median() == 1, (workers, name, counted.per_request)


def test_the_cart_pipeline_benchmark_writes_one_at_a_time_and_pipelined(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    with bench_module("cart_pipeline") as cart_pipeline:
        asyncio.run(cart_pipeline.measure(db_url, 16, [4]))  # every write must win (the script asserts it)
    printed = capsys.readouterr().out
    assert printed.count("one at a time") == printed.count("pipelined by 4") == 2, printed
