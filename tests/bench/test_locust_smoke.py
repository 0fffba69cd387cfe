"""Smoke runs of the load kit (bench/locustfile.py, driven as bench/load.py drives it), so it never rots: a few seconds
of storefront users and a small flash sale against a real server. No wall-clock assertion: only that the journeys go
through without a failure and the flash sale sells exactly its units."""

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.bench import bench_module
from tests.shop import build, ok, product


@pytest.fixture(scope="module")
def load() -> Iterator[ModuleType]:
    with bench_module("load") as module:
        yield module


@pytest.fixture(scope="module")
def shop(admin: httpx.Client) -> dict[str, Any]:
    shop = build(admin)
    shop["products"] = [product(admin, shop, f"Load Tee {n}", 20, 1000) for n in range(3)]
    return shop


def test_storefront_users_browse_add_and_check_out_without_failures(
    load: ModuleType, server: Any, seeded: dict[str, str], shop: dict[str, Any], tmp_path: Path
) -> None:
    env = {"WAIT_MIN": "0", "WAIT_MAX": "0.05", "CATALOG_PAGES": "1"}
    run = load.run_locust(server.url, seeded["publishable_key"], "StorefrontUser", 4, "4s", tmp_path, env)
    assert run.returncode == 0, run.output[-2000:]
    assert run.failures == [], run.failures
    by_name = {r.name: r for r in run.rows}
    assert by_name["Aggregated"].requests > 20 and by_name["Aggregated"].failures == 0
    assert by_name["/store/products"].requests > 0 and by_name["/store/products/[id]"].requests > 0


def test_a_flash_sale_sells_its_units_once(
    load: ModuleType, server: Any, seeded: dict[str, str], shop: dict[str, Any], admin: httpx.Client, tmp_path: Path
) -> None:
    units = 3
    drop = product(admin, shop, "Load Drop", 50, units)
    env = {"FLASH_VARIANT_ID": drop["id"]}
    run = load.run_locust(server.url, seeded["publishable_key"], "FlashSaleBuyer", 12, "5s", tmp_path, env)
    assert run.returncode == 0, run.output[-2000:]
    assert load.five_xx(run) == 0 and run.failures == [], run.failures
    held = ok(admin.get("/admin/reservations", params={"inventory_item_id": drop["inventory_item_id"]}))
    assert sum(r["quantity"] for r in held["reservations"]) == units
    assert len({r["line_item_id"] for r in held["reservations"]}) == units
    assert "'orders': 3" in run.output, run.output[-2000:]
