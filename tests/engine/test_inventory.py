"""Inventory: hand-worked availability and allocation cases, and engine == reference on random stock."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import engine
from commerce.engine_reference import inventory as ref


def level(item: str, loc: str, stocked: int, reserved: int = 0, incoming: int = 0) -> dict[str, Any]:
    return {
        "inventory_item_id": item,
        "location_id": loc,
        "stocked_quantity": stocked,
        "reserved_quantity": reserved,
        "incoming_quantity": incoming,
    }


def variant(vid: str, *items: tuple[str, int], manage: bool = True, backorder: bool = False) -> dict[str, Any]:
    return {
        "id": vid,
        "manage_inventory": manage,
        "allow_backorder": backorder,
        "inventory_items": [{"inventory_item_id": i, "required_quantity": q} for i, q in items],
    }


def line(lid: str, vid: str, quantity: int) -> dict[str, Any]:
    return {"id": lid, "variant_id": vid, "quantity": quantity}


def plan_of(result: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str, int]]:
    return [(a["line_id"], a["inventory_item_id"], a["location_id"], a["quantity"]) for a in result["allocations"]]


LEVELS = [
    level("shirt", "wh_a", 10, reserved=4),  # 6 available
    level("shirt", "wh_b", 3),
    level("shirt", "wh_c", 50),  # not in the sales channel
    level("cap", "wh_a", 5, reserved=5, incoming=20),  # incoming stock is not sellable
    level("cap", "wh_b", 7),
]
CHANNEL = ["wh_a", "wh_b"]


def test_availability_sums_the_channels_locations_and_divides_kits() -> None:
    variants = [
        variant("v_shirt", ("shirt", 1)),
        variant("v_pair", ("shirt", 2)),  # a two-pack: floor(9 / 2)
        variant("v_bundle", ("shirt", 2), ("cap", 3)),  # min(floor(9/2), floor(7/3))
        variant("v_digital", manage=False),
        variant("v_backorder", ("cap", 1), backorder=True),
        variant("v_no_items"),
    ]
    result = engine.availability(variants, LEVELS, CHANNEL)
    assert {k: v["inventory_quantity"] for k, v in result.items()} == {
        "v_shirt": 9,
        "v_pair": 4,
        "v_bundle": 2,
        "v_digital": None,
        "v_backorder": 7,
        "v_no_items": 0,
    }
    assert result["v_backorder"]["allow_backorder"] is True
    assert result["v_digital"]["manage_inventory"] is False
    assert result == ref.availability(variants, LEVELS, CHANNEL)


def test_over_reserved_stock_never_gives_negative_availability() -> None:
    levels = [level("x", "a", 1, reserved=5)]
    assert engine.availability([variant("v", ("x", 1))], levels, ["a"])["v"]["inventory_quantity"] == 0


def test_one_location_that_holds_the_whole_order_is_preferred() -> None:
    variants = [variant("v_shirt", ("shirt", 1)), variant("v_cap", ("cap", 1))]
    lines = [line("l1", "v_shirt", 2), line("l2", "v_cap", 2)]
    # wh_a holds 6 shirts but no caps; wh_b holds 3 shirts and 7 caps: wh_b serves everything.
    result = engine.allocate(lines, variants, LEVELS, CHANNEL)
    assert plan_of(result) == [("l1", "shirt", "wh_b", 2), ("l2", "cap", "wh_b", 2)]
    assert result["backorders"] == []
    assert result == ref.allocate(lines, variants, LEVELS, CHANNEL)


def test_among_whole_order_locations_the_one_with_most_stock_wins_then_the_smallest_id() -> None:
    variants = [variant("v", ("x", 1))]
    levels = [level("x", "b", 5), level("x", "a", 5), level("x", "c", 9)]
    assert plan_of(engine.allocate([line("l", "v", 2)], variants, levels, ["b", "a", "c"])) == [("l", "x", "c", 2)]
    assert plan_of(engine.allocate([line("l", "v", 2)], variants, levels, ["b", "a"])) == [("l", "x", "a", 2)]


def test_otherwise_each_item_takes_from_the_most_stocked_locations_first() -> None:
    variants = [variant("v_shirt", ("shirt", 1))]
    result = engine.allocate([line("l1", "v_shirt", 8)], variants, LEVELS, CHANNEL)
    assert plan_of(result) == [("l1", "shirt", "wh_a", 6), ("l1", "shirt", "wh_b", 2)]


def test_kits_allocate_each_item_times_its_required_quantity() -> None:
    variants = [variant("v_bundle", ("shirt", 2), ("cap", 3))]
    result = engine.allocate([line("l1", "v_bundle", 2)], variants, LEVELS, CHANNEL)
    assert plan_of(result) == [("l1", "shirt", "wh_a", 4), ("l1", "cap", "wh_b", 6)]


def test_shortage_names_each_short_variant_and_the_missing_quantity() -> None:
    variants = [
        variant("v_shirt", ("shirt", 1)),
        variant("v_bundle", ("shirt", 2), ("cap", 3)),
        variant("v_cap", ("cap", 1)),
    ]
    lines = [line("l1", "v_shirt", 5), line("l2", "v_bundle", 3), line("l3", "v_cap", 1)]
    with pytest.raises(engine.InsufficientInventoryError) as info:
        engine.allocate(lines, variants, LEVELS, CHANNEL)
    # 9 shirts: l1 takes 5, l2 gets 4 of 6 -> 2 bundles; 7 caps: l2 takes 7 of 9 -> 2 bundles; l3 gets none.
    assert info.value.shortages == [
        {"variant_id": "v_bundle", "requested_quantity": 3, "missing_quantity": 1},
        {"variant_id": "v_cap", "requested_quantity": 1, "missing_quantity": 1},
    ]
    assert isinstance(info.value, engine.CommerceEngineError)
    assert "v_bundle is short by 1 of 3" in str(info.value)
    with pytest.raises(ref.ReferenceShortageError) as ref_info:
        ref.allocate(lines, variants, LEVELS, CHANNEL)
    assert ref_info.value.shortages == info.value.shortages


def test_backorder_and_unmanaged_variants_never_short() -> None:
    variants = [variant("v_pre", ("cap", 1), backorder=True), variant("v_gift", manage=False)]
    lines = [line("l1", "v_pre", 10), line("l2", "v_gift", 100)]
    result = engine.allocate(lines, variants, LEVELS, CHANNEL)
    assert plan_of(result) == [("l1", "cap", "wh_b", 7)]
    assert result["backorders"] == [{"line_id": "l1", "variant_id": "v_pre", "inventory_item_id": "cap", "quantity": 3}]


def test_strict_lines_are_served_before_backorder_lines() -> None:
    variants = [variant("v_pre", ("cap", 1), backorder=True), variant("v_cap", ("cap", 1))]
    lines = [line("l1", "v_pre", 5), line("l2", "v_cap", 5)]
    result = engine.allocate(lines, variants, LEVELS, CHANNEL)
    assert plan_of(result) == [("l1", "cap", "wh_b", 2), ("l2", "cap", "wh_b", 5)]
    assert result["backorders"][0]["quantity"] == 3


def test_managed_variant_without_items_is_short() -> None:
    with pytest.raises(engine.InsufficientInventoryError) as info:
        engine.allocate([line("l", "v", 2)], [variant("v")], LEVELS, CHANNEL)
    assert info.value.shortages == [{"variant_id": "v", "requested_quantity": 2, "missing_quantity": 2}]


@pytest.mark.parametrize(
    ("lines", "variants", "levels", "locations"),
    [
        ([line("l", "unknown", 1)], [variant("v", ("x", 1))], [], ["a"]),
        ([line("l", "v", 0)], [variant("v", ("x", 1))], [], ["a"]),
        ([line("l", "v", 1)], [variant("v", ("x", 0))], [], ["a"]),
        ([line("l", "v", 1)], [variant("v", ("x", 1))], [level("x", "a", -1)], ["a"]),
        ([line("l", "v", 1)], [variant("v", ("x", 1))], [level("x", "a", 1), level("x", "a", 2)], ["a"]),
        ([line("l", "v", 1)], [variant("v", ("x", 1))], [], ["a", "a"]),
        ([line("l", "v", 1)], [variant("v", ("x", 1)), variant("v", ("x", 1))], [], ["a"]),
        ([line("l", "v", 1)], [{"id": "v", "inventory_items": [{"required_quantity": 1}]}], [], ["a"]),
        ([{"id": "l", "variant_id": "v", "quantity": 1.0}], [variant("v", ("x", 1))], [], ["a"]),
        ([line("l", "v", 10**13)], [variant("v", ("x", 1))], [], ["a"]),
    ],
)
def test_bad_input_raises_invalid_input(
    lines: list[dict[str, Any]], variants: list[dict[str, Any]], levels: list[dict[str, Any]], locations: list[str]
) -> None:
    with pytest.raises(engine.InvalidInputError):
        engine.allocate(lines, variants, levels, locations)


# --- engine == reference on random stock ------------------------------------------------------

ITEMS = ["i1", "i2", "i3", "i4"]
LOCATIONS = ["loc_a", "loc_b", "loc_c", "loc_d", "loc_e"]


@st.composite
def variants_st(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for n in range(draw(st.integers(min_value=1, max_value=5))):
        items = draw(st.lists(st.sampled_from(ITEMS), max_size=3, unique=True))
        out.append(
            {
                "id": f"v{n}",
                "manage_inventory": draw(st.sampled_from([True, True, True, False])),
                "allow_backorder": draw(st.sampled_from([False, False, True])),
                "inventory_items": [
                    {"inventory_item_id": i, "required_quantity": draw(st.integers(min_value=1, max_value=3))}
                    for i in items
                ],
            }
        )
    return out


@st.composite
def levels_st(draw: st.DrawFn) -> list[dict[str, Any]]:
    cells = draw(st.lists(st.tuples(st.sampled_from(ITEMS), st.sampled_from(LOCATIONS)), unique=True, max_size=14))
    return [
        level(
            item,
            loc,
            draw(st.integers(min_value=0, max_value=12)),
            draw(st.integers(min_value=0, max_value=6)),
            draw(st.integers(min_value=0, max_value=3)),
        )
        for item, loc in cells
    ]


channel_st = st.lists(st.sampled_from(LOCATIONS), min_size=0, max_size=5, unique=True)


@settings(max_examples=500, deadline=None)
@given(variants_st(), levels_st(), channel_st)
def test_availability_agrees_with_reference(
    variants: list[dict[str, Any]], levels: list[dict[str, Any]], channel: list[str]
) -> None:
    assert engine.availability(variants, levels, channel) == ref.availability(variants, levels, channel)


@settings(max_examples=500, deadline=None)
@given(variants_st(), levels_st(), channel_st, st.data())
def test_allocate_agrees_with_reference(
    variants: list[dict[str, Any]], levels: list[dict[str, Any]], channel: list[str], data: st.DataObject
) -> None:
    lines = [
        line(f"l{n}", data.draw(st.sampled_from([v["id"] for v in variants])), data.draw(st.integers(1, 8)))
        for n in range(data.draw(st.integers(min_value=0, max_value=6)))
    ]
    try:
        expected = ref.allocate(lines, variants, levels, channel)
    except ref.ReferenceShortageError as exc:
        with pytest.raises(engine.InsufficientInventoryError) as info:
            engine.allocate(lines, variants, levels, channel)
        assert info.value.shortages == exc.shortages
    else:
        assert engine.allocate(lines, variants, levels, channel) == expected
