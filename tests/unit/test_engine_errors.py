"""Every engine error becomes a domain error with a 4xx status, never a 500."""

import pytest

from commerce import engine
from commerce.errors import InvalidData, NotAllowed, from_engine
from commerce.http.errors import error_response


def test_shortage_is_a_400_naming_the_variant() -> None:
    variants = [
        {
            "id": "var_1",
            "manage_inventory": True,
            "allow_backorder": False,
            "inventory_items": [{"inventory_item_id": "iitem_1", "required_quantity": 1}],
        }
    ]
    levels = [
        {
            "inventory_item_id": "iitem_1",
            "location_id": "sloc_a",
            "stocked_quantity": 1,
            "reserved_quantity": 0,
            "incoming_quantity": 0,
        }
    ]
    with pytest.raises(engine.InsufficientInventoryError) as caught:
        engine.allocate([{"id": "li_1", "variant_id": "var_1", "quantity": 2}], variants, levels, ["sloc_a"])
    mapped = from_engine(caught.value)
    assert isinstance(mapped, NotAllowed) and mapped.code == "insufficient_inventory"
    assert "var_1" in mapped.message
    response = error_response(caught.value, b"req-1", "test")
    assert response.status == 400


def test_invalid_amount_is_invalid_data() -> None:
    with pytest.raises(engine.CommerceEngineError) as caught:
        engine.parse_amount("abc")
    assert isinstance(from_engine(caught.value), InvalidData)
    assert error_response(caught.value, b"req-2", "test").status == 400


def test_other_errors_stay_unknown() -> None:
    assert from_engine(RuntimeError("boom")) is None
    assert error_response(RuntimeError("boom"), b"req-3", "test").status == 500
