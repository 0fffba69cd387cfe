"""Inventory benchmark: allocate a 20-line order over 5 locations (engine vs reference, same inputs)."""

from typing import Any

from commerce import engine
from commerce.engine_reference import inventory as ref

LOCATIONS = [f"sloc_{c}" for c in "abcde"]
LINES_PER_ORDER = 20


def order() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """20 lines: singles, two-packs and bundles of two items; stock spread so that no single location
    holds the whole order (the split path, the expensive one)."""
    variants = []
    for i in range(LINES_PER_ORDER):
        items = [{"inventory_item_id": f"iitem_{i:02d}", "required_quantity": 1 + i % 2}]
        if i % 5 == 0:
            items.append({"inventory_item_id": f"iitem_{(i + 7) % LINES_PER_ORDER:02d}", "required_quantity": 1})
        variants.append(
            {"id": f"variant_{i:02d}", "manage_inventory": True, "allow_backorder": i == 19, "inventory_items": items}
        )
    levels = [
        {
            "inventory_item_id": f"iitem_{i:02d}",
            "location_id": loc,
            "stocked_quantity": 3 + (i * 7 + n * 3) % 11,
            "reserved_quantity": (i + n) % 3,
            "incoming_quantity": 5,
        }
        for i in range(LINES_PER_ORDER)
        for n, loc in enumerate(LOCATIONS)
    ]
    lines = [
        {"id": f"cali_{i:02d}", "variant_id": f"variant_{i:02d}", "quantity": 2 + i % 4} for i in range(LINES_PER_ORDER)
    ]
    return lines, variants, levels


LINES, VARIANTS, LEVELS = order()


def test_allocate_engine(benchmark: Any) -> None:
    benchmark.group = "allocate 20 lines over 5 locations"
    benchmark.extra_info.update(side="engine", lines=LINES_PER_ORDER, locations=len(LOCATIONS))
    plan = benchmark(engine.allocate, LINES, VARIANTS, LEVELS, LOCATIONS)
    assert plan == ref.allocate(LINES, VARIANTS, LEVELS, LOCATIONS)
    assert len({a["location_id"] for a in plan["allocations"]}) > 1


def test_allocate_reference(benchmark: Any) -> None:
    benchmark.group = "allocate 20 lines over 5 locations"
    benchmark.extra_info.update(side="reference", lines=LINES_PER_ORDER, locations=len(LOCATIONS))
    plan = benchmark(ref.allocate, LINES, VARIANTS, LEVELS, LOCATIONS)
    assert plan["allocations"]
