"""Reference inventory availability and allocation, written for clarity, not speed.

Same inputs and outputs as `engine.availability` / `engine.allocate`; the rules are stated in
rust_core/src/inventory/mod.rs.
"""

from collections.abc import Mapping, Sequence
from typing import Any


class ReferenceShortageError(ValueError):
    """The reference's counterpart of engine.InsufficientInventoryError."""

    def __init__(self, shortages: list[dict[str, Any]]) -> None:
        super().__init__(shortages)
        self.shortages = shortages


def _available(levels: Sequence[Mapping[str, Any]], location_ids: Sequence[str]) -> dict[tuple[str, str], int]:
    """stocked - reserved per (item, location) at the channel's locations (may be negative)."""
    channel = set(location_ids)
    return {
        (lv["inventory_item_id"], lv["location_id"]): lv["stocked_quantity"] - (lv.get("reserved_quantity") or 0)
        for lv in levels
        if lv["location_id"] in channel
    }


def availability(
    variants: Sequence[Mapping[str, Any]], levels: Sequence[Mapping[str, Any]], location_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    stock = _available(levels, location_ids)
    out: dict[str, dict[str, Any]] = {}
    for v in variants:
        manage = v.get("manage_inventory", True)
        quantity: int | None = None
        if manage:
            per_item = [
                sum(stock.get((it["inventory_item_id"], loc), 0) for loc in location_ids)
                // it.get("required_quantity", 1)
                for it in v.get("inventory_items") or []
            ]
            quantity = max(min(per_item), 0) if per_item else 0
        out[v["id"]] = {
            "inventory_quantity": quantity,
            "manage_inventory": manage,
            "allow_backorder": v.get("allow_backorder", False),
        }
    return out


def allocate(
    lines: Sequence[Mapping[str, Any]],
    variants: Sequence[Mapping[str, Any]],
    levels: Sequence[Mapping[str, Any]],
    location_ids: Sequence[str],
) -> dict[str, list[dict[str, Any]]]:
    by_id = {v["id"]: v for v in variants}
    stock = {key: max(q, 0) for key, q in _available(levels, location_ids).items()}

    # One demand per (line, item) of a variant that manages inventory.
    demands: list[dict[str, Any]] = []
    for line_pos, line in enumerate(lines):
        v = by_id[line["variant_id"]]
        if not v.get("manage_inventory", True):
            continue
        for item_pos, it in enumerate(v.get("inventory_items") or []):
            demands.append(
                {
                    "line_pos": line_pos,
                    "item_pos": item_pos,
                    "line_id": line["id"],
                    "variant_id": v["id"],
                    "item": it["inventory_item_id"],
                    "required": it.get("required_quantity", 1),
                    "quantity": line["quantity"] * it.get("required_quantity", 1),
                    "backorder": v.get("allow_backorder", False),
                    "got": 0,
                }
            )

    allocations: list[tuple[tuple[int, int], dict[str, Any]]] = []
    backorders: list[dict[str, Any]] = []

    def record(d: dict[str, Any], location: str, quantity: int) -> None:
        d["got"] += quantity
        entry = {
            "line_id": d["line_id"],
            "variant_id": d["variant_id"],
            "inventory_item_id": d["item"],
            "location_id": location,
            "quantity": quantity,
        }
        allocations.append(((d["line_pos"], d["item_pos"]), entry))

    # 1. One location holding every demanded item in full: the most stock, then the smallest id.
    totals: dict[str, int] = {}
    for d in demands:
        totals[d["item"]] = totals.get(d["item"], 0) + d["quantity"]
    whole = [loc for loc in location_ids if demands and all(stock.get((i, loc), 0) >= q for i, q in totals.items())]
    if whole:
        best = min(whole, key=lambda loc: (-sum(stock.get((i, loc), 0) for i in totals), loc))
        for d in demands:
            record(d, best, d["quantity"])
    else:
        # 2. Split: strict lines first, then backorder-allowed ones; most remaining stock first.
        for d in sorted(demands, key=lambda d: d["backorder"]):
            need = d["quantity"]
            for loc in sorted(location_ids, key=lambda loc: (-stock.get((d["item"], loc), 0), loc)):
                take = min(stock.get((d["item"], loc), 0), need)
                if take <= 0:
                    break
                stock[(d["item"], loc)] -= take
                need -= take
                record(d, loc, take)
            if need > 0 and d["backorder"]:
                backorders.append(
                    {
                        "line_id": d["line_id"],
                        "variant_id": d["variant_id"],
                        "inventory_item_id": d["item"],
                        "quantity": need,
                    }
                )
        # The plan lists lines in order, then items, then locations in the order they were used.
        allocations.sort(key=lambda pair: pair[0])

    # Shortages: per strict line, the units its items cover; summed per variant.
    shortages: list[dict[str, Any]] = []
    for line_pos, line in enumerate(lines):
        v = by_id[line["variant_id"]]
        if not v.get("manage_inventory", True) or v.get("allow_backorder", False):
            continue
        per_item = [d["got"] // d["required"] for d in demands if d["line_pos"] == line_pos]
        covered = min(per_item) if per_item else 0
        missing = line["quantity"] - covered
        entry = next((s for s in shortages if s["variant_id"] == v["id"]), None)
        if entry is None:
            shortages.append(
                {"variant_id": v["id"], "requested_quantity": line["quantity"], "missing_quantity": missing}
            )
        else:
            entry["requested_quantity"] += line["quantity"]
            entry["missing_quantity"] += missing
    shortages = [s for s in shortages if s["missing_quantity"] > 0]
    if shortages:
        raise ReferenceShortageError(shortages)
    return {"allocations": [entry for _, entry in allocations], "backorders": backorders}
